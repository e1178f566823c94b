"""A report's data rows: one record per town and day, each problem named by its row, column and cell.
Total rows and notes written across the table are not towns; a number merged over several cells
cannot be split among them."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from openpyxl.utils import get_column_letter

from sanse.deployment.towns import Town, normalize_spelling, town_lookup
from sanse.facts.report import COUNT_COLUMNS, OPTIONAL_COLUMNS
from sanse.pipelines.reports.header import LABEL_KEYS, Header
from sanse.pipelines.reports.problems import Problem
from sanse.pipelines.reports.values import cell_text, formula_message, parse_count, parse_date, parse_fines, total_label
from sanse.pipelines.reports.workbook import CellError, Sheet, Uncomputed


@dataclass(frozen=True)
class ReportTable:
    """A sheet that holds a report, and where its header says each figure is."""

    sheet: Sheet
    header: Header


@dataclass
class TableRow:
    """One data row: its record (English keys, a town code) and where it stands in the file."""

    number: int
    header: Header
    sheet: str  # set when the report spans several sheets
    record: dict[str, Any] = field(default_factory=dict)
    town: str = ""  # the row's 镇街 cell as written

    def problem(self, key: str, message: str, severity: Literal["error", "warning"] = "error") -> Problem:
        column = self.header.columns[key]
        cell = f"{get_column_letter(column + 1)}{self.number}"
        return Problem(self.number, self.header.labels[key], message, severity, cell, self.sheet, self.town)


def read_rows(
    tables: list[ReportTable], towns: list[Town], *, today: date, campaign_start: date | None
) -> tuple[list[TableRow], list[Problem]]:
    lookup = town_lookup([t for t in towns if t.active])
    inactive = {normalize_spelling(s) for t in towns if not t.active for s in (t.code, t.name, *t.aliases)}
    several = len(tables) > 1
    rows: list[TableRow] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, date], TableRow] = {}
    for table in tables:
        header, sheet = table.header, table.sheet.name if several else ""
        across = _rows_under_one_merge(table)
        imported: list[int] = []
        for number, values in table.sheet.rows:
            if number < header.first_data_row:
                continue
            cells = {key: values[column] if column < len(values) else None for key, column in header.columns.items()}
            filled = [key for key, value in cells.items() if not _blank(value)]
            if not filled:
                continue
            town = "" if _blank(cells.get("town")) else cell_text(cells["town"])
            row = TableRow(number, header, sheet, {"row_number": number}, town)
            total = next((key for key in LABEL_KEYS if total_label(cells[key])), None)
            if total:
                problems.append(row.problem(total, f"“{cells[total].strip()}”行不是镇街，未导入", "warning"))
            elif number in across:
                problems.append(
                    row.problem(filled[0], f"整行合并的“{cell_text(cells[filled[0]])}”不是数据，未导入", "warning")
                )
            elif len(filled) == 1:
                text = cell_text(cells[filled[0]])
                problems.append(row.problem(filled[0], f"这一行只有“{text}”，其余为空：如果是备注或说明，请删除这一行"))
            else:
                problems += _read_record(row, cells, lookup, inactive, today, campaign_start)
                problems += _duplicate(row, seen, towns)
                rows.append(row)
                imported.append(number)
        problems += _merged_numbers(table, imported, sheet)
    return rows, problems


def _read_record(
    row: TableRow,
    cells: dict[str, Any],
    lookup: dict[str, Town],
    inactive: set[str],
    today: date,
    campaign_start: date | None,
) -> list[Problem]:
    record, problems = row.record, []
    day, message = parse_date(cells["date"])
    if message:
        problems.append(row.problem("date", message))
    elif day > today:
        problems.append(row.problem("date", f"日期 {day} 晚于今天，不能报送未来的数据"))
    elif campaign_start and day < campaign_start:
        problems.append(row.problem("date", f"日期 {day} 早于活动开始日期 {campaign_start}"))
    record["date"] = day

    spelled = "" if _blank(cells["town"]) else str(cells["town"]).strip()
    town = lookup.get(normalize_spelling(spelled))
    if isinstance(cells["town"], (Uncomputed, CellError)):
        problems.append(row.problem("town", formula_message(cells["town"])))
    elif town is None:
        if not spelled:
            problems.append(row.problem("town", "镇街不能为空"))
        elif normalize_spelling(spelled) in inactive:
            problems.append(row.problem("town", f"“{spelled}”已停用，不参加排名"))
        else:
            problems.append(row.problem("town", f"未知镇街“{spelled[:40]}”：请使用名称、代码或 towns.csv 中登记的别名"))
    record["town_code"] = town.code if town else None

    for key in COUNT_COLUMNS:
        if key == "fines_wan":
            value, message = parse_fines(cells[key], row.header.fines_per_unit)
            value = None if value is None else float(value)
        else:
            value, message = parse_count(cells[key], optional=key in OPTIONAL_COLUMNS)
        if message:
            problems.append(row.problem(key, message))
        record[key] = value

    major, hazards = record["major_hazards"], record["hazards"]
    if major is not None and hazards is not None and major > hazards:
        problems.append(row.problem("major_hazards", f"重大隐患数（{major}）不能大于发现隐患数（{hazards}）"))
    return problems


def _duplicate(row: TableRow, seen: dict[tuple[str, date], TableRow], towns: list[Town]) -> list[Problem]:
    code, day = row.record["town_code"], row.record["date"]
    if code is None or day is None:
        return []
    first = seen.setdefault((code, day), row)
    if first is row:
        return []
    where = (
        f"“{first.sheet}”表第{first.number}行" if first.sheet and first.sheet != row.sheet else f"第{first.number}行"
    )
    name = next(t.name for t in towns if t.code == code)
    return [row.problem("town", f"{name} {day} 在本文件中重复出现（另见{where}）")]


def _rows_under_one_merge(table: ReportTable) -> set[int]:
    """Rows a single merged cell spans from the table's first column to its last: a note or
    title written across the table, not a town's figures."""
    columns = [c + 1 for c in table.header.columns.values()]
    left, right = min(columns), max(columns)
    numbers = [number for number, _ in table.sheet.rows]
    return {
        number
        for first_row, first_col, last_row, last_col in table.sheet.merged
        if first_col <= left and last_col >= right
        for number in numbers[bisect_left(numbers, first_row) : bisect_right(numbers, last_row)]
    }


def _merged_numbers(table: ReportTable, imported: list[int], sheet: str) -> list[Problem]:
    """A number merged over several cells shows once on screen but would be read in each of them."""
    problems = []
    numbers = {column + 1: key for key, column in table.header.columns.items() if key not in LABEL_KEYS}
    for first_row, first_col, last_row, last_col in table.sheet.merged:
        keys = [numbers[c] for c in range(first_col, last_col + 1) if c in numbers]
        spans = first_row != last_row or first_col != last_col
        index = bisect_left(imported, first_row)
        if keys and spans and index < len(imported) and imported[index] <= last_row:
            span = f"{get_column_letter(first_col)}{first_row}:{get_column_letter(last_col)}{last_row}"
            problems.append(
                Problem(
                    first_row,
                    table.header.labels[keys[0]],
                    f"合并单元格 {span} 里的数字跨了多个格子，无法分到每个镇街、每一列：请取消合并后逐格填写",
                    cell=f"{get_column_letter(first_col)}{first_row}",
                    sheet=sheet,
                )
            )
    return problems


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
