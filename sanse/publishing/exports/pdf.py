"""The bulletin as a PDF laid out like the Word file and the print view (GB/T 9704-2012), its
fonts embedded so it prints and reads the same on any machine."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode, WrapMode
from uniseg.linebreak import line_break_units

from sanse.facts.tiers import TIER_COLOURS, TIER_TEXT_COLOURS
from sanse.publishing.exports.fonts import covers, font_files, truetype_subset
from sanse.publishing.exports.gongwen import (
    ATTACHMENT,
    BOTTOM_MM,
    CELL_PADDING_MM,
    COPY_TO,
    CORRECTION,
    EDITOR_NOTE,
    ERHAO,
    GROUP,
    LEFT_MM,
    LINE_PITCH_PT,
    MASTHEAD_PT,
    PAGE_DASH,
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
    TableGroup,
    all_text,
    gongwen,
    signature_indents,
)
from sanse.publishing.exports.notice import Notice
from sanse.publishing.issue import Issue

# The faces by the role GB/T 9704 gives them (fonts.FACES); the last two stand behind them
# for a character they lack.
FANG, TITLE, KAI, HEI, SONG = "fang", "title", "kai", "hei", "song"
FALLBACKS = ("serif", "sans")
MM_PER_PT = 25.4 / 72
LINE_MM = LINE_PITCH_PT * MM_PER_PT
CHAR_MM = SANHAO * MM_PER_PT  # one character of body text: the unit of indents in 9704
IMPRINT_CLEARANCE_MM = 4  # at least this between the text and the 版记's first rule
CARRIED_ROWS = 3  # rows that go over with the 版记 when it has no room under the table


def issue_pdf(issue: Issue) -> bytes:
    doc = gongwen(issue)
    labels = (CORRECTION, EDITOR_NOTE, ATTACHMENT, GROUP, *doc.headings, doc.window, *(g.name for g in doc.groups))
    texts = {
        TITLE: doc.masthead + doc.title + doc.table_title,
        KAI: doc.signer + doc.editor_note,
        HEI: "".join(labels),
    }
    with _cut_fonts(all_text(doc), texts) as fonts:
        # The 版记 stands at the foot of the last page under the text; where the table leaves
        # it no room, the table's note (or its last rows) goes over to that page with it.
        for carry in (False, True):
            pdf = _document(doc.masthead, doc.number, doc.day, doc.office, fonts)
            if _write(pdf, doc, carry=carry):
                break
        return bytes(pdf.output())


def notice_pdf(notice: Notice) -> bytes:
    """A 约谈通知书 or 督办通知单 in the bulletin's layout and faces."""
    texts = {TITLE: notice.masthead + notice.title, HEI: "".join(heading for heading, _ in notice.sections)}
    with _cut_fonts(notice.text(), texts) as fonts:
        pdf = _document(notice.masthead, notice.number, notice.title, notice.signed_by, fonts)
        _write_notice(pdf, notice)
        return bytes(pdf.output())


@contextmanager
def _cut_fonts(text: str, texts: dict[str, str]):
    """{role: file} of the faces, each cut to what it sets (`texts`; the body face, and the
    page numbers' 宋体, to all of `text`), and the fallbacks cut to what the faces lack.
    Cutting is most of a PDF's time: the body face alone holds most characters."""
    files = font_files()
    wanted = {role: texts.get(role, text if role in (FANG, SONG) else "") for role in files.faces}
    wanted[SONG] = f"{PAGE_DASH} 0123456789"
    lacking = "".join(
        sorted(
            {
                c
                for role, chars in wanted.items()
                for c in chars
                if not c.isspace() and ord(c) not in covers(files.faces[role])
            }
        )
    )
    with tempfile.TemporaryDirectory(prefix="sanse-pdf-") as folder:
        fonts = {}  # fpdf2 reads fonts from files
        for role, path in files.faces.items():
            fonts[role] = Path(folder) / f"{role}.ttf"
            fonts[role].write_bytes(truetype_subset(path, " " + wanted[role]))  # a cmap even when unused
        if lacking:  # a character beyond the 公文 faces (a rare one in a town's name)
            for role, path in zip(FALLBACKS, (files.serif, files.sans)):
                fonts[role] = Path(folder) / f"{role}.ttf"
                fonts[role].write_bytes(truetype_subset(path, lacking))
        yield fonts


def _document(masthead: str, number: str, about: str, office: str, fonts: dict) -> _Bulletin:
    pdf = _Bulletin(f"{masthead} {number} {about}", office)
    for role, path in fonts.items():
        pdf.add_font(role, "", path)
    if any(role in fonts for role in FALLBACKS):
        pdf.set_fallback_fonts([role for role in FALLBACKS if role in fonts], exact_match=False)
    return pdf


