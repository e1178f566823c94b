"""Downloads of a published issue (design §5), one registry of formats that the command line,
the bulletin page and its cache all read; and the blank daily report template."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import NamedTuple

from sanse.publishing.exports.fonts import FontMissing, font_files
from sanse.publishing.exports.print_view import print_html
from sanse.publishing.exports.spreadsheet import issue_csv, issue_xlsx
from sanse.publishing.issue import Issue

__all__ = ["EXPORTS", "Export", "export_issue", "file_name", "print_html", "unavailable"]


class Export(NamedTuple):
    render: Callable[[Issue], bytes]
    mime: str
    label: str  # the i18n key of its download button


def _on_demand(module: str, name: str) -> Callable[[Issue], bytes]:
    """A renderer whose library (python-docx, fpdf2 and the fonts) loads on its first file, not
    with every page that only names the formats."""

    def render(issue: Issue) -> bytes:
        return getattr(import_module(module), name)(issue)

    return render


EXPORTS: dict[str, Export] = {
    "xlsx": Export(issue_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "export.xlsx"),
    "csv": Export(issue_csv, "text/csv", "export.csv"),
    "docx": Export(
        _on_demand("sanse.publishing.exports.word", "issue_docx"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "export.docx",
    ),
    "pdf": Export(_on_demand("sanse.publishing.exports.pdf", "issue_pdf"), "application/pdf", "export.pdf"),
    "html": Export(lambda issue: print_html(issue).encode("utf-8"), "text/html", "export.html"),
}


def export_issue(issue: Issue, fmt: str) -> bytes:
    if fmt not in EXPORTS:
        raise ValueError(f"不支持的导出格式“{fmt}”：可选 {'、'.join(EXPORTS)}")
    return EXPORTS[fmt].render(issue)


def unavailable(fmt: str) -> str:
    """Why `fmt` cannot be made on this machine, for the page to say instead of offering it;
    "" when it can. Only the PDF needs something beyond the code: its font package."""
    if fmt == "pdf":
        try:
            font_files()
        except FontMissing as exc:
            return str(exc)
    return ""


def file_name(issue: Issue, fmt: str) -> str:
    suffix = "_更正" if issue.correction else ""
    when = issue.day.isoformat() if issue.period_kind == "day" else issue.period.key.replace("..", "至")
    return f"{issue.title}_{issue.number_label}_{when}{suffix}.{fmt}"
