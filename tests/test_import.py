"""Importing daily reports (design §3.1, 3.3, 3.4) from real CSV and XLSX files on disk."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import fixture_city, stored
from office_files import as_saved_by_excel, report_sheet, report_xlsx, rewrite_parts, saved
from openpyxl import Workbook

from sanse.access.roles import SYSTEM
from sanse.cli.main import main
from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns
from sanse.facts import clock
from sanse.facts.report import MAX_COUNT
from sanse.pipelines.reports.ingest import check_report, ingest_file
from sanse.pipelines.reports.read import HEADERS, UNREADABLE, Problem, parse_date, parse_report, template_rows
from sanse.store import schema
from sanse.store.reports import current_reports, history

FIXTURES = Path(__file__).parent / "fixtures"
TOWNS = read_towns(FIXTURES / "towns.csv")
START = date(2023, 6, 1)
TODAY = date(2023, 7, 1)
GOOD_ROWS = [  # (code, date, inspections, hazards, major, rectified, halted, cases, detentions, fines)
    ("A01", date(2023, 6, 1), 12, 5, 1, 4, 0, 1, 0, 0.5),
    ("A02", date(2023, 6, 1), 8, 3, 0, 3, 1, 0, 0, 0.0),
    ("A03", date(2023, 6, 1), 6, 2, 2, 1, 0, 0, 1, 1.25),
    ("A01", date(2023, 6, 2), 10, 4, 0, 4, 0, 0, 0, 0.0),
]
COLUMNS = [
    "town_code",
    "date",
    "inspections",
    "hazards",
    "major_hazards",
    "rectified",
    "halted",
    "cases",
    "detentions",
    "fines_wan",
]


def parse(content: bytes, name: str, **kwargs):
    return parse_report(content, name, TOWNS, campaign_start=START, today=TODAY, **kwargs)


def rows_of(report) -> list[tuple]:
    return [tuple(r) for r in report.rows[COLUMNS].itertuples(index=False)]


def problems(found) -> list[tuple]:
    return [(p.row, p.column) for p in found]


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return fixture_city(tmp_path)


def xlsx(rows: list[list], *, title_rows: int = 0, dimension: str | None = None) -> bytes:
    """An office-style workbook: `title_rows` merged title lines, then the header and `rows`."""
    book = Workbook()
    sheet = book.active
    titles = ["2023年6月安全生产隐患大排查大整治日报", "填报单位：（盖章）        填报时间："]
    for line in titles[:title_rows]:
        sheet.append([line])
    for k in range(title_rows):
        sheet.merge_cells(start_row=k + 1, start_column=1, end_row=k + 1, end_column=10)
    sheet.append(list(HEADERS.values()))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    content = buffer.getvalue()
    if dimension:  # some exporters write a wrong <dimension>; the rows must still be read
        content = _rewrite_dimension(content, dimension)
    return content


def _rewrite_dimension(content: bytes, dimension: str) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                start = text.index('<dimension ref="') + len('<dimension ref="')
                data = (text[:start] + dimension + text[text.index('"', start) :]).encode("utf-8")
            target.writestr(item, data)
    return out.getvalue()


XLSX_ROWS = [
    [datetime(2023, 6, 1), "东湖街道", 12, 5, 1, 4, 0, 1, 0, 0.5],
    ["2023/6/1", "A02", 8, 3, 0, 3, 1, 0, 0, 0],
    ["2023年6月1日", "南岭乡", 6, 2, 2, 1, 0, 0, 1, 1.25],
    ["2023-06-02", "东湖", 10, 4, 0, 4, 0, 0, 0, 0],
]


# ---------------------------------------------------------------- accepted files


@pytest.mark.parametrize("name", ["daily_utf8.csv", "daily_utf8_bom.csv", "daily_gbk.csv", "daily_english.csv"])
def test_csv_in_every_encoding_and_header_language_reads_the_same_rows(name):
    report = parse((FIXTURES / name).read_bytes(), name)
    assert report.errors == []
    assert rows_of(report) == GOOD_ROWS
    assert list(report.rows["row_number"]) == [2, 3, 4, 5]


def test_gbk_fixture_is_really_gbk():
    content = (FIXTURES / "daily_gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")


@pytest.mark.parametrize("title_rows", [0, 1, 2])
def test_xlsx_with_title_rows_above_the_header(title_rows):
    report = parse(xlsx(XLSX_ROWS, title_rows=title_rows), "日报.xlsx")
    assert report.errors == []
    assert rows_of(report) == GOOD_ROWS
    first = title_rows + 2  # Excel's row number of the first data row
    assert list(report.rows["row_number"]) == [first, first + 1, first + 2, first + 3]


def test_xlsx_with_a_wrong_dimension_record_still_reads_every_row():
    report = parse(xlsx(XLSX_ROWS, title_rows=2, dimension="A1"), "日报.xlsx")
    assert rows_of(report) == GOOD_ROWS


def test_excel_date_serial_number_is_a_date():
    serial = (date(2023, 6, 1) - date(1899, 12, 30)).days
    report = parse(xlsx([[serial, "东湖街道", 12, 5, 1, 4, 0, 1, 0, 0.5]]), "日报.xlsx")
    assert rows_of(report) == GOOD_ROWS[:1]


def test_headers_match_whatever_the_letter_case_spacing_or_bracket_width():
    header = "Date, Town ,INSPECTIONS,Hazards,Major_Hazards,rectified,halted,cases,detentions,罚款金额 (万元)"
    report = parse(f"{header}\n2023-06-01,东湖街道,12,5,1,4,0,1,0,0.5\n".encode(), "x.csv")
    assert report.errors == []
    assert rows_of(report) == GOOD_ROWS[:1]


@pytest.mark.parametrize(
    "cell",
    [
        "2023-06-01",
        "2023/6/1",
        "2023年6月1日",
        "2023.6.1",
        "20230601",
        20230601,
        45078,
        "45078",
        datetime(2023, 6, 1),
        datetime(2023, 6, 1, 8, 30),
        date(2023, 6, 1),
    ],
)
def test_every_accepted_way_of_writing_a_date(cell):
    assert parse_date(cell) == (date(2023, 6, 1), None)


@pytest.mark.parametrize("cell", ["6/1/2023", "2023-6", "昨天", 123, True, "2023-06-31", ""])
def test_dates_that_cannot_be_read_are_refused(cell):
    day, message = parse_date(cell)
    assert day is None and message


def test_town_by_name_code_and_alias_with_stray_spaces():
    lines = ["日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）"]
    for day, town in enumerate(["东湖街道", " A02 ", "南 岭 乡", "东湖街"], start=1):
        lines.append(f"2023-06-0{day},{town},1,0,0,0,0,0,0,0")
    report = parse("\n".join(lines).encode(), "x.csv")
    assert list(report.rows["town_code"]) == ["A01", "A02", "A03", "A01"]


def test_empty_detentions_and_fines_count_as_zero_and_blank_lines_are_skipped():
    text = (
        "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额(万元)\n"
        "2023-06-01,东湖街道,3,1,0,1,0,0,,\n\n2023-06-01,西山镇,2,0,0,0,0,0,,\n"
    )
    report = parse(text.encode(), "x.csv")
    assert report.errors == []
    assert list(report.rows["row_number"]) == [2, 4]
    assert list(report.rows["detentions"]) == [0, 0] and list(report.rows["fines_wan"]) == [0.0, 0.0]


def test_template_has_chinese_headers_and_one_row_per_active_town():
    template = template_rows(TOWNS, date(2023, 6, 1))
    assert list(template.columns) == list(HEADERS.values())
    assert list(template["镇街"]) == ["东湖街道", "西山镇", "南岭乡"]


# ---------------------------------------------------------------- bad files

BAD_FILE_ERRORS = [  # (row, column, cell, words the message must contain)
    (3, "日期", "A3", "无法识别的日期"),
    (4, "日期", "A4", "晚于今天"),
    (5, "日期", "A5", "早于活动开始日期"),
    (6, "镇街", "B6", "未知镇街“北海镇”"),
    (7, "检查企业数", "C7", "不能为负数"),
    (8, "发现隐患数", "D8", "应为整数"),
    (9, "立案数", "H9", "不是数字"),
    (10, "重大隐患数", "E10", "不能大于发现隐患数"),
    (11, "镇街", "B11", "重复出现（另见第2行）"),
]


def test_bad_file_reports_every_error_with_row_column_cell_and_chinese_message():
    report = parse((FIXTURES / "daily_bad.csv").read_bytes(), "daily_bad.csv")
    assert problems(report.errors) == [(row, column) for row, column, _, _ in BAD_FILE_ERRORS]
    for problem, (row, column, cell, words) in zip(report.errors, BAD_FILE_ERRORS):
        assert words in problem.message
        assert str(problem).startswith(f"第{row}行“{column}”列（{cell}）：")


def test_missing_required_column_is_named_on_the_header_row():
    report = parse((FIXTURES / "daily_missing_column.csv").read_bytes(), "daily_missing_column.csv")
    assert problems(report.errors) == [(1, "立案数")]
    assert "缺少必填列“立案数”" in report.errors[0].message


def test_xlsx_errors_carry_the_row_numbers_excel_shows():
    rows = [
        list(XLSX_ROWS[0]),
        ["2023-06-02", "东湖街道", 5, 1, 3, 0, 0, 0, 0, 0],
        ["2023-06-03", "无名镇", 1, 0, 0, 0, 0, 0, 0, 0],
    ]
    report = parse(xlsx(rows, title_rows=2), "日报.xlsx")
    assert problems(report.errors) == [(5, "重大隐患数"), (6, "镇街")]


def test_inactive_town_is_refused():
    text = "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）\n2023-06-01,旧城镇,1,0,0,0,0,0,0,0\n"
    report = parse(text.encode(), "x.csv")
    assert problems(report.errors) == [(2, "镇街")]
    assert "已停用" in report.errors[0].message


def test_today_is_the_day_in_china_and_tomorrow_is_the_future():
    today = clock.today()
    lines = [f"{today},东湖街道,1,0,0,0,0,0,0,0", f"{today + timedelta(days=1)},西山镇,1,0,0,0,0,0,0,0"]
    report = parse_report(csv_bytes(*lines), "x.csv", TOWNS)
    assert problems(report.errors) == [(3, "日期")]


def test_nonexistent_day_and_empty_cells_are_errors():
    text = (
        "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）\n"
        "2023-02-30,东湖街道,1,0,0,0,0,0,0,0\n2023-06-01,,1,0,0,0,0,0,0,0\n2023-06-02,东湖街道,,0,0,0,0,0,0,0\n"
    )
    report = parse(text.encode(), "x.csv")
    assert problems(report.errors) == [(2, "日期"), (3, "镇街"), (4, "检查企业数")]


def test_file_without_a_header_or_rows_says_so():
    assert "找不到表头" in str(parse(b"a,b\n1,2\n", "x.csv").errors[0])
    header_only = ",".join(HEADERS.values()).encode()
    assert "没有数据行" in str(parse(header_only, "x.csv").errors[0])
    assert "空" in str(parse(b"", "x.csv").errors[0])


def test_old_xls_file_gets_a_plain_message():
    report = parse(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 100, "日报.xls")
    assert ".xlsx" in report.errors[0].message


def test_bad_file_writes_nothing(home):
    content = (FIXTURES / "daily_bad.csv").read_bytes()
    result = ingest_file(home, content, "daily_bad.csv", by=SYSTEM, today=TODAY)
    assert not result.ok
    assert len(result.report.errors) == len(BAD_FILE_ERRORS)
    assert stored(home)["submissions"] == stored(home)["files"] == 0


# ---------------------------------------------------------------- warnings

HEADER_LINE = ",".join(HEADERS.values())


def csv_bytes(*lines: str) -> bytes:
    return "\n".join([HEADER_LINE, *lines]).encode("utf-8")


def test_halts_or_cases_above_inspections_warn_but_do_not_block():
    report = parse(csv_bytes("2023-06-01,东湖街道,2,3,0,0,3,4,0,0"), "x.csv")
    assert report.ok
    assert problems(report.warnings) == [(2, "停产停业数"), (2, "立案数")]
    assert "大于检查企业数" in report.warnings[0].message


def test_inspections_below_half_of_the_towns_7_day_average_warn(home):
    week = [f"2023-06-0{d},西山镇,{n},0,0,0,0,0,0,0" for d, n in zip(range(1, 8), (10, 10, 10, 10, 10, 10, 10))]
    assert ingest_file(home, csv_bytes(*week), "week.csv", by=SYSTEM, today=TODAY).ok
    low = check_report(home, csv_bytes("2023-06-08,西山镇,4,0,0,0,0,0,0,0"), "day8.csv", by=SYSTEM, today=TODAY)
    assert low.ok
    assert problems(low.warnings) == [(2, "检查企业数")]
    assert "不到本镇街前7天平均（10.0）的一半" in low.warnings[0].message
    half = check_report(home, csv_bytes("2023-06-08,西山镇,5,0,0,0,0,0,0,0"), "day8.csv", by=SYSTEM, today=TODAY)
    assert half.warnings == []


def test_a_file_correcting_an_earlier_day_is_compared_with_its_own_figure_not_the_stored_one(home):
    stored_day = "2023-06-07,西山镇,100,0,0,0,0,0,0,0"
    assert ingest_file(home, csv_bytes(stored_day), "day7.csv", by=SYSTEM, today=TODAY).ok
    # 6 is under half of the stored 100, but not of the 10 this file corrects it to
    both = csv_bytes("2023-06-07,西山镇,10,0,0,0,0,0,0,0", "2023-06-08,西山镇,6,0,0,0,0,0,0,0")
    assert check_report(home, both, "fix.csv", by=SYSTEM, today=TODAY).warnings == []
    alone = check_report(home, csv_bytes("2023-06-08,西山镇,6,0,0,0,0,0,0,0"), "day8.csv", by=SYSTEM, today=TODAY)
    assert problems(alone.warnings) == [(2, "检查企业数")]


def test_seven_day_average_uses_earlier_rows_of_the_same_file():
    report = parse(csv_bytes("2023-06-01,东湖街道,20,0,0,0,0,0,0,0", "2023-06-02,东湖街道,9,0,0,0,0,0,0,0"), "x.csv")
    assert problems(report.warnings) == [(3, "检查企业数")]


# ---------------------------------------------------------------- the log


def test_importing_the_same_file_twice_changes_nothing(home):
    content = (FIXTURES / "daily_utf8.csv").read_bytes()
    first = ingest_file(home, content, "daily_utf8.csv", by=SYSTEM, today=TODAY)
    assert first.submission.written == 4
    files = stored(home)
    again = ingest_file(home, content, "copy.csv", by=SYSTEM, today=TODAY)
    assert (again.submission.written, again.submission.unchanged) == (0, 4)
    assert stored(home) == files
    assert len(history(home.store)) == 4


def test_same_figures_in_another_format_change_nothing(home):
    assert ingest_file(home, (FIXTURES / "daily_gbk.csv").read_bytes(), "gbk.csv", by=SYSTEM, today=TODAY).ok
    again = ingest_file(home, xlsx(XLSX_ROWS, title_rows=1), "日报.xlsx", by=SYSTEM, today=TODAY)
    assert again.submission.written == 0
    assert stored(home)["submissions"] == 1


def test_second_report_for_a_town_and_day_is_a_correction_and_keeps_the_first(home):
    assert ingest_file(home, (FIXTURES / "daily_utf8.csv").read_bytes(), "first.csv", by=SYSTEM, today=TODAY).ok
    fix = csv_bytes("2023-06-01,东湖街道,12,5,2,4,0,1,0,0.5")
    corrected = ingest_file(home, fix, "fix.csv", by=SYSTEM, today=TODAY)
    assert (corrected.submission.written, corrected.submission.unchanged) == (1, 0)
    current = current_reports(home.store)
    dongwu = current[(current["town_code"] == "A01") & (current["date"] == date(2023, 6, 1))]
    assert list(dongwu["major_hazards"]) == [2]
    assert len(current) == 4
    versions = history(home.store, "A01")
    june1 = versions[versions["date"] == date(2023, 6, 1)]
    assert list(june1["major_hazards"]) == [2, 1]  # newest first
    assert list(june1["source_name"]) == ["fix.csv", "first.csv"]
    assert list(june1["submitted_by"]) == [SYSTEM.name, SYSTEM.name]
    assert june1["submitted_at"].iloc[0] > june1["submitted_at"].iloc[1]


def test_original_file_is_kept_as_received(home):
    content = (FIXTURES / "daily_gbk.csv").read_bytes()
    ingest_file(home, content, "daily_gbk.csv", by=SYSTEM, today=TODAY)
    with home.store.reading() as conn:
        kept = conn.execute(sa.select(schema.files.c.name, schema.files.c.content)).all()
    assert [tuple(row) for row in kept] == [("daily_gbk.csv", content)]


# ---------------------------------------------------------------- through the command line


def test_cli_ingest_of_a_bad_file_lists_every_error_and_writes_nothing(home, capsys):
    good = FIXTURES / "daily_utf8.csv"
    assert main(["--home", str(home.root), "ingest", str(good)]) == 0
    before = (stored(home), home.warehouse.stat().st_mtime_ns)
    capsys.readouterr()
    code = main(["--home", str(home.root), "ingest", str(good), str(FIXTURES / "daily_bad.csv")])
    err = capsys.readouterr().err
    assert code == 1
    for row, column, cell, words in BAD_FILE_ERRORS:
        assert f"daily_bad.csv 第{row}行“{column}”列（{cell}）：" in err and words in err
    assert "没有导入任何数据" in err
    assert (stored(home), home.warehouse.stat().st_mtime_ns) == before


def test_cli_prints_at_most_twenty_warnings_then_a_count(home, capsys):
    lines = [
        f"2023-06-{d:02d},{town},1,0,0,0,2,0,0,0" for d in range(1, 9) for town in ("东湖街道", "西山镇", "南岭乡")
    ]
    path = home.root / "many.csv"
    path.write_bytes(csv_bytes(*lines))
    assert main(["--home", str(home.root), "ingest", str(path)]) == 0
    err = capsys.readouterr().err
    shown = [line for line in err.splitlines() if line.startswith("提醒")]
    assert len(shown) == 20
    assert "另有 4 条提醒" in err


# ---------------------------------------------------------------- formulas (what Excel shows, or an error)

FORMULA_ROWS = [
    ["2023-06-01", "东湖街道", 12, 5, 1, 4, 0, 1, 0, 0.5],
    ["2023-06-01", "西山镇", 8, 3, 0, 3, 1, 0, 0, "=0.2+0.3"],
]


def test_formula_saved_without_a_result_is_an_error_naming_its_cell():
    report = parse(report_xlsx(FORMULA_ROWS, title_rows=2), "日报.xlsx")
    assert [str(p) for p in report.errors] == [
        "第5行“罚款金额（万元）”列（J5）：公式没有计算结果：请在 Excel/WPS 中打开并保存后再上传",
    ]


def test_formula_without_a_result_in_the_town_column_says_so_not_unknown_town():
    rows = [["2023-06-01", '=IF(1,"东湖街道","")', 12, 5, 1, 4, 0, 1, 0, 0.5]]
    report = parse(report_xlsx(rows), "日报.xlsx")
    assert [(p.cell, p.message) for p in report.errors] == [
        ("B2", "公式没有计算结果：请在 Excel/WPS 中打开并保存后再上传")
    ]


def test_formula_saved_by_excel_reads_its_result():
    content = as_saved_by_excel(report_xlsx(FORMULA_ROWS, title_rows=2), {"J5": "0.5"})
    report = parse(content, "日报.xlsx")
    assert report.errors == []
    assert list(report.rows["fines_wan"]) == [0.5, 0.5]


def test_formula_results_of_a_file_that_asks_excel_to_recalculate_are_not_trusted():
    """Export scripts write 0 as every formula's result and ask Excel to recalculate on opening."""
    content = as_saved_by_excel(report_xlsx(FORMULA_ROWS), {"J3": "0"})
    content = rewrite_parts(
        content, lambda name, data: data.replace(b'calcId="124519"', b'calcId="124519" fullCalcOnLoad="1"')
    )
    report = parse(content, "日报.xlsx")
    assert problems(report.errors) == [(3, "罚款金额（万元）")]
    assert "公式没有计算结果" in report.errors[0].message


