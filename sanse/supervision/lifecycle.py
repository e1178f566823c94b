"""The steps of a 督办事项 (design §11): an admin makes one by hand, its town answers it with a
整改报告, the office accepts it (销号) or returns it, an admin withdraws it (never deleted);
every step audited in its own transaction. Also the store writes the triggers share: a new
item, a step, and the new items' announcement."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.access import audit
from sanse.access.roles import User, require
from sanse.access.sessions import require_in
from sanse.deployment.home import Home
from sanse.deployment.towns import normalize_spelling, read_towns, town_lookup
from sanse.facts import clock
from sanse.facts.measures import CARD_MEASURES, CARD_WORDS, CARDS, LADDER_CARD, MEASURES
from sanse.store import schema
from sanse.store.reports import keep_file
from sanse.supervision.consequences import MAX_DEADLINE_DAYS
from sanse.supervision.items import Item, SupervisionError, could_be_id, from_row, listed
from sanse.supervision.ledger import get_item

MAX_FILE_BYTES = 20 * 1024 * 1024  # one attachment of a 整改报告
MAX_TEXT = 10_000  # characters of a report, comment or reason
_NOT_ANSWERED = {  # why an item still open cannot be closed: 销号 accepts a 整改报告
    "open": "督办事项 {id} 还没有整改报告，不能销号：镇街报送整改报告后才能销号",
    "returned": "督办事项 {id} 的整改报告已退回，镇街重新报送后才能销号",
}


# What to do with new items inside the transaction that made them: called with that
# connection, the deployment's root, the items as `items.listed` gives them and a key for
# their digest. The layers above pass the sending queue's `queue_new_items`, so the items'
# 督办 messages are queued with them or not at all (design §12); None: nothing goes out.
Announce = Callable[[Connection, Path, list[dict], str], object]


def announce_new(conn: Connection, home: Home, item_ids: list[int], digest_key: str, announce: Announce | None) -> None:
    """Hand the new items to `announce` in the transaction that made them."""
    if not item_ids or announce is None:
        return
    names = {town.code: town.name for town in read_towns(home.towns_csv)}
    table = schema.supervision_items
    rows = conn.execute(sa.select(table).where(table.c.id.in_(item_ids)).order_by(table.c.id)).all()
    announce(conn, home.root, [listed(from_row(row), names) for row in rows], digest_key)


def insert_item(
    conn: Connection,
    town_code: str,
    key: str | None,
    measure: str,
    card: str | None,
    reason: str,
    occurred_on: date,
    deadline: date,
    *,
    by: str,
    at: datetime,
) -> int:
    """Store a new open item, its first step and its audit event; its id."""
    item_id = conn.execute(
        sa.insert(schema.supervision_items).values(
            town_code=town_code,
            trigger_key=key,
            measure=measure,
            card=card,
            reason=reason,
            occurred_on=occurred_on,
            deadline=deadline,
            status="open",
            created_at=at,
            created_by=by,
            changed_at=at,
        )
    ).inserted_primary_key[0]
    conn.execute(
        sa.insert(schema.supervision_events).values(
            item_id=item_id,
            at=at,
            who=by,
            action="created",
            text=reason,
            files="[]",
        )
    )
    audit.record_in(
        conn,
        by,
        "supervision_created",
        item=item_id,
        town=town_code,
        measure=measure,
        card=card,
        deadline=deadline.isoformat(),
        trigger=key,
        reason=reason,
    )
    return item_id


def take_step(
    conn: Connection,
    item_id: int,
    action: str,
    status: str,
    *,
    by: str,
    at: datetime,
    text: str = "",
    files: list[dict] | None = None,
) -> None:
    """Move an item to `status`, keeping the step in its history."""
    conn.execute(
        sa.update(schema.supervision_items)
        .where(schema.supervision_items.c.id == item_id)
        .values(status=status, changed_at=at)
    )
    conn.execute(
        sa.insert(schema.supervision_events).values(
            item_id=item_id,
            at=at,
            who=by,
            action=action,
            text=text,
            files=json.dumps(files or [], ensure_ascii=False),
        )
    )


def add_item(
    home: Home,
    town_code: str,
    *,
    measure: str,
    reason: str,
    deadline: date,
    by: User,
    announce: Announce | None,
    card: str | None = None,
    occurred_on: date | None = None,
) -> Item:
    """An item an admin makes by hand (a card named by its colour: 白牌, 黄牌 or 红牌),
    handed to `announce` in the transaction that makes it."""
    require(by, "supervise")
    if measure not in MEASURES or measure == LADDER_CARD:
        raise SupervisionError(f"督办措施应为 {'/'.join(m for m in MEASURES if m != LADDER_CARD)} 之一")
    card = card or CARD_MEASURES.get(measure)
    if card is not None and card not in CARDS:
        raise SupervisionError("牌的颜色应为 white/yellow/red（白牌/黄牌/红牌）")
    if measure in CARD_MEASURES and card != CARD_MEASURES[measure]:
        raise SupervisionError(f"督办措施“{measure}”与牌的颜色“{CARD_WORDS[card]}”不符")
    reason = _text(reason, "督办事由")
    town = town_lookup(read_towns(home.towns_csv)).get(normalize_spelling(town_code))
    if town is None:
        raise SupervisionError(f"“{town_code}”不是 towns.csv 里的镇街")
    today = clock.today()
    day = occurred_on or today
    if not day < deadline <= day + timedelta(days=MAX_DEADLINE_DAYS):
        raise SupervisionError(
            f"整改期限应在 {day + timedelta(days=1)} 至 {day + timedelta(days=MAX_DEADLINE_DAYS)} 之间"
            f"（事项之日 {day} 之后、一年之内），而不是 {deadline}"
        )
    with home.store.writing("supervision") as conn:
        require_in(conn, by, "supervise")
        item_id = insert_item(
            conn,
            town.code,
            None,
            measure,
            card,
            reason,
            occurred_on or today,
            deadline,
            by=by.name,
            at=clock.now_utc(),
        )
        announce_new(conn, home, [item_id], f"item:{item_id}", announce)
    return get_item(home, item_id)


def answer(home: Home, item_id: int, report: str, *, by: User, files: list[tuple[str, bytes]] = ()) -> Item:
    """The town's 整改报告 (text and files) on an open or returned item of its own."""
    item = _item_or_refuse(home, item_id)
    require(by, "answer", item.town_code)
    report = _text(report, "整改报告")
    for name, content in files:
        if len(content) > MAX_FILE_BYTES:
            raise SupervisionError(f"附件“{name}”超过 {MAX_FILE_BYTES // (1024 * 1024)} MB")
    kept = [
        {"sha256": hashlib.sha256(content).hexdigest(), "name": name, "size": len(content)} for name, content in files
    ]
    with home.store.writing("supervision") as conn:
        item = _locked(conn, item_id, ("open", "returned"), "答复")
        require_in(conn, by, "answer", item.town_code)
        for entry, (name, content) in zip(kept, files):
            keep_file(conn, entry["sha256"], name, content)
        take_step(conn, item_id, "answered", "answered", by=by.name, at=clock.now_utc(), text=report, files=kept)
        audit.record_in(
            conn,
            by.name,
            "supervision_answered",
            item=item_id,
            town=item.town_code,
            files=[f["name"] for f in kept] or None,
        )
    return get_item(home, item_id)


