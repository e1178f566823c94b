"""The bulletin laid out as a 公文 (GB/T 9704-2012): page, type sizes and the blocks in order,
read alike by the Word, PDF and print renderers so the three show the same document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sanse.facts.clock import BEIJING
from sanse.facts.dates import chinese_date
from sanse.facts.periods import THIS_PERIOD
from sanse.publishing.exports.table import (
    COLUMNS,
    FLAG_COLUMNS,
    Column,
    cell_text,
    confidence_note,
    ranking_rows,
    window_heading,
)
from sanse.publishing.issue import Issue
from sanse.publishing.prose import bulletin_paragraphs, correction_statement

# GB/T 9704-2012 5.2: A4 portrait, 版心 156 × 225 mm.
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
TOP_MM, BOTTOM_MM, LEFT_MM, RIGHT_MM = 37, 35, 28, 26
TEXT_WIDTH_MM = PAGE_WIDTH_MM - LEFT_MM - RIGHT_MM  # 156
# The page number's top sits 7 mm under the 版心 (GB/T 9704 7.5): 35 − 7 − one 四号 line.
FOOTER_MM = 23

# Chinese type sizes (字号) in points.
ERHAO, SANHAO, SIHAO, XIAOSI, WUHAO = 22, 16, 14, 12, 10.5
MASTHEAD_PT = 36  # 小初: the red 发文机关标志 above the rule; 9704 leaves its size to the office
# 22 lines of 28 characters fill the 版心 (GB/T 9704 5.2.2): 225 mm / 22 lines.
LINE_PITCH_PT = 28.95
TABLE_LINE_PT = 15  # 五号 with a little air, so 23 towns and the headings fit one page

PAGE_DASH = "—"  # the 一字线 either side of a page number: — 1 —
RED = "C00000"  # the masthead and its rule (the same red as the red tier)

# The words every renderer prints before the office's own lines.
SIGNER, CORRECTION, EDITOR_NOTE, GROUP, REPORT_TO, COPY_TO, ATTACHMENT = (
    "签发人：",
    "更正说明：",
    "编者按：",
    "分组：",
    "报送：",
    "抄送：",
    "附件",
)
CORRECTED = "（更正）"  # after the title of a 更正


class TableColumn(NamedTuple):
    column: Column
    heading: str  # "\n" where the heading breaks, so every renderer breaks it alike
    width_mm: float
    in_window: bool  # a window sum: under the 累计 (近7日, 当日) heading


# The Word, PDF and print tables: the pinned columns that matter to a reader (the rates
# carry the counts) and the three flags, at 五号 with 0.6 mm either side of a cell's text:
# wide enough for "11.69%" and a five-character town, 152 mm in all, inside the 156 mm 版心.
CELL_PADDING_MM = 0.6
_BY_KEY = {column.key: column for column in COLUMNS + FLAG_COLUMNS}
TABLE_COLUMNS = (
    TableColumn(_BY_KEY["rank"], "排名", 9, False),
    TableColumn(_BY_KEY["town"], "镇街", 21, False),
    TableColumn(_BY_KEY["inspections"], "检查\n企业数", 13, True),
    TableColumn(_BY_KEY["major_hazard_rate"], "重大隐患\n发现率", 17, True),
    TableColumn(_BY_KEY["halt_rate"], "停产\n停业率", 15, True),
    TableColumn(_BY_KEY["case_rate"], "立案\n查处率", 15, True),
    TableColumn(_BY_KEY["score"], "综合\n得分", 13, False),
    TableColumn(_BY_KEY["tier"], "等级", 9, False),
    TableColumn(_BY_KEY["rank_change"], "名次\n变化", 9, False),
    TableColumn(_BY_KEY["provisional"], "待定", 9, False),
    TableColumn(_BY_KEY["red_alert"], "约谈", 9, False),
    TableColumn(_BY_KEY["not_reported"], "当日\n未报送", 13, False),
)
WINDOW_SPAN = (
    next(i for i, c in enumerate(TABLE_COLUMNS) if c.in_window),
    sum(c.in_window for c in TABLE_COLUMNS),
)


class TableCell(NamedTuple):
    text: str
    tier: str | None  # blue, yellow or red: filled with the tier colour, the word kept
    align: str  # center or left


class TableGroup(NamedTuple):
    name: str  # the peer group, "" when the city ranks as one
    rows: tuple[tuple[TableCell, ...], ...]


@dataclass(frozen=True)
class Gongwen:
    masthead: str  # 发文机关标志, in red
    number: str  # the 发文字号 (示安办〔2026〕12号) where the series has one, else 第12期
    signer: str  # 签发人, "" when none
    office: str
    day: str  # 2026年10月12日
    correction: str  # 更正说明, "" unless a 更正
    title: str  # ending in （更正） on a 更正
    editor_note: str  # 编者按
    paragraphs: tuple[str, ...]
    attachment_note: str  # 附件：各镇街排名（…）, under the text (9704 7.3.5)
    table_title: str  # the 附件's own title, under the word 附件 on its first page
    window: str  # the heading over the window sums
    headings: tuple[str, ...]  # one per TABLE_COLUMNS: a period's issue heads 未报送 with its period
    groups: tuple[TableGroup, ...]
    footnote: str
    report_to: str  # 版记
    copy_to: str
    issued_by: str  # the 版记's 印发 line: office, then the date of printing
    issued_on: str


def gongwen(issue: Issue) -> Gongwen:
    """The issue as a 公文, ready for any renderer."""
    published = issue.published_at.astimezone(BEIJING).date()
    rows = ranking_rows(issue)
    table_title = f"各镇街排名（{issue.when}）"
    names = list(dict.fromkeys(row["group"] for row in rows))
    grouped = len(names) > 1
    return Gongwen(
        masthead=issue.title,
        number=issue.doc_number or issue.number_label,
        signer=issue.signer.strip(),
        office=issue.office,
        # a day's issue is dated with its day; a period's with the day it was published
        day=chinese_date(issue.day if issue.period_kind == "day" else published),
        correction=correction_statement(issue),
        title=f"{issue.when}各镇街三色晾晒情况" + (CORRECTED if issue.correction else ""),
        editor_note=issue.editor_note.strip(),
        paragraphs=tuple(bulletin_paragraphs(issue)),
        attachment_note=f"{ATTACHMENT}：{table_title}",
        table_title=table_title,
        window=window_heading(issue),
        headings=table_headings(issue),
        groups=tuple(
            TableGroup(name if grouped else "", tuple(_table_row(r) for r in rows if r["group"] == name))
            for name in names
        ),
        footnote=confidence_note(issue),
        report_to=issue.report_to.strip(),
        copy_to=issue.copy_to.strip(),
        issued_by=issue.office,
        issued_on=f"{chinese_date(published)}印发",
    )


def signature_indents(office: float, day: float, char: float) -> tuple[float, float]:
    """How far in from the right the 发文机关署名 and the 成文日期 of an unsealed document stand
    (9704 7.3.5.1), given their widths and a character's: the office two characters in, the
    date under it starting two characters further right; a date longer than that stays two
    characters in and the office moves left."""
    office_right = max(2 * char, 4 * char + day - office)
    return office_right, office_right + office - 2 * char - day


def table_headings(issue: Issue) -> tuple[str, ...]:
    """The column headings: a period's issue says which period its towns did not report in."""
    if issue.period_kind == "day":
        return tuple(c.heading for c in TABLE_COLUMNS)
    return tuple(
        f"{THIS_PERIOD[issue.period_kind]}\n未报送" if c.column.key == "not_reported" else c.heading
        for c in TABLE_COLUMNS
    )


def _table_row(row: dict) -> tuple[TableCell, ...]:
    return tuple(
        TableCell(
            cell_text(row, c.column),
            row.get("tier") if c.column.kind == "tier" else None,
            "left" if c.column.kind == "text" else "center",
        )
        for c in TABLE_COLUMNS
    )


def all_text(document: Gongwen) -> str:
    """Every character the document prints, for subsetting an embedded font."""
    parts = [
        document.masthead,
        document.number,
        SIGNER,
        document.signer,
        document.office,
        document.day,
        CORRECTION,
        document.correction,
        document.title,
        EDITOR_NOTE,
        document.editor_note,
        *document.paragraphs,
        document.attachment_note,
        ATTACHMENT,
        document.table_title,
        document.window,
        GROUP,
        *document.headings,
        *(g.name for g in document.groups),
        *(cell.text for g in document.groups for row in g.rows for cell in row),
        document.footnote,
        REPORT_TO,
        document.report_to,
        COPY_TO,
        document.copy_to,
        document.issued_by,
        document.issued_on,
        f"{PAGE_DASH} 0123456789",
    ]
    return "".join(parts)