def test_formula_whose_result_is_an_error_value_says_so():
    content = as_saved_by_excel(report_xlsx(FORMULA_ROWS), {"J3": "#DIV/0!"})
    report = parse(content, "日报.xlsx")
    assert [(p.cell, p.message) for p in report.errors] == [("J3", "公式的结果是错误值 #DIV/0!：请改正公式或直接填写")]


# ---------------------------------------------------------------- several sheets


def day_sheets(*names: str, instructions: str = "") -> Workbook:
    book = Workbook()
    book.remove(book.active)
    if instructions:
        notes = book.create_sheet(instructions)
        for line in ("1. 日期：填写报送日期，如 2023-06-01", "2. 镇街：填写镇街名称", "3. 没有的填 0"):
            notes.append([line])
    for day, name in enumerate(names, start=1):
        report_sheet(book.create_sheet(name), [[f"2023-06-0{day}", "东湖街道", 10, 4, 0, 4, 0, 0, 0, 0]], title_rows=1)
    return book


def test_every_sheet_with_a_report_header_is_read_and_combined():
    report = parse(saved(day_sheets("6月1日", "6月2日", instructions="说明")), "日报.xlsx")
    assert report.errors == []
    assert list(report.rows["date"]) == [date(2023, 6, 1), date(2023, 6, 2)]
    said = [p.message for p in report.warnings]
    assert "已读取 2 张工作表：“6月1日”、“6月2日”，合并导入" in said
    assert "工作表“说明”没有报表表头，未读取" in said


