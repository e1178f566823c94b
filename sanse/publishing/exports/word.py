"""The bulletin as a Word document in the national format (GB/T 9704-2012), ready to file or
paste into the office's 公文."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from sanse.facts.tiers import TIER_TEXT_COLOURS, tier_hex
from sanse.publishing.exports.gongwen import (
    ATTACHMENT,
    BOTTOM_MM,
    CELL_PADDING_MM,
    COPY_TO,
    CORRECTION,
    EDITOR_NOTE,
    ERHAO,
    FOOTER_MM,
    GROUP,
    LEFT_MM,
    LINE_PITCH_PT,
    MASTHEAD_PT,
    PAGE_DASH,
    PAGE_HEIGHT_MM,
    PAGE_WIDTH_MM,
    RED,
    REPORT_TO,
    RIGHT_MM,
    SANHAO,
    SIGNER,
    SIHAO,
    TABLE_COLUMNS,
    TABLE_LINE_PT,
    TEXT_WIDTH_MM,
    TOP_MM,
    WINDOW_SPAN,
    WUHAO,
    XIAOSI,
    Gongwen,
    TableCell,
    gongwen,
    signature_indents,
)
from sanse.publishing.exports.notice import Notice
from sanse.publishing.issue import Issue

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


def issue_docx(issue: Issue) -> bytes:
    document = Document()
    _page(document)
    _write(document, gongwen(issue))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def notice_docx(notice: Notice) -> bytes:
    """A 约谈通知书 or 督办通知单 in the bulletin's layout and fonts."""
    document = Document()
    _page(document)
    _write_notice(document, notice)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _write_notice(document, notice: Notice) -> None:
    masthead = document.add_paragraph()
    masthead.alignment = WD_ALIGN_PARAGRAPH.CENTER
    masthead.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    masthead.paragraph_format.space_after = Pt(SANHAO)
    _run(masthead, notice.masthead, TITLE_FONT, MASTHEAD_PT, colour=RED)
    number = document.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(number, notice.number, BODY_FONT, SANHAO)
    _border(number, "bottom", RED, eighths=12, space=6)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = title.paragraph_format.space_after = Pt(LINE_PITCH_PT / 2)
    _run(title, notice.title, TITLE_FONT, ERHAO)
    _run(document.add_paragraph(), notice.addressee, BODY_FONT, SANHAO)  # 主送, flush left
    for heading, text in notice.sections:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = 2 * CHAR
        if heading:
            _run(paragraph, heading, HEADING_FONT, SANHAO)
        _run(paragraph, text, BODY_FONT, SANHAO)

    # 9704 7.3.5.1 (unsealed): a line under the text, the office and under it the date; widths
    # in characters, a digit counting half
    office_right, day_right = signature_indents(_width(notice.signed_by), _width(notice.signed_on), 1)
    office = document.add_paragraph()
    office.paragraph_format.space_before = Pt(LINE_PITCH_PT)
    office.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    office.paragraph_format.right_indent = Pt(SANHAO * office_right)
    office.paragraph_format.keep_with_next = True
    _run(office, notice.signed_by, BODY_FONT, SANHAO)
    signed = document.add_paragraph()
    signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    signed.paragraph_format.right_indent = Pt(SANHAO * day_right)
    _run(signed, notice.signed_on, BODY_FONT, SANHAO)
    _imprint(document, notice)


def _width(text: str) -> float:
    """The width of `text` in characters of body text: Latin letters and digits take half."""
    return sum(0.5 if character.isascii() else 1 for character in text)


