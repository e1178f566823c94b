"""Reading and validating daily town reports (design §3.1, 3.3) from CSV or XLSX files.

A file is measured, then read whole, and every problem is collected before anything is written:
errors carry the spreadsheet row number, the column and a plain Chinese explanation.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd

from sanse.deployment.towns import Town
from sanse.facts import clock
from sanse.facts.report import COUNT_COLUMNS, INTEGER_COLUMNS, MONEY_COLUMNS
from sanse.pipelines.reports.file_kind import display_name
from sanse.pipelines.reports.header import HEADERS, MAX_HEADER_SEARCH, find_header
from sanse.pipelines.reports.measure import Measured, measure
from sanse.pipelines.reports.problems import Problem, file_error
from sanse.pipelines.reports.rows import ReportTable, TableRow, read_rows
from sanse.pipelines.reports.values import parse_date
from sanse.pipelines.reports.workbook import Sheet, WorkbookUnreadable, read_sheets

__all__ = [
    "HEADERS",
    "INSTRUCTIONS_SHEET",
    "Problem",
    "Report",
    "ReportTable",
    "parse_date",
    "parse_report",
    "report_tables",
    "template_rows",
]

INSTRUCTIONS_SHEET = "填表说明"  # the template's instructions: never a report, read silently past
UNREADABLE = "这个文件无法读取：请在 Excel/WPS 中打开，另存为 .xlsx 后再上传；仍不行请联系市安委办"
log = logging.getLogger(__name__)


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
    compare with, or a function giving them for the parsed rows.
    Never raises: whatever the file holds becomes a Problem."""
    name, sha = display_name(source_name), hashlib.sha256(content).hexdigest()
    try:
        return _parse(content, name, sha, towns, campaign_start, today or clock.today(), history)
    except Exception:  # design §9: no traceback reaches a user; the log keeps it for us
        log.exception("parse_report failed on %s (sha256 %s)", name, sha)
        return Report(name, sha, _empty(), [file_error(UNREADABLE)])


def _parse(
    content: bytes,
    name: str,
    sha: str,
    towns: list[Town],
    campaign_start: date | None,
    today: date,
    history: pd.DataFrame | Callable[[pd.DataFrame], pd.DataFrame] | None,
) -> Report:
    measured = measure(content, name)
    errors = [p for p in measured.problems if p.severity == "error"]
    warnings = [p for p in measured.problems if p.severity == "warning"]
    if errors:
        return Report(name, sha, _empty(), errors, warnings)
    tables, problems = report_tables(content, measured)
    errors += [p for p in problems if p.severity == "error"]
    warnings += [p for p in problems if p.severity == "warning"]
    if errors:
        return Report(name, sha, _empty(), errors, warnings)

    rows, problems = read_rows(tables, towns, today=today, campaign_start=campaign_start)
    errors += [p for p in problems if p.severity == "error"]
    warnings += [p for p in problems if p.severity == "warning"]
    if not rows and not errors:
        errors.append(file_error("文件中没有数据行"))
    frame = pd.DataFrame.from_records([row.record for row in rows], columns=_empty().columns) if rows else _empty()
    report = Report(name, sha, frame, errors, warnings)
    if report.ok:
        for key in MONEY_COLUMNS:
            frame[key] = frame[key].astype(float)
        for key in INTEGER_COLUMNS:
            frame[key] = frame[key].astype("int64")
        if callable(history):
            history = history(frame)
        report.warnings += _warnings(frame, rows, history, towns)
    return report


def report_tables(content: bytes, measured: Measured) -> tuple[list[ReportTable], list[Problem]]:
    """Every sheet that holds a report (it has a recognisable header), and the problems of the
    file's layout. A visible sheet with content but no header is named in a warning, never
    skipped in silence; a hidden sheet holding a report is refused (the clerk cannot see it)."""
    try:
        sheets = read_sheets(content, measured)
    except WorkbookUnreadable as unreadable:
        return [], [file_error(str(unreadable))]
    tables, problems, ignored = [], [], []
    for sheet in sheets:
        header, header_problems = find_header(sheet.rows)
        if header is None:
            if sheet.rows and not sheet.hidden and sheet.name != INSTRUCTIONS_SHEET:
                ignored.append(sheet.name)
        elif sheet.hidden:
            problems.append(file_error(f"隐藏的工作表“{sheet.name}”里有报表：请取消隐藏并核对，或删除该表后再上传"))
        else:
            tables.append((ReportTable(sheet, header), header_problems))
    several = len(tables) > 1
    for table, header_problems in tables:
        problems += [replace(p, sheet=table.sheet.name) if several else p for p in header_problems]
    if several:
        names = "、".join(f"“{table.sheet.name}”" for table, _ in tables)
        problems.append(Problem(None, "", f"已读取 {len(tables)} 张工作表：{names}，合并导入", "warning"))
    if ignored and tables:
        problems.append(
            Problem(None, "", f"工作表{'、'.join(f'“{n}”' for n in ignored)}没有报表表头，未读取", "warning")
        )
    if not tables and not problems:
        problems.append(file_error(_no_header(sheets)))
    return [table for table, _ in tables], problems


def _no_header(sheets: list[Sheet]) -> str:
    message = f"找不到表头：前{MAX_HEADER_SEARCH}行中没有“日期”“镇街”“检查企业数”等列名"
    first = [v for s in sheets for _, cells in s.rows[:MAX_HEADER_SEARCH] for v in cells if isinstance(v, str)]
    if any("\t" in v for v in first):
        return "这是用制表符分隔的文本，不是 CSV：请在 Excel/WPS 中打开，另存为 .xlsx 后上传"
    if len(sheets) > 1:
        message += f"（已查看工作表：{'、'.join(f'“{s.name}”' for s in sheets)}）"
    return message


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["row_number", "date", "town_code", *COUNT_COLUMNS])


def _warnings(
    frame: pd.DataFrame, rows: list[TableRow], history: pd.DataFrame | None, towns: list[Town]
) -> list[Problem]:
    names = {t.code: t.name for t in towns}
    warnings = []
    for row in rows:
        record = row.record
        for key in ("halted", "cases"):
            if record[key] > record["inspections"]:
                warnings.append(
                    row.problem(
                        key,
                        f"{HEADERS[key]}（{record[key]}）大于检查企业数（{record['inspections']}），请核实",
                        "warning",
                    )
                )
    # Each town's inspections by day: the stored week, then this file's own rows over it.
    by_town: dict[str, dict[date, int]] = {}
    for known in (history, frame):
        if known is not None:
            for code, day, inspections in zip(known["town_code"], known["date"], known["inspections"]):
                if isinstance(code, str):  # a row whose town is unknown has no history
                    by_town.setdefault(code, {})[day] = inspections
    for row in rows:
        record = row.record
        days = by_town.get(record["town_code"], {})
        previous = [days[d] for d in (record["date"] - timedelta(days=k) for k in range(1, 8)) if d in days]
        if previous:
            average = sum(previous) / len(previous)
            if record["inspections"] < average / 2:
                warnings.append(
                    row.problem(
                        "inspections",
                        f"{names.get(record['town_code'], record['town_code'])} 检查企业数 {record['inspections']} "
                        f"不到本镇街前7天平均（{average:.1f}）的一半，请核实",
                        "warning",
                    )
                )
    return warnings


def template_rows(towns: list[Town], day: date) -> pd.DataFrame:
    """One row per active town, Chinese headers, counts left for the town to fill in."""
    rows = [{HEADERS["date"]: day, HEADERS["town"]: t.name} for t in towns if t.active]
    return pd.DataFrame(rows, columns=list(HEADERS.values()))