def test_the_templates_own_instructions_sheet_is_read_past_without_a_word():
    report = parse(saved(day_sheets("日报", instructions="填表说明")), "日报.xlsx")
    assert report.ok and report.warnings == []
    assert len(report.rows) == 1


def test_report_behind_an_instructions_sheet_is_found():
    report = parse(saved(day_sheets("日报", instructions="说明")), "日报.xlsx")
    assert rows_of(report) == [("A01", date(2023, 6, 1), 10, 4, 0, 4, 0, 0, 0, 0.0)]


def test_errors_on_a_later_sheet_name_that_sheet():
    book = day_sheets("6月1日", "6月2日")
    book["6月2日"]["C3"] = -1
    report = parse(saved(book), "日报.xlsx")
    assert [str(p) for p in report.errors] == ["“6月2日”表第3行“检查企业数”列（C3）：不能为负数（-1）"]


def test_the_same_town_and_day_on_two_sheets_names_the_other_sheet():
    book = day_sheets("6月1日", "又一张")
    book["又一张"]["A3"] = "2023-06-01"
    report = parse(saved(book), "日报.xlsx")
    assert [str(p) for p in report.errors] == [
        "“又一张”表第3行“镇街”列（B3）：东湖街道 2023-06-01 在本文件中重复出现（另见“6月1日”表第3行）",
    ]


