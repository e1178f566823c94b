"""The bulletin, and a 督办 item's notice, as Word documents in the national format (GB/T
9704-2012), ready to file or paste into the office's 公文."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.shared import Mm, Pt

from sanse.facts.tiers import TIER_TEXT_COLOURS, tier_hex
from sanse.publishing.exports.gongwen import (
    ATTACHMENT,
    CELL_PADDING_MM,
    CORRECTION,
    EDITOR_NOTE,
    ERHAO,
    GROUP,
    LINE_PITCH_PT,
    MASTHEAD_PT,
    RED,
    SANHAO,
    SIGNER,
    TABLE_COLUMNS,
    TABLE_LINE_PT,
    TEXT_WIDTH_MM,
    WINDOW_SPAN,
    WUHAO,
    XIAOSI,
    Gongwen,
    TableCell,
    gongwen,
    signature_indents,
)
from sanse.publishing.exports.notice import Notice
from sanse.publishing.exports.ooxml import border, cell_margins, keep_whole, repeat_as_header, shade
from sanse.publishing.exports.word_page import (
    BODY_FONT,
    CHAR,
    HEADING_FONT,
    NAME_FONT,
    TITLE_FONT,
    exact,
    imprint,
    run,
    set_up_page,
)
from sanse.publishing.issue import Issue


def issue_docx(issue: Issue) -> bytes:
    document = Document()
    set_up_page(document)
    _write(document, gongwen(issue))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def notice_docx(notice: Notice) -> bytes:
    """A 约谈通知书 or 督办通知单 in the bulletin's layout and fonts."""
    document = Document()
    set_up_page(document)
    _write_notice(document, notice)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _write_notice(document, notice: Notice) -> None:
    masthead = document.add_paragraph()
    masthead.alignment = WD_ALIGN_PARAGRAPH.CENTER
    masthead.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    masthead.paragraph_format.space_after = Pt(SANHAO)
    run(masthead, notice.masthead, TITLE_FONT, MASTHEAD_PT, colour=RED)
    number = document.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(number, notice.number, BODY_FONT, SANHAO)
    border(number, "bottom", RED, eighths=12, space=6)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = title.paragraph_format.space_after = Pt(LINE_PITCH_PT / 2)
    run(title, notice.title, TITLE_FONT, ERHAO)
    run(document.add_paragraph(), notice.addressee, BODY_FONT, SANHAO)  # 主送, flush left
    for heading, text in notice.sections:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = 2 * CHAR
        if heading:
            run(paragraph, heading, HEADING_FONT, SANHAO)
        run(paragraph, text, BODY_FONT, SANHAO)

    # 9704 7.3.5.1 (unsealed): a line under the text, the office and under it the date; widths
    # in characters, a digit counting half
    office_right, day_right = signature_indents(_width(notice.signed_by), _width(notice.signed_on), 1)
    office = document.add_paragraph()
    office.paragraph_format.space_before = Pt(LINE_PITCH_PT)
    office.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    office.paragraph_format.right_indent = Pt(SANHAO * office_right)
    office.paragraph_format.keep_with_next = True
    run(office, notice.signed_by, BODY_FONT, SANHAO)
    signed = document.add_paragraph()
    signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    signed.paragraph_format.right_indent = Pt(SANHAO * day_right)
    run(signed, notice.signed_on, BODY_FONT, SANHAO)
    imprint(document, notice)


def _width(text: str) -> float:
    """The width of `text` in characters of body text: Latin letters and digits take half."""
    return sum(0.5 if character.isascii() else 1 for character in text)


