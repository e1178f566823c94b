"""The Word 公文 page (GB/T 9704-2012) that the bulletin and the 督办 notices share: A4 with
its 版心, the fonts the standard names, runs in them, page numbers, and the 版记 at the foot."""

from __future__ import annotations

from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from sanse.publishing.exports.gongwen import (
    BOTTOM_MM,
    COPY_TO,
    FOOTER_MM,
    LEFT_MM,
    LINE_PITCH_PT,
    PAGE_DASH,
    PAGE_HEIGHT_MM,
    PAGE_WIDTH_MM,
    REPORT_TO,
    RIGHT_MM,
    SANHAO,
    SIHAO,
    TEXT_WIDTH_MM,
    TOP_MM,
    Gongwen,
)
from sanse.publishing.exports.notice import Notice
from sanse.publishing.exports.ooxml import cell_margins, insert, keep_whole

# The fonts the standard names, as Chinese Windows and WPS install them. A run holds one East
# Asian font, so the fallbacks are the office's: where 方正小标宋简体 is missing, 方正小标宋_GBK,
# then 华文中宋, then 宋体 look right; for 仿宋_GB2312, 仿宋 (FangSong, in Windows since Vista);
# for 楷体_GB2312, 楷体 (KaiTi). Word and WPS substitute the document's default East Asian font
# (宋体) for any name they lack, so a missing font never hides text.
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
NAME_FONT = "楷体_GB2312"  # 签发人姓名 and 编者按, as 9704 sets the signer's name
PAGE_NUMBER_FONT = "宋体"
# Digits and Latin letters, as 公文 templates set them: narrow figures that keep "11.69%" on
# one line of a table cell.
LATIN_FONT = "Times New Roman"
CHAR = Pt(SANHAO)  # one character of body text: the unit of indents in 9704


def set_up_page(document) -> None:
    """A4 portrait with the 版心's margins, body text in 仿宋 三号 on its line pitch, page numbers."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
    section.footer_distance = Mm(FOOTER_MM)
    normal = document.styles["Normal"]
    normal.font.size = Pt(SANHAO)
    _set_font(normal.element, BODY_FONT)
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
    exact(normal.paragraph_format, LINE_PITCH_PT)
    # 9704 7.5: odd pages carry the number on the right, even pages on the left.
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(paragraph, alignment) -> None:
    """— 1 —: the PAGE field between 一字线, 宋体 四号, one character in from the edge."""
    paragraph.alignment = alignment
    indent = Pt(SIHAO)
    if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
        paragraph.paragraph_format.right_indent = indent
    else:
        paragraph.paragraph_format.left_indent = indent
    run(paragraph, f"{PAGE_DASH} ", PAGE_NUMBER_FONT, SIHAO, latin=PAGE_NUMBER_FONT)
    for kind, instruction in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        field = run(paragraph, "", PAGE_NUMBER_FONT, SIHAO, latin=PAGE_NUMBER_FONT)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            field._r.append(char)
        elif instruction == " PAGE ":
            text = OxmlElement("w:instrText")
            text.set(qn("xml:space"), "preserve")
            text.text = instruction
            field._r.append(text)
        else:
            field.text = instruction  # what shows until Word updates the field
    run(paragraph, f" {PAGE_DASH}", PAGE_NUMBER_FONT, SIHAO, latin=PAGE_NUMBER_FONT)


def imprint(document, doc: Gongwen | Notice) -> None:
    """The 版记 (9704 7.4) at the foot of the last page: a table without side borders that
    Word and WPS float to the bottom of the 版心, its rows the 报送 and 抄送 lines and the 印发
    line, the first and last rules heavier."""
    lines = [f"{label}{text}" for label, text in ((REPORT_TO, doc.report_to), (COPY_TO, doc.copy_to)) if text]
    table = document.add_table(rows=len(lines) + 1, cols=1)
    table.autofit = False
    table.columns[0].width = Mm(TEXT_WIDTH_MM)
    properties = table._tbl.tblPr
    floating = OxmlElement("w:tblpPr")  # anchored to the margin, at its bottom: the foot of the 版心
    for attribute, value in (
        ("w:vertAnchor", "margin"),
        ("w:horzAnchor", "margin"),
        ("w:tblpXSpec", "center"),
        ("w:tblpYSpec", "bottom"),
    ):
        floating.set(qn(attribute), value)
    insert(properties, floating)
    borders = OxmlElement("w:tblBorders")
    for side, eighths in (("top", 8), ("bottom", 8), ("insideH", 4)):
        line = OxmlElement(f"w:{side}")
        for attribute, value in (("w:val", "single"), ("w:sz", str(eighths)), ("w:space", "0"), ("w:color", "000000")):
            line.set(qn(attribute), value)
        borders.append(line)
    insert(properties, borders)
    cell_margins(table, SIHAO * 25.4 / 72)  # 9704: one character in from either edge
    for row, text in zip(table.rows, lines):
        row.cells[0].width = Mm(TEXT_WIDTH_MM)
        run(_imprint_paragraph(row.cells[0]), text, BODY_FONT, SIHAO)
    last = table.rows[-1].cells[0]
    last.width = Mm(TEXT_WIDTH_MM)
    issued = _imprint_paragraph(last)
    issued.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM) - 2 * Pt(SIHAO), WD_TAB_ALIGNMENT.RIGHT)
    run(issued, f"{doc.issued_by}\t{doc.issued_on}", BODY_FONT, SIHAO)
    for row in table.rows:
        keep_whole(row)
    anchor = document.add_paragraph()  # a floating table is placed from the paragraph after it
    exact(anchor.paragraph_format, 1)


def _imprint_paragraph(cell):
    paragraph = cell.paragraphs[0]
    exact(paragraph.paragraph_format, SIHAO * 2)
    return paragraph


def _set_font(element, east_asian: str, latin: str = LATIN_FONT) -> None:
    """Word takes Chinese glyphs from the eastAsia font, which python-docx does not set; the hint
    keeps quotes and dashes, which both alphabets share, in the Chinese font too."""
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")


def run(
    paragraph,
    text: str,
    font: str,
    size: float,
    *,
    bold: bool = False,
    colour: str | None = None,
    latin: str = LATIN_FONT,
):
    """`text` added to `paragraph` in the East Asian `font` (Latin letters and digits in `latin`)."""
    added = paragraph.add_run(text)
    added.font.size = Pt(size)
    added.bold = bold
    if colour:
        added.font.color.rgb = RGBColor.from_string(colour)
    _set_font(added._element, font, latin)
    return added


def exact(paragraph_format, points: float) -> None:
    """Lines exactly `points` apart, as the 版心's grid sets them."""
    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.line_spacing = Pt(points)