def test_a_hidden_sheet_holding_a_report_is_refused_by_name():
    book = day_sheets("6月1日", "旧数据")
    book["旧数据"].sheet_state = "hidden"
    report = parse(saved(book), "日报.xlsx")
    assert [p.message for p in report.errors] == ["隐藏的工作表“旧数据”里有报表：请取消隐藏并核对，或删除该表后再上传"]


def test_a_second_sheet_with_a_partial_header_is_refused_by_name():
    book = day_sheets("6月1日")
    summary = book.create_sheet("汇总")
    summary.append(["镇街", "检查企业数", "重大隐患数"])
    summary.append(["东湖街道", 10, 0])
    report = parse(saved(book), "日报.xlsx")
    assert report.errors and all(p.sheet == "汇总" for p in report.errors)
    assert "缺少必填列“日期”" in report.errors[0].message


# ---------------------------------------------------------------- headers as forms write them


@pytest.mark.parametrize(
    "headers",
    [
        [
            "日期",
            "镇街",
            "检查企业数（家次）",
            "发现隐患数（处）",
            "重大隐患数（处）",
            "整改隐患数（处）",
            "停产停业数（家）",
            "立案数（起）",
            "行政拘留人数（人）",
            "罚款金额（万元）",
        ],
        [
            "日期",
            "镇街",
            "检查企业数(家次)",
            "发现隐患数 (处)",
            "其中：重大隐患数",
            "整改隐患数",
            "停产停业数 （家）",
            "立案数(起)",
            "行政拘留人数(人)",
            "罚款金额(万元)",
        ],
        [
            "日 期",
            "镇　街",
            "检查企业数\n（家次）",
            "发现\n隐患数",
            "重大隐患数\r\n（处）",
            "整改隐患数*",
            "停产停业数\n(家)",
            "立案数\n（起）",
            "行政拘留\n人数（人）",
            "罚款金额\n（万元）",
        ],
    ],
)
def test_header_cells_with_count_units_brackets_spaces_and_line_breaks(headers):
    report = parse(report_xlsx(XLSX_ROWS, title_rows=2, header=headers), "日报.xlsx")
    assert report.errors == []
    assert rows_of(report) == GOOD_ROWS


