"""Downloads of a published issue (SPEC 5), opened from real files the way Excel and Word
users get them: XLSX sheet 排名, CSV with BOM, DOCX with shaded tier cells, the A4 print
view, and the daily report template."""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from openpyxl import load_workbook

from sanse.access import SYSTEM
from sanse.bulletin import CONFIDENCE_KEYS, Issue, issue_from_json, issue_to_json, load_issue, publish_bulletin
from sanse.cli import main
from sanse.config import Town, read_towns
from sanse.exports import export_issue, print_html, template_xlsx
from sanse.home import Home
from pipelines.reports import HEADERS, parse_report

HEADER = ["排名", "镇街", "检查企业数", "重大隐患数", "重大隐患发现率", "停产停业数", "停产停业率",
          "立案数", "立案查处率", "综合得分", "等级", "名次变化"]
FILLS = {"blue": "0070C0", "yellow": "FFC000", "red": "C00000"}
WORDS = {"blue": "蓝", "yellow": "黄", "red": "红"}
DAY = date(2026, 10, 12)
THIN_DAY = date(2026, 9, 1)
REPORT_HEADER = "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）"


@pytest.fixture(scope="module")
def demo_issue(demo_home_readonly: Home, tmp_path_factory) -> Issue:
    """第1期 of the demo city, 2026-10-12, published in a private copy."""
    root = tmp_path_factory.mktemp("published") / "home"
    shutil.copytree(demo_home_readonly.root, root)
    return publish_bulletin(Home(root), DAY, by=SYSTEM)


