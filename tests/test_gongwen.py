"""The bulletin as a 公文 that passes review (GB/T 9704-2012): the PDF set in 仿宋 and a
小标宋-style face, the 版记 at the foot of the last page under text, the ranking as 附件, the
optional 发文字号 in every format, and no login name inside the document."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from sanse.access.roles import SYSTEM
from sanse.cli.main import main
from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.deployment.rules_file import settings_from_text
from sanse.publishing.exports import export_issue, print_html
from sanse.publishing.exports.fonts import covers, font_files
from sanse.publishing.exports.gongwen import signature_indents
from sanse.publishing.issue import Issue, load_issue
from sanse.publishing.publish import Draft, publish_bulletin

DAY = date(2026, 10, 12)
DOC_NUMBER = '[campaign]\ndoc_number = "示安办〔{year}〕{number}号"\n'


@pytest.fixture(scope="module")
def home(demo_home_readonly: Home, tmp_path_factory) -> Home:
    root = tmp_path_factory.mktemp("gongwen") / "home"
    shutil.copytree(demo_home_readonly.root, root)
    return Home(root)


@pytest.fixture(scope="module")
def issue(home: Home) -> Issue:
    """第1期 of the demo city, published from the command line."""
    return publish_bulletin(home, DAY, by=SYSTEM)


@pytest.fixture(scope="module")
def corrected(home: Home, issue: Issue) -> Issue:
    """Its 更正, with a 签发人 and a 报送 line."""
    return publish_bulletin(
        home,
        DAY,
        by=SYSTEM,
        draft=Draft(signer="王建国", report_to="市安委会主任。", correction_note="第1版的检查企业数有误。"),
    )


@pytest.fixture(scope="module")
def numbered(issue: Issue) -> Issue:
    """The same issue in a series that numbers its documents 示安办〔2026〕1号."""
    return replace(issue, rules=issue.rules.replace("[campaign]\n", DOC_NUMBER, 1))


def pdf_of(issue: Issue) -> PdfReader:
    return PdfReader(io.BytesIO(export_issue(issue, "pdf")))


def embedded_fonts(reader: PdfReader) -> set[str]:
    """The base names of the fonts the pages use, without the subset tag (ABCDEF+)."""
    return {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


def placed_text(page) -> list[tuple[float, str]]:
    """(height above the bottom edge in points, text) of every piece of text on the page."""
    found = []
    page.extract_text(
        visitor_text=lambda text, cm, tm, font, size: found.append((tm[5], text)) if text.strip() else None
    )
    return found


# ---------------------------------------------------------------- fonts


def test_pdf_body_is_仿宋_and_titles_a_小标宋_style_face(issue):
    fonts = embedded_fonts(pdf_of(issue))
    assert {"FandolFangR", "FandolSongBold"} <= fonts  # 仿宋 body; FandolSong Bold for 小标宋
    assert "FandolHei" in fonts  # 黑体: 附件 and the table headings
    assert not any(name.startswith("Noto") for name in fonts)  # nothing in the demo lies beyond them


def test_pdf_sets_the_signer_in_楷体(corrected):
    assert "FandolKai" in embedded_fonts(pdf_of(corrected))


def test_pdf_falls_back_per_character_beyond_the_公文_faces(issue):
    rare = "㘵"  # CJK extension A: in Noto Serif SC, not in the Fandol faces
    assert not any(ord(rare) in covers(path) for path in font_files().faces.values())
    rows = tuple({**row, "town": f"{rare}{row['town']}"} if row["rank"] == 1 else row for row in issue.ranking)
    reader = pdf_of(replace(issue, ranking=rows))
    assert "NotoSerifSC" in {name.replace("-Regular", "") for name in embedded_fonts(reader)}
    assert rare in "".join(page.extract_text() for page in reader.pages)


# ---------------------------------------------------------------- 版记 and 附件


def test_pdf_版记_stands_at_the_foot_of_the_last_page_under_its_text(issue):
    reader = pdf_of(issue)
    last = reader.pages[-1]
    height = float(last.mediabox.height)
    placed = placed_text(last)
    issued = next(y for y, text in placed if text.strip().endswith("印发"))
    assert issued < height * 0.2  # in the lowest fifth: the 版心 ends 35 mm (99 pt) above the edge
    above = [text for y, text in placed if y > issued + 20 and "—" not in text]
    assert len("".join(above)) > 50  # the table's note and the ranking, not a page of its own
    assert not any("印发" in page.extract_text() for page in reader.pages[:-1])


def test_pdf_版记_goes_over_with_the_last_rows_when_a_long_table_leaves_it_no_room(issue):
    """51 towns fill the 附件's first page; its second page carries the rest and the 版记."""
    rows = tuple({**r, "code": f"{r['code']}{n}", "town": f"{r['town']}{n}"} for r in issue.ranking for n in (1, 2))
    rows += tuple({**r, "code": f"{r['code']}9", "town": f"{r['town']}9"} for r in issue.ranking[:5])
    reader = pdf_of(replace(issue, ranking=rows, confidence={}))
    text = reader.pages[-1].extract_text()
    assert "印发" in text and "排名 镇街" in text  # headings repeated over the rows that went over


