"""Downloads of a published issue (design §5), opened from real files the way Excel, Word and PDF
users get them: XLSX sheet 排名, CSV with BOM, DOCX and PDF in the GB/T 9704 公文 format, the
A4 print view, and the daily report template."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl import load_workbook
from pypdf import PdfReader

from sanse.access.roles import SYSTEM
from sanse.cli.main import main
from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.deployment.towns import Town, read_towns
from sanse.pipelines.reports.read import HEADERS, parse_report
from sanse.pipelines.reports.template import template_xlsx
from sanse.publishing.exports import EXPORTS, export_issue, file_name, print_html
from sanse.publishing.exports.fonts import FontMissing
from sanse.publishing.exports.table import neutralise
from sanse.publishing.freeze import CONFIDENCE_KEYS
from sanse.publishing.issue import Issue, issue_from_json, issue_to_json, load_issue
from sanse.publishing.publish import Draft, publish_bulletin

SPEC_HEADER = [
    "排名",
    "镇街",
    "检查企业数",
    "重大隐患数",
    "重大隐患发现率",
    "停产停业数",
    "停产停业率",
    "立案数",
    "立案查处率",
    "综合得分",
    "等级",
    "名次变化",
]
HEADER = SPEC_HEADER + ["待定", "约谈", "未报送"]
DRAFT = {
    "editor_note": "各镇街要对照排名查找差距，红色镇街三日内报送整改措施。",
    "signer": "王建国",
    "report_to": "市安委会主任、副主任。",
    "copy_to": "各镇街安委办。",
}
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
        "code,name,kind,group,aliases,active\n"
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
    return publish_bulletin(
        home, date(2026, 9, 2), by=SYSTEM, draft=Draft(editor_note="请各镇街核对。", correction_note="补编者按。")
    )


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
        "[campaign]\nstart = 2026-09-01\n\n[[rules]]\nblue = 1\nred = 1\n\n[confidence]\ndraws = 400\n",
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
    """The same issue as a file published before tiers were judged and before the draft had
    编者按, 签发人, 报送, 抄送 or 更正说明: no [confidence], no flags, no draft fields."""
    data = json.loads(issue_to_json(load_issue(thin_home, THIN_DAY)))
    del data["confidence"]
    for key in ("editor_note", "signer", "report_to", "copy_to", "correction_note"):
        del data[key]
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


@pytest.fixture(scope="module")
def drafted_issue(hostile_issue) -> Issue:
    """A 更正 with everything the office adds to a draft."""
    return replace(hostile_issue, correction_note="第1版的检查企业数有误，已更正。", **DRAFT)


@pytest.fixture(scope="module")
def demo_pdf(demo_issue) -> PdfReader:
    return PdfReader(io.BytesIO(export_issue(demo_issue, "pdf")))


@pytest.fixture(scope="module")
def drafted_pdf(drafted_issue) -> PdfReader:
    return PdfReader(io.BytesIO(export_issue(drafted_issue, "pdf")))


def pdf_text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def mm(length) -> float:
    return round(length / Mm(1), 1)


# ---------------------------------------------------------------- formats


def test_every_format_is_in_one_registry_with_its_mime_type(demo_issue):
    assert {fmt: spec.mime for fmt, spec in EXPORTS.items()} == {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv": "text/csv",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pdf": "application/pdf",
        "html": "text/html",
    }
    assert file_name(demo_issue, "pdf") == "每日工作动态_第1期_2026-10-12.pdf"


def test_unknown_format_is_refused(demo_issue):
    with pytest.raises(ValueError, match="不支持的导出格式“odt”：可选 xlsx、csv、docx、pdf、html"):
        export_issue(demo_issue, "odt")


# ---------------------------------------------------------------- XLSX


def test_xlsx_sheet_is_named_排名_with_the_issue_and_its_window_in_its_title_row(demo_issue, hostile_issue, tmp_path):
    book = load_workbook(saved(tmp_path, demo_issue, "xlsx"))
    assert book.sheetnames == ["排名", "督办事项"]  # the ranking first; then the items the issue lists
    assert book["排名"]["A1"].value == "《每日工作动态》第1期 2026年10月12日 镇街排名（数据口径：活动开展以来累计）"
    daily = load_workbook(saved(tmp_path, hostile_issue, "xlsx"))["排名"]["A1"].value
    assert daily.endswith("（数据口径：当日）")


def test_xlsx_header_row_is_the_pinned_columns_then_待定_约谈_未报送(demo_issue, tmp_path):
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


def test_xlsx_flags_say_是_or_否(demo_issue, tmp_path):
    sheet = load_workbook(saved(tmp_path, demo_issue, "xlsx"))["排名"]
    by_town = {r["town"]: r for r in demo_issue.ranking}
    for row in town_rows(sheet):
        town = by_town[row[1].value]
        assert [c.value for c in row[12:15]] == [
            "是" if town[key] else "否" for key in ("provisional", "red_alert", "not_reported")
        ]
    assert {row[13].value for row in town_rows(sheet)} == {"是", "否"}  # the demo has towns 约谈


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
    assert all(c.data_type == "s" for row in sheet.iter_rows(min_row=3) for c in row if isinstance(c.value, str))


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
    assert {r[13] for r in towns} == {"是", "否"} and {r[14] for r in towns} == {"否"}


def test_an_office_indicator_beyond_the_three_is_in_the_downloads_with_its_count(tmp_path):
    root = tmp_path / "home"
    root.mkdir()
    (root / "towns.csv").write_text(
        "code,name,kind,group,aliases,active\nT1,甲镇,镇,,,1\nT2,乙镇,镇,,,1\n", encoding="utf-8"
    )
    indicators = "".join(
        f'[[rules.indicators]]\nkey = "{key}"\nlabel = "{label}"\nnumerator = "{numerator}"\n'
        for key, label, numerator in (
            ("major_hazard_rate", "重大隐患发现率", "major_hazards"),
            ("halt_rate", "停产停业率", "halted"),
            ("case_rate", "立案查处率", "cases"),
            ("detention_rate", "行政拘留率", "detentions"),
        )
    )
    (root / "rules.toml").write_text(
        f"[campaign]\nstart = 2026-09-01\n\n[[rules]]\nblue = 1\nred = 1\n{indicators}", encoding="utf-8"
    )
    (root / "reports.csv").write_text(
        f"{REPORT_HEADER}\n2026-09-01,甲镇,10,2,1,1,1,1,2,0\n2026-09-01,乙镇,10,2,1,1,1,1,0,0\n", encoding="utf-8"
    )
    assert main(["--home", str(root), "ingest", str(root / "reports.csv")]) == 0
    issue = publish_bulletin(Home(root), date(2026, 9, 1), by=SYSTEM)
    expected = SPEC_HEADER[:9] + ["行政拘留人数", "行政拘留率"] + SPEC_HEADER[9:] + ["待定", "约谈", "未报送"]
    sheet = load_workbook(saved(tmp_path, issue, "xlsx"))["排名"]
    assert [c.value for c in sheet[2]] == expected
    rows = list(csv.reader(io.StringIO(saved(tmp_path, issue, "csv").read_bytes().decode("utf-8-sig"))))
    assert rows[0] == expected
    first = dict(zip(expected, rows[1]))
    assert (first["镇街"], first["行政拘留人数"], float(first["行政拘留率"])) == ("甲镇", "2", 0.2)


def test_csv_numbers_stay_numbers_with_rates_as_fractions(demo_issue, tmp_path):
    rows = list(csv.reader(io.StringIO(saved(tmp_path, demo_issue, "csv").read_bytes().decode("utf-8-sig"))))
    first, expected = rows[1], demo_issue.ranking[0]
    assert (int(first[0]), int(first[2])) == (1, expected["inspections"])
    assert float(first[4]) == pytest.approx(expected["major_hazard_rate"], abs=1e-6)


def test_csv_neutralises_cells_that_start_a_formula(hostile_issue, tmp_path):
    rows = list(csv.reader(io.StringIO(saved(tmp_path, hostile_issue, "csv").read_bytes().decode("utf-8-sig"))))
    names = {r[1] for r in rows[1:]}
    assert names == {'\'=HYPERLINK("x")', "'+1", "<b>粗</b>镇", "'@SUM(A1)"}
    changes = {r[1]: r[11] for r in rows[1:]}
    assert changes["'+1"] == "0" and changes["<b>粗</b>镇"] == "-2"  # numbers are not text


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_text_that_a_spreadsheet_would_run_is_neutralised(text):
    assert neutralise(text) == "'" + text
    assert neutralise("镇" + text) == "镇" + text


# ---------------------------------------------------------------- DOCX (GB/T 9704-2012)


def docx_tier_fill(cell) -> str | None:
    shading = cell._tc.tcPr.find(qn("w:shd")) if cell._tc.tcPr is not None else None
    return None if shading is None else shading.get(qn("w:fill"))


def east_asian(run) -> str:
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


@pytest.fixture(scope="module")
def demo_docx(demo_issue):
    return Document(io.BytesIO(export_issue(demo_issue, "docx")))


def test_docx_is_portrait_a4_with_the_156_by_225_mm_type_area(demo_docx):
    section = demo_docx.sections[0]
    assert section.orientation == WD_ORIENT.PORTRAIT
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    margins = [mm(section.top_margin), mm(section.bottom_margin), mm(section.left_margin), mm(section.right_margin)]
    assert margins == [37, 35, 28, 26]
    assert mm(section.page_width - section.left_margin - section.right_margin) == 156
    assert mm(section.page_height - section.top_margin - section.bottom_margin) == 225


def test_docx_has_the_red_masthead_number_office_title_and_the_bulletin_text(demo_docx):
    text = [p.text for p in demo_docx.paragraphs]
    assert text[:4] == ["每日工作动态", "第1期", "示范市安委办\t2026年10月12日", "2026年10月12日各镇街三色晾晒情况"]
    assert demo_docx.paragraphs[0].runs[0].font.color.rgb == (0xC0, 0x00, 0x00)
    assert demo_docx.paragraphs[2]._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:color")) == "C00000"
    assert any(t.startswith("2026年10月12日，23个镇街中有") for t in text)
    assert any("整改率" in t for t in text)


def test_docx_title_is_小标宋_二号_and_the_body_仿宋_GB2312_三号(demo_docx):
    title = demo_docx.paragraphs[3].runs[0]
    assert (east_asian(title), title.font.size) == ("方正小标宋简体", Pt(22))
    body = next(p for p in demo_docx.paragraphs if p.text.startswith("2026年10月12日，")).runs[0]
    assert (east_asian(body), body.font.size) == ("仿宋_GB2312", Pt(16))
    normal = demo_docx.styles["Normal"]
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_docx_table_fits_the_type_area_with_fixed_widths(demo_docx):
    table, _imprint = demo_docx.tables
    widths = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert len(widths) == 12
    assert sum(widths) <= Mm(156).twips
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    for row in table.rows[2:]:
        assert [round(c.width.twips) for c in row.cells] == widths


def test_docx_table_headings_repeat_on_every_page_and_say_累计_and_当日(demo_docx):
    table = demo_docx.tables[0]
    first, second = table.rows[0], table.rows[1]
    assert all(row._tr.trPr.find(qn("w:tblHeader")) is not None for row in (first, second))
    assert not any(row._tr.trPr.find(qn("w:tblHeader")) is not None for row in table.rows[2:])
    headings = [c.text for c in first.cells]
    assert headings[:2] == ["排名", "镇街"] and headings[2:6] == ["活动开展以来累计"] * 4
    assert headings[6:] == ["综合\n得分", "等级", "名次\n变化", "待定", "约谈", "当日\n未报送"]
    assert [c.text for c in second.cells][2:6] == ["检查\n企业数", "重大隐患\n发现率", "停产\n停业率", "立案\n查处率"]
    assert east_asian(first.cells[0].paragraphs[0].runs[0]) == "黑体"


def test_docx_table_headings_say_当日_under_a_daily_window(hostile_issue):
    document = Document(io.BytesIO(export_issue(hostile_issue, "docx")))
    assert [c.text for c in document.tables[0].rows[0].cells][2:6] == ["当日"] * 4


def test_headings_say_近7日累计_under_a_rolling_window(demo_issue, tmp_path):
    rolling = replace(demo_issue, rules=demo_issue.rules.replace('window = "cumulative"', 'window = "rolling_7d"'))
    document = Document(io.BytesIO(export_issue(rolling, "docx")))
    assert [c.text for c in document.tables[0].rows[0].cells][2:6] == ["近7日累计"] * 4
    assert '<th colspan="4">近7日累计</th>' in print_html(rolling)
    assert load_workbook(saved(tmp_path, rolling, "xlsx"))["排名"]["A1"].value.endswith("（数据口径：近7日累计）")


def test_peer_groups_are_headed_in_the_公文_tables(demo_issue):
    rows = tuple({**r, "group": "城区" if r["town"].endswith("街道") else "乡镇"} for r in demo_issue.ranking)
    grouped = replace(demo_issue, ranking=rows)
    table = Document(io.BytesIO(export_issue(grouped, "docx"))).tables[0]
    group_rows = [row.cells[0].text for row in table.rows[2:] if row.cells[0].text.startswith("分组：")]
    assert group_rows == ["分组：乡镇", "分组：城区"]
    assert len(table.rows) == 2 + 2 + 23
    assert print_html(grouped).count('<th class="group" colspan="12">分组：') == 2


def test_docx_table_has_one_row_per_town_with_shaded_tier_cells_and_flags(demo_docx, demo_issue):
    table = demo_docx.tables[0]
    assert len(table.rows) == 2 + 23
    by_town = {r["town"]: r for r in demo_issue.ranking}
    for row in table.rows[2:]:
        town = by_town[row.cells[1].text]
        assert row.cells[7].text == WORDS[town["tier"]]
        assert docx_tier_fill(row.cells[7]) == FILLS[town["tier"]]
        assert docx_tier_fill(row.cells[1]) is None
        assert row.cells[10].text == ("是" if town["red_alert"] else "")
        assert row._tr.trPr.find(qn("w:cantSplit")) is not None
        assert east_asian(row.cells[1].paragraphs[0].runs[0]) == "仿宋_GB2312"


def test_docx_page_numbers_are_a_page_field_between_dashes_odd_right_even_left(demo_docx):
    section = demo_docx.sections[0]
    assert demo_docx.settings.odd_and_even_pages_header_footer
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        (paragraph,) = footer.paragraphs
        assert paragraph.alignment == alignment
        assert paragraph.text == "— 1 —"
        assert [t.text for t in paragraph._p.iter(qn("w:instrText"))] == [" PAGE "]
        assert {east_asian(run) for run in paragraph.runs} == {"宋体"} and paragraph.runs[0].font.size == Pt(14)


def test_docx_of_a_correction_says_更正(hostile_issue, tmp_path):
    document = Document(str(saved(tmp_path, hostile_issue, "docx")))
    assert document.paragraphs[1].text == "第1期"
    assert document.paragraphs[3].text == "更正说明：补编者按。"
    assert document.paragraphs[4].text.endswith("三色晾晒情况（更正）")


def test_docx_carries_what_the_office_added_where_a_公文_has_it(drafted_issue):
    document = Document(io.BytesIO(export_issue(drafted_issue, "docx")))
    text = [p.text for p in document.paragraphs]
    assert text[1] == "第1期\t签发人：王建国"
    assert text[3] == "更正说明：第1版的检查企业数有误，已更正。"
    assert text[4].endswith("三色晾晒情况（更正）")
    assert text[5] == "编者按：各镇街要对照排名查找差距，红色镇街三日内报送整改措施。"
    # the 版记: a table floated to the foot of the last page, a row a line
    imprint = [row.cells[0].text for row in document.tables[-1].rows]
    assert imprint[:2] == ["报送：市安委会主任、副主任。", "抄送：各镇街安委办。"]
    assert imprint[2].startswith("市安委办\t") and imprint[2].endswith("印发")
    floating = document.tables[-1]._tbl.tblPr.find(qn("w:tblpPr"))
    assert (floating.get(qn("w:vertAnchor")), floating.get(qn("w:tblpYSpec"))) == ("margin", "bottom")


# ---------------------------------------------------------------- PDF


def test_pdf_is_a4_with_embedded_fonts_whose_text_extracts(demo_pdf, demo_issue):
    # the text over three pages (its 督办事项 the end of it), the ranking as 附件 on a page of its
    # own with the 版记 at its foot
    assert len(demo_pdf.pages) == 4
    assert all((round(p.mediabox.width), round(p.mediabox.height)) == (595, 842) for p in demo_pdf.pages)
    text = pdf_text(demo_pdf)
    assert "第1期" in text and "每日工作动态" in text
    assert all(row["town"] in text for row in demo_issue.ranking)
    assert "活动开展以来累计" in text and "— 1 —" in text
    fonts = [font.get_object() for page in demo_pdf.pages for font in page["/Resources"]["/Font"].values()]
    descriptors = [font["/DescendantFonts"][0].get_object()["/FontDescriptor"] for font in fonts]
    assert descriptors and all("/FontFile2" in d or "/FontFile3" in d for d in descriptors)


def test_pdf_table_past_one_page_repeats_its_headings(demo_issue):
    rows = tuple(
        {**r, "code": f"{r['code']}{n}", "town": f"{r['town']}{n}"} for r in demo_issue.ranking for n in (1, 2, 3)
    )
    reader = PdfReader(io.BytesIO(export_issue(replace(demo_issue, ranking=rows), "pdf")))
    table_pages = [page.extract_text() for page in reader.pages if "排名 镇街" in page.extract_text()]
    assert len(table_pages) == 3
    assert all("活动开展以来累计" in text and "未报送" in text for text in table_pages)


def test_pdf_keeps_numbers_and_punctuation_whole_across_lines(demo_pdf):
    lines = pdf_text(demo_pdf).splitlines()
    assert not any(line.startswith(("，", "。", "、", "；", "）", "%")) for line in lines)


def test_pdf_carries_what_the_office_added(drafted_pdf):
    text = pdf_text(drafted_pdf)
    for line in (
        "签发人：王建国",
        "更正说明：第1版的检查企业数有误，已更正。",
        "编者按：各镇街要对照排名查找差距",
        "报送：市安委会主任、副主任。",
        "抄送：各镇街安委办。",
        "三色晾晒情况（更正）",
    ):
        assert line in text
    assert text.index("更正说明") < text.index("三色晾晒情况") < text.index("编者按") < text.index("抄送")


def test_pdf_without_its_font_package_says_what_to_install(demo_issue, monkeypatch):
    monkeypatch.setitem(sys.modules, "pylopdf_fonts_zh_cn", None)
    with pytest.raises(FontMissing, match="pip install pylopdf-fonts-zh-cn") as raised:
        export_issue(demo_issue, "pdf")
    assert isinstance(raised.value, ConfigError)  # the command line reports it as bad input, not a traceback


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
    assert {row[1].value: row[12].value for row in town_rows(sheet)}["橙园镇"] == "是"


def test_xlsx_and_csv_keep_one_row_per_town_when_a_tier_is_provisional(thin_issue, tmp_path):
    sheet = load_workbook(saved(tmp_path, thin_issue, "xlsx"))["排名"]
    assert sheet.max_row == 2 + 5
    rows = list(csv.reader(io.StringIO(saved(tmp_path, thin_issue, "csv").read_bytes().decode("utf-8-sig"))))
    assert rows[0] == HEADER and all(len(r) == len(HEADER) for r in rows)
    assert [(r[1], r[10], r[12]) for r in rows[1:]] == [
        ("橙园镇", "蓝", "是"),
        ("鹤汀乡", "黄", "否"),
        ("柳岸街道", "黄", "否"),
        ("石桥镇", "黄", "否"),
        ("麦浪镇", "红", "否"),
    ]


def test_docx_marks_the_provisional_tier_and_explains_it(thin_issue, tmp_path):
    document = Document(str(saved(tmp_path, thin_issue, "docx")))
    table = document.tables[0]
    rows = {row.cells[1].text: row.cells for row in table.rows[2:]}
    assert rows["橙园镇"][7].text == "蓝" and docx_tier_fill(rows["橙园镇"][7]) == FILLS["blue"]
    assert rows["橙园镇"][9].text == "是" and rows["麦浪镇"][9].text == ""
    text = [p.text for p in document.paragraphs]
    assert "按统计可信度分析，当日有1个等级为“待定”（数据不足以确定）：橙园镇（蓝）。" in text
    assert any(t.startswith("注：“待定”栏为“是”的等级共1个：橙园镇（蓝）。") for t in text)


def test_print_view_marks_the_provisional_tier_and_explains_it(thin_issue):
    page = print_html(thin_issue)
    assert 'style="background:#0070C0;color:#FFFFFF">蓝</td>' in page
    assert '<p class="footnote">注：“待定”栏为“是”的等级共1个：橙园镇（蓝）。' in page


def test_note_names_small_sample_towns_when_the_rule_is_on(thin_issue):
    rows = tuple({**r, "small_sample": r["inspections"] < 20} for r in thin_issue.ranking)
    issue = replace(thin_issue, ranking=rows, confidence={**thin_issue.confidence, "min_inspections": 20})
    assert "“样本不足”：活动开展以来检查企业不足20家次的镇街（橙园镇），照常排名，仅供参考。" in print_html(issue)
    assert "样本不足" not in print_html(thin_issue)


def test_issue_published_before_tiers_and_drafts_exports_in_every_format(older_issue, tmp_path):
    assert (older_issue.editor_note, older_issue.signer, older_issue.correction_note) == ("", "", "")
    sheet = load_workbook(saved(tmp_path, older_issue, "xlsx"))["排名"]
    assert sheet.max_row == 2 + 5
    assert [row[10].value for row in town_rows(sheet)] == ["蓝", "黄", "黄", "黄", "红"]
    assert [row[12].value for row in town_rows(sheet)] == [None] * 5  # never judged: neither 是 nor 否
    assert not any(row[10].comment for row in town_rows(sheet))
    rows = list(csv.reader(io.StringIO(saved(tmp_path, older_issue, "csv").read_bytes().decode("utf-8-sig"))))
    assert len(rows) == 1 + 5 and [r[12] for r in rows[1:]] == [""] * 5
    document = Document(str(saved(tmp_path, older_issue, "docx")))
    assert [row.cells[7].text for row in document.tables[0].rows[2:]] == ["蓝", "黄", "黄", "黄", "红"]
    assert not any(
        p.text.startswith(("注：", "签发人", "编者按", "报送", "抄送")) or "统计可信度" in p.text
        for p in document.paragraphs
    )
    assert 'footnote">' not in print_html(older_issue) and "编者按" not in print_html(older_issue)
    assert "橙园镇" in pdf_text(PdfReader(saved(tmp_path, older_issue, "pdf")))


# ---------------------------------------------------------------- print view


def test_print_view_is_a4_in_the_公文_type_area_and_numbers_its_pages(demo_issue):
    page = print_html(demo_issue)
    assert "@page { size: A4 portrait; margin: 37mm 26mm 35mm 28mm; }" in page
    assert 'content: "— " counter(page) " —"' in page
    assert ".gongwen { font: 16pt/28.95pt" in page


def test_print_view_keeps_23_towns_on_one_page_and_repeats_headings_past_it(demo_issue):
    page = print_html(demo_issue)
    assert ".gongwen .annex { break-before: page;" in page
    assert ".gongwen thead { display: table-header-group; }" in page
    assert ".gongwen tr { break-inside: avoid; page-break-inside: avoid; }" in page
    assert page.count("<tr>") == 2 + 23
    assert '<th colspan="4">活动开展以来累计</th>' in page and '<th rowspan="2">当日<br>未报送</th>' in page
    assert 'style="background:#C00000;color:#FFFFFF">红</td>' in page


def test_print_view_carries_what_the_office_added(drafted_issue):
    page = print_html(drafted_issue)
    for part in (
        '签发人：<span class="name">王建国</span>',
        '<span class="label">更正说明：</span>第1版的检查企业数有误',
        '<span class="label">编者按：</span>',
        "<p>报送：市安委会主任、副主任。</p>",
        "<p>抄送：各镇街安委办。</p>",
    ):
        assert part in page
    assert page.index("更正说明") < page.index("<h1>") < page.index("编者按") < page.index("抄送")


def test_print_view_escapes_town_names_and_office_text(hostile_issue):
    page = print_html(replace(hostile_issue, editor_note="<script>x</script>"))
    assert "<b>粗</b>" not in page and "<script>" not in page
    assert "&lt;b&gt;粗&lt;/b&gt;镇" in page


# ---------------------------------------------------------------- template


def test_template_has_chinese_headers_and_one_row_per_active_town(tmp_path):
    towns = [Town("T1", "甲镇", "镇"), Town("T2", "乙街道", "街道"), Town("T3", "丙乡", "乡", active=False)]
    sheet = load_workbook(io.BytesIO(template_xlsx(towns, date(2026, 9, 3)))).active
    assert [c.value for c in sheet[2]] == list(HEADERS.values())
    assert [(r[0].value.date(), r[1].value) for r in sheet.iter_rows(min_row=3)] == [
        (date(2026, 9, 3), "甲镇"),
        (date(2026, 9, 3), "乙街道"),
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
    assert report.warnings == [], "the 填表说明 sheet is read past without a word"
    assert len(report.rows) == 23
    assert set(report.rows["date"]) == {date(2026, 10, 31)}


def template_sheet(towns=None):
    towns = towns or [Town("T1", "甲镇", "镇"), Town("T2", "乙街道", "街道")]
    return load_workbook(io.BytesIO(template_xlsx(towns, date(2026, 9, 3))))


def test_template_builds_in_the_rules_of_each_figure():
    sheet = template_sheet()["日报"]
    rules = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    counts = rules["C3:C4 D3:D4 F3:F4 G3:G4 H3:H4 I3:I4"]
    assert (counts.type, counts.operator, counts.formula1, counts.formula2) == ("whole", "between", "0", "10000000")
    major = rules["E3:E4"]
    assert major.type == "custom" and major.formula1 == "AND(ISNUMBER(E3),E3=INT(E3),E3>=0,E3<=D3)"
    fines = rules["J3:J4"]
    assert (fines.type, fines.formula1) == ("decimal", "0")
    assert all(v.showErrorMessage and v.errorStyle == "stop" and v.error for v in rules.values())


def test_template_locks_the_date_and_town_without_a_password():
    sheet = template_sheet()["日报"]
    assert sheet.protection.sheet and not sheet.protection.password
    assert all(cell.protection.locked for row in sheet["A1:J2"] for cell in row)
    assert [(row[0].protection.locked, row[1].protection.locked) for row in sheet.iter_rows(min_row=3)] == [
        (True, True)
    ] * 2
    assert not any(cell.protection.locked for row in sheet["C3:J4"] for cell in row)


def test_template_explains_itself_on_a_second_sheet():
    book = template_sheet()
    assert book.sheetnames == ["日报", "填表说明"] and book.active.title == "日报"
    text = "\n".join(str(c.value) for row in book["填表说明"].iter_rows() for c in row if c.value)
    assert "2026年9月3日" in text and "撤销工作表保护" in text
    for header in HEADERS.values():
        if header not in ("日期", "镇街"):
            assert header in text
    assert "不大于同一行的发现隐患数" in text


def test_a_template_with_a_figure_the_rules_refuse_is_refused_on_import_too(tmp_path):
    """The validation only helps the clerk: a file edited elsewhere is checked on import all the same."""
    towns = [Town("T1", "甲镇", "镇")]
    book = template_sheet(towns)
    for cell, value in zip(book["日报"][3][2:], (5, 1, 2, 0, 0, 0, None, None)):
        cell.value = value
    path = tmp_path / "filled.xlsx"
    book.save(path)
    report = parse_report(path.read_bytes(), path.name, towns, today=date(2026, 9, 4))
    assert [str(p) for p in report.errors] == ["第3行“重大隐患数”列（E3）：重大隐患数（2）不能大于发现隐患数（1）"]


# ---------------------------------------------------------------- command line


def test_cli_export_before_publishing_exits_1(demo_home_readonly, tmp_path, capsys):
    out = tmp_path / "out.xlsx"
    code = main(
        [
            "--home",
            str(demo_home_readonly.root),
            "export",
            "--date",
            "2026-10-12",
            "--format",
            "xlsx",
            "--out",
            str(out),
        ]
    )
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
    assert load_workbook(tmp_path / "downloads" / "bulletin.xlsx").sheetnames == ["排名", "督办事项"]
