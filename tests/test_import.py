"""Importing daily reports (SPEC 3.1, 3.3, 3.4) from real CSV and XLSX files on disk."""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from pipelines.ingest import check_report, ingest_file
from pipelines.reports import HEADERS, parse_date, parse_report, template_rows
from sanse.store.reports import current_reports, history
from sanse.access import SYSTEM
from sanse.cli import main
from sanse.config import read_towns
from sanse.home import Home
from sanse.store import schema
from conftest import stored

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
COLUMNS = ["town_code", "date", "inspections", "hazards", "major_hazards", "rectified", "halted", "cases",
           "detentions", "fines_wan"]


def parse(content: bytes, name: str, **kwargs):
    return parse_report(content, name, TOWNS, campaign_start=START, today=TODAY, **kwargs)


def rows_of(report) -> list[tuple]:
    return [tuple(r) for r in report.rows[COLUMNS].itertuples(index=False)]


def problems(found) -> list[tuple]:
    return [(p.row, p.column) for p in found]


@pytest.fixture
def home(tmp_path: Path) -> Home:
    root = tmp_path / "home"
    root.mkdir()
    shutil.copy(FIXTURES / "towns.csv", root / "towns.csv")
    shutil.copy(FIXTURES / "rules.toml", root / "rules.toml")
    return Home(root)


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
                start = text.index("<dimension ref=\"") + len("<dimension ref=\"")
                data = (text[:start] + dimension + text[text.index("\"", start):]).encode("utf-8")
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


@pytest.mark.parametrize("cell", ["2023-06-01", "2023/6/1", "2023年6月1日", "2023.6.1", "20230601", 20230601,
                                  45078, "45078", datetime(2023, 6, 1), datetime(2023, 6, 1, 8, 30), date(2023, 6, 1)])
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
    text = ("日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额(万元)\n"
            "2023-06-01,东湖街道,3,1,0,1,0,0,,\n\n2023-06-01,西山镇,2,0,0,0,0,0,,\n")
    report = parse(text.encode(), "x.csv")
    assert report.errors == []
    assert list(report.rows["row_number"]) == [2, 4]
    assert list(report.rows["detentions"]) == [0, 0] and list(report.rows["fines_wan"]) == [0.0, 0.0]


def test_template_has_chinese_headers_and_one_row_per_active_town():
    template = template_rows(TOWNS, date(2023, 6, 1))
    assert list(template.columns) == list(HEADERS.values())
    assert list(template["镇街"]) == ["东湖街道", "西山镇", "南岭乡"]


# ---------------------------------------------------------------- bad files

BAD_FILE_ERRORS = [  # (row, column, words the message must contain)
    (3, "日期", "无法识别的日期"),
    (4, "日期", "晚于今天"),
    (5, "日期", "早于活动开始日期"),
    (6, "镇街", "未知镇街“北海镇”"),
    (7, "检查企业数", "不能为负数"),
    (8, "发现隐患数", "应为整数"),
    (9, "立案数", "不是数字"),
    (10, "重大隐患数", "不能大于发现隐患数"),
    (11, "镇街", "重复出现（另见第2行）"),
]


def test_bad_file_reports_every_error_with_row_column_and_chinese_message():
    report = parse((FIXTURES / "daily_bad.csv").read_bytes(), "daily_bad.csv")
    assert problems(report.errors) == [(row, column) for row, column, _ in BAD_FILE_ERRORS]
    for problem, (row, column, words) in zip(report.errors, BAD_FILE_ERRORS):
        assert words in problem.message
        assert str(problem).startswith(f"第{row}行“{column}”列：")


def test_missing_required_column_is_named_on_the_header_row():
    report = parse((FIXTURES / "daily_missing_column.csv").read_bytes(), "daily_missing_column.csv")
    assert problems(report.errors) == [(1, "立案数")]
    assert "缺少必填列“立案数”" in report.errors[0].message


def test_xlsx_errors_carry_the_row_numbers_excel_shows():
    rows = [list(XLSX_ROWS[0]), ["2023-06-02", "东湖街道", 5, 1, 3, 0, 0, 0, 0, 0], ["2023-06-03", "无名镇", 1, 0, 0, 0, 0, 0, 0, 0]]
    report = parse(xlsx(rows, title_rows=2), "日报.xlsx")
    assert problems(report.errors) == [(5, "重大隐患数"), (6, "镇街")]


def test_inactive_town_is_refused():
    text = "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）\n2023-06-01,旧城镇,1,0,0,0,0,0,0,0\n"
    report = parse(text.encode(), "x.csv")
    assert problems(report.errors) == [(2, "镇街")]
    assert "已停用" in report.errors[0].message


def test_today_is_the_day_in_china_and_tomorrow_is_the_future():
    today = datetime.now(timezone(timedelta(hours=8))).date()
    lines = [f"{today},东湖街道,1,0,0,0,0,0,0,0", f"{today + timedelta(days=1)},西山镇,1,0,0,0,0,0,0,0"]
    report = parse_report(csv_bytes(*lines), "x.csv", TOWNS)
    assert problems(report.errors) == [(3, "日期")]


def test_nonexistent_day_and_empty_cells_are_errors():
    text = ("日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）\n"
            "2023-02-30,东湖街道,1,0,0,0,0,0,0,0\n2023-06-01,,1,0,0,0,0,0,0,0\n2023-06-02,东湖街道,,0,0,0,0,0,0,0\n")
    report = parse(text.encode(), "x.csv")
    assert problems(report.errors) == [(2, "日期"), (3, "镇街"), (4, "检查企业数")]


def test_file_without_a_header_or_rows_says_so():
    assert "找不到表头" in str(parse("a,b\n1,2\n".encode(), "x.csv").errors[0])
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
    for row, column, words in BAD_FILE_ERRORS:
        assert f"daily_bad.csv 第{row}行“{column}”列：" in err and words in err
    assert "没有导入任何数据" in err
    assert (stored(home), home.warehouse.stat().st_mtime_ns) == before


def test_cli_prints_at_most_twenty_warnings_then_a_count(home, capsys):
    lines = [f"2023-06-{d:02d},{town},1,0,0,0,2,0,0,0" for d in range(1, 9) for town in ("东湖街道", "西山镇", "南岭乡")]
    path = home.root / "many.csv"
    path.write_bytes(csv_bytes(*lines))
    assert main(["--home", str(home.root), "ingest", str(path)]) == 0
    err = capsys.readouterr().err
    shown = [line for line in err.splitlines() if line.startswith("提醒")]
    assert len(shown) == 20
    assert "另有 4 条提醒" in err