def two_level_form(fines_header: str = "罚款金额（万元）") -> Workbook:
    """Title rows, then 日期/镇街/检查企业数 merged down over a group row and the header row."""
    book = Workbook()
    sheet = book.active
    sheet.append(["2023年6月安全生产隐患大排查大整治日报"])
    sheet.append(["日期", "镇街", "检查企业数（家次）", "隐患排查整治情况", None, None, "执法情况"])
    sheet.append(
        [
            None,
            None,
            None,
            "发现隐患数",
            "其中：重大隐患数",
            "整改隐患数",
            "停产停业数（家）",
            "立案数（起）",
            "行政拘留人数（人）",
            fines_header,
        ]
    )
    sheet.merge_cells("A1:J1")
    for column in "ABC":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("D2:F2")
    sheet.merge_cells("G2:J2")
    for row in XLSX_ROWS:
        sheet.append(row)
    return book


def test_two_level_header_with_a_merged_group_row_under_a_title():
    report = parse(saved(two_level_form()), "日报.xlsx")
    assert report.errors == []
    assert rows_of(report) == GOOD_ROWS
    assert list(report.rows["row_number"]) == [4, 5, 6, 7]


def test_two_level_header_without_merges_takes_the_name_above_a_blank_cell():
    book = two_level_form()
    for merged in list(book.active.merged_cells.ranges):
        if merged.min_row == 2 and merged.max_row == 3:
            book.active.unmerge_cells(str(merged))
    report = parse(saved(book), "日报.xlsx")
    assert rows_of(report) == GOOD_ROWS


