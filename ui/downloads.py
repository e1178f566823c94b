"""The formats a published issue or a period's ranking downloads in, and what a file is called
(imported by the pages that offer downloads only: the exports' libraries load with them)."""

from __future__ import annotations

from sanse.publishing.exports import EXPORTS, Export, file_name, unavailable
from sanse.publishing.issue import Issue


def download_format(fmt: str) -> Export:
    """A download's label (a catalogue key) and MIME type."""
    return EXPORTS[fmt]


def table_formats() -> list[str]:
    """The formats of the ranking table alone (a 通报's table, as the daily issue's): what a
    period still running downloads as."""
    return [fmt for fmt, export in EXPORTS.items() if export.table]


def issue_files() -> dict[str, Export]:
    """The files a published issue downloads as (its print view is a page of its own)."""
    return {fmt: export for fmt, export in EXPORTS.items() if export.download}


def why_unavailable(fmt: str) -> str:
    """Why `fmt` cannot be made on this server; "" when it can."""
    return unavailable(fmt)


def issue_file_name(issue: Issue, fmt: str) -> str:
    return file_name(issue, fmt)
