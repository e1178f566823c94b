"""A rejected file comes back as the clerk's own workbook with each bad cell filled light red and
the reason in its comment (a CSV as an XLSX of the same rows)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from office_files import TITLES, csv_bytes, report_sheet, saved
from openpyxl import Workbook, load_workbook

from sanse.deployment.towns import read_towns
from sanse.pipelines.reports.error_workbook import ERROR_FILL, error_file_name, error_workbook
from sanse.pipelines.reports.problems import Problem
from sanse.pipelines.reports.read import parse_report

TOWNS = read_towns(Path(__file__).parent / "fixtures" / "towns.csv")
LIGHT_RED = "00" + ERROR_FILL.fgColor.rgb[-6:]


def parse(content: bytes, name: str):
    return parse_report(content, name, TOWNS, campaign_start=date(2023, 6, 1), today=date(2023, 7, 1))


def marks(content: bytes) -> dict[tuple[str, str], str]:
    """{(sheet, cell): comment} of every cell filled light red."""
    book = load_workbook(io.BytesIO(content))
    return {
        (sheet.title, cell.coordinate): cell.comment.text if cell.comment else ""
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.fill.fgColor.rgb == LIGHT_RED
    }


def clerks_workbook() -> bytes:
    """Two titled day sheets behind an instructions sheet, a formula without a result, and errors."""
    book = Workbook()
    book.active.title = "填表说明"
    book.active.append(["没有的填 0"])
    report_sheet(
        book.create_sheet("6月1日"),
        [
            ["2023-06-01", "东湖街道", 12, 5, 1, 4, 0, 1, 0, "=0.2+0.3"],
            ["2023-06-01", "北海镇", 8, 3, 0, 3, 1, 0, 0, 0],
        ],
        title_rows=2,
    )
    report_sheet(book.create_sheet("6月2日"), [["2023-06-02", "西山镇", 8, 3, 5, 3, 1, 0, 0, 0]], title_rows=2)
    return saved(book)


def test_each_bad_cell_is_filled_light_red_with_the_reason_in_its_comment():
    content = clerks_workbook()
    report = parse(content, "6月日报.xlsx")
    marked, name = error_workbook(content, "6月日报.xlsx", report.errors)
    assert name == "6月日报-错误标注.xlsx"
    assert marks(marked) == {
        ("6月1日", "J4"): "公式没有计算结果：请在 Excel/WPS 中打开并保存后再上传",
        ("6月1日", "B5"): "未知镇街“北海镇”：请使用名称、代码或 towns.csv 中登记的别名",
        ("6月2日", "E4"): "重大隐患数（5）不能大于发现隐患数（3）",
    }


def test_the_marked_copy_is_still_the_clerks_workbook():
    content = clerks_workbook()
    book = load_workbook(io.BytesIO(error_workbook(content, "日报.xlsx", parse(content, "日报.xlsx").errors)[0]))
    assert book.sheetnames == ["填表说明", "6月1日", "6月2日"]
    sheet = book["6月1日"]
    assert sheet["A1"].value == TITLES[0] and "A1:J1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["J4"].value == "=0.2+0.3"  # the formula stays for Excel to compute
    assert sheet["B4"].value == "东湖街道" and sheet["B4"].comment is None


def test_problems_without_a_cell_go_on_their_column_or_the_rows_first_cell():
    content = clerks_workbook()
    problems = [
        Problem(4, "镇街", "本账号只能报送本镇街的数据，不能报送东湖街道", sheet="6月1日"),  # as ingest adds them
        Problem(5, "", "这一行有问题", sheet="6月1日"),
        Problem(None, "", "文件中没有数据行"),
    ]
    assert marks(error_workbook(content, "日报.xlsx", problems)[0]) == {
        ("6月1日", "B4"): "本账号只能报送本镇街的数据，不能报送东湖街道",
        ("6月1日", "A5"): "这一行有问题",
        ("6月1日", "A3"): "文件中没有数据行",  # the header row's first cell
    }


def test_a_rejected_csv_comes_back_as_a_workbook_of_the_same_rows():
    content = csv_bytes(
        "2023-06-01,东湖街道,-1,5,1,4,0,1,0,0.5", '2023-06-01,=HYPERLINK("x"),0012,1,0,1,0,0,0,0', encoding="gbk"
    )
    report = parse(content, "日报.csv")
    marked, name = error_workbook(content, "日报.csv", report.errors)
    assert name == "日报-错误标注.xlsx"
    sheet = load_workbook(io.BytesIO(marked)).active
    assert [cell.value for cell in sheet[2]] == ["2023-06-01", "东湖街道", -1, 5, 1, 4, 0, 1, 0, 0.5]
    assert sheet["B3"].value == '=HYPERLINK("x")' and sheet["B3"].data_type == "s"  # text, never a live formula
    assert sheet["C3"].value == "0012"
    assert set(marks(marked)) == {("日报", "C2"), ("日报", "B3")}


def test_several_problems_in_one_cell_share_its_comment():
    content = clerks_workbook()
    problems = [
        Problem(5, "镇街", "第一个原因", cell="B5", sheet="6月1日"),
        Problem(5, "镇街", "第二个原因", cell="B5", sheet="6月1日"),
    ]
    assert marks(error_workbook(content, "日报.xlsx", problems)[0]) == {("6月1日", "B5"): "第一个原因\n第二个原因"}


@pytest.mark.parametrize("content", [b"%PDF-1.7\n", b""])
def test_a_file_that_is_no_spreadsheet_is_not_opened_to_be_marked(content):
    with pytest.raises(ValueError):
        error_workbook(content, "日报.xlsx", [Problem(None, "", "x")])


def test_the_marked_file_name_is_safe_to_offer():
    assert error_file_name("C:\\temp\\..\\日报\x00.csv") == "日报-错误标注.xlsx"