def test_units_on_their_own_row_under_the_header_apply():
    book = Workbook()
    sheet = book.active
    sheet.append([*list(HEADERS.values())[:9], "罚款金额"])
    sheet.append([None, None, "（家次）", "（处）", "（处）", "（处）", "（家）", "（起）", "（人）", "（元）"])
    sheet.append(["2023-06-01", "东湖街道", 12, 5, 1, 4, 0, 1, 0, 5000])
    report = parse(saved(book), "日报.xlsx")
    assert report.errors == []
    assert list(report.rows["row_number"]) == [3]
    assert list(report.rows["fines_wan"]) == [0.5]


def test_a_unit_that_would_change_the_numbers_is_refused():
    headers = list(HEADERS.values())
    headers[2] = "检查企业数（万家）"
    report = parse(report_xlsx(XLSX_ROWS, header=headers), "日报.xlsx")
    assert [(p.row, p.cell) for p in report.errors] == [(1, "C1")]
    assert "单位“万家”无法识别" in report.errors[0].message


def test_the_same_figure_for_the_day_and_the_total_so_far_is_refused():
    book = Workbook()
    sheet = book.active
    sheet.append(["日期", "镇街", "当日", *[None] * 7, "累计"])
    sheet.append(["日期", "镇街", *list(HEADERS.values())[2:], "检查企业数"])
    sheet.append(["2023-06-01", "东湖街道", 12, 5, 1, 4, 0, 1, 0, 0.5, 120])
    report = parse(saved(book), "日报.xlsx")
    assert len(report.errors) == 1
    assert "有 2 列都是“检查企业数”（C列“检查企业数”、K列“检查企业数”）" in report.errors[0].message


