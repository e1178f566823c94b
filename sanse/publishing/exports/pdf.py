"""The bulletin, and a 督办 item's notice, as PDFs laid out like the Word file and the print
view (GB/T 9704-2012), their fonts embedded so they print and read the same on any machine."""

from __future__ import annotations

from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode, WrapMode

from sanse.facts.tiers import TIER_COLOURS, TIER_TEXT_COLOURS
from sanse.publishing.exports.gongwen import (
    ATTACHMENT,
    CELL_PADDING_MM,
    CORRECTION,
    EDITOR_NOTE,
    ERHAO,
    GROUP,
    LEFT_MM,
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
    TableGroup,
    all_text,
    gongwen,
    signature_indents,
)
from sanse.publishing.exports.notice import Notice
from sanse.publishing.exports.pdf_page import (
    CHAR_MM,
    FANG,
    HEI,
    KAI,
    LINE_MM,
    MM_PER_PT,
    TITLE,
    GongwenPdf,
    both_ends,
    cut_fonts,
    flow,
    imprint,
    new_pdf,
    put_masthead,
    rule,
)
from sanse.publishing.issue import Issue

CARRIED_ROWS = 3  # rows that go over with the 版记 when it has no room under the table


def issue_pdf(issue: Issue) -> bytes:
    doc = gongwen(issue)
    labels = (CORRECTION, EDITOR_NOTE, ATTACHMENT, GROUP, *doc.headings, doc.window, *(g.name for g in doc.groups))
    texts = {
        TITLE: doc.masthead + doc.title + doc.table_title,
        KAI: doc.signer + doc.editor_note,
        HEI: "".join(labels),
    }
    with cut_fonts(all_text(doc), texts) as fonts:
        # The 版记 stands at the foot of the last page under the text; where the table leaves
        # it no room, the table's note (or its last rows) goes over to that page with it.
        for carry in (False, True):
            pdf = new_pdf(doc.masthead, doc.number, doc.day, doc.office, fonts)
            if _write(pdf, doc, carry=carry):
                break
        return bytes(pdf.output())


def notice_pdf(notice: Notice) -> bytes:
    """A 约谈通知书 or 督办通知单 in the bulletin's layout and faces."""
    texts = {TITLE: notice.masthead + notice.title, HEI: "".join(heading for heading, _ in notice.sections)}
    with cut_fonts(notice.text(), texts) as fonts:
        pdf = new_pdf(notice.masthead, notice.number, notice.title, notice.signed_by, fonts)
        _write_notice(pdf, notice)
        return bytes(pdf.output())