def close(home: Home, item_id: int, *, by: User, note: str = "") -> Item:
    """销号: the office accepts the town's 整改报告, so only an answered item (one whose report
    was not returned since)."""
    require(by, "supervise")
    note = " ".join(note.split())[:MAX_TEXT]
    with home.store.writing("supervision") as conn:
        require_in(conn, by, "supervise")
        item = _locked(conn, item_id, ("open", "answered", "returned"), "销号")
        if item.status != "answered":
            raise SupervisionError(_NOT_ANSWERED[item.status].format(id=item_id))
        take_step(conn, item_id, "closed", "closed", by=by.name, at=clock.now_utc(), text=note)
        audit.record_in(conn, by.name, "supervision_closed", item=item_id, town=item.town_code, note=note or None)
    return get_item(home, item_id)


def return_item(home: Home, item_id: int, comment: str, *, by: User) -> Item:
    """The office sends a 整改报告 back with its comment: the town answers again."""
    require(by, "supervise")
    comment = _text(comment, "退回意见")
    with home.store.writing("supervision") as conn:
        require_in(conn, by, "supervise")
        item = _locked(conn, item_id, ("answered",), "退回")
        take_step(conn, item_id, "returned", "returned", by=by.name, at=clock.now_utc(), text=comment)
        audit.record_in(conn, by.name, "supervision_returned", item=item_id, town=item.town_code, comment=comment)
    return get_item(home, item_id)


def withdraw(home: Home, item_id: int, *, by: User, note: str) -> Item:
    """An admin withdraws an item (kept, marked withdrawn)."""
    require(by, "supervise")
    note = _text(note, "撤销理由")
    with home.store.writing("supervision") as conn:
        require_in(conn, by, "supervise")
        item = _locked(conn, item_id, ("open", "answered", "returned"), "撤销")
        take_step(conn, item_id, "withdrawn", "withdrawn", by=by.name, at=clock.now_utc(), text=note)
        audit.record_in(conn, by.name, "supervision_withdrawn", item=item_id, town=item.town_code, note=note)
    return get_item(home, item_id)


def _text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise SupervisionError(f"请填写{what}")
    if len(text) > MAX_TEXT:
        raise SupervisionError(f"{what}不能超过 {MAX_TEXT} 个字")
    return text


def _item_or_refuse(home: Home, item_id: int) -> Item:
    item = get_item(home, item_id)
    if item is None:
        raise SupervisionError(f"没有编号为 {item_id} 的督办事项")
    return item


def _locked(conn: Connection, item_id: int, allowed: tuple[str, ...], step: str) -> Item:
    """The item as this writing transaction sees it, if it is in a state `step` may follow."""
    row = (
        None
        if not could_be_id(item_id)
        else conn.execute(sa.select(schema.supervision_items).where(schema.supervision_items.c.id == item_id)).first()
    )
    if row is None:
        raise SupervisionError(f"没有编号为 {item_id} 的督办事项")
    item = from_row(row)
    if item.status not in allowed:
        raise SupervisionError(f"督办事项 {item_id} 当前为“{item.status_label}”，不能{step}")
    return item