def test_a_misspelt_header_is_named_in_the_missing_column_message():
    headers = [*list(HEADERS.values())[:9], "罚款金额万元"]
    report = parse(report_xlsx(XLSX_ROWS, header=headers), "日报.xlsx")
    assert [p.message for p in report.errors] == [
        "缺少必填列“罚款金额（万元）”（也可写作 fines_wan）：表头“罚款金额万元”无法识别，请写成“罚款金额（万元）”",
    ]


# ---------------------------------------------------------------- totals and notes


@pytest.mark.parametrize(
    "total",
    [
        ["2023-06-01", "合计", 30, 12, 3, 9, 1, 1, 1, 1.75],
        ["小计", None, 30, 12, 3, 9, 1, 1, 1, 1.75],
        ["总 计", "", 30, 12, 3, 9, 1, 1, 1, 1.75],
        [None, "全市合计：", 30, 12, 3, 9, 1, 1, 1, 1.75],
    ],
)
def test_total_rows_are_skipped_with_a_warning(total):
    report = parse(report_xlsx([*XLSX_ROWS[:3], total, XLSX_ROWS[3]], title_rows=1), "日报.xlsx")
    assert report.errors == []
    assert rows_of(report) == GOOD_ROWS
    [warning] = report.warnings
    assert (warning.row, warning.severity) == (6, "warning")
    assert "行不是镇街，未导入" in warning.message


def test_total_row_merged_over_date_and_town_is_skipped():
    book = Workbook()
    report_sheet(book.active, [*XLSX_ROWS, ["合  计", None, 36, 14, 3, 12, 1, 1, 1, 1.75]])
    book.active.merge_cells("A6:B6")
    report = parse(saved(book), "日报.xlsx")
    assert report.errors == [] and rows_of(report) == GOOD_ROWS


def test_a_note_merged_across_the_table_is_not_data():
    book = Workbook()
    report_sheet(book.active, [*XLSX_ROWS, ["填表人：张三    审核人：李四    联系电话：12345678"]])
    book.active.merge_cells("A6:J6")
    report = parse(saved(book), "日报.xlsx")
    assert report.errors == [] and rows_of(report) == GOOD_ROWS
    assert [p.row for p in report.warnings] == [6]


def test_a_row_holding_only_a_note_is_one_plain_error():
    report = parse(report_xlsx([*XLSX_ROWS, ["注：本表数据截至当日17时"]]), "日报.xlsx")
    assert [str(p) for p in report.errors] == [
        "第6行“日期”列（A6）：这一行只有“注：本表数据截至当日17时”，其余为空：如果是备注或说明，请删除这一行",
    ]


def test_dates_merged_down_over_the_towns_of_the_day_apply_to_each():
    rows = [
        [date(2023, 6, 1), "东湖街道", 12, 5, 1, 4, 0, 1, 0, 0.5],
        [None, "A02", 8, 3, 0, 3, 1, 0, 0, 0],
        [None, "南岭乡", 6, 2, 2, 1, 0, 0, 1, 1.25],
        [date(2023, 6, 2), "东湖", 10, 4, 0, 4, 0, 0, 0, 0],
    ]
    book = Workbook()
    report_sheet(book.active, rows)
    book.active.merge_cells("A2:A4")
    report = parse(saved(book), "日报.xlsx")
    assert rows_of(report) == GOOD_ROWS


def test_a_number_merged_over_two_towns_cannot_be_split():
    book = Workbook()
    report_sheet(book.active, XLSX_ROWS)
    book.active.merge_cells("G2:G3")
    report = parse(saved(book), "日报.xlsx")
    assert [(p.row, p.column, p.cell) for p in report.errors] == [(2, "停产停业数", "G2")]
    assert "合并单元格 G2:G3" in report.errors[0].message


# ---------------------------------------------------------------- money in 元


@pytest.mark.parametrize("fines_header", ["罚款金额（元）", "罚款（元）", "罚款金额(元)", "罚款 （元）"])
def test_fines_in_yuan_are_converted_exactly_to_wan_with_a_warning(fines_header):
    rows = [
        ["2023-06-01", "东湖街道", 12, 5, 1, 4, 0, 1, 0, 12345.67],
        ["2023-06-01", "西山镇", 8, 3, 0, 3, 1, 0, 0, "1,000"],
        ["2023-06-01", "南岭乡", 6, 2, 2, 1, 0, 0, 1, "0.1"],
    ]
    report = parse(report_xlsx(rows, header=[*list(HEADERS.values())[:9], fines_header]), "日报.xlsx")
    assert report.errors == []
    assert list(report.rows["fines_wan"]) == [1.234567, 0.1, 0.00001]
    [warning] = report.warnings
    assert (warning.row, warning.column, warning.cell) == (1, fines_header, "J1")
    assert warning.message == "金额以元为单位：已按 1 万元 = 10,000 元换算为万元"


