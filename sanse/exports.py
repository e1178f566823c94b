"""Downloads of a published issue (SPEC 5): the ranking as XLSX and CSV, the bulletin as
DOCX and as an A4 print page; and the blank daily report template towns fill in."""

from __future__ import annotations

import csv
import html
import io
import math
from datetime import date
from typing import Literal

from sanse.bulletin import SINCE_PHRASES, Issue, bulletin_paragraphs, chinese_date, publication_note
from sanse.config import Town
from sanse.tiers import TIER_COLOURS, TIER_TEXT_COLOURS, TIER_WORDS, tier_hex

Format = Literal["xlsx", "csv", "docx"]
SHEET_NAME = "排名"
# (header, ranking key, kind) — the pinned columns of SPEC 5, in order.
COLUMNS = (
    ("排名", "rank", "integer"),
    ("镇街", "town", "text"),
    ("检查企业数", "inspections", "integer"),
    ("重大隐患数", "major_hazards", "integer"),
    ("重大隐患发现率", "major_hazard_rate", "rate"),
    ("停产停业数", "halted", "integer"),
    ("停产停业率", "halt_rate", "rate"),
    ("立案数", "cases", "integer"),
    ("立案查处率", "case_rate", "rate"),
    ("综合得分", "score", "score"),
    ("等级", "tier", "tier"),
    ("名次变化", "rank_change", "change"),
)
HEADER = tuple(header for header, _, _ in COLUMNS)
# Excel, Word and the CSV readers treat these leading characters as the start of a formula.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# Word and print show a 待定 tier as "蓝*"; Excel and CSV keep exactly one row per town with
# the bare word, which other tools read. Excel carries the mark in a comment on the cell.
PROVISIONAL_MARK = "*"
PROVISIONAL, SMALL_SAMPLE = "待定", "样本不足"  # the words of sanse.confidence, without loading scipy


def export_issue(issue: Issue, fmt: Format) -> bytes:
    if fmt == "xlsx":
        return issue_xlsx(issue)
    if fmt == "csv":
        return issue_csv(issue)
    if fmt == "docx":
        return issue_docx(issue)
    raise ValueError(f"不支持的导出格式“{fmt}”：可选 xlsx、csv、docx")


def file_name(issue: Issue, fmt: Format) -> str:
    suffix = "_更正" if issue.correction else ""
    return f"{issue.title}_第{issue.number}期_{issue.day.isoformat()}{suffix}.{fmt}"


def table_title(issue: Issue) -> str:
    correction = "（更正）" if issue.correction else ""
    return f"《{issue.title}》第{issue.number}期{correction} {chinese_date(issue.day)} 镇街排名"


def ranking_rows(issue: Issue) -> list[dict]:
    """The towns in print order: group by group, best rank first."""
    return sorted(issue.ranking, key=lambda r: (r["group"], r["rank"], r["code"]))


def cell_value(row: dict, key: str, kind: str):
    """A cell's typed value: numbers stay numbers, rates fractions, the tier its word."""
    value = row.get(key)
    if kind == "tier":
        return TIER_WORDS.get(value, "")
    if kind in ("integer", "change"):
        return None if value is None else int(value)
    if kind in ("rate", "score"):
        return None if value is None else float(value)
    return "" if value is None else str(value)


def cell_text(row: dict, key: str, kind: str) -> str:
    """The same cell as people read it (Word, print): a 待定 tier carries its mark."""
    value = cell_value(row, key, kind)
    if kind == "tier" and row.get("provisional"):
        return f"{value}{PROVISIONAL_MARK}"
    if value is None:
        return "—" if kind == "rate" else ""
    if kind == "rate":
        return f"{value:.2%}"
    if kind == "score":
        return f"{value:.2f}"
    if kind == "change":
        return f"{value:+d}" if value else "0"
    return str(value)


def confidence_note(issue: Issue) -> str:
    """The footnote under the Word and print tables on 待定 (shown "蓝*") and 样本不足 towns;
    "" when nothing is marked."""
    parts = []
    pending = issue.provisional_rows()
    if pending:
        names = "、".join(f"{r['town']}（{TIER_WORDS.get(r['tier'], '')}）" for r in pending)
        threshold = issue.confidence.get("provisional_below", 0.5)
        parts.append(
            f"带{PROVISIONAL_MARK}的等级为“{PROVISIONAL}”，共{len(pending)}个：{names}。“{PROVISIONAL}”指按统计可信度分析，"
            f"该镇街处于这一等级的概率低于{_percent(threshold)}，数据尚不足以确定；等级和名次照常公布。"
        )
    small = issue.small_sample_rows()
    if small:
        since = SINCE_PHRASES.get(issue.rules_used().window, "")
        minimum = issue.confidence.get("min_inspections", 0)
        names = "、".join(r["town"] for r in small)
        parts.append(f"“{SMALL_SAMPLE}”：{since}检查企业不足{minimum}家次的镇街（{names}），照常排名，仅供参考。")
    return "注：" + "".join(parts) if parts else ""


