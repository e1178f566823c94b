"""What an email carries: a bulletin the formats the registry (sanse.publishing.exports.EXPORTS)
mails, the document before its table (…第N期.pdf, …第N期.xlsx); a 督办 item its 督办通知单, or its
约谈通知书 once the 约谈's arrangements are set, in those of them a notice comes in."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from sanse.deployment.home import Home
from sanse.publishing.exports import EXPORTS, export_issue, render_notice, unavailable
from sanse.publishing.exports.notice import NoticeNotReady, notice_name
from sanse.publishing.issue import issue_from_json
from sanse.store import schema

MAILED = tuple(  # the document before its table
    sorted((fmt for fmt, export in EXPORTS.items() if export.mailed), key=lambda fmt: EXPORTS[fmt].table)
)
MAILED_NOTICES = tuple(fmt for fmt in MAILED if EXPORTS[fmt].notice)
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
    for fmt in MAILED:
        if unavailable(fmt):  # no font package for the PDF on this server: the XLSX still goes
            log.warning("bulletin %s mailed without its %s: %s", seq, fmt, unavailable(fmt))
            continue
        files.append((f"{stem}.{fmt}", EXPORTS[fmt].mime, export_issue(issue, fmt)))
    return tuple(files)


def notice_files(home: Home, item_ids: list[int]) -> tuple[tuple[str, str, bytes], ...]:
    """Each item's notice as PDF (约谈通知书_渔歌镇_督办7号.pdf). A 约谈 whose time, place and
    attendees the office has not set yet has no 通知书: its mail goes without one."""
    files = []
    for item_id in item_ids:
        for fmt in MAILED_NOTICES:
            if unavailable(fmt):
                continue
            try:
                files.append((notice_name(home, item_id, fmt), EXPORTS[fmt].mime, render_notice(home, item_id, fmt)))
            except NoticeNotReady:
                log.info("item %s mailed without its notice: the 约谈's arrangements are not set", item_id)
    return tuple(files)
