"""An uploaded XLSX or CSV as sheets of cell values, as the clerk sees them in Excel/WPS: every
sheet, a merged cell's value across its merge, formulas without a saved result marked as such."""

from __future__ import annotations

import csv
import io
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook

from sanse.pipelines.reports.file_kind import DAMAGED
from sanse.pipelines.reports.measure import MAX_CELLS, Measured


class WorkbookUnreadable(ValueError):
    """The file passed its measurements but openpyxl cannot read it; the message is for the clerk."""


@dataclass(frozen=True)
class Uncomputed:
    """A formula saved without its result (written by a program, never opened in Excel/WPS)."""


@dataclass(frozen=True)
class CellError:
    """A formula whose saved result is an error such as #DIV/0!."""

    code: str


UNCOMPUTED = Uncomputed()


@dataclass
class Sheet:
    """`rows` holds only rows with content: (spreadsheet row number, values from column A)."""

    name: str
    hidden: bool
    rows: list[tuple[int, list[Any]]]
    merged: list[tuple[int, int, int, int]]  # min row, min column, max row, max column


def read_sheets(content: bytes, measured: Measured) -> list[Sheet]:
    """Every sheet of a measured file; a CSV is one sheet with no name."""
    if measured.kind == "csv":
        records = enumerate(csv.reader(io.StringIO(measured.text)), start=1)
        return [Sheet("", False, [(n, record) for n, record in records if "".join(record).strip()], [])]
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise WorkbookUnreadable(DAMAGED) from error
    try:
        return [
            _read_sheet(book, part.name, part.hidden, measured.scans[part.path]) for part in measured.workbook.sheets
        ]
    except WorkbookUnreadable:
        raise
    except Exception as error:
        raise WorkbookUnreadable(DAMAGED) from error
    finally:
        book.close()


def _read_sheet(book, name: str, hidden: bool, scan) -> Sheet:
    if not scan.rows_with_content:
        return Sheet(name, hidden, [], scan.merged)
    worksheet = book[name]
    rows: dict[int, list[Any]] = {}
    # The scan's bounds, not the sheet's <dimension> (exporters write wrong ones) nor openpyxl's
    # padding to a far-right styled cell.
    for number, cells in enumerate(worksheet.iter_rows(max_row=scan.last_row, max_col=scan.last_column), start=1):
        values = [_value(cell, number, column, scan.without_result) for column, cell in enumerate(cells, start=1)]
        if any(not _blank(v) for v in values):
            rows[number] = values
    _spread_merges(rows, scan.merged, scan.last_column)
    return Sheet(name, hidden, sorted(rows.items()), scan.merged)


def _value(cell, row: int, column: int, without_result: set[tuple[int, int]]) -> Any:
    if (row, column) in without_result:
        return UNCOMPUTED
    if getattr(cell, "data_type", None) == "e":
        return CellError(str(cell.value))
    return cell.value


def _spread_merges(rows: dict[int, list[Any]], merged: list[tuple[int, int, int, int]], width: int) -> None:
    """Show a merged cell's value in every cell it covers, as on screen. A row holding nothing
    but part of a merge stays blank: the clerk left it empty."""
    numbers = sorted(rows)
    spread = 0
    for first_row, first_col, last_row, last_col in merged:
        anchor = rows.get(first_row)
        if anchor is None or first_col > width:
            continue
        value = anchor[first_col - 1]
        for number in numbers[bisect_left(numbers, first_row) : bisect_right(numbers, last_row)]:
            for column in range(first_col, min(last_col, width) + 1):
                if (number, column) != (first_row, first_col):
                    rows[number][column - 1] = value
            spread += min(last_col, width) - first_col + 1
        if spread > MAX_CELLS:  # only overlapping merges, which Excel never writes, get here
            raise WorkbookUnreadable("合并单元格互相重叠，文件已损坏：请在 Excel/WPS 中重新保存后上传")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
