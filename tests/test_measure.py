"""An upload is measured before it is parsed (design §9): the same row limit for CSV and XLSX, sizes
read from the zip directory, and no file can make the server inflate or hold more than a report."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from datetime import date
from pathlib import Path

from office_files import csv_bytes, report_xlsx, rewrite_parts, saved
from openpyxl import Workbook
from openpyxl.styles import Border, Side

from sanse.deployment.towns import read_towns
from sanse.pipelines.reports.file_kind import DAMAGED
from sanse.pipelines.reports.measure import (
    CSV_FIELD_LIMIT,
    MAX_CELLS,
    MAX_FILE_BYTES,
    MAX_LINES,
    MAX_ROWS,
    TOO_MANY_ROWS,
    measure_upload,
)
from sanse.pipelines.reports.read import HEADERS, parse_report

TOWNS = read_towns(Path(__file__).parent / "fixtures" / "towns.csv")
ROW = "2023-06-01,东湖街道,12,5,1,4,0,1,0,0.5"
SHEET = "xl/worksheets/sheet1.xml"
BOMB_ROWS, BOMB_COLUMNS = 1_048_000, 16


def errors(content: bytes, name: str) -> list[str]:
    return [p.message for p in measure_upload(content, name) if p.severity == "error"]


def zip_bomb(*, understate_to: int | None = None) -> bytes:
    """An openpyxl workbook whose sheet is 1,048,000 rows of 16 cells: ~250 MB of XML packed
    into ~1 MB. With `understate_to`, the zip directory claims the sheet is that many bytes."""
    base = zipfile.ZipFile(io.BytesIO(saved(Workbook())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in base.infolist():
            if item.filename != SHEET:
                bomb.writestr(item.filename, base.read(item.filename))
        with bomb.open(SHEET, "w") as sheet:
            sheet.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<dimension ref="A1:P1048000"/><sheetData>'
            )
            block = (b"<row>" + b"<c><v>1</v></c>" * BOMB_COLUMNS + b"</row>") * 1000
            for _ in range(BOMB_ROWS // 1000):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    content = bytearray(out.getvalue())
    if understate_to:
        entry = _directory_entry(content, SHEET)
        content[entry + 24 : entry + 28] = struct.pack("<I", understate_to)
    return bytes(content)


def _directory_entry(content: bytearray, name: str) -> int:
    """Offset of `name`'s record in the zip's central directory (46 fixed bytes, then the name)."""
    position = 0
    while (position := content.find(b"PK\x01\x02", position + 1)) >= 0:
        length = struct.unpack("<H", content[position + 28 : position + 30])[0]
        if content[position + 46 : position + 46 + length] == name.encode():
            return position
    raise ValueError(name)


def parse_cost(content: bytes, name: str) -> tuple[list[str], int]:
    """(errors, peak bytes allocated) of parse_report on the file: a bomb refused before it is
    inflated costs almost no memory (its time is the benchmark's business, not a test's)."""
    tracemalloc.start()
    report = parse_report(content, name, TOWNS, today=date(2023, 7, 1))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [p.message for p in report.errors] == errors(content, name)
    return [p.message for p in report.errors], peak


def test_a_zip_bomb_is_refused_from_its_directory_without_inflating_it():
    bomb = zip_bomb()
    assert len(bomb) < 4 * 1024 * 1024
    found, peak = parse_cost(bomb, "日报.xlsx")
    assert len(found) == 1 and "文件解压后有 251 MB，超过上限 64 MB" in found[0]
    assert peak < 50 * 1024 * 1024


def test_a_zip_bomb_whose_directory_understates_its_sheet_is_refused_as_damaged():
    """zipfile inflates a part no further than its declared size, then finds the checksum wrong."""
    found, peak = parse_cost(zip_bomb(understate_to=2 * 1024 * 1024), "日报.xlsx")
    assert found == [DAMAGED]
    assert peak < 50 * 1024 * 1024


def test_csv_and_workbook_share_one_row_limit():
    header = ",".join(HEADERS.values())
    at_limit = csv_bytes(*[ROW] * (MAX_ROWS - 1), header=header)  # the header is a row with content
    assert errors(at_limit, "日报.csv") == []
    assert errors(at_limit + b"\n" + ROW.encode(), "日报.csv") == [TOO_MANY_ROWS]
    assert errors(workbook_of_rows(MAX_ROWS), "日报.xlsx") == []
    assert errors(workbook_of_rows(MAX_ROWS, plus_a_sheet=True), "日报.xlsx") == [TOO_MANY_ROWS]


def workbook_of_rows(rows: int, *, plus_a_sheet: bool = False) -> bytes:
    """A header and rows - 1 data rows; with `plus_a_sheet`, a second sheet of one more row."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("日报")
    sheet.append(list(HEADERS.values()))
    for _ in range(rows - 1):
        sheet.append(["2023-06-01", "东湖街道"])
    if plus_a_sheet:
        book.create_sheet("又一张").append(["多出的一行"])
    return saved(book)