@pytest.fixture(scope="module")
def hostile_issue(tmp_path_factory) -> Issue:
    """Towns whose names a spreadsheet or browser would run: formulas and markup."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "towns.csv").write_text(
        'code,name,kind,group,aliases,active\n'
        'T1,"=HYPERLINK(""x"")",镇,,,1\nT2,+1,镇,,,1\nT3,<b>粗</b>镇,镇,,,1\nT4,@SUM(A1),乡,,,1\n',
        encoding="utf-8",
    )
    (root / "rules.toml").write_text(
        '[campaign]\nstart = 2026-09-01\n\n[[rules]]\nwindow = "daily"\nblue = 1\nred = 1\n',
        encoding="utf-8",
    )
    (root / "reports.csv").write_text(
        f"{REPORT_HEADER}\n"
        "2026-09-01,T1,10,1,1,1,1,1,0,0\n2026-09-01,T2,10,2,2,2,2,2,0,0\n"
        "2026-09-01,T3,10,3,3,3,3,3,0,0\n2026-09-01,T4,10,0,0,0,0,0,0,0\n"
        "2026-09-02,T1,10,3,3,3,3,3,0,0\n2026-09-02,T2,10,2,2,2,2,2,0,0\n"
        "2026-09-02,T3,10,1,1,1,1,1,0,0\n2026-09-02,T4,10,0,0,0,0,0,0,0\n",
        encoding="utf-8",
    )
    assert main(["--home", str(root), "ingest", str(root / "reports.csv")]) == 0
    home = Home(root)
    publish_bulletin(home, date(2026, 9, 2), by=SYSTEM)
    return publish_bulletin(home, date(2026, 9, 2), by=SYSTEM)  # 更正


@pytest.fixture(scope="module")
def thin_home(tmp_path_factory) -> Home:
    """Five towns on 2026-09-01, 1 blue and 1 red: 橙园镇 is blue on 12 inspections, a 待定 tier."""
    root = tmp_path_factory.mktemp("thin")
    (root / "towns.csv").write_text(
        "code,name,kind,group,aliases,active\n"
        "T1,橙园镇,镇,,,1\nT2,鹤汀乡,乡,,,1\nT3,柳岸街道,街道,,,1\nT4,石桥镇,镇,,,1\nT5,麦浪镇,镇,,,1\n",
        encoding="utf-8",
    )
    (root / "rules.toml").write_text(
        '[campaign]\nstart = 2026-09-01\n\n[[rules]]\nblue = 1\nred = 1\n\n[confidence]\ndraws = 400\n',
        encoding="utf-8",
    )
    (root / "reports.csv").write_text(
        f"{REPORT_HEADER}\n"
        "2026-09-01,橙园镇,12,4,2,2,1,1,0,0\n2026-09-01,鹤汀乡,300,60,30,30,12,12,0,0\n"
        "2026-09-01,柳岸街道,300,60,27,27,9,9,0,0\n2026-09-01,石桥镇,300,60,24,24,9,9,0,0\n"
        "2026-09-01,麦浪镇,300,60,6,6,3,3,0,0\n",
        encoding="utf-8",
    )
    assert main(["--home", str(root), "ingest", str(root / "reports.csv")]) == 0
    home = Home(root)
    publish_bulletin(home, THIN_DAY, by=SYSTEM)
    return home


@pytest.fixture(scope="module")
def thin_issue(thin_home: Home) -> Issue:
    return load_issue(thin_home, THIN_DAY)


@pytest.fixture(scope="module")
def older_issue(thin_home: Home, tmp_path_factory) -> Issue:
    """The same issue as a file published before tiers were judged: no [confidence], no flags."""
    data = json.loads(issue_to_json(load_issue(thin_home, THIN_DAY)))
    del data["confidence"]
    data["ranking"] = [{k: v for k, v in row.items() if k not in CONFIDENCE_KEYS} for row in data["ranking"]]
    return issue_from_json(json.dumps(data, ensure_ascii=False))


def town_rows(sheet) -> list[tuple]:
    """The ranking rows under the header."""
    rows = []
    for row in sheet.iter_rows(min_row=3):
        if row[0].value is None:
            break
        rows.append(row)
    return rows


def saved(tmp_path: Path, issue: Issue, fmt: str) -> Path:
    path = tmp_path / f"issue.{fmt}"
    path.write_bytes(export_issue(issue, fmt))
    return path


# ---------------------------------------------------------------- XLSX

def test_xlsx_sheet_is_named_排名_with_the_issue_in_its_title_row(demo_issue, tmp_path):
    book = load_workbook(saved(tmp_path, demo_issue, "xlsx"))
    assert book.sheetnames == ["排名"]
    assert book["排名"]["A1"].value == "《每日工作动态》第1期 2026年10月12日 镇街排名"


def test_xlsx_header_row_is_exactly_the_pinned_columns(demo_issue, tmp_path):
    sheet = load_workbook(saved(tmp_path, demo_issue, "xlsx"))["排名"]
    assert [c.value for c in sheet[2]] == HEADER


def test_xlsx_has_one_row_per_town_with_numbers_stored_as_numbers(demo_issue, tmp_path):
    sheet = load_workbook(saved(tmp_path, demo_issue, "xlsx"))["排名"]
    rows = town_rows(sheet)
    assert len(rows) == 23
    assert sorted(r[1].value for r in rows) == sorted(t["town"] for t in demo_issue.ranking)
    first = rows[0]
    expected = demo_issue.ranking[0]
    assert [first[0].value, first[2].value, first[3].value] == [1, expected["inspections"], expected["major_hazards"]]
    assert all(isinstance(c.value, int) for r in rows for c in (r[0], r[2], r[3], r[5], r[7], r[11]))
    assert first[4].value == pytest.approx(expected["major_hazard_rate"]) and 0 < first[4].value < 1
    assert (first[4].number_format, first[9].number_format) == ("0.00%", "0.00")
    assert first[9].value == pytest.approx(expected["score"])


def test_xlsx_tier_cells_hold_the_word_filled_with_the_tier_colour(demo_issue, tmp_path):
    sheet = load_workbook(saved(tmp_path, demo_issue, "xlsx"))["排名"]
    by_town = {r["town"]: r["tier"] for r in demo_issue.ranking}
    seen = set()
    for row in town_rows(sheet):
        tier = by_town[row[1].value]
        cell = row[10]
        assert cell.value == WORDS[tier]
        assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb.endswith(FILLS[tier])
        assert cell.font.color.rgb.endswith("000000" if tier == "yellow" else "FFFFFF")
        seen.add(tier)
    assert seen == {"blue", "yellow", "red"}


def test_xlsx_title_of_a_correction_says_更正(hostile_issue, tmp_path):
    sheet = load_workbook(saved(tmp_path, hostile_issue, "xlsx"))["排名"]
    assert "第1期（更正）" in sheet["A1"].value


def test_xlsx_keeps_hostile_town_names_as_plain_text(hostile_issue, tmp_path):
    sheet = load_workbook(saved(tmp_path, hostile_issue, "xlsx"))["排名"]
    names = [row[1] for row in sheet.iter_rows(min_row=3)]
    assert {c.value for c in names} == {'=HYPERLINK("x")', "+1", "<b>粗</b>镇", "@SUM(A1)"}
    assert all(c.data_type == "s" for c in names)


# ---------------------------------------------------------------- CSV

def test_csv_is_utf8_with_bom_and_the_same_columns(demo_issue, tmp_path):
    content = saved(tmp_path, demo_issue, "csv").read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert all(len(r) == len(HEADER) for r in rows)
    towns = rows[1:]
    assert len(towns) == 23
    assert sorted(r[1] for r in towns) == sorted(t["town"] for t in demo_issue.ranking)
    assert {r[10] for r in towns} == {"蓝", "黄", "红"}


def test_csv_numbers_stay_numbers_with_rates_as_fractions(demo_issue, tmp_path):
    rows = list(csv.reader(io.StringIO(saved(tmp_path, demo_issue, "csv").read_bytes().decode("utf-8-sig"))))
    first, expected = rows[1], demo_issue.ranking[0]
    assert (int(first[0]), int(first[2])) == (1, expected["inspections"])
    assert float(first[4]) == pytest.approx(expected["major_hazard_rate"], abs=1e-6)


def test_csv_neutralises_cells_that_start_a_formula(hostile_issue, tmp_path):
    rows = list(csv.reader(io.StringIO(saved(tmp_path, hostile_issue, "csv").read_bytes().decode("utf-8-sig"))))
    names = {r[1] for r in rows[1:]}
    assert names == {"'=HYPERLINK(\"x\")", "'+1", "<b>粗</b>镇", "'@SUM(A1)"}
    changes = {r[1]: r[11] for r in rows[1:]}
    assert changes["'+1"] == "0" and changes["<b>粗</b>镇"] == "-2"  # numbers are not text


# ---------------------------------------------------------------- DOCX

def docx_tier_fill(cell) -> str | None:
    shading = cell._tc.tcPr.find(qn("w:shd")) if cell._tc.tcPr is not None else None
    return None if shading is None else shading.get(qn("w:fill"))


def test_docx_has_title_issue_number_office_and_the_bulletin_text(demo_issue, tmp_path):
    document = Document(str(saved(tmp_path, demo_issue, "docx")))
    text = [p.text for p in document.paragraphs]
    assert text[:3] == ["《每日工作动态》", "第1期", "示范市安委办　　2026年10月12日"]
    assert any(t.startswith("2026年10月12日，23个镇街中有") for t in text)
    assert any("整改率" in t for t in text)


def test_docx_table_has_the_columns_and_shaded_tier_cells(demo_issue, tmp_path):
    document = Document(str(saved(tmp_path, demo_issue, "docx")))
    (table,) = document.tables
    assert [c.text for c in table.rows[0].cells] == HEADER
    assert len(table.rows) == 1 + 23
    by_town = {r["town"]: r["tier"] for r in demo_issue.ranking}
    for row in table.rows[1:]:
        tier = by_town[row.cells[1].text]
        assert row.cells[10].text.rstrip("*") == WORDS[tier]
        assert docx_tier_fill(row.cells[10]) == FILLS[tier]
        assert docx_tier_fill(row.cells[1]) is None


def test_docx_is_a4_with_an_east_asian_font(demo_issue, tmp_path):
    document = Document(str(saved(tmp_path, demo_issue, "docx")))
    section = document.sections[0]
    assert {round(section.page_width / Mm(1)), round(section.page_height / Mm(1))} == {210, 297}
    fonts = document.paragraphs[0].runs[0]._element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "宋体"


def test_docx_of_a_correction_says_更正(hostile_issue, tmp_path):
    document = Document(str(saved(tmp_path, hostile_issue, "docx")))
    assert document.paragraphs[1].text == "第1期（更正）"


# ---------------------------------------------------------------- 待定 tiers

def test_xlsx_provisional_tier_keeps_the_bare_word_and_fill_and_carries_a_comment(thin_issue, tmp_path):
    sheet = load_workbook(saved(tmp_path, thin_issue, "xlsx"))["排名"]
    assert [c.value for c in sheet[2]] == HEADER and sheet.max_column == len(HEADER)
    tiers = {row[1].value: row[10] for row in town_rows(sheet)}
    blue = tiers["橙园镇"]
    assert blue.value == "蓝" and blue.fill.fgColor.rgb.endswith(FILLS["blue"])
    assert "待定" in blue.comment.text and "低于50%" in blue.comment.text
    assert [t for t, cell in tiers.items() if cell.comment] == ["橙园镇"]
    assert tiers["麦浪镇"].value == "红"


def test_xlsx_and_csv_keep_one_row_per_town_when_a_tier_is_provisional(thin_issue, tmp_path):
    sheet = load_workbook(saved(tmp_path, thin_issue, "xlsx"))["排名"]
    assert sheet.max_row == 2 + 5
    rows = list(csv.reader(io.StringIO(saved(tmp_path, thin_issue, "csv").read_bytes().decode("utf-8-sig"))))
    assert rows[0] == HEADER and all(len(r) == len(HEADER) for r in rows)
    assert [(r[1], r[10]) for r in rows[1:]] == [
        ("橙园镇", "蓝"), ("鹤汀乡", "黄"), ("柳岸街道", "黄"), ("石桥镇", "黄"), ("麦浪镇", "红"),
    ]


def test_docx_marks_the_provisional_tier_and_explains_it(thin_issue, tmp_path):
    document = Document(str(saved(tmp_path, thin_issue, "docx")))
    (table,) = document.tables
    tiers = {row.cells[1].text: row.cells[10] for row in table.rows[1:]}
    assert tiers["橙园镇"].text == "蓝*" and docx_tier_fill(tiers["橙园镇"]) == FILLS["blue"]
    assert tiers["麦浪镇"].text == "红"
    text = [p.text for p in document.paragraphs]
    assert "按统计可信度分析，当日有1个等级为“待定”（数据不足以确定）：橙园镇（蓝）。" in text
    assert any(t.startswith("注：带*的等级为“待定”，共1个：橙园镇（蓝）。") for t in text)


def test_print_view_marks_the_provisional_tier_and_explains_it(thin_issue):
    page = print_html(thin_issue)
    assert 'style="background:#0070C0;color:#FFFFFF">蓝*</td>' in page
    assert '<p class="footnote">注：带*的等级为“待定”，共1个：橙园镇（蓝）。' in page


def test_note_names_small_sample_towns_when_the_rule_is_on(thin_issue):
    rows = tuple({**r, "small_sample": r["inspections"] < 20} for r in thin_issue.ranking)
    issue = replace(thin_issue, ranking=rows, confidence={**thin_issue.confidence, "min_inspections": 20})
    assert "“样本不足”：活动开展以来检查企业不足20家次的镇街（橙园镇），照常排名，仅供参考。" in print_html(issue)
    assert "样本不足" not in print_html(thin_issue)


def test_issue_published_before_tiers_were_judged_exports_as_before(older_issue, tmp_path):
    sheet = load_workbook(saved(tmp_path, older_issue, "xlsx"))["排名"]
    assert sheet.max_row == 2 + 5
    assert [row[10].value for row in town_rows(sheet)] == ["蓝", "黄", "黄", "黄", "红"]
    assert not any(row[10].comment for row in town_rows(sheet))
    rows = list(csv.reader(io.StringIO(saved(tmp_path, older_issue, "csv").read_bytes().decode("utf-8-sig"))))
    assert len(rows) == 1 + 5
    document = Document(str(saved(tmp_path, older_issue, "docx")))
    assert [row.cells[10].text for row in document.tables[0].rows[1:]] == ["蓝", "黄", "黄", "黄", "红"]
    assert not any(p.text.startswith("注：") or "统计可信度" in p.text for p in document.paragraphs)
    assert "footnote\">" not in print_html(older_issue) and "蓝*" not in print_html(older_issue)


# ---------------------------------------------------------------- print view

def test_print_view_is_an_a4_page_with_the_table_kept_on_one_page(demo_issue):
    page = print_html(demo_issue)
    assert "@page { size: A4" in page
    assert "break-inside: avoid" in page
    assert page.count("<tr>") == 1 + 23
    assert 'style="background:#C00000;color:#FFFFFF">红</td>' in page


def test_print_view_escapes_town_names(hostile_issue):
    page = print_html(hostile_issue)
    assert "<b>粗</b>" not in page
    assert "&lt;b&gt;粗&lt;/b&gt;镇" in page


# ---------------------------------------------------------------- template

def test_template_has_chinese_headers_and_one_row_per_active_town(tmp_path):
    towns = [Town("T1", "甲镇", "镇"), Town("T2", "乙街道", "街道"), Town("T3", "丙乡", "乡", active=False)]
    sheet = load_workbook(io.BytesIO(template_xlsx(towns, date(2026, 9, 3)))).active
    assert [c.value for c in sheet[2]] == list(HEADERS.values())
    assert [(r[0].value.date(), r[1].value) for r in sheet.iter_rows(min_row=3)] == [
        (date(2026, 9, 3), "甲镇"), (date(2026, 9, 3), "乙街道"),
    ]


def test_filled_template_imports_cleanly(demo_home_readonly, tmp_path):
    towns = read_towns(demo_home_readonly.towns_csv)
    book = load_workbook(io.BytesIO(template_xlsx(towns, date(2026, 10, 31))))
    sheet = book.active
    for row in sheet.iter_rows(min_row=3):
        for cell, value in zip(row[2:], (20, 6, 1, 4, 1, 2, 0, 0.5)):
            cell.value = value
    path = tmp_path / "filled.xlsx"
    book.save(path)
    report = parse_report(path.read_bytes(), path.name, towns, today=date(2026, 11, 1))
    assert report.ok, report.errors
    assert len(report.rows) == 23
    assert set(report.rows["date"]) == {date(2026, 10, 31)}


def test_unknown_format_is_refused(demo_issue):
    with pytest.raises(ValueError, match="不支持的导出格式"):
        export_issue(demo_issue, "pdf")


# ---------------------------------------------------------------- command line

def test_cli_export_before_publishing_exits_1(demo_home_readonly, tmp_path, capsys):
    out = tmp_path / "out.xlsx"
    code = main(["--home", str(demo_home_readonly.root), "export", "--date", "2026-10-12",
                 "--format", "xlsx", "--out", str(out)])
    assert code == 1
    assert "还没有发布" in capsys.readouterr().err
    assert not out.exists()


def test_cli_export_writes_each_format(demo_home, tmp_path):
    home = str(demo_home.root)
    assert main(["--home", home, "publish", "--date", "2026-10-12"]) == 0
    for fmt in ("xlsx", "csv", "docx"):
        out = tmp_path / "downloads" / f"bulletin.{fmt}"
        assert main(["--home", home, "export", "--date", "2026-10-12", "--format", fmt, "--out", str(out)]) == 0
        assert out.stat().st_size > 0
    assert load_workbook(tmp_path / "downloads" / "bulletin.xlsx").sheetnames == ["排名"]
