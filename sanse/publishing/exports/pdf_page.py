"""The PDF 公文 page (GB/T 9704-2012) that the bulletin and the 督办 notices share: the faces cut
to what a document sets and embedded, A4 with its 版心 and page numbers, the red masthead,
Chinese paragraphs broken and justified as the standard sets them, and the 版记 at the foot."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path

from fpdf import FPDF
from uniseg.linebreak import line_break_units

from sanse.publishing.exports.fonts import covers, font_files, truetype_subset
from sanse.publishing.exports.gongwen import (
    BOTTOM_MM,
    COPY_TO,
    LEFT_MM,
    LINE_PITCH_PT,
    MASTHEAD_PT,
    PAGE_DASH,
    RED,
    REPORT_TO,
    RIGHT_MM,
    SANHAO,
    SIHAO,
    TEXT_WIDTH_MM,
    TOP_MM,
    Gongwen,
)
from sanse.publishing.exports.notice import Notice

# The faces by the role GB/T 9704 gives them (fonts.FACES); the last two stand behind them
# for a character they lack.
FANG, TITLE, KAI, HEI, SONG = "fang", "title", "kai", "hei", "song"
FALLBACKS = ("serif", "sans")
MM_PER_PT = 25.4 / 72
LINE_MM = LINE_PITCH_PT * MM_PER_PT
CHAR_MM = SANHAO * MM_PER_PT  # one character of body text: the unit of indents in 9704
IMPRINT_CLEARANCE_MM = 4  # at least this between the text and the 版记's first rule


@contextmanager
def cut_fonts(text: str, texts: dict[str, str]):
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


def new_pdf(masthead: str, number: str, about: str, office: str, fonts: dict) -> GongwenPdf:
    """An empty document with the cut `fonts` (cut_fonts) and, where they are cut, their fallbacks."""
    pdf = GongwenPdf(f"{masthead} {number} {about}", office)
    for role, path in fonts.items():
        pdf.add_font(role, "", path)
    if any(role in fonts for role in FALLBACKS):
        pdf.set_fallback_fonts([role for role in FALLBACKS if role in fonts], exact_match=False)
    return pdf


class GongwenPdf(FPDF):
    """A4 portrait with the 版心's margins, titled and signed by the office, numbered as 9704 numbers pages."""

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


def put_masthead(pdf: GongwenPdf, masthead: str) -> None:
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


def both_ends(pdf: FPDF, left: str, right: str, indent: float, height: float = LINE_MM) -> None:
    """One line with `left` flush left and `right` flush right, `indent` in from either edge."""
    y = pdf.get_y()
    pdf.set_x(LEFT_MM + indent)
    pdf.cell(TEXT_WIDTH_MM - 2 * indent, height, left)
    pdf.set_xy(LEFT_MM + indent, y)
    pdf.cell(TEXT_WIDTH_MM - 2 * indent, height, right, align="R", new_x="LMARGIN", new_y="NEXT")


def rule(pdf: FPDF, colour: str, width: float) -> None:
    """A rule across the 版心 where the text has got to."""
    with pdf.local_context(draw_color=colour, line_width=width):
        pdf.line(LEFT_MM, pdf.get_y(), LEFT_MM + TEXT_WIDTH_MM, pdf.get_y())


def flow(
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


def imprint(pdf: FPDF, doc: Gongwen | Notice, *, force: bool) -> bool:
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
    rule(pdf, "#000000", 0.35)
    for label, text in lines:
        flow(pdf, label + text, size=SIHAO, line_mm=height, indent=0, left=LEFT_MM + indent, width=width)
        rule(pdf, "#000000", 0.25)
    pdf.set_font(FANG, size=SIHAO)
    both_ends(pdf, doc.issued_by, doc.issued_on, indent, height)
    rule(pdf, "#000000", 0.35)
    return True
