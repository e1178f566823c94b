"""What a workbook's raw XML says that openpyxl does not: which parts are its sheets, how much each
sheet really holds, which formulas have no saved result, which cells are merged.

Sheets are read as a stream of chunks with byte-level patterns, never built into a tree, so a
crafted sheet costs constant memory and the scan can stop the moment a limit is passed.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import defusedxml.ElementTree as SafeXml

CHUNK_BYTES = 1 << 20
EXCEL_MAX_ROW = 1_048_576
EXCEL_MAX_COLUMN = 16_384
MAX_MERGED_RANGES = 10_000  # a report has a handful; each is kept in memory

PREFIX = rb"(?:[^\s<>/:=\"']+:)?"  # sheets may put their tags in any namespace prefix (x:row)
ROW_START = re.compile(rb"<(" + PREFIX + rb")row(?=[\s/>])")
SHEET_DATA_END = re.compile(rb"</" + PREFIX + rb"sheetData\s*>")
CELL_START = re.compile(rb"<" + PREFIX + rb"c(?=[\s/>])")
FORMULA = re.compile(rb"<" + PREFIX + rb"f(?=[\s/>])")
VALUE = re.compile(rb"<" + PREFIX + rb"v(?:\s[^>]*)?(?:/>|>([^<]*)<)")
ROW_NUMBER = re.compile(rb"\br\s*=\s*[\"'](\d{1,9})[\"']")
CELL_REF = re.compile(rb"\br\s*=\s*[\"']([A-Za-z]{1,3})(\d{1,9})[\"']")
CELL_TYPE = re.compile(rb"\bt\s*=\s*[\"'](\w+)[\"']")
MERGE = re.compile(
    rb"<" + PREFIX + rb"mergeCell\s[^>]*?\bref\s*=\s*[\"']([A-Za-z]{1,3})(\d{1,9})(?::([A-Za-z]{1,3})(\d{1,9}))?[\"']"
)
TEXT_TYPES = (b"str", b"s", b"inlineStr")  # an empty saved result of these is an empty string


class SheetXmlRefused(ValueError):
    """A sheet that breaks a limit or Excel's own bounds; the message is for the clerk."""


@dataclass(frozen=True)
class SheetPart:
    name: str
    path: str  # the part inside the zip
    hidden: bool


@dataclass(frozen=True)
class WorkbookXml:
    sheets: list[SheetPart]
    recalculates_on_open: bool  # fullCalcOnLoad: the saved formula results were written by a program


@dataclass
class SheetScan:
    """Rows and columns are Excel's numbers (1 = row 1, column A)."""

    rows_with_content: int = 0
    last_row: int = 0  # of a row with content
    last_column: int = 0  # of a cell with content
    without_result: set[tuple[int, int]] = field(default_factory=set)  # formula cells
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # min row, min col, max row, max col
    current_row: int = 0  # a row written without its number is the one after this


def read_workbook_xml(archive: zipfile.ZipFile) -> WorkbookXml:
    """The worksheets in tab order (chart sheets have no cells and are left out)."""
    book_path = _office_document(archive)
    book = SafeXml.fromstring(archive.read(book_path))
    rels_path = posixpath.join(posixpath.dirname(book_path), "_rels", posixpath.basename(book_path) + ".rels")
    targets = {}
    for rel in SafeXml.fromstring(archive.read(rels_path)):
        if rel.get("Type", "").endswith("/worksheet"):
            targets[rel.get("Id")] = _resolve(book_path, rel.get("Target", ""))
    sheets = []
    for element in book.iter():
        if _local(element.tag) == "sheet":
            # r:id, in whichever namespace the file spells relationships (transitional or strict)
            path = targets.get(
                next((v for k, v in element.attrib.items() if k.startswith("{") and _local(k) == "id"), None)
            )
            if path:
                state = element.get("state", "visible")
                sheets.append(SheetPart(element.get("name", ""), path, state != "visible"))
    calc = next((e for e in book.iter() if _local(e.tag) == "calcPr"), None)
    recalculates = calc is not None and calc.get("fullCalcOnLoad", "0").lower() in ("1", "true")
    return WorkbookXml(sheets, recalculates)


def scan_sheet(
    archive: zipfile.ZipFile, part: str, *, trust_saved_results: bool, stop: Callable[[SheetScan], str | None]
) -> SheetScan:
    """One pass over a sheet's XML. `stop` is asked after every chunk; a message from it (a
    limit passed) ends the scan as SheetXmlRefused."""
    scan = SheetScan()
    carry, in_rows = b"", True
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            data = carry + chunk
            if in_rows:
                end = SHEET_DATA_END.search(data)
                if end is None:
                    carry = _scan_rows(scan, data, trust_saved_results, complete=False)
                else:
                    _scan_rows(scan, data[: end.start()], trust_saved_results, complete=True)
                    in_rows, data = False, data[end.end() :]
            if not in_rows:
                carry = _scan_merges(scan, data, complete=False)
            message = stop(scan)
            if message:
                raise SheetXmlRefused(message)
    if in_rows:
        _scan_rows(scan, carry, trust_saved_results, complete=True)
    else:
        _scan_merges(scan, carry, complete=True)
    return scan