def _page(document) -> None:
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
    _exact(normal.paragraph_format, LINE_PITCH_PT)
    # 9704 7.5: odd pages carry the number on the right, even pages on the left.
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _write(document, doc: Gongwen) -> None:
    masthead = document.add_paragraph()
    masthead.alignment = WD_ALIGN_PARAGRAPH.CENTER
    masthead.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    masthead.paragraph_format.space_after = Pt(SANHAO)
    _run(masthead, doc.masthead, TITLE_FONT, MASTHEAD_PT, colour=RED)

    number = document.add_paragraph()
    if doc.signer:  # 9704 7.2.4: the 发文字号 one character in from the left, the signer from the right
        number.paragraph_format.left_indent = number.paragraph_format.right_indent = CHAR
        # Word measures tab stops from the margin, not the indent
        number.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM) - CHAR, WD_TAB_ALIGNMENT.RIGHT)
        _run(number, f"{doc.number}\t{SIGNER}", BODY_FONT, SANHAO)
        _run(number, doc.signer, NAME_FONT, SANHAO)
    else:
        number.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(number, doc.number, BODY_FONT, SANHAO)

    office = document.add_paragraph()
    office.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
    _run(office, f"{doc.office}\t{doc.day}", BODY_FONT, SANHAO)
    _border(office, "bottom", RED, eighths=12, space=6)  # the red rule under the masthead

    if doc.correction:
        _labelled(document, CORRECTION, doc.correction, BODY_FONT).paragraph_format.space_before = Pt(LINE_PITCH_PT)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = title.paragraph_format.space_after = Pt(LINE_PITCH_PT)
    _run(title, doc.title, TITLE_FONT, ERHAO)

    if doc.editor_note:
        _labelled(document, EDITOR_NOTE, doc.editor_note, NAME_FONT)
    for text in doc.paragraphs:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = 2 * CHAR
        _run(paragraph, text, BODY_FONT, SANHAO)
    note = document.add_paragraph()  # 9704 7.3.5: the 附件说明 a line under the text, two characters in
    note.paragraph_format.space_before = Pt(LINE_PITCH_PT)
    note.paragraph_format.left_indent = 2 * CHAR
    _run(note, doc.attachment_note, BODY_FONT, SANHAO)

    # 9704 7.3.6: the 附件 on a page of its own, "附件" at the top left in 黑体, its title centred
    label = document.add_paragraph()
    label.paragraph_format.page_break_before = True
    label.paragraph_format.keep_with_next = True
    _run(label, ATTACHMENT, HEADING_FONT, SANHAO)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.keep_with_next = True
    heading.paragraph_format.space_after = Pt(6)
    _run(heading, doc.table_title, TITLE_FONT, ERHAO)
    _table(document, doc)

    if doc.footnote:
        note = document.add_paragraph()
        _exact(note.paragraph_format, XIAOSI * 1.5)
        _run(note, doc.footnote, BODY_FONT, XIAOSI)
    _imprint(document, doc)


def _labelled(document, label: str, text: str, font: str):
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = 2 * CHAR
    _run(paragraph, label, HEADING_FONT, SANHAO)
    _run(paragraph, text, font, SANHAO)
    return paragraph