def test_ranking_is_the_附件_with_its_own_heading_in_every_format(issue):
    title = "各镇街排名（2026年10月12日）"
    lines = [p.text for p in Document(io.BytesIO(export_issue(issue, "docx"))).paragraphs]
    assert f"附件：{title}" in lines  # the 附件说明 under the text
    assert lines.index("附件") + 1 == lines.index(title)
    pdf = pdf_of(issue)
    assert f"附件：{title}" in pdf.pages[2].extract_text()
    assert pdf.pages[3].extract_text().startswith(f"附件\n{title}")
    page = print_html(issue)
    assert f'<div class="annex-label">附件</div>\n<h2>{title}</h2>' in page
    assert f'<p class="attachment-note">附件：{title}</p>' in page


# ---------------------------------------------------------------- who published, and 更正


def test_no_login_name_inside_the_公文(issue, corrected):
    assert issue.published_by == "cli"  # the account the command line publishes as
    for version in (issue, corrected):
        docx = "\n".join(p.text for p in Document(io.BytesIO(export_issue(version, "docx"))).paragraphs)
        pdf = "".join(page.extract_text() for page in pdf_of(version).pages)
        for text in (docx, pdf, print_html(version)):
            assert "cli" not in text and "发布于" not in text


def test_a_更正_says_so_after_its_title_and_in_its_更正说明(corrected):
    lines = [p.text for p in Document(io.BytesIO(export_issue(corrected, "docx"))).paragraphs]
    assert lines[1] == "第1期\t签发人：王建国"
    assert "更正说明：第1版的检查企业数有误。" in lines
    assert "2026年10月12日各镇街三色晾晒情况（更正）" in lines
    assert "<h1>2026年10月12日各镇街三色晾晒情况（更正）</h1>" in print_html(corrected)


# ---------------------------------------------------------------- 发文字号


