"""Measuring an upload before it is parsed (design §9): the file, its zip directory and every sheet's
rows and width are held to fixed limits, so no file can stall the server or exhaust its memory.

The limits are the same for CSV and XLSX. A province's daily file is ~1,400 rows of 10 columns;
reading the largest file allowed takes a few seconds on a busy 2-core server.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException

from sanse.pipelines.reports.file_kind import DAMAGED, ZIP_FAILURES, ArchiveRefused, Kind, identify_upload, open_archive
from sanse.pipelines.reports.problems import Problem, file_error
from sanse.pipelines.reports.workbook_xml import SheetScan, SheetXmlRefused, WorkbookXml, read_workbook_xml, scan_sheet

MB = 1024 * 1024
MAX_FILE_BYTES = 20 * MB  # as the upload page's limit: a city's daily file is a few KB
MAX_ROWS = 20_000  # rows holding anything (titles and header included), in a CSV or all sheets of a workbook
MAX_LINES = 1_048_576  # a CSV's lines, blank ones included: as many as a sheet of Excel holds
MAX_CELLS = 400_000  # rows with content times the width they are read at: 20,000 rows of 20 columns
MAX_SHEETS = 100
MAX_UNPACKED_BYTES = 64 * MB  # every part of a workbook, images included
MAX_CELL_XML_BYTES = 16 * MB  # worksheets and shared strings, which are parsed cell by cell (~3 MB/s)
MAX_OTHER_XML_BYTES = 8 * MB  # styles, themes, drawings: parsed whole
MAX_COMPRESSION_RATIO = 100  # a real sheet packs ~10:1; a zip bomb packs 1000:1
RATIO_CHECKED_FROM = 1 * MB
CSV_FIELD_LIMIT = csv.field_size_limit()  # Python's csv refuses longer fields (131,072 characters)
SPLIT = "请按日期拆分后分别上传"
XML_PARTS = (".xml", ".rels", ".vml")
TOO_MANY_ROWS = f"有内容的行超过上限 {MAX_ROWS:,} 行：{SPLIT}"
TOO_MANY_CELLS = f"表格超过上限 {MAX_CELLS:,} 个单元格（有内容的行数 × 列数）：请删除多余的列，或{SPLIT}"
TOO_MUCH_CELL_XML = (
    "工作表内容解压后有 {mb:,.0f} MB，超过上限 " + f"{MAX_CELL_XML_BYTES // MB} MB"
    "（只有格式的空行、空列也占空间）：请删除多余的行列后再上传"
)


@dataclass
class Measured:
    """What parsing may rely on once the file is measured: its kind, and for a workbook each
    sheet's scan (the rows and columns worth reading); for a CSV its decoded text."""

    kind: Kind | None
    problems: list[Problem] = field(default_factory=list)
    workbook: WorkbookXml | None = None
    scans: dict[str, SheetScan] = field(default_factory=dict)
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.kind is not None and not any(p.severity == "error" for p in self.problems)


def measure_upload(content: bytes, source_name: str) -> list[Problem]:
    """Everything that refuses the file before it is parsed (and warnings such as a wrong extension)."""
    return measure(content, source_name).problems


def measure(content: bytes, source_name: str) -> Measured:
    if len(content) > MAX_FILE_BYTES:
        return Measured(
            None, [file_error(f"文件大小 {len(content) / MB:.1f} MB，超过上限 {MAX_FILE_BYTES // MB} MB：{SPLIT}")]
        )
    kind, problems = identify_upload(content, source_name)
    measured = Measured(kind, problems)
    if kind == "xlsx":
        _measure_workbook(content, measured)
    elif kind == "csv":
        _measure_csv(content, measured)
    return measured


