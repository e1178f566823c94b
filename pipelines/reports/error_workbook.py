"""The clerk's own file handed back with its problems marked: each bad cell filled light red with
the reason in its comment, so it can be fixed in place and uploaded again. A CSV comes back as an
XLSX of the same rows (a CSV cannot hold colours or comments)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import PurePosixPath

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from sanse.pipelines.reports.file_kind import display_name
from sanse.pipelines.reports.header import header_key
from sanse.pipelines.reports.measure import measure
from sanse.pipelines.reports.problems import Problem
from sanse.pipelines.reports.read import report_tables
from sanse.pipelines.reports.rows import ReportTable

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")  # Excel's own "light red fill"
COMMENT_AUTHOR = "三色晾晒"
COMMENT_SIZE = (320, 140)  # points: room for a few reasons without covering the sheet
CSV_SHEET = "日报"
PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9]\d{0,14})(?:\.\d+)?")  # written back as numbers; 0012 stays text


def error_file_name(source_name: str) -> str:
    return f"{PurePosixPath(display_name(source_name)).stem}-错误标注.xlsx"


def error_workbook(content: bytes, source_name: str, problems: list[Problem]) -> tuple[bytes, str]:
    """(XLSX bytes, file name) of the marked copy. Raises ValueError when the file is no XLSX or
    CSV within the upload limits (`measure_upload` refuses it): such a file is not opened."""
    measured = measure(content, source_name)
    if not measured.ok:
        raise ValueError("只能标注通过了大小和格式检查的 XLSX 或 CSV 文件")
    tables, _ = report_tables(content, measured)
    try:
        book = _csv_book(measured.text) if measured.kind == "csv" else load_workbook(io.BytesIO(content))
    except Exception as error:  # openpyxl raises many types for a file only read-only mode could open
        raise ValueError("这个文件无法在标注时打开") from error
    marks: dict[tuple[str, str], list[str]] = {}
    for problem in problems:
        marks.setdefault(_place(problem, tables, book), []).append(problem.message)
    for (title, coordinate), messages in marks.items():
        _mark(book[title], coordinate, messages)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), error_file_name(source_name)


def _csv_book(text: str) -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.title = CSV_SHEET
    for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        for column, value in enumerate(record, start=1):
            if PLAIN_NUMBER.fullmatch(value):
                sheet.cell(number, column, float(value) if "." in value else int(value))
            elif value:
                cell = sheet.cell(number, column, value)
                cell.data_type = "s"  # "=..." from a CSV is the clerk's text, never a live formula
    return book


def _place(problem: Problem, tables: list[ReportTable], book: Workbook) -> tuple[str, str]:
    """(sheet title, cell) for a problem: its own cell; else its column on its row; else the row's
    first cell; a problem of the whole file goes on the header row's first cell."""
    table = next((t for t in tables if t.sheet.name == problem.sheet), tables[0] if tables else None)
    title = book.worksheets[0].title if table is None or not table.sheet.name else table.sheet.name
    if problem.cell:
        return title, problem.cell
    if problem.row is None:
        return title, f"A{table.header.row if table else 1}"
    key = header_key(problem.column)[0]
    column = table.header.columns.get(key, 0) if table else 0
    return title, f"{get_column_letter(column + 1)}{problem.row}"


def _mark(sheet, coordinate: str, messages: list[str]) -> None:
    cell = sheet[coordinate]
    if isinstance(cell, MergedCell):  # only a merge's first cell holds a value and a comment
        merge = next(r for r in sheet.merged_cells.ranges if coordinate in r)
        cell = sheet.cell(merge.min_row, merge.min_col)
    text = "\n".join(dict.fromkeys(messages))
    if cell.comment is not None:
        text += f"\n\n（原批注）{cell.comment.text}"
    cell.fill = ERROR_FILL
    cell.comment = Comment(text, COMMENT_AUTHOR, width=COMMENT_SIZE[0], height=COMMENT_SIZE[1])