def test_blank_lines_and_formatted_empty_rows_do_not_count():
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS.values()))
    sheet.append(["2023-06-01", "东湖街道", 12, 5, 1, 4, 0, 1, 0, 0.5])
    thin = Border(bottom=Side(style="thin"))
    for row in range(3, MAX_ROWS + 500):  # borders drawn down a long range, as clerks do
        sheet.cell(row, 1).border = thin
    report = parse_report(saved(book), "日报.xlsx", TOWNS, today=date(2023, 7, 1))
    assert report.ok and len(report.rows) == 1
    assert errors(csv_bytes(ROW) + b"\n" * (MAX_ROWS + 5), "日报.csv") == []


def test_a_value_far_to_the_right_cannot_widen_every_row_past_the_cell_limit():
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS.values()))
    for row in range(2, MAX_CELLS // 10_000 + 3):
        sheet.cell(row, 10_000, "备注")
    assert errors(saved(book), "日报.xlsx") == [
        f"表格超过上限 {MAX_CELLS:,} 个单元格（有内容的行数 × 列数）：请删除多余的列，或请按日期拆分后分别上传",
    ]


def test_a_csv_of_commas_is_refused_before_it_is_split():
    assert "单元格" in errors(b"," * MAX_CELLS, "日报.csv")[0]


def test_a_csv_excel_saved_from_a_formatted_range_reads_its_rows_with_content():
    """23 rows, then empty rows of ten cells each (",,,,,,,,,") up to 5 MB: 476,643 blank rows,
    4.8 million cells, all empty. Only the header and 23 rows are counted and read."""
    header = ",".join(HEADERS.values())
    rows = [f"2023-06-{day:02d},东湖街道,12,5,1,4,0,1,0,0.5" for day in range(1, 24)]
    content = csv_bytes(*rows, header=header).replace(b"\n", b"\r\n")
    blank = b",,,,,,,,,\r\n"
    content += blank * ((5 * 1024 * 1024 - len(content)) // len(blank))
    assert len(content) > 5 * 1024 * 1024 - len(blank) and content.count(b"\n") > MAX_ROWS
    assert errors(content, "日报.csv") == []
    report = parse_report(content, "日报.csv", TOWNS, today=date(2023, 7, 1))
    assert report.ok and len(report.rows) == 23


def test_a_csv_still_refuses_too_many_cells_in_rows_with_content_and_more_lines_than_excel_holds():
    wide = ",".join(["备注"] * 100)
    assert errors(csv_bytes(*[wide] * (MAX_CELLS // 100 + 1)), "日报.csv") == [
        f"表格超过上限 {MAX_CELLS:,} 个单元格（有内容的行数 × 列数）：请删除多余的列，或请按日期拆分后分别上传",
    ]
    assert errors(csv_bytes(ROW) + b"\n" + b",\n" * MAX_LINES, "日报.csv") == [
        f"文件有 {MAX_LINES + 2:,} 行（含空行），超过 Excel 的上限 {MAX_LINES:,} 行：请按日期拆分后分别上传",
    ]


def test_a_csv_field_longer_than_the_csv_module_allows_is_a_plain_error():
    content = csv_bytes(ROW, f'2023-06-02,东湖街道,"{"1" * (CSV_FIELD_LIMIT + 1)}",0,0,0,0,0,0,0')
    report = parse_report(content, "日报.csv", TOWNS, today=date(2023, 7, 1))
    assert [(p.row, p.message) for p in report.errors] == [
        (3, "有一个单元格超过 131,072 个字符，这不是日报的内容：请检查文件"),
    ]


def test_a_file_over_the_upload_limit_is_refused_unread():
    assert errors(b"x" * (MAX_FILE_BYTES + 1), "日报.csv") == [
        "文件大小 20.0 MB，超过上限 20 MB：请按日期拆分后分别上传"
    ]


def test_a_row_number_beyond_excel_is_refused_before_openpyxl_fills_the_gap():
    content = rewrite_parts(
        report_xlsx([["2023-06-01", "东湖街道", 12, 5, 1, 4, 0, 1, 0, 0.5]]),
        lambda name, data: data.replace(b'<row r="2"', b'<row r="999999999"') if name == SHEET else data,
    )
    assert errors(content, "日报.xlsx") == ["文件已损坏：有第 999999999 行，超出 Excel 的 1048576 行"]


def test_a_zip_of_thousands_of_parts_is_refused_from_its_end_record():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for k in range(5000):
            archive.writestr(f"xl/media/{k}.bin", b"")
    assert errors(out.getvalue(), "日报.xlsx") == [
        "文件内部有 5000 个部件，不像 Excel 工作簿：请在 Excel/WPS 中打开，另存为 .xlsx 后上传"
    ]


def test_a_workbook_whose_xml_declares_entities_is_refused_unexpanded():
    """A billion laughs in the sheet, or an entity that would read a file of the server."""
    declarations = {
        "laughs": b'<!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
        "file": b'<!DOCTYPE s [<!ENTITY d SYSTEM "file:///etc/passwd">]>',
    }
    for declaration in declarations.values():
        content = rewrite_parts(
            report_xlsx([["2023-06-01", "东湖街道", 12, 5, 1, 4, 0, 1, 0, 0.5]]),
            lambda name, data, declaration=declaration: (
                declaration + data.replace(b"&#19996;", b"&d;") if name == SHEET else data
            ),
        )
        report = parse_report(content, "日报.xlsx", TOWNS, today=date(2023, 7, 1))
        assert [p.message for p in report.errors] == [DAMAGED]