def _scan_rows(scan: SheetScan, data: bytes, trust: bool, *, complete: bool) -> bytes:
    """Scan the whole rows in `data`; return the unfinished last row for the next chunk."""
    rows = list(ROW_START.finditer(data))
    if not rows:
        return b"" if complete else data
    ends = [m.start() for m in rows[1:]] + [len(data)]
    formulas = FORMULA.search(data) is not None
    for row, end in zip(rows if complete else rows[:-1], ends):
        _scan_row(scan, data[row.start() : end], row.group(1), trust, formulas)
    return b"" if complete else data[rows[-1].start() :]


@lru_cache(maxsize=16)
def _content(prefix: bytes) -> re.Pattern[bytes]:
    """A value, inline string or formula tag in the sheet's own prefix (a fixed prefix is fast to find)."""
    return re.compile(rb"<" + re.escape(prefix) + rb"(?:v|is|f)(?=[\s/>])")


def _scan_row(scan: SheetScan, piece: bytes, prefix: bytes, trust: bool, formulas: bool) -> None:
    numbered = ROW_NUMBER.search(piece, 0, _tag_end(piece))
    row = int(numbered.group(1)) if numbered else scan.current_row + 1  # as openpyxl numbers them
    if row > EXCEL_MAX_ROW:
        raise SheetXmlRefused(f"文件已损坏：有第 {row} 行，超出 Excel 的 {EXCEL_MAX_ROW} 行")
    scan.current_row = row
    if not _content(prefix).search(piece):
        return  # a row of formatting only
    scan.rows_with_content += 1
    scan.last_row = max(scan.last_row, row)
    scan.last_column = max(scan.last_column, _last_column(piece, prefix))
    if formulas and FORMULA.search(piece):
        starts = [m.start() for m in CELL_START.finditer(piece)]
        cells = [piece[start:end] for start, end in zip(starts, [*starts[1:], len(piece)])]
        for column, cell in zip(_columns(cells), cells):
            if FORMULA.search(cell) and not (trust and _has_saved_result(cell)):
                scan.without_result.add((row, column))


def _last_column(piece: bytes, prefix: bytes) -> int:
    """The column of the row's last cell, found from the right (cells are written left to right)."""
    needle = b"<" + prefix + b"c"
    position = len(piece)
    while (position := piece.rfind(needle, 0, position)) >= 0:
        if piece[position + len(needle) : position + len(needle) + 1] in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
            ref = CELL_REF.search(piece, position, position + _tag_end(piece[position:]))
            if ref:
                return _within_excel(column_number(ref.group(1)))
            starts = [m.start() for m in CELL_START.finditer(piece)]  # unnumbered cells: count them
            return _columns([piece[start:end] for start, end in zip(starts, [*starts[1:], len(piece)])])[-1]
    return 0


def _columns(cells: list[bytes]) -> list[int]:
    """Each cell's column: its reference, else one right of the cell before (as openpyxl reads it)."""
    columns, column = [], 0
    for cell in cells:
        ref = CELL_REF.search(cell, 0, _tag_end(cell))
        column = _within_excel(column_number(ref.group(1)) if ref else column + 1)
        columns.append(column)
    return columns


def _within_excel(column: int) -> int:
    if column > EXCEL_MAX_COLUMN:
        raise SheetXmlRefused(f"文件已损坏：有第 {column} 列，超出 Excel 的 {EXCEL_MAX_COLUMN} 列")
    return column


def _tag_end(piece: bytes) -> int:
    end = piece.find(b">")
    return end if end > 0 else len(piece)


def _has_saved_result(cell: bytes) -> bool:
    value = VALUE.search(cell)
    if value is None:
        return False
    if value.group(1):
        return True
    kind = CELL_TYPE.search(cell, 0, _tag_end(cell))
    return bool(kind) and kind.group(1) in TEXT_TYPES


def _scan_merges(scan: SheetScan, data: bytes, *, complete: bool) -> bytes:
    """Read the merged ranges in `data`; return an unfinished tag for the next chunk."""
    cut = len(data) if complete else data.rfind(b"<")
    if cut < 0:
        cut = len(data)
    for match in MERGE.finditer(data, 0, cut):
        first_col, first_row = column_number(match.group(1)), int(match.group(2))
        last_col = column_number(match.group(3)) if match.group(3) else first_col
        last_row = int(match.group(4)) if match.group(4) else first_row
        scan.merged.append(
            (min(first_row, last_row), min(first_col, last_col), max(first_row, last_row), max(first_col, last_col))
        )
        if len(scan.merged) > MAX_MERGED_RANGES:
            raise SheetXmlRefused(f"合并单元格超过 {MAX_MERGED_RANGES} 处：请取消不必要的合并后再上传")
    return data[cut:]


def column_number(letters: bytes | str) -> int:
    number = 0
    for letter in letters.upper() if isinstance(letters, str) else letters.decode("ascii").upper():
        number = number * 26 + ord(letter) - 64
    return number


def _office_document(archive: zipfile.ZipFile) -> str:
    for rel in SafeXml.fromstring(archive.read("_rels/.rels")):
        if rel.get("Type", "").endswith("/officeDocument"):
            return _resolve("", rel.get("Target", ""))
    return "xl/workbook.xml"


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
