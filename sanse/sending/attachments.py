"""What an email carries: a bulletin its PDF and XLSX, named after the issue (…第N期.pdf);
a 督办 item its 约谈通知书 or 督办通知单, once `sanse.exports.notice` makes them."""

from __future__ import annotations

import importlib
import importlib.util
import logging

import sqlalchemy as sa

from sanse.bulletin import issue_from_json
from sanse.exports import EXPORTS, export_issue, unavailable
from sanse.home import Home
from sanse.store import schema

BULLETIN_FORMATS = ("pdf", "xlsx")
NOTICE_MODULE = "sanse.exports.notice"  # render_notice(home, item_id, fmt) -> bytes, fmt "docx" or "pdf"
NOTICE_FORMATS = {"pdf": "application/pdf"}
log = logging.getLogger(__name__)


def attachments_of(home: Home, kind: str, data: dict) -> tuple[tuple[str, str, bytes], ...]:
    if kind == "bulletin" and "issue_seq" in data:
        return bulletin_files(home, int(data["issue_seq"]))
    if kind in ("items", "overdue"):
        return notice_files(home, [item["id"] for item in data.get("items", [])])
    return ()


def bulletin_files(home: Home, seq: int) -> tuple[tuple[str, str, bytes], ...]:
    with home.store.reading() as conn:
        text = conn.execute(sa.select(schema.issues.c.content).where(schema.issues.c.seq == seq)).scalar_one()
    issue = issue_from_json(text)
    stem = f"{issue.title}{issue.number_label}{'（更正）' if issue.correction else ''}"
    files = []
    for fmt in BULLETIN_FORMATS:
        if unavailable(fmt):  # no font package for the PDF on this server: the XLSX still goes
            log.warning("bulletin %s mailed without its %s: %s", seq, fmt, unavailable(fmt))
            continue
        files.append((f"{stem}.{fmt}", EXPORTS[fmt].mime, export_issue(issue, fmt)))
    return tuple(files)


def notice_files(home: Home, item_ids: list[int]) -> tuple[tuple[str, str, bytes], ...]:
    """Each item's 通知书/通知单. This is where the notices plug in: until the module exists,
    an item's email goes without one."""
    if importlib.util.find_spec(NOTICE_MODULE) is None:
        return ()
    render_notice = importlib.import_module(NOTICE_MODULE).render_notice
    return tuple(
        (f"督办通知_{item_id}.{fmt}", mime, render_notice(home, item_id, fmt))
        for item_id in item_ids
        for fmt, mime in NOTICE_FORMATS.items()
    )
