"""Reading and validating daily town reports (SPEC 3.1, 3.3) from CSV or XLSX files.

A file is read whole and every problem is collected before anything is written: errors
carry the spreadsheet row number, the column and a plain Chinese explanation.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable, Literal

import pandas as pd

from sanse.config import COUNT_COLUMNS, Town, normalize_spelling, town_lookup

HEADERS = {
    "date": "日期",
    "town": "镇街",
    "inspections": "检查企业数",
    "hazards": "发现隐患数",
    "major_hazards": "重大隐患数",
    "rectified": "整改隐患数",
    "halted": "停产停业数",
    "cases": "立案数",
    "detentions": "行政拘留人数",
    "fines_wan": "罚款金额（万元）",
}
INTEGER_COLUMNS = ("inspections", "hazards", "major_hazards", "rectified", "halted", "cases", "detentions")
OPTIONAL_COLUMNS = ("detentions", "fines_wan")  # an empty cell there means 0
EXCEL_EPOCH = date(1899, 12, 30)
OLE_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")  # the container of pre-2007 .xls files
MAX_HEADER_SEARCH = 10
MAX_ROWS = 100_000  # a province's daily report is ~1,400 rows; more is a mistake, not a report
CHINA_TIME = timezone(timedelta(hours=8))  # "today" is the towns' day, whatever the server's clock zone


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else "文件"
        column = f"“{self.column}”列" if self.column else ""
        return f"{where}{column}：{self.message}"


@dataclass
class Report:
    """A parsed file: its rows (English keys, town codes) and everything wrong with it."""

    source_name: str
    sha256: str
    rows: pd.DataFrame
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_report(
    content: bytes,
    source_name: str,
    towns: list[Town],
    *,
    campaign_start: date | None = None,
    today: date | None = None,
    history: pd.DataFrame | Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> Report:
    """Parse and validate one uploaded file. `history` is the current figures the warnings
    compare with, or a function giving them for the parsed rows."""
    sha = hashlib.sha256(content).hexdigest()
    empty = pd.DataFrame(columns=["row_number", "date", "town_code", *COUNT_COLUMNS])
    try:
        header_row, header, body = read_table(content, source_name)
    except ValueError as exc:
        return Report(source_name, sha, empty, [Problem(None, "", str(exc))])

    columns, errors = _map_header(header, header_row)
    if errors:
        return Report(source_name, sha, empty, errors)

    today = today or datetime.now(CHINA_TIME).date()
    lookup = town_lookup([t for t in towns if t.active])
    inactive = {normalize_spelling(s) for t in towns if not t.active for s in (t.code, t.name, *t.aliases)}
    records, errors, seen = [], [], {}
    for row_number, values in body:
        cells = {key: values[index] if index < len(values) else None for key, index in columns.items()}
        if all(_blank(v) for v in cells.values()):
            continue
        record: dict = {"row_number": row_number}
        label = lambda key: header[columns[key]]  # noqa: E731 - the column as the user wrote it

        parsed_date, message = parse_date(cells["date"])
        if message:
            errors.append(Problem(row_number, label("date"), message))
        elif parsed_date > today:
            errors.append(Problem(row_number, label("date"), f"日期 {parsed_date} 晚于今天，不能报送未来的数据"))
        elif campaign_start and parsed_date < campaign_start:
            errors.append(Problem(row_number, label("date"), f"日期 {parsed_date} 早于活动开始日期 {campaign_start}"))
        record["date"] = parsed_date

        spelled = "" if _blank(cells["town"]) else str(cells["town"]).strip()
        town = lookup.get(normalize_spelling(spelled))
        if town is None:
            if not spelled:
                errors.append(Problem(row_number, label("town"), "镇街不能为空"))
            elif normalize_spelling(spelled) in inactive:
                errors.append(Problem(row_number, label("town"), f"“{spelled}”已停用，不参加排名"))
            else:
                errors.append(Problem(row_number, label("town"), f"未知镇街“{spelled}”：请使用名称、代码或 towns.csv 中登记的别名"))
        record["town_code"] = town.code if town else None

        for key in COUNT_COLUMNS:
            value, message = parse_count(cells[key], decimal=key == "fines_wan", optional=key in OPTIONAL_COLUMNS)
            if message:
                errors.append(Problem(row_number, label(key), message))
            record[key] = value

        if _is_int(record["major_hazards"]) and _is_int(record["hazards"]) and record["major_hazards"] > record["hazards"]:
            errors.append(Problem(
                row_number, label("major_hazards"),
                f"重大隐患数（{record['major_hazards']}）不能大于发现隐患数（{record['hazards']}）",
            ))
        if town and parsed_date:
            key = (town.code, parsed_date)
            if key in seen:
                errors.append(Problem(
                    row_number, label("town"),
                    f"{town.name} {parsed_date} 在本文件中重复出现（另见第{seen[key]}行）",
                ))
            else:
                seen[key] = row_number
        records.append(record)

    if not records and not errors:
        errors.append(Problem(None, "", "文件中没有数据行"))
    frame = pd.DataFrame.from_records(records, columns=empty.columns) if records else empty
    report = Report(source_name, sha, frame, errors)
    if report.ok:
        frame["fines_wan"] = frame["fines_wan"].astype(float)
        for key in INTEGER_COLUMNS:
            frame[key] = frame[key].astype("int64")
        if callable(history):
            history = history(frame)
        report.warnings = _warnings(frame, header, columns, history, towns)
    return report


def read_table(content: bytes, source_name: str) -> tuple[int, list[str], list[tuple[int, list]]]:
    """(header row number, header cells, [(row number, cells)]) with spreadsheet numbering."""
    suffix = Path(source_name).suffix.lower()
    if content[:8] == OLE_SIGNATURE:
        raise ValueError("不支持旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx 或 CSV 后再上传")
    if suffix in (".xlsx", ".xlsm") or content[:2] == b"PK":
        rows = _xlsx_rows(content)
    else:
        rows = list(csv.reader(io.StringIO(decode_text(content))))
    if not rows:
        raise ValueError("文件是空的")
    if len(rows) > MAX_ROWS:
        raise ValueError(f"文件有 {len(rows)} 行，超过上限 {MAX_ROWS} 行：请按日期拆分后分别上传")
    known = {_header_key(h) for pair in HEADERS.items() for h in pair}
    for index, cells in enumerate(rows[:MAX_HEADER_SEARCH]):
        hits = sum(_header_key(c) in known for c in cells if not _blank(c))
        if hits >= 2:
            header = ["" if _blank(c) else str(c).strip() for c in cells]
            body = [(index + 2 + offset, list(r)) for offset, r in enumerate(rows[index + 1:])]
            return index + 1, header, body
    raise ValueError("找不到表头：前10行中没有“日期”“镇街”“检查企业数”等列名")


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 as Excel saves CSV on Chinese Windows."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV，或 XLSX")


def _xlsx_rows(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a damaged file
        raise ValueError(f"无法打开 XLSX 文件：{exc}") from exc
    sheet = book.worksheets[0]
    sheet.reset_dimensions()  # some exporters write a wrong <dimension>, which would cut rows off
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    book.close()
    while rows and all(_blank(c) for c in rows[-1]):
        rows.pop()
    return rows


def _map_header(header: list[str], header_row: int) -> tuple[dict[str, int], list[Problem]]:
    names = {_header_key(k): k for k in HEADERS} | {_header_key(v): k for k, v in HEADERS.items()}
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = names.get(_header_key(cell))
        if key and key not in columns:
            columns[key] = index
    missing = [key for key in HEADERS if key not in columns]
    errors = [
        Problem(header_row, HEADERS[key], f"缺少必填列“{HEADERS[key]}”（也可写作 {key}）")
        for key in missing
    ]
    return columns, errors


def _header_key(cell) -> str:
    """Headers match whatever the spacing, letter case or width of the brackets."""
    return normalize_spelling(str(cell)).lower().replace("（", "(").replace("）", ")")


def parse_date(value) -> tuple[date | None, str | None]:
    """Accepts 2023-06-01, 2023/6/1, 2023年6月1日, 20230601, an Excel date or date serial."""
    if _blank(value):
        return None, "日期不能为空"
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000 and float(value).is_integer():
            return EXCEL_EPOCH + timedelta(days=int(value)), None
        if 19000101 <= value <= 29991231 and float(value).is_integer():  # 20230601 typed as a number
            return parse_date(str(int(value)))
        return None, f"无法识别的日期“{value}”"
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0{1,2}:00(?::00)?)?", text)
    if not match:
        match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if not match:
        if re.fullmatch(r"\d{5}(\.0+)?", text):
            return parse_date(float(text))
        return None, f"无法识别的日期“{text}”：请写成 2023-06-01、2023/6/1 或 2023年6月1日"
    try:
        return date(*(int(g) for g in match.groups())), None
    except ValueError:
        return None, f"日期“{text}”不存在"


def parse_count(value, *, decimal: bool = False, optional: bool = False) -> tuple[int | float | None, str | None]:
    if _blank(value):
        return (0, None) if optional else (None, "不能为空，没有请填 0")
    if isinstance(value, bool):
        return None, f"“{value}”不是数字"
    text = str(value).strip().replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, f"“{text}”不是数字"
    if not number.is_finite():
        return None, f"“{text}”不是数字"
    if number < 0:
        return None, f"不能为负数（{text}）"
    if decimal:
        return float(number), None
    if number != number.to_integral_value():
        return None, f"应为整数，不能是小数（{text}）"
    return int(number), None


def _warnings(frame: pd.DataFrame, header: list[str], columns: dict[str, int], history: pd.DataFrame | None, towns: list[Town]) -> list[Problem]:
    names = {t.code: t.name for t in towns}
    warnings = []
    for row in frame.itertuples(index=False):
        for key in ("halted", "cases"):
            if getattr(row, key) > row.inspections:
                warnings.append(Problem(
                    row.row_number, header[columns[key]],
                    f"{HEADERS[key]}（{getattr(row, key)}）大于检查企业数（{row.inspections}），请核实",
                    "warning",
                ))
    known = frame[["town_code", "date", "inspections"]]
    if history is not None and len(history):
        past = history[["town_code", "date", "inspections"]]
        past = past[~past.set_index(["town_code", "date"]).index.isin(known.set_index(["town_code", "date"]).index)]
        known = pd.concat([past, known], ignore_index=True)
    by_town = {code: dict(zip(g["date"], g["inspections"])) for code, g in known.groupby("town_code")}
    for row in frame.itertuples(index=False):
        days = by_town.get(row.town_code, {})
        previous = [days[d] for d in (row.date - timedelta(days=k) for k in range(1, 8)) if d in days]
        if previous:
            average = sum(previous) / len(previous)
            if row.inspections < average / 2:
                warnings.append(Problem(
                    row.row_number, header[columns["inspections"]],
                    f"{names.get(row.town_code, row.town_code)} 检查企业数 {row.inspections} 不到本镇街前7天平均（{average:.1f}）的一半，请核实",
                    "warning",
                ))
    return warnings


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and value != value)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def template_rows(towns: list[Town], day: date) -> pd.DataFrame:
    """One row per active town, Chinese headers, counts left for the town to fill in."""
    rows = [{HEADERS["date"]: day, HEADERS["town"]: t.name} for t in towns if t.active]
    return pd.DataFrame(rows, columns=list(HEADERS.values()))
