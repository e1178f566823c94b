"""A file that is not what its extension says is named for what it is, never read as something else."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
from office_files import csv_bytes, report_xlsx

from sanse.deployment.towns import read_towns
from sanse.pipelines.reports.file_kind import display_name
from sanse.pipelines.reports.read import parse_report

TOWNS = read_towns(Path(__file__).parent / "fixtures" / "towns.csv")
ROW = "2023-06-01,东湖街道,12,5,1,4,0,1,0,0.5"


def parse(content: bytes, name: str):
    return parse_report(content, name, TOWNS, today=date(2023, 7, 1))


def word_document() -> bytes:
    document = docx.Document()
    document.add_paragraph("东湖街道 2023-06-01 检查企业 12 家")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_of(**files: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ole(stream: str) -> bytes:
    """The start of an Office 97-2003 container whose directory names `stream`."""
    return bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504 + stream.encode("utf-16-le") + b"\0" * 64


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (ole("Workbook"), "日报.xls", "这是旧版 Excel 97-2003 (.xls) 文件：请在 Excel/WPS 中另存为 .xlsx 后上传"),
        (ole("Workbook"), "日报.xlsx", "这是旧版 Excel 97-2003 (.xls) 文件：请在 Excel/WPS 中另存为 .xlsx 后上传"),
        (
            ole("EncryptedPackage"),
            "日报.xlsx",
            "这个表格设置了打开密码：请在 Excel/WPS 中取消密码，另存为 .xlsx 后上传",
        ),
        (ole("WordDocument"), "日报.xls", "这是旧版 Word 文档（.doc），不是表格"),
        (
            '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">'
            "<head><meta charset='utf-8'></head><body><table><tr><td>日期</td></tr></table></body></html>".encode(),
            "日报.xls",
            "这是网页（HTML）文件，只是扩展名为 .xls：请在 Excel/WPS 中打开，另存为 .xlsx 后上传",
        ),
        (
            b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook xmlns="urn:schemas-microsoft-com:'
            b'office:spreadsheet"></Workbook>',
            "日报.xls",
            "这是 Excel 2003 XML 表格，只是扩展名为 .xls",
        ),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "日报.xlsx", "这是 PDF 文件，不是表格"),
        (
            zip_of(**{"日报.xlsx": b"PK..."}),
            "日报.xlsx",
            "这是一个压缩包（zip），不是 Excel 工作簿，里面有：日报.xlsx：请解压后上传其中的表格",
        ),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "日报.xlsx", "这是一张图片（PNG），不是表格"),
        (b"\xff\xd8\xff\xe0\0\x10JFIF\0", "日报.csv", "这是一张图片（JPEG），不是表格"),
        (b"", "日报.csv", "文件是空的（0 字节）"),
        (word_document(), "日报.xlsx", "这是 Word 文档（.docx），不是表格"),
        ("日期\t镇街\n2023-06-01\t东湖街道\n".encode("utf-16"), "日报.txt", "这是 UTF-16 编码的文本"),
        (b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", "日报.csv", "这不是表格文件（含有二进制内容）"),
    ],
)
def test_a_file_that_is_no_report_says_what_it_is(content, name, message):
    report = parse(content, name)
    assert len(report.errors) == 1
    assert report.errors[0].row is None
    assert report.errors[0].message.startswith(message)


def test_tab_separated_text_is_named_as_such():
    report = parse("日期\t镇街\t检查企业数\n2023-06-01\t东湖街道\t12\n".encode(), "日报.csv")
    assert [p.message for p in report.errors] == [
        "这是用制表符分隔的文本，不是 CSV：请在 Excel/WPS 中打开，另存为 .xlsx 后上传"
    ]


def test_a_workbook_named_csv_is_read_as_a_workbook_with_a_warning():
    report = parse(report_xlsx([["2023-06-01", "东湖街道", 12, 5, 1, 4, 0, 1, 0, 0.5]]), "日报.csv")
    assert report.ok and len(report.rows) == 1
    assert [p.message for p in report.warnings] == ["文件扩展名是 .csv，内容却是 Excel 工作簿：已按 .xlsx 读取"]


def test_a_csv_named_xlsx_is_read_as_csv_with_a_warning():
    report = parse(csv_bytes(ROW), "日报.xlsx")
    assert report.ok and len(report.rows) == 1
    assert [p.message for p in report.warnings] == ["文件扩展名是 .xlsx，内容却是 CSV 文本：已按 CSV 读取"]


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/日报.csv", "日报.csv"),
        ("C:\\Users\\clerk\\Desktop\\日报.csv", "日报.csv"),
        ("日报\x00.exe.csv", "日报.exe.csv"),
        ("日\u202ereport.csv", "日report.csv"),  # a right-to-left override would show the name backwards
        ("\x00", "上传的文件"),
    ],
)
def test_a_file_name_is_shown_without_folders_nul_or_control_characters(given, shown):
    assert display_name(given) == shown
    assert parse(csv_bytes(ROW), given).source_name == shown