def test_fines_header_without_a_unit_is_read_as_wan():
    report = parse(report_xlsx(XLSX_ROWS, header=[*list(HEADERS.values())[:9], "罚款金额"]), "日报.xlsx")
    assert report.errors == [] and report.warnings == []
    assert list(report.rows["fines_wan"]) == [0.5, 0.0, 1.25, 0.0]


def test_fines_in_an_unknown_unit_are_refused():
    report = parse(report_xlsx(XLSX_ROWS, header=[*list(HEADERS.values())[:9], "罚款金额（千元）"]), "日报.xlsx")
    assert [p.message for p in report.errors] == ["金额单位“千元”无法识别：请写“万元”或“元”"]


# ---------------------------------------------------------------- dates with a time of day


@pytest.mark.parametrize(
    "written", ["2023/6/1 8:30", "2023-06-01 08:30:00", "2023-06-01T08:30:00", "2023年6月1日 17:05"]
)
def test_csv_date_with_a_time_of_day_takes_its_date(written):
    report = parse(csv_bytes(f"{written},东湖街道,12,5,1,4,0,1,0,0.5"), "x.csv")
    assert report.errors == []
    assert list(report.rows["date"]) == [date(2023, 6, 1)]


def test_excel_date_time_cell_takes_its_date():
    report = parse(report_xlsx([[datetime(2023, 6, 1, 8, 30), "东湖街道", 12, 5, 1, 4, 0, 1, 0, 0.5]]), "日报.xlsx")
    assert rows_of(report) == GOOD_ROWS[:1]


def test_a_time_that_does_not_exist_is_refused():
    report = parse(csv_bytes("2023-06-01 25:30,东湖街道,12,5,1,4,0,1,0,0.5"), "x.csv")
    assert problems(report.errors) == [(2, "日期")]


# ---------------------------------------------------------------- hostile numbers


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("1e400", "科学计数法"),
        ("1e300", "科学计数法"),
        ("1e5", "科学计数法"),
        ("1.23E+11", "科学计数法"),
        ("nan", "不是数字"),
        ("inf", "不是数字"),
        ("-inf", "不是数字"),
        ("Infinity", "不是数字"),
        ("1_000", "不是数字"),
        ("9223372036854775807", "超过上限 10,000,000"),
        ("10000001", "超过上限 10,000,000"),
        ("-0.5", "不能为负数"),
        ("0x10", "不是数字"),
        ("１２.５", "应为整数"),
    ],
)
def test_hostile_numbers_are_a_row_and_column_error(written, words):
    report = parse(csv_bytes(f"2023-06-01,东湖街道,{written},0,0,0,0,0,0,0"), "x.csv")
    assert problems(report.errors) == [(2, "检查企业数")]
    assert words in report.errors[0].message


@pytest.mark.parametrize(
    "cell", [float("inf"), float("nan"), 1e300, 9223372036854775807, 2**70, 12.5, True, datetime(2023, 6, 1)]
)
def test_hostile_numbers_in_workbook_cells_are_a_row_and_column_error(cell):
    report = parse(report_xlsx([["2023-06-01", "东湖街道", cell, 0, 0, 0, 0, 0, 0, 0]]), "日报.xlsx")
    assert problems(report.errors) == [(2, "检查企业数")]


@pytest.mark.parametrize(("fines", "ok"), [("1000000", True), ("1000000.01", False), ("1e300", False), ("nan", False)])
def test_fines_are_finite_and_at_most_a_million_wan_a_day(fines, ok):
    report = parse(csv_bytes(f"2023-06-01,东湖街道,1,0,0,0,0,0,0,{fines}"), "x.csv")
    assert report.ok is ok


def test_counts_up_to_the_limit_are_read_as_int64():
    report = parse(csv_bytes(f"2023-06-01,东湖街道,{MAX_COUNT},{MAX_COUNT},0,0,0,0,0,0"), "x.csv")
    assert report.ok and report.rows["inspections"].dtype == "int64"
    assert MAX_COUNT * 1400 * 366 < 2**63  # a province-year of the largest counts sums within int64


def test_whatever_the_bytes_no_exception_escapes_parse_report():
    """Mutated workbooks and CSVs: every outcome is a Problem, none is the last-resort message."""
    rng = random.Random(20230601)
    workbook = report_xlsx(FORMULA_ROWS, title_rows=2)
    seeds = [workbook, _stored(workbook), csv_bytes("2023-06-01,东湖街道,12,5,1,4,0,1,0,0.5")]
    for _ in range(300):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(data))
            data[at : at + rng.randint(0, 8)] = rng.randbytes(rng.randint(0, 8))
        report = parse(bytes(data), "日报.xlsx")
        assert all(isinstance(p, Problem) for p in report.errors + report.warnings)
        assert UNREADABLE not in [p.message for p in report.errors]


def _stored(content: bytes) -> bytes:
    """The workbook with its parts stored, not deflated, so that changed bytes land in its XML."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item.filename))
    return out.getvalue()