class _Bulletin(FPDF):
    def __init__(self, title: str, office: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(LEFT_MM, TOP_MM, RIGHT_MM)
        self.set_auto_page_break(True, margin=BOTTOM_MM)
        self.set_title(title)
        self.set_author(office)
        self.set_creator("三色晾晒")
        self.set_lang("zh-CN")

    def footer(self) -> None:
        """— 1 —, 宋体 四号, its top 7 mm under the 版心; odd pages right, even left, one character in."""
        self.set_y(-(BOTTOM_MM - 7))
        self.set_font(SONG, size=SIHAO)
        self.set_text_color(0)
        indent = SIHAO * MM_PER_PT
        text = f"{PAGE_DASH} {self.page_no()} {PAGE_DASH}"
        if self.page_no() % 2:
            self.set_x(LEFT_MM)
            self.cell(TEXT_WIDTH_MM - indent, SIHAO * MM_PER_PT, text, align="R")
        else:
            self.set_x(LEFT_MM + indent)
            self.cell(TEXT_WIDTH_MM - indent, SIHAO * MM_PER_PT, text, align="L")


def _masthead(pdf: _Bulletin, masthead: str) -> None:
    """The red 发文机关标志 at the top of the first page."""
    pdf.add_page()
    pdf.set_text_color(f"#{RED}")
    pdf.set_font(TITLE, size=MASTHEAD_PT)
    pdf.set_char_spacing(4)
    pdf.cell(0, MASTHEAD_PT * MM_PER_PT * 1.3, masthead, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_char_spacing(0)
    pdf.ln(SANHAO * MM_PER_PT)
    pdf.set_text_color(0)
    pdf.set_font(FANG, size=SANHAO)


def _write_notice(pdf: _Bulletin, notice: Notice) -> None:
    """Masthead, 发文字号 and the red rule; the title; 主送, the sections; a line under them the
    office and the date signed (9704 7.3.5.1, unsealed); the 版记 at the foot."""
    _masthead(pdf, notice.masthead)
    pdf.cell(0, LINE_MM, notice.number, align="C", new_x="LMARGIN", new_y="NEXT")
    _rule(pdf, f"#{RED}", 0.5)
    pdf.ln(LINE_MM)
    _flow(pdf, notice.title, size=ERHAO, indent=0, align="C", font=TITLE)
    pdf.ln(LINE_MM / 2)
    _flow(pdf, notice.addressee, indent=0)
    for heading, text in notice.sections:
        _flow(pdf, text, label=heading)
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
    _imprint(pdf, notice, force=True)


def _write(pdf: _Bulletin, doc: Gongwen, *, carry: bool) -> bool:
    """The document; False when the 版记 found no room under the text of the last page
    (`carry` makes room by taking the table's note or last rows over to a page of their own)."""
    _masthead(pdf, doc.masthead)
    if doc.signer:  # 9704 7.2.4: the number one character in from the left, the signer from the right
        _signed(pdf, doc.number, doc.signer)
    else:
        pdf.cell(0, LINE_MM, doc.number, align="C", new_x="LMARGIN", new_y="NEXT")
    _both_ends(pdf, doc.office, doc.day, 0)
    _rule(pdf, f"#{RED}", 0.5)  # the red rule under the masthead
    pdf.ln(2)

    if doc.correction:
        pdf.ln(LINE_MM / 2)
        _flow(pdf, doc.correction, label=CORRECTION)
    pdf.ln(LINE_MM / 2)
    _flow(pdf, doc.title, size=ERHAO, indent=0, align="C", font=TITLE)
    pdf.ln(LINE_MM / 2)
    if doc.editor_note:
        _flow(pdf, doc.editor_note, label=EDITOR_NOTE, font=KAI)
    for text in doc.paragraphs:
        _flow(pdf, text)
    pdf.ln(LINE_MM)  # 9704 7.3.5: the 附件说明 a line under the text, two characters in
    _flow(pdf, doc.attachment_note)

    pdf.add_page()  # 9704 7.3.6: the 附件 on a page of its own, the word at the top left in 黑体
    pdf.set_font(HEI, size=SANHAO)
    pdf.cell(0, LINE_MM, ATTACHMENT, new_x="LMARGIN", new_y="NEXT")
    _flow(pdf, doc.table_title, size=ERHAO, indent=0, align="C", font=TITLE)
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
        _flow(pdf, doc.footnote, size=XIAOSI, line_mm=XIAOSI * 1.5 * MM_PER_PT, indent=0)
    return _imprint(pdf, doc, force=carry)


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


def _both_ends(pdf: FPDF, left: str, right: str, indent: float, height: float = LINE_MM) -> None:
    y = pdf.get_y()
    pdf.set_x(LEFT_MM + indent)
    pdf.cell(TEXT_WIDTH_MM - 2 * indent, height, left)
    pdf.set_xy(LEFT_MM + indent, y)
    pdf.cell(TEXT_WIDTH_MM - 2 * indent, height, right, align="R", new_x="LMARGIN", new_y="NEXT")


def _rule(pdf: FPDF, colour: str, width: float) -> None:
    with pdf.local_context(draw_color=colour, line_width=width):
        pdf.line(LEFT_MM, pdf.get_y(), LEFT_MM + TEXT_WIDTH_MM, pdf.get_y())


def _flow(
    pdf: FPDF,
    text: str,
    *,
    size: float = SANHAO,
    line_mm: float = LINE_MM,
    indent: float = 2 * CHAR_MM,
    label: str = "",
    align: str = "J",
    left: float = LEFT_MM,
    width: float = TEXT_WIDTH_MM,
    font: str = FANG,
) -> None:
    """Chinese paragraphs set line by line, each line of the text its own paragraph: the first
    line indented and opening with a 黑体 label if any; lines but the last justified."""
    for number, paragraph in enumerate(text.split("\n")):
        pdf.set_font(HEI, size=size)
        lead = indent + pdf.get_string_width(label if number == 0 else "")
        pdf.set_font(font, size=size)
        lines = _lines(pdf, paragraph, width - lead, width)
        for index, units in enumerate(lines):
            if pdf.will_page_break(line_mm):
                pdf.add_page()
            x, y = left, pdf.get_y()
            if index == 0:
                x += indent
                if label and number == 0:
                    pdf.set_font(HEI, size=size)
                    pdf.set_xy(x, y)
                    pdf.cell(lead - indent, line_mm, label)
                    pdf.set_font(font, size=size)
                    x = left + lead
            room = left + width - x
            line = "".join(units)
            if align == "C":
                pdf.set_xy(x, y)
                pdf.cell(room, line_mm, line, align="C")
            else:
                gap = _gap(pdf, units, room) if align == "J" and index < len(lines) - 1 else 0
                for unit in units:
                    pdf.set_xy(x, y)
                    pdf.cell(pdf.get_string_width(unit), line_mm, unit)
                    x += pdf.get_string_width(unit) + gap
            pdf.set_xy(left, y + line_mm)


def _lines(pdf: FPDF, text: str, first: float, width: float) -> list[list[str]]:
    """`text` broken where Unicode line breaking (UAX #14, by uniseg) allows: never before
    "，" or "）", never inside "80.0%" or a number; the first line `first` wide. Each line is
    the list of its unbreakable units."""
    units = []
    for unit in line_break_units(text):
        units.extend([unit] if pdf.get_string_width(unit) <= width else list(unit))  # a run longer than a line
    lines, line, room = [], [], first
    for unit in units:
        if line and pdf.get_string_width("".join(line) + unit.rstrip()) > room:
            lines.append(line)
            line, room = [], width
        line.append(unit)
    lines.append(line)
    return [[*line[:-1], line[-1].rstrip()] for line in lines]


def _gap(pdf: FPDF, units: list[str], room: float) -> float:
    """The space between units that fills the line to `room`, so a number or "80.0%" is never
    spread apart; none past 0.08 of a character, where text extraction (pdftotext, pypdf)
    starts to read a gap as a space: such a line stays ragged, as a copied text stays whole."""
    if len(units) < 2:
        return 0
    gap = (room - pdf.get_string_width("".join(units))) / (len(units) - 1)
    return gap if 0 < gap < pdf.font_size * 0.08 else 0


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


def _imprint(pdf: FPDF, doc: Gongwen | Notice, *, force: bool) -> bool:
    """The 版记 (9704 7.4) at the foot of the page: 报送 and 抄送 lines and the 印发 line between
    rules, the first and last rules heavier. False, drawing nothing, when it has no room there
    under the text, unless `force`: then on a page of its own."""
    lines = [(label, text) for label, text in ((REPORT_TO, doc.report_to), (COPY_TO, doc.copy_to)) if text]
    height = SIHAO * MM_PER_PT * 2
    indent = SIHAO * MM_PER_PT  # 9704: one character in from either edge
    width = TEXT_WIDTH_MM - 2 * indent
    pdf.set_font(FANG, size=SIHAO)
    needed = height * (1 + sum(len(_lines(pdf, label + text, width, width)) for label, text in lines))
    bottom = pdf.h - BOTTOM_MM
    if pdf.get_y() + IMPRINT_CLEARANCE_MM + needed > bottom:
        if not force:
            return False
        pdf.add_page()
    pdf.set_y(bottom - needed)
    _rule(pdf, "#000000", 0.35)
    for label, text in lines:
        _flow(pdf, label + text, size=SIHAO, line_mm=height, indent=0, left=LEFT_MM + indent, width=width)
        _rule(pdf, "#000000", 0.25)
    pdf.set_font(FANG, size=SIHAO)
    _both_ends(pdf, doc.issued_by, doc.issued_on, indent, height)
    _rule(pdf, "#000000", 0.35)
    return True
