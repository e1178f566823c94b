"""The formats a published issue or a period's ranking downloads in (imported by the pages that
offer downloads only: the exports' libraries load with them)."""

from __future__ import annotations

from sanse.publishing.exports import EXPORTS, Export


def download_format(fmt: str) -> Export:
    """A download's label (a catalogue key) and MIME type."""
    return EXPORTS[fmt]


def table_formats() -> list[str]:
    """The formats of the ranking table alone (a 通报's table, as the daily issue's): what a
    period still running downloads as."""
    return [fmt for fmt, export in EXPORTS.items() if export.table]
