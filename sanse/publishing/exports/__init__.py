"""The files a published issue downloads as (design §5), and a 督办 item's notice (design §12):
one registry of formats, EXPORTS, that the command line's --format, the bulletin and period
pages' download buttons, the 督办台账's notice buttons, the page cache and the emails' attachments
all read. A new format is one renderer module plus one entry here."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import NamedTuple

from sanse.deployment.home import Home
from sanse.publishing.exports.fonts import FontMissing, font_files
from sanse.publishing.exports.notice import Notice, item_notice
from sanse.publishing.exports.print_view import print_html
from sanse.publishing.exports.spreadsheet import issue_csv, issue_xlsx
from sanse.publishing.issue import Issue

__all__ = [
    "EXPORTS",
    "NOTICE_FORMATS",
    "Export",
    "export_issue",
    "file_name",
    "print_html",
    "render_notice",
    "unavailable",
]


def _fonts_missing() -> str:
    """Why the PDF's font package cannot be found; "" when it can."""
    try:
        font_files()
    except FontMissing as exc:
        return str(exc)
    return ""


class Export(NamedTuple):
    render: Callable[[Issue], bytes]  # the issue in this format
    mime: str
    label: str  # the i18n key of its download button
    notice: Callable[[Notice], bytes] | None = None  # a 督办 item's notice in this format; None: none
    table: bool = False  # the ranking table alone: what a period still running downloads as
    download: bool = True  # a download beside the issue (the print view is a page of its own)
    mailed: bool = False  # attached to the emails that carry the bulletin or a notice
    missing: Callable[[], str] = lambda: ""  # why it cannot be made on this machine; "" when it can


def _on_demand(module: str, name: str) -> Callable:
    """A renderer whose library (python-docx, fpdf2 and the fonts) loads on its first file, not
    with every page that only names the formats."""

    def render(document):
        return getattr(import_module(module), name)(document)

    return render


EXPORTS: dict[str, Export] = {
    "xlsx": Export(
        issue_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "export.xlsx",
        table=True,
        mailed=True,
    ),
    "csv": Export(issue_csv, "text/csv", "export.csv", table=True),
    "docx": Export(
        _on_demand("sanse.publishing.exports.word", "issue_docx"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "export.docx",
        notice=_on_demand("sanse.publishing.exports.word", "notice_docx"),
    ),
    "pdf": Export(
        _on_demand("sanse.publishing.exports.pdf", "issue_pdf"),
        "application/pdf",
        "export.pdf",
        notice=_on_demand("sanse.publishing.exports.pdf", "notice_pdf"),
        mailed=True,
        missing=_fonts_missing,
    ),
    "html": Export(lambda issue: print_html(issue).encode("utf-8"), "text/html", "export.html", download=False),
}
NOTICE_FORMATS = tuple(fmt for fmt, export in EXPORTS.items() if export.notice)


def export_issue(issue: Issue, fmt: str) -> bytes:
    if fmt not in EXPORTS:
        raise ValueError(f"不支持的导出格式“{fmt}”：可选 {'、'.join(EXPORTS)}")
    return EXPORTS[fmt].render(issue)


def render_notice(home: Home, item_id: int, fmt: str) -> bytes:
    """The item's notice as a file in `fmt` (one of NOTICE_FORMATS). SupervisionError when there
    is no such item; NoticeNotReady for a 约谈 whose arrangements are not set."""
    if fmt not in NOTICE_FORMATS:
        raise ValueError(f"不支持的通知书格式“{fmt}”：可选 {'、'.join(NOTICE_FORMATS)}")
    return EXPORTS[fmt].notice(item_notice(home, item_id))


def unavailable(fmt: str) -> str:
    """Why `fmt` cannot be made on this machine, for the page to say instead of offering it;
    "" when it can (only the PDF needs something beyond the code: its font package)."""
    return EXPORTS[fmt].missing()


def file_name(issue: Issue, fmt: str) -> str:
    suffix = "_更正" if issue.correction else ""
    when = issue.day.isoformat() if issue.period_kind == "day" else issue.period.key.replace("..", "至")
    return f"{issue.title}_{issue.number_label}_{when}{suffix}.{fmt}"