def _table(document, doc: Gongwen) -> None:
    """Header rows repeat on every page; rows never split; widths fixed inside the 版心."""
    body_rows = sum(len(g.rows) + bool(g.name) for g in doc.groups)
    table = document.add_table(rows=2 + body_rows, cols=len(TABLE_COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # a fixed layout: Word keeps the widths given instead of fitting the text
    _cell_margins(table, CELL_PADDING_MM)
    for index, spec in enumerate(TABLE_COLUMNS):
        table.columns[index].width = Mm(spec.width_mm)
        for row in table.rows:
            row.cells[index].width = Mm(spec.width_mm)

    first, second = table.rows[0], table.rows[1]
    start, span = WINDOW_SPAN
    for index, spec in enumerate(TABLE_COLUMNS):
        if not spec.in_window:
            first.cells[index].merge(second.cells[index])
            _heading_cell(first.cells[index], doc.headings[index])
        else:
            _heading_cell(second.cells[index], doc.headings[index])
    first.cells[start].merge(first.cells[start + span - 1])
    _heading_cell(first.cells[start], doc.window)
    for row in (first, second):
        _repeat_as_header(row)

    rows = iter(table.rows[2:])
    for group in doc.groups:
        if group.name:
            row = next(rows)
            merged = row.cells[0].merge(row.cells[-1])
            _cell_text(merged, f"{GROUP}{group.name}", HEADING_FONT, align=WD_ALIGN_PARAGRAPH.LEFT)
            _keep_whole(row)
        for cells in group.rows:
            row = next(rows)
            _keep_whole(row)
            for cell, value in zip(row.cells, cells):
                _body_cell(cell, value)


def _heading_cell(cell, text: str) -> None:
    """A heading in 黑体, broken where TABLE_COLUMNS breaks it."""
    paragraph = _cell_paragraph(cell, WD_ALIGN_PARAGRAPH.CENTER)
    for index, line in enumerate(text.split("\n")):
        if index:
            paragraph.runs[-1].add_break()
        _run(paragraph, line, HEADING_FONT, WUHAO)


def _body_cell(cell, value: TableCell) -> None:
    align = WD_ALIGN_PARAGRAPH.LEFT if value.align == "left" else WD_ALIGN_PARAGRAPH.CENTER
    if value.tier:
        _shade(cell, tier_hex(value.tier))
        _cell_text(
            cell, value.text, BODY_FONT, align=align, bold=True, colour=TIER_TEXT_COLOURS[value.tier].lstrip("#")
        )
    else:
        _cell_text(cell, value.text, BODY_FONT, align=align)


def _cell_text(cell, text: str, font: str, *, align, bold: bool = False, colour: str | None = None) -> None:
    _run(_cell_paragraph(cell, align), text, font, WUHAO, bold=bold, colour=colour)


def _cell_paragraph(cell, align):
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    _exact(paragraph.paragraph_format, TABLE_LINE_PT)
    return paragraph


def _page_number(paragraph, alignment) -> None:
    """— 1 —: the PAGE field between 一字线, 宋体 四号, one character in from the edge."""
    paragraph.alignment = alignment
    indent = Pt(SIHAO)
    if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
        paragraph.paragraph_format.right_indent = indent
    else:
        paragraph.paragraph_format.left_indent = indent
    _run(paragraph, f"{PAGE_DASH} ", PAGE_NUMBER_FONT, SIHAO, latin=PAGE_NUMBER_FONT)
    for kind, instruction in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = _run(paragraph, "", PAGE_NUMBER_FONT, SIHAO, latin=PAGE_NUMBER_FONT)
        if kind:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            run._r.append(field)
        elif instruction == " PAGE ":
            text = OxmlElement("w:instrText")
            text.set(qn("xml:space"), "preserve")
            text.text = instruction
            run._r.append(text)
        else:
            run.text = instruction  # what shows until Word updates the field
    _run(paragraph, f" {PAGE_DASH}", PAGE_NUMBER_FONT, SIHAO, latin=PAGE_NUMBER_FONT)


def _imprint(document, doc: Gongwen | Notice) -> None:
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
    _insert(properties, floating)
    borders = OxmlElement("w:tblBorders")
    for side, eighths in (("top", 8), ("bottom", 8), ("insideH", 4)):
        line = OxmlElement(f"w:{side}")
        for attribute, value in (("w:val", "single"), ("w:sz", str(eighths)), ("w:space", "0"), ("w:color", "000000")):
            line.set(qn(attribute), value)
        borders.append(line)
    _insert(properties, borders)
    _cell_margins(table, SIHAO * 25.4 / 72)  # 9704: one character in from either edge
    for row, text in zip(table.rows, lines):
        row.cells[0].width = Mm(TEXT_WIDTH_MM)
        _run(_imprint_paragraph(row.cells[0]), text, BODY_FONT, SIHAO)
    last = table.rows[-1].cells[0]
    last.width = Mm(TEXT_WIDTH_MM)
    issued = _imprint_paragraph(last)
    issued.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM) - 2 * Pt(SIHAO), WD_TAB_ALIGNMENT.RIGHT)
    _run(issued, f"{doc.issued_by}\t{doc.issued_on}", BODY_FONT, SIHAO)
    for row in table.rows:
        _keep_whole(row)
    anchor = document.add_paragraph()  # a floating table is placed from the paragraph after it
    _exact(anchor.paragraph_format, 1)


def _imprint_paragraph(cell):
    paragraph = cell.paragraphs[0]
    _exact(paragraph.paragraph_format, SIHAO * 2)
    return paragraph


# ---------------------------------------------------------------- OOXML python-docx lacks