def tier_comment(row: dict, issue: Issue) -> str:
    """Why a tier cell is marked, for the Excel comment; "" when it is not."""
    lines = []
    if row.get("provisional"):
        word = TIER_WORDS.get(row["tier"], "")
        chance = row.get("p_blue") if row["tier"] == "blue" else row.get("p_red")
        threshold = issue.confidence.get("provisional_below", 0.5)
        lines.append(
            f"{PROVISIONAL}：成为{word}色的概率为{_percent(chance, down=True)}，低于{_percent(threshold)}，数据尚不足以确定这一等级。"
            if chance is not None else f"{PROVISIONAL}：数据尚不足以确定这一等级。"
        )
        if row.get("rank_low") is not None and row.get("rank_high") is not None:
            lines.append(f"名次区间（90%）：第{row['rank_low']}至第{row['rank_high']}名。")
    if row.get("small_sample"):
        lines.append(f"{SMALL_SAMPLE}：检查企业{row.get('inspections', 0)}家次，"
                     f"少于{issue.confidence.get('min_inspections', 0)}家次。")
    return "\n".join(lines)


def _percent(share: float, *, down: bool = False) -> str:
    """50%, 25.8%: one decimal at most; a chance is rounded down so one just under the
    threshold never reads as equal to it."""
    if down:
        share = math.floor(share * 1000 + 1e-9) / 1000  # 0.29 * 1000 is 289.999...
    return f"{share:.1%}".replace(".0%", "%")


# ---------------------------------------------------------------- XLSX