def _write(document, doc: Gongwen) -> None:
    masthead = document.add_paragraph()
    masthead.alignment = WD_ALIGN_PARAGRAPH.CENTER
    masthead.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    masthead.paragraph_format.space_after = Pt(SANHAO)
    run(masthead, doc.masthead, TITLE_FONT, MASTHEAD_PT, colour=RED)

    number = document.add_paragraph()
    if doc.signer:  # 9704 7.2.4: the 发文字号 one character in from the left, the signer from the right
        number.paragraph_format.left_indent = number.paragraph_format.right_indent = CHAR
        # Word measures tab stops from the margin, not the indent
        number.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM) - CHAR, WD_TAB_ALIGNMENT.RIGHT)
        run(number, f"{doc.number}\t{SIGNER}", BODY_FONT, SANHAO)
        run(number, doc.signer, NAME_FONT, SANHAO)
    else:
        number.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run(number, doc.number, BODY_FONT, SANHAO)

    office = document.add_paragraph()
    office.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
    run(office, f"{doc.office}\t{doc.day}", BODY_FONT, SANHAO)
    border(office, "bottom", RED, eighths=12, space=6)  # the red rule under the masthead

    if doc.correction:
        _labelled(document, CORRECTION, doc.correction, BODY_FONT).paragraph_format.space_before = Pt(LINE_PITCH_PT)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = title.paragraph_format.space_after = Pt(LINE_PITCH_PT)
    run(title, doc.title, TITLE_FONT, ERHAO)

    if doc.editor_note:
        _labelled(document, EDITOR_NOTE, doc.editor_note, NAME_FONT)
    for text in doc.paragraphs:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = 2 * CHAR
        run(paragraph, text, BODY_FONT, SANHAO)
    note = document.add_paragraph()  # 9704 7.3.5: the 附件说明 a line under the text, two characters in
    note.paragraph_format.space_before = Pt(LINE_PITCH_PT)
    note.paragraph_format.left_indent = 2 * CHAR
    run(note, doc.attachment_note, BODY_FONT, SANHAO)

    # 9704 7.3.6: the 附件 on a page of its own, "附件" at the top left in 黑体, its title centred
    label = document.add_paragraph()
    label.paragraph_format.page_break_before = True
    label.paragraph_format.keep_with_next = True
    run(label, ATTACHMENT, HEADING_FONT, SANHAO)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.keep_with_next = True
    heading.paragraph_format.space_after = Pt(6)
    run(heading, doc.table_title, TITLE_FONT, ERHAO)
    _table(document, doc)

    if doc.footnote:
        note = document.add_paragraph()
        exact(note.paragraph_format, XIAOSI * 1.5)
        run(note, doc.footnote, BODY_FONT, XIAOSI)
    imprint(document, doc)


def _labelled(document, label: str, text: str, font: str):
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = 2 * CHAR
    run(paragraph, label, HEADING_FONT, SANHAO)
    run(paragraph, text, font, SANHAO)
    return paragraph


def _table(document, doc: Gongwen) -> None:
    """Header rows repeat on every page; rows never split; widths fixed inside the 版心."""
    body_rows = sum(len(g.rows) + bool(g.name) for g in doc.groups)
    table = document.add_table(rows=2 + body_rows, cols=len(TABLE_COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # a fixed layout: Word keeps the widths given instead of fitting the text
    cell_margins(table, CELL_PADDING_MM)
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
        repeat_as_header(row)

    rows = iter(table.rows[2:])
    for group in doc.groups:
        if group.name:
            row = next(rows)
            merged = row.cells[0].merge(row.cells[-1])
            _cell_text(merged, f"{GROUP}{group.name}", HEADING_FONT, align=WD_ALIGN_PARAGRAPH.LEFT)
            keep_whole(row)
        for cells in group.rows:
            row = next(rows)
            keep_whole(row)
            for cell, value in zip(row.cells, cells):
                _body_cell(cell, value)


def _heading_cell(cell, text: str) -> None:
    """A heading in 黑体, broken where TABLE_COLUMNS breaks it."""
    paragraph = _cell_paragraph(cell, WD_ALIGN_PARAGRAPH.CENTER)
    for index, line in enumerate(text.split("\n")):
        if index:
            paragraph.runs[-1].add_break()
        run(paragraph, line, HEADING_FONT, WUHAO)


def _body_cell(cell, value: TableCell) -> None:
    align = WD_ALIGN_PARAGRAPH.LEFT if value.align == "left" else WD_ALIGN_PARAGRAPH.CENTER
    if value.tier:
        shade(cell, tier_hex(value.tier))
        _cell_text(
            cell, value.text, BODY_FONT, align=align, bold=True, colour=TIER_TEXT_COLOURS[value.tier].lstrip("#")
        )
    else:
        _cell_text(cell, value.text, BODY_FONT, align=align)


def _cell_text(cell, text: str, font: str, *, align, bold: bool = False, colour: str | None = None) -> None:
    run(_cell_paragraph(cell, align), text, font, WUHAO, bold=bold, colour=colour)


def _cell_paragraph(cell, align):
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    exact(paragraph.paragraph_format, TABLE_LINE_PT)
    return paragraph