def decode_text(content: bytes) -> str | None:
    """UTF-8 (with or without BOM), else GB18030 as Excel saves CSV on Chinese Windows."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _measure_csv(content: bytes, measured: Measured) -> None:
    text = decode_text(content)
    if text is None:
        measured.problems.append(file_error("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx"))
        return
    lines = text.count("\n") + (not text.endswith("\n"))
    if lines > MAX_LINES:  # blank ones are cheap, not free: each is still read
        measured.problems.append(
            file_error(f"文件有 {lines:,} 行（含空行），超过 Excel 的上限 {MAX_LINES:,} 行：{SPLIT}")
        )
        return
    rows = cells = 0
    reader = csv.reader(_narrow_lines(text))
    try:
        for record in reader:
            if not "".join(record).strip():  # (one call in C: a million blank rows take a moment)
                continue  # blank rows (Excel saves a formatted range's empty rows as ",,,,") are not read
            rows += 1
            cells += len(record)
            if rows > MAX_ROWS:
                measured.problems.append(file_error(TOO_MANY_ROWS))
                return
            if cells > MAX_CELLS:
                measured.problems.append(file_error(TOO_MANY_CELLS))
                return
    except _TooWide:
        measured.problems.append(file_error(TOO_MANY_CELLS))
        return
    except csv.Error as error:
        row = reader.line_num
        if "field larger than field limit" in str(error):
            measured.problems.append(
                Problem(row, "", f"有一个单元格超过 {CSV_FIELD_LIMIT:,} 个字符，这不是日报的内容：请检查文件")
            )
        else:
            measured.problems.append(
                Problem(row, "", "这一行无法按 CSV 读取（引号不成对？）：请在 Excel/WPS 中打开后另存为 .xlsx 再上传")
            )
        return
    measured.text = text


class _TooWide(Exception):
    """A line with more cells than a whole upload may hold."""


def _narrow_lines(text: str) -> Iterator[str]:
    """The lines of `text`, refusing one with MAX_CELLS commas before csv builds it into one huge row."""
    for line in io.StringIO(text):
        if len(line) >= MAX_CELLS and line.count(",") >= MAX_CELLS:
            raise _TooWide
        yield line


def _measure_workbook(content: bytes, measured: Measured) -> None:
    try:
        archive = open_archive(content)
        refusal = _unpacked_refusal(archive)
        workbook = None if refusal else read_workbook_xml(archive)
        refusal = refusal or _parts_refusal(archive, workbook)
        if refusal:
            measured.problems.append(file_error(refusal))
            return
        rows = cells = 0  # of the sheets before
        for sheet in workbook.sheets:
            over_limit = partial(_over_limit, rows, cells)
            scan = scan_sheet(
                archive, sheet.path, trust_saved_results=not workbook.recalculates_on_open, stop=over_limit
            )
            refusal = over_limit(scan)  # the rows of the last chunk count only once the sheet ends
            if refusal:
                measured.problems.append(file_error(refusal))
                return
            rows += scan.rows_with_content
            cells += scan.rows_with_content * scan.last_column
            measured.scans[sheet.path] = scan
        measured.workbook = workbook
    except (ArchiveRefused, SheetXmlRefused) as refused:
        measured.problems.append(file_error(str(refused)))
    except (*ZIP_FAILURES, ParseError, DefusedXmlException):
        measured.problems.append(file_error(DAMAGED))


def _over_limit(rows_before: int, cells_before: int, scan: SheetScan) -> str | None:
    if rows_before + scan.rows_with_content > MAX_ROWS:
        return TOO_MANY_ROWS
    if cells_before + scan.rows_with_content * scan.last_column > MAX_CELLS:
        return TOO_MANY_CELLS
    return None


def _unpacked_refusal(archive: zipfile.ZipFile) -> str | None:
    """Sizes as the zip's central directory declares them. zipfile never inflates a part past its
    declared size, so these bound the work whatever the parts really hold."""
    parts = archive.infolist()
    unpacked = sum(p.file_size for p in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        return f"文件解压后有 {unpacked / MB:,.0f} MB，超过上限 {MAX_UNPACKED_BYTES // MB} MB：{SPLIT}"
    for part in parts:
        ratio = part.file_size // max(part.compress_size, 1)
        if part.file_size > RATIO_CHECKED_FROM and ratio > MAX_COMPRESSION_RATIO:
            return f"文件内部的“{part.filename[:60]}”压缩比异常（{ratio}:1），不像正常的工作簿：请在 Excel/WPS 中重新保存后上传"
        if part.filename.endswith(XML_PARTS) and part.file_size > MAX_CELL_XML_BYTES:
            return TOO_MUCH_CELL_XML.format(mb=part.file_size / MB)
    return None


def _parts_refusal(archive: zipfile.ZipFile, workbook: WorkbookXml) -> str | None:
    if len(workbook.sheets) > MAX_SHEETS:
        return f"工作簿有 {len(workbook.sheets)} 张工作表，超过上限 {MAX_SHEETS} 张：{SPLIT}"
    cell_parts = {s.path for s in workbook.sheets} | {n for n in archive.namelist() if n.endswith("sharedStrings.xml")}
    sizes = {p.filename: p.file_size for p in archive.infolist()}
    cell_xml = sum(sizes.get(path, 0) for path in cell_parts)
    if cell_xml > MAX_CELL_XML_BYTES:
        return TOO_MUCH_CELL_XML.format(mb=cell_xml / MB)
    other_xml = sum(size for name, size in sizes.items() if name.endswith(XML_PARTS) and name not in cell_parts)
    if other_xml > MAX_OTHER_XML_BYTES:
        return f"工作簿的样式和图形部分有 {other_xml / MB:,.0f} MB，超过上限 {MAX_OTHER_XML_BYTES // MB} MB：请把数据复制到新工作簿后上传"
    return None