def test_发文字号_fills_in_year_and_number_per_series():
    settings = settings_from_text(
        '[campaign]\ndoc_number = "示安办〔{year}〕{number}号"\n'
        '[campaign.period_doc_numbers]\nmonth = "示安办通〔{year}〕{number:02d}号"\n'
    )
    assert settings.campaign.doc_number_of("day", 2026, 12) == "示安办〔2026〕12号"
    assert settings.campaign.doc_number_of("month", 2027, 3) == "示安办通〔2027〕03号"
    assert settings.campaign.doc_number_of("week", 2026, 3) == ""  # a series without one


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'doc_number = "示安办〔{yaer}〕{number}号"',
            "{yaer} 不是可用的占位符：只能用 {year}（年份）和 {number}（期号）",
        ),
        ('doc_number = "示安办〔{}〕号"', "{} 不是可用的占位符"),
        ('doc_number = "示安办{year"', "花括号不成对"),
        ("doc_number = 12", "应为文字"),
        ('[campaign.period_doc_numbers]\nfortnight = "示〔{year}〕{number}号"', "“fortnight”不是周期"),
    ],
)
def test_a_bad_发文字号_is_refused_in_plain_chinese(text, message):
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}").replace("(", r"\(")):
        settings_from_text(f"[campaign]\n{text}\n")


def test_a_bad_发文字号_stops_the_command_line_with_exit_2(home, tmp_path, capsys):
    root = tmp_path / "home"
    shutil.copytree(home.root, root)
    rules = root / "rules.toml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("[campaign]\n", '[campaign]\ndoc_number = "{nr}号"\n'))
    assert main(["--home", str(root), "publish", "--date", "2026-10-13"]) == 2
    assert "{nr} 不是可用的占位符" in capsys.readouterr().err


def test_发文字号_is_frozen_with_the_issue_and_printed_in_every_format(home, issue, numbered, tmp_path):
    assert issue.doc_number == ""
    assert numbered.doc_number == "示安办〔2026〕1号"
    lines = [p.text for p in Document(io.BytesIO(export_issue(numbered, "docx"))).paragraphs]
    assert lines[1] == "示安办〔2026〕1号"  # where 9704 puts it: under the masthead, over the red rule
    assert "示安办〔2026〕1号" in pdf_of(numbered).pages[0].extract_text()
    assert '<div class="number">示安办〔2026〕1号</div>' in print_html(numbered)
    sheet = load_workbook(io.BytesIO(export_issue(numbered, "xlsx")))["排名"]
    assert sheet["A1"].value.startswith("《每日工作动态》第1期 示安办〔2026〕1号 2026年10月12日")


def test_a_published_issue_keeps_the_发文字号_of_its_day(tmp_path, home):
    root = tmp_path / "home"
    shutil.copytree(home.root, root)
    rules = root / "rules.toml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("[campaign]\n", DOC_NUMBER, 1))
    published = publish_bulletin(Home(root), date(2026, 10, 13), by=SYSTEM)
    assert published.doc_number == f"示安办〔2026〕{published.number}号"
    rules.write_text(rules.read_text(encoding="utf-8").replace("示安办", "示安委"))
    assert load_issue(Home(root), date(2026, 10, 13)).doc_number == published.doc_number  # frozen with it


def test_pdf_without_the_公文_faces_says_which_package_to_install(issue, monkeypatch, tmp_path):
    from sanse.publishing.exports import fonts, unavailable

    monkeypatch.setattr(fonts, "FANDOL_DIRS", (tmp_path,))
    with pytest.raises(fonts.FontMissing, match="apt-get install texlive-lang-chinese"):
        export_issue(issue, "pdf")
    assert "FandolFang-Regular.otf" in unavailable("pdf")  # what the bulletin page says instead of a button


def test_a_period_通报_takes_the_发文字号_of_its_series(issue):
    table = '[campaign.period_doc_numbers]\nmonth = "示安办通〔{year}〕{number}号"\n\n[[rules]]'
    rules = issue.rules.replace("[[rules]]", table, 1)
    month = replace(issue, rules=rules, period_kind="month", first=date(2026, 12, 1), day=date(2026, 12, 31), number=3)
    assert month.doc_number == "示安办通〔2026〕3号"
    assert replace(month, period_kind="week").doc_number == ""  # its own series has none
    assert replace(issue, rules=rules).doc_number == ""  # nor has the daily one


def test_an_unsealed_signature_stands_as_9704_sets_it():
    assert signature_indents(6, 10, 1) == (8, 2)  # 示范市安委办 over 2026年12月6日: the date two in
    assert signature_indents(14, 10, 1) == (2, 4)  # a long office two in, the date two right of its start