def _write_notice(pdf: GongwenPdf, notice: Notice) -> None:
    """Masthead, 发文字号 and the red rule; the title; 主送, the sections; a line under them the
    office and the date signed (9704 7.3.5.1, unsealed); the 版记 at the foot."""
    put_masthead(pdf, notice.masthead)
    pdf.cell(0, LINE_MM, notice.number, align="C", new_x="LMARGIN", new_y="NEXT")
    rule(pdf, f"#{RED}", 0.5)
    pdf.ln(LINE_MM)
    flow(pdf, notice.title, size=ERHAO, indent=0, align="C", font=TITLE)
    pdf.ln(LINE_MM / 2)
    flow(pdf, notice.addressee, indent=0)
    for heading, text in notice.sections:
        flow(pdf, text, label=heading)
    pdf.ln(LINE_MM)
    if pdf.will_page_break(LINE_MM * 2):
        pdf.add_page()
    pdf.set_font(FANG, size=SANHAO)
    office, day = pdf.get_string_width(notice.signed_by), pdf.get_string_width(notice.signed_on)
    office_right, day_right = signature_indents(office, day, CHAR_MM)
    right = LEFT_MM + TEXT_WIDTH_MM
    pdf.set_x(right - office_right - office)
    pdf.cell(office, LINE_MM, notice.signed_by, new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(right - day_right - day)
    pdf.cell(day, LINE_MM, notice.signed_on, new_x="LMARGIN", new_y="NEXT")
    imprint(pdf, notice, force=True)


def _write(pdf: GongwenPdf, doc: Gongwen, *, carry: bool) -> bool:
    """The document; False when the 版记 found no room under the text of the last page
    (`carry` makes room by taking the table's note or last rows over to a page of their own)."""
    put_masthead(pdf, doc.masthead)
    if doc.signer:  # 9704 7.2.4: the number one character in from the left, the signer from the right
        _signed(pdf, doc.number, doc.signer)
    else:
        pdf.cell(0, LINE_MM, doc.number, align="C", new_x="LMARGIN", new_y="NEXT")
    both_ends(pdf, doc.office, doc.day, 0)
    rule(pdf, f"#{RED}", 0.5)  # the red rule under the masthead
    pdf.ln(2)

    if doc.correction:
        pdf.ln(LINE_MM / 2)
        flow(pdf, doc.correction, label=CORRECTION)
    pdf.ln(LINE_MM / 2)
    flow(pdf, doc.title, size=ERHAO, indent=0, align="C", font=TITLE)
    pdf.ln(LINE_MM / 2)
    if doc.editor_note:
        flow(pdf, doc.editor_note, label=EDITOR_NOTE, font=KAI)
    for text in doc.paragraphs:
        flow(pdf, text)
    pdf.ln(LINE_MM)  # 9704 7.3.5: the 附件说明 a line under the text, two characters in
    flow(pdf, doc.attachment_note)

    pdf.add_page()  # 9704 7.3.6: the 附件 on a page of its own, the word at the top left in 黑体
    pdf.set_font(HEI, size=SANHAO)
    pdf.cell(0, LINE_MM, ATTACHMENT, new_x="LMARGIN", new_y="NEXT")
    flow(pdf, doc.table_title, size=ERHAO, indent=0, align="C", font=TITLE)
    pdf.ln(2)
    groups = doc.groups
    carried = ()
    if carry and not doc.footnote:
        *before, last = groups
        keep = max(len(last.rows) - CARRIED_ROWS, 1)
        groups = (*before, last._replace(rows=last.rows[:keep]))
        carried = (last._replace(name="", rows=last.rows[keep:]),) if last.rows[keep:] else ()
    _table(pdf, doc, groups)
    if carried:
        pdf.add_page()
        _table(pdf, doc, carried)
    pdf.ln(2)
    if doc.footnote:
        if carry:
            pdf.add_page()
        flow(pdf, doc.footnote, size=XIAOSI, line_mm=XIAOSI * 1.5 * MM_PER_PT, indent=0)
    return imprint(pdf, doc, force=carry)


def _signed(pdf: FPDF, number: str, signer: str) -> None:
    """发文字号 (or 期号) one character in from the left; 签发人 and the name in 楷体 from the right."""
    y = pdf.get_y()
    pdf.set_x(LEFT_MM + CHAR_MM)
    pdf.cell(TEXT_WIDTH_MM - 2 * CHAR_MM, LINE_MM, number)
    pdf.set_font(KAI, size=SANHAO)
    name = pdf.get_string_width(signer)
    pdf.set_font(FANG, size=SANHAO)
    label = pdf.get_string_width(SIGNER)
    x = LEFT_MM + TEXT_WIDTH_MM - CHAR_MM - name - label
    pdf.set_xy(x, y)
    pdf.cell(label, LINE_MM, SIGNER)
    pdf.set_font(KAI, size=SANHAO)
    pdf.cell(name, LINE_MM, signer, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FANG, size=SANHAO)


def _table(pdf: FPDF, doc: Gongwen, groups: tuple[TableGroup, ...]) -> None:
    """Both heading rows repeat on every page; a row never splits."""
    start, span = WINDOW_SPAN
    headings = FontFace(family=HEI, emphasis="", size_pt=WUHAO, fill_color=None)
    pdf.set_font(FANG, size=WUHAO)
    with (
        pdf.local_context(line_width=0.2),
        pdf.table(
            col_widths=[c.width_mm for c in TABLE_COLUMNS],
            width=sum(c.width_mm for c in TABLE_COLUMNS),
            align="CENTER",
            line_height=TABLE_LINE_PT * MM_PER_PT,
            padding=(0.6, CELL_PADDING_MM),
            v_align="MIDDLE",
            text_align="CENTER",
            num_heading_rows=2,
            headings_style=headings,
            cell_fill_mode=TableCellFillMode.NONE,
            wrapmode=WrapMode.CHAR,
        ) as table,
    ):
        first = table.row()
        for index, spec in enumerate(TABLE_COLUMNS):
            if not spec.in_window:
                first.cell(doc.headings[index], rowspan=2)
            elif index == start:
                first.cell(doc.window, colspan=span)
        second = table.row()
        for index, spec in enumerate(TABLE_COLUMNS):
            if spec.in_window:
                second.cell(doc.headings[index])
        for group in groups:
            if group.name:
                table.row().cell(
                    f"{GROUP}{group.name}",
                    colspan=len(TABLE_COLUMNS),
                    align="LEFT",
                    style=FontFace(family=HEI, size_pt=WUHAO),
                )
            for cells in group.rows:
                row = table.row()
                for cell in cells:
                    row.cell(cell.text, align="LEFT" if cell.align == "left" else "CENTER", style=_tier_style(cell))


def _tier_style(cell: TableCell) -> FontFace | None:
    if cell.tier not in TIER_COLOURS:
        return None
    return FontFace(fill_color=TIER_COLOURS[cell.tier], color=TIER_TEXT_COLOURS[cell.tier])