# What may follow each element we add, in the schema's order: Word refuses a document whose
# properties come out of sequence.
_AFTER = {
    "w:pBdr": (
        "w:shd",
        "w:tabs",
        "w:suppressAutoHyphens",
        "w:kinsoku",
        "w:wordWrap",
        "w:overflowPunct",
        "w:topLinePunct",
        "w:autoSpaceDE",
        "w:autoSpaceDN",
        "w:bidi",
        "w:adjustRightInd",
        "w:snapToGrid",
        "w:spacing",
        "w:ind",
        "w:contextualSpacing",
        "w:mirrorIndents",
        "w:suppressOverlap",
        "w:jc",
        "w:textDirection",
        "w:textAlignment",
        "w:textboxTightWrap",
        "w:outlineLvl",
        "w:divId",
        "w:cnfStyle",
        "w:rPr",
        "w:sectPr",
        "w:pPrChange",
    ),
    "w:shd": (
        "w:noWrap",
        "w:tcMar",
        "w:textDirection",
        "w:tcFitText",
        "w:vAlign",
        "w:hideMark",
        "w:headers",
        "w:cellIns",
        "w:cellDel",
        "w:cellMerge",
        "w:tcPrChange",
    ),
    "w:cantSplit": (
        "w:trHeight",
        "w:tblHeader",
        "w:tblCellSpacing",
        "w:jc",
        "w:hidden",
        "w:ins",
        "w:del",
        "w:trPrChange",
    ),
    "w:tblHeader": ("w:tblCellSpacing", "w:jc", "w:hidden", "w:ins", "w:del", "w:trPrChange"),
    "w:tblCellMar": ("w:tblLook", "w:tblCaption", "w:tblDescription"),
    "w:tblpPr": (
        "w:tblOverlap",
        "w:bidiVisual",
        "w:tblStyleRowBandSize",
        "w:tblStyleColBandSize",
        "w:tblW",
        "w:jc",
        "w:tblCellSpacing",
        "w:tblInd",
        "w:tblBorders",
        "w:shd",
        "w:tblLayout",
        "w:tblCellMar",
        "w:tblLook",
        "w:tblCaption",
        "w:tblDescription",
    ),
    "w:tblBorders": ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription"),
}


def _set_font(element, east_asian: str, latin: str = LATIN_FONT) -> None:
    """Word takes Chinese glyphs from the eastAsia font, which python-docx does not set; the hint
    keeps quotes and dashes, which both alphabets share, in the Chinese font too."""
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")


def _run(
    paragraph,
    text: str,
    font: str,
    size: float,
    *,
    bold: bool = False,
    colour: str | None = None,
    latin: str = LATIN_FONT,
):
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)
    _set_font(run._element, font, latin)
    return run


def _exact(paragraph_format, points: float) -> None:
    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.line_spacing = Pt(points)


def _border(paragraph, side: str, colour: str, *, eighths: int, space: int = 1) -> None:
    """A rule above or below a paragraph; `eighths` is its weight in eighths of a point."""
    properties = paragraph._p.get_or_add_pPr()
    borders = properties.find(qn("w:pBdr"))
    if borders is None:
        borders = _insert(properties, OxmlElement("w:pBdr"))
    line = OxmlElement(f"w:{side}")
    for attribute, value in (("w:val", "single"), ("w:sz", str(eighths)), ("w:space", str(space)), ("w:color", colour)):
        line.set(qn(attribute), value)
    order = ("w:top", "w:left", "w:bottom", "w:right", "w:between", "w:bar")
    _insert(borders, line, order[order.index(f"w:{side}") + 1 :])


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    _insert(cell._tc.get_or_add_tcPr(), shading)


def _cell_margins(table, mm: float) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("w:left", "w:right"):
        margin = OxmlElement(side)
        margin.set(qn("w:w"), str(round(Mm(mm).twips)))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    _insert(table._tbl.tblPr, margins)


def _repeat_as_header(row) -> None:
    _insert(row._tr.get_or_add_trPr(), OxmlElement("w:tblHeader"))
    _keep_whole(row)


def _keep_whole(row) -> None:
    """A row never breaks across two pages."""
    _insert(row._tr.get_or_add_trPr(), OxmlElement("w:cantSplit"))


def _insert(parent, child, successors: tuple[str, ...] | None = None):
    """Put `child` before the first of its successors in `parent`, else last."""
    if successors is None:
        successors = next(after for tag, after in _AFTER.items() if qn(tag) == child.tag)
    tags = {qn(tag) for tag in successors}
    later = next((element for element in parent if element.tag in tags), None)
    if later is None:
        parent.append(child)
    else:
        later.addprevious(child)
    return child