def issue_xlsx(issue: Issue) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    sheet.append([table_title(issue)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(HEADER))
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border

    formats = {"integer": "0", "rate": "0.00%", "score": "0.00", "change": "+0;-0;0"}
    for row in ranking_rows(issue):
        sheet.append([cell_value(row, key, kind) for _, key, kind in COLUMNS])
        for cell, (_, key, kind) in zip(sheet[sheet.max_row], COLUMNS):
            cell.border = border
            if kind == "text":
                cell.data_type = "s"  # openpyxl would store a name starting with "=" as a formula
            if kind in formats:
                cell.number_format = formats[kind]
            if kind == "tier" and row.get("tier") in TIER_COLOURS:
                tier = row["tier"]
                cell.fill = PatternFill(fill_type="solid", fgColor=tier_hex(tier), bgColor=tier_hex(tier))
                cell.font = Font(bold=True, color=TIER_TEXT_COLOURS[tier].lstrip("#"))
                cell.alignment = Alignment(horizontal="center")
            if kind == "tier" and (why := tier_comment(row, issue)):
                cell.comment = Comment(why, issue.office, width=260, height=110)

    widths = {"镇街": 14, "重大隐患发现率": 15, "停产停业率": 12, "立案查处率": 12}
    for index, header in enumerate(HEADER, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(header, 10)
    sheet.freeze_panes = "C3"
    sheet.print_title_rows = "1:2"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return _saved(book)


def _saved(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- CSV

def issue_csv(issue: Issue) -> bytes:
    """UTF-8 with BOM so Excel on Chinese Windows opens it; formulas in text neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in ranking_rows(issue):
        writer.writerow([_csv_cell(cell_value(row, key, kind)) for _, key, kind in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def neutralise(text: str) -> str:
    """A leading apostrophe keeps a spreadsheet from running text as a formula."""
    return "'" + text if text.startswith(FORMULA_LEADS) else text


# ---------------------------------------------------------------- DOCX

def issue_docx(issue: Issue) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(15)
    normal = document.styles["Normal"]
    normal.font.size = Pt(12)
    _set_font(normal.element, "仿宋")
    normal.font.name = "仿宋"

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, f"《{issue.title}》", "宋体", 26, bold=True, colour="C00000")
    number = document.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(number, issue.label, "仿宋", 16)
    office = document.add_paragraph()
    office.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(office, f"{issue.office}　　{chinese_date(issue.day)}", "仿宋", 14)
    _bottom_rule(office, "C00000")

    for text in bulletin_paragraphs(issue):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(24)
        _run(paragraph, text, "仿宋", 12)

    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(heading, table_title(issue), "宋体", 13, bold=True)
    rows = ranking_rows(issue)
    table = document.add_table(rows=1 + len(rows), cols=len(COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, HEADER):
        _cell(cell, header, bold=True)
    for table_row, row in zip(table.rows[1:], rows):
        for cell, (_, key, kind) in zip(table_row.cells, COLUMNS):
            if kind == "tier" and row.get("tier") in TIER_COLOURS:
                tier = row["tier"]
                _shade(cell, tier_hex(tier))
                _cell(cell, cell_text(row, key, kind), bold=True, colour=TIER_TEXT_COLOURS[tier].lstrip("#"))
            else:
                _cell(cell, cell_text(row, key, kind))

    if footnote := confidence_note(issue):
        paragraph = document.add_paragraph()
        _run(paragraph, footnote, "仿宋", 10)
    note = document.add_paragraph()
    note.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _run(note, publication_note(issue), "仿宋", 9)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _set_font(element, east_asian: str) -> None:
    """Word takes Chinese glyphs from the eastAsia font, which python-docx does not set."""
    from docx.oxml.ns import qn

    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attribute), east_asian)


def _run(paragraph, text: str, font: str, size: float, *, bold: bool = False, colour: str | None = None):
    from docx.shared import Pt, RGBColor

    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)
    _set_font(run._element, font)
    return run


def _cell(cell, text: str, *, bold: bool = False, colour: str | None = None) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, text, "仿宋", 9, bold=bold, colour=colour)


def _shade(cell, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _bottom_rule(paragraph, colour: str) -> None:
    """The red line under an official bulletin's masthead."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for attribute, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "4"), ("w:color", colour)):
        bottom.set(qn(attribute), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


# ---------------------------------------------------------------- print view

def print_html(issue: Issue) -> str:
    """A self-contained page that prints on A4, the ranking table on one page of its own."""
    e = html.escape
    header_cells = "".join(f"<th>{e(h)}</th>" for h in HEADER)
    body_rows = []
    for row in ranking_rows(issue):
        cells = []
        for _, key, kind in COLUMNS:
            text = e(cell_text(row, key, kind))
            if kind == "tier" and row.get("tier") in TIER_COLOURS:
                tier = row["tier"]
                style = f"background:{TIER_COLOURS[tier]};color:{TIER_TEXT_COLOURS[tier]}"
                cells.append(f'<td class="tier" style="{style}">{text}</td>')
            elif kind == "text":
                cells.append(f'<td class="name">{text}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        body_rows.append("<tr>" + "".join(cells) + "</tr>")
    paragraphs = "\n".join(f"<p>{e(text)}</p>" for text in bulletin_paragraphs(issue))
    footnote = confidence_note(issue)
    footnote_html = f'<p class="footnote">{e(footnote)}</p>\n' if footnote else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{e(f"{issue.title} {issue.label} {issue.day.isoformat()}")}</title>
<style>
@page {{ size: A4 portrait; margin: 15mm 15mm; }}
* {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; box-sizing: border-box; }}
body {{ font-family: "FangSong", "仿宋", "STFangsong", "SimSun", "Songti SC", serif; font-size: 11pt;
       margin: 0 auto; max-width: 180mm; color: #000; }}
h1 {{ font-family: "SimSun", "宋体", "Songti SC", serif; color: #C00000; text-align: center;
     font-size: 24pt; margin: 0 0 2mm; letter-spacing: 2pt; }}
.issue, .office {{ text-align: center; margin: 1mm 0; }}
.office {{ border-bottom: 2px solid #C00000; padding-bottom: 2mm; margin-bottom: 4mm; }}
p {{ text-indent: 2em; line-height: 1.5; margin: 0 0 1.5mm; }}
section.ranking {{ break-inside: avoid; page-break-inside: avoid; }}
h2 {{ text-align: center; font-size: 13pt; margin: 0 0 2mm; }}
table {{ border-collapse: collapse; width: 100%; font-size: 8.5pt; }}
th, td {{ border: 0.5pt solid #666; padding: 0.6mm 1mm; text-align: center; line-height: 1.2; }}
th {{ background: #F2F2F2; word-break: keep-all; }}
td.name {{ text-align: left; white-space: nowrap; }}
td.tier {{ font-weight: bold; }}
.footnote {{ font-size: 8.5pt; text-indent: 0; margin-top: 1.5mm; }}
.note {{ text-align: right; font-size: 8pt; color: #444; margin-top: 2mm; text-indent: 0; }}
</style>
</head>
<body>
<h1>{e(f"《{issue.title}》")}</h1>
<div class="issue">{e(issue.label)}</div>
<div class="office">{e(f"{issue.office}　　{chinese_date(issue.day)}")}</div>
{paragraphs}
<section class="ranking">
<h2>{e(table_title(issue))}</h2>
<table>
<thead><tr>{header_cells}</tr></thead>
<tbody>
{chr(10).join(body_rows)}
</tbody>
</table>
{footnote_html}<p class="note">{e(publication_note(issue))}</p>
</section>
</body>
</html>
"""


# ---------------------------------------------------------------- report template

def template_xlsx(towns: list[Town], day: date) -> bytes:
    """The daily report form: Chinese headers, one row per active town, date filled in."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from pipelines.reports import HEADERS, template_rows

    book = Workbook()
    sheet = book.active
    sheet.title = "日报"
    sheet.append([f"镇街安全生产隐患排查整治日报表（{chinese_date(day)}）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(HEADERS.values()))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for record in template_rows(towns, day).to_dict("records"):
        sheet.append([None if _missing(v) else v for v in record.values()])
        sheet.cell(row=sheet.max_row, column=1).number_format = "yyyy-mm-dd"
        sheet.cell(row=sheet.max_row, column=2).data_type = "s"  # a town name is never a formula
    for index, header in enumerate(HEADERS.values(), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, 2 * len(header) + 2)
    sheet.freeze_panes = "C3"
    return _saved(book)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)
