"""The 督办台账 (design §11): reading the supervision items — one, a list in the ledger's
order, an item's history and files, the cards towns hold, what a bulletin lists and the
ledger as a table."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pandas as pd
import sqlalchemy as sa

from sanse.access.roles import User
from sanse.deployment.home import Home
from sanse.deployment.settings import Settings
from sanse.deployment.towns import read_towns
from sanse.facts import clock
from sanse.facts.measures import CARDS
from sanse.ranking.rulebook import settings_in_force
from sanse.store import schema
from sanse.supervision.cards import standing_card
from sanse.supervision.consequences import consequence_versions, consequences_on
from sanse.supervision.items import DONE, Event, Item, SupervisionError, could_be_id, from_row, listed

# The ledger's columns and their headings; a bulletin lists the first seven.
LEDGER_COLUMNS = {
    "id": "编号",
    "code": "镇街编码",
    "town": "镇街",
    "measure": "督办措施",
    "reason": "督办事由",
    "occurred_on": "触发日期",
    "deadline": "整改期限",
    "status": "状态",
    "overdue": "逾期",
    "created_by": "立项",
}


def get_item(home: Home, item_id: int) -> Item | None:
    if not could_be_id(item_id):
        return None
    with home.store.reading() as conn:
        row = conn.execute(sa.select(schema.supervision_items).where(schema.supervision_items.c.id == item_id)).first()
    return None if row is None else from_row(row)


def list_items(
    home: Home,
    *,
    viewer: User | None = None,
    town_code: str | None = None,
    status: tuple[str, ...] | None = None,
    overdue_on: date | None = None,
) -> list[Item]:
    """Items, overdue first, then by deadline: a town account sees only its own; `overdue_on`
    keeps only those overdue on that day."""
    table = schema.supervision_items
    query = sa.select(table)
    if viewer is not None and viewer.role == "town":
        query = query.where(table.c.town_code == (viewer.town_code or ""))
    if town_code is not None:
        query = query.where(table.c.town_code == town_code)
    if status:
        query = query.where(table.c.status.in_(status))
    with home.store.reading() as conn:
        found = [from_row(row) for row in conn.execute(query)]
    if overdue_on is not None:
        found = [item for item in found if item.overdue(overdue_on)]
    today = overdue_on or clock.today()
    return sorted(found, key=lambda i: (not i.overdue(today), i.status in DONE, i.deadline, i.id))


def history(home: Home, item_id: int) -> list[Event]:
    events = schema.supervision_events
    with home.store.reading() as conn:
        rows = conn.execute(sa.select(events).where(events.c.item_id == item_id).order_by(events.c.seq)).all()
    return [Event(r.seq, r.item_id, r.at, r.who, r.action, r.text, tuple(json.loads(r.files))) for r in rows]


def attachment(home: Home, sha256: str, *, viewer: User) -> tuple[str, bytes]:
    """A file of a 整改报告: (name, content), to those who may see the item it belongs to."""
    events, items = schema.supervision_events, schema.supervision_items
    with home.store.reading() as conn:
        owners = conn.execute(
            sa.select(items.c.town_code, events.c.files)
            .join(items, items.c.id == events.c.item_id)
            .where(events.c.files.contains(sha256))
        ).all()
        town_codes = {o.town_code for o in owners if any(f["sha256"] == sha256 for f in json.loads(o.files))}
        if not town_codes or (viewer.role == "town" and viewer.town_code not in town_codes):
            raise SupervisionError("没有这个附件，或本账号无权查看")
        row = conn.execute(
            sa.select(schema.files.c.name, schema.files.c.content).where(schema.files.c.sha256 == sha256)
        ).first()
    return row.name, bytes(row.content)


def standing_cards(home: Home, day: date, settings: Settings | None = None) -> dict[str, str]:
    """Each town's card on `day`, town code -> white/yellow/red (towns without one left out):
    its last card, a colour down for each `clean_days` since."""
    versions = consequence_versions(settings or settings_in_force(home))
    table = schema.supervision_items
    with home.store.reading() as conn:
        rows = conn.execute(
            sa.select(table.c.town_code, table.c.card, table.c.occurred_on)
            .where(table.c.card.is_not(None), table.c.status != "withdrawn", table.c.occurred_on <= day)
            .order_by(table.c.occurred_on, table.c.id)
        ).all()
    last = {row.town_code: (CARDS.index(row.card) + 1, row.occurred_on) for row in rows}
    cards = {}
    for code, (level, given) in last.items():
        now = standing_card(level, given, day, consequences_on(versions, day).cards)
        if now:
            cards[code] = CARDS[now - 1]
    return cards


def overdue_at_end_of(items: list[Item], day: date) -> list[Item]:
    """The items overdue at the end of `day`: past their deadline by then and not closed (nor
    withdrawn) before it ended. A day's bulletin and 总览 for that day count these, so both say
    the same whenever they are read."""
    end = datetime.combine(day + timedelta(days=1), time(), clock.BEIJING)
    return [
        item
        for item in items
        if item.status != "withdrawn"
        and item.deadline <= day
        and not (item.status == "closed" and item.changed_at < end)
    ]


def bulletin_items(home: Home, first: date, last: date) -> tuple[tuple[dict, ...], tuple[dict, ...]]:
    """What a bulletin about the days `first` to `last` lists (design §11): the measures those
    days brought, and the items overdue at the end of the last day (past their deadline and
    not closed by then). Withdrawn items are in neither: corrected data took them back."""
    names = {town.code: town.name for town in read_towns(home.towns_csv)}
    standing = [item for item in list_items(home) if item.status != "withdrawn"]
    new = sorted((item for item in standing if first <= item.occurred_on <= last), key=lambda i: (i.occurred_on, i.id))
    overdue = sorted(overdue_at_end_of(standing, last), key=lambda i: (i.deadline, i.id))
    return tuple(listed(item, names) for item in new), tuple(listed(item, names) for item in overdue)


def items_frame(items: list[Item], names: dict[str, str], today: date) -> pd.DataFrame:
    """The ledger as a table (Chinese headers), for the page and its XLSX download."""
    rows = [
        {
            **listed(item, names),
            "occurred_on": item.occurred_on,
            "deadline": item.deadline,
            "status": item.status_label,
            "overdue": "是" if item.overdue(today) else "",
            "created_by": item.created_by,
        }
        for item in items
    ]
    return pd.DataFrame(rows, columns=list(LEDGER_COLUMNS)).drop(columns="code").rename(columns=LEDGER_COLUMNS)
