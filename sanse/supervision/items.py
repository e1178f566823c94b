"""督办事项 (design §11): supervision items in the store, made once by a consequence trigger or
by an admin, answered by their town with a 整改报告, accepted (销号) or returned by the office,
withdrawn (never deleted) when corrected data takes their trigger away; every step audited.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.access import audit
from sanse.access.roles import User, require
from sanse.access.sessions import require_in
from sanse.deployment.config import Settings, normalize_spelling, read_towns, town_lookup
from sanse.deployment.home import Home
from sanse.facts import clock
from sanse.ranking.periods import periods_between, rank_periods
from sanse.ranking.rulebook import settings_in_force
from sanse.ranking.warehouse import NotBuilt, Warehouse
from sanse.sending.queue import queue_new_items
from sanse.store import schema
from sanse.store.reports import keep_file
from sanse.supervision.consequences import (
    CARD_MEASURES,
    CARD_WORDS,
    CARDS,
    LADDER_CARD,
    MAX_DEADLINE_DAYS,
    MEASURES,
    Consequences,
    Occurrence,
    consequence_versions,
    consequences_on,
    measure_label,
    not_reporting_runs,
    period_occurrences,
    red_day_runs,
    standing_card,
    with_cards,
)

AUTOMATIC = "自动核查"  # who the audit log names for what the triggers did
STATUSES = ("open", "answered", "returned", "closed", "withdrawn")
STATUS_LABELS = {
    "open": "待整改",
    "answered": "已报告",
    "returned": "已退回",
    "closed": "已销号",
    "withdrawn": "已撤销",
}
EVENT_LABELS = {
    "created": "立项",
    "answered": "整改报告",
    "returned": "退回",
    "closed": "销号",
    "withdrawn": "撤销",
    "reinstated": "恢复",
}
DONE = ("closed", "withdrawn")
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
MAX_FILE_BYTES = 20 * 1024 * 1024  # one attachment of a 整改报告
MAX_TEXT = 10_000  # characters of a report, comment or reason
_NOT_ANSWERED = {  # why an item still open cannot be closed: 销号 accepts a 整改报告
    "open": "督办事项 {id} 还没有整改报告，不能销号：镇街报送整改报告后才能销号",
    "returned": "督办事项 {id} 的整改报告已退回，镇街重新报送后才能销号",
}


class SupervisionError(ValueError):
    """A step that cannot be taken; the message is for the user."""


@dataclass(frozen=True)
class Item:
    id: int
    town_code: str
    trigger_key: str | None  # None: made by hand
    measure: str
    card: str | None
    reason: str
    occurred_on: date
    deadline: date
    status: str
    created_at: datetime
    created_by: str
    changed_at: datetime

    def overdue(self, today: date) -> bool:
        """Past its deadline and not closed (or withdrawn)."""
        return self.status not in DONE and self.deadline < today

    @property
    def measure_label(self) -> str:
        return measure_label(self.measure, self.card)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class Event:
    seq: int  # the store's number of this step: unique, never reused
    item_id: int
    at: datetime
    who: str
    action: str
    text: str
    files: tuple[dict, ...]  # {sha256, name, size}

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.action, self.action)


@dataclass(frozen=True)
class CheckResult:
    created: int = 0
    withdrawn: int = 0
    reinstated: int = 0
    skipped: bool = False  # this build had been checked already

    @property
    def summary(self) -> str:
        return f"督办核查：新立项 {self.created} 项，撤销 {self.withdrawn} 项，恢复 {self.reinstated} 项"


# ---------------------------------------------------------------- triggers


def occurrences(
    warehouse: Warehouse, settings: Settings, versions: tuple[Consequences, ...] | None = None
) -> list[Occurrence]:
    """Every trigger occurrence the warehouse's current figures give, under the consequence
    rules in force on the day each was met; cards coloured by the ladder."""
    versions = versions or consequence_versions(settings)
    first, last = warehouse.manifest.first_day, warehouse.manifest.last_day
    if first is None or last is None:
        return []
    rankings = daily = None
    ranked_periods: dict[str, tuple[pd.DataFrame, dict[str, str]]] = {}
    found: dict[str, Occurrence] = {}
    for index, version in enumerate(versions):
        start = version.effective if index and version.effective else date.min
        end = versions[index + 1].effective - timedelta(days=1) if index + 1 < len(versions) else date.max
        for trigger in version.triggers:
            if trigger.when == "red_days":
                if rankings is None:
                    rankings = warehouse.rankings_between(first, last)
                met = red_day_runs(rankings, trigger)
            elif trigger.when == "not_reporting":
                if daily is None:
                    daily = warehouse.daily_counts(first, last)
                met = not_reporting_runs(daily, trigger)
            else:
                if trigger.period not in ranked_periods:
                    if daily is None:
                        daily = warehouse.daily_counts(first, last)
                    periods = periods_between(trigger.period, first, last)
                    frame = rank_periods(daily, periods, settings) if periods else pd.DataFrame()
                    ranked_periods[trigger.period] = (frame, {p.key: p.label for p in periods})
                frame, labels = ranked_periods[trigger.period]
                met = period_occurrences(frame, labels, trigger) if len(frame) else []
            for occurrence in met:
                if start <= occurrence.day <= end:
                    found.setdefault(occurrence.key, occurrence)
    return with_cards(list(found.values()), lambda day: consequences_on(versions, day).cards)


def check(home: Home, *, by: str = AUTOMATIC) -> CheckResult:
    """Bring the items in line with the current build: an item for each new occurrence, the
    open items whose trigger is gone withdrawn, and those withdrawn so that come back reopened.
    Running it again changes nothing."""
    settings = settings_in_force(home)
    versions = consequence_versions(settings)
    try:
        warehouse = Warehouse.open(home)
    except NotBuilt:
        return CheckResult(skipped=True)
    try:
        found = occurrences(warehouse, settings, versions)
        marker = _build_marker(warehouse, versions)
    finally:
        warehouse.close()
    return _apply(home, found, marker, by)


def check_if_behind(home: Home) -> CheckResult:
    """`check` unless this build (under these consequence rules) has been checked already."""
    try:
        warehouse = Warehouse.open(home)
    except NotBuilt:
        return CheckResult(skipped=True)
    try:
        marker = _build_marker(warehouse, consequence_versions(settings_in_force(home)))
    finally:
        warehouse.close()
    with home.store.reading() as conn:
        seen = conn.execute(
            sa.select(schema.supervision_checks.c.build).where(schema.supervision_checks.c.build == marker)
        ).first()
    return CheckResult(skipped=True) if seen else check(home)


def _build_marker(warehouse: Warehouse, versions: tuple[Consequences, ...]) -> str:
    return hashlib.sha256(repr((warehouse.manifest.to_json(), versions)).encode()).hexdigest()


def _apply(home: Home, found: list[Occurrence], marker: str, by: str) -> CheckResult:
    items = schema.supervision_items
    now = clock.now_utc()
    created = withdrawn = reinstated = 0
    made: list[int] = []
    keys = {o.key for o in found}
    with home.store.writing("supervision") as conn:
        existing = {
            row.trigger_key: row
            for row in conn.execute(
                sa.select(items.c.id, items.c.trigger_key, items.c.status, items.c.town_code).where(
                    items.c.trigger_key.is_not(None)
                )
            )
        }
        for occurrence in found:
            row = existing.get(occurrence.key)
            if row is None:
                made_id = _insert(
                    conn,
                    occurrence.town_code,
                    occurrence.key,
                    occurrence.measure,
                    occurrence.card,
                    occurrence.reason,
                    occurrence.day,
                    occurrence.deadline,
                    by=by,
                    at=now,
                )
                made.append(made_id)
                created += 1
            elif row.status == "withdrawn" and _withdrawn_by_check(conn, row.id):
                _step(conn, row.id, "reinstated", "open", by=by, at=now, text="更正后的数据再次触发此条件")
                audit.record_in(
                    conn, by, "supervision_reinstated", item=row.id, town=row.town_code, trigger=occurrence.key
                )
                reinstated += 1
        for key, row in existing.items():
            if key not in keys and row.status not in DONE:
                _step(conn, row.id, "withdrawn", "withdrawn", by=by, at=now, text="更正后的数据不再触发此条件")
                audit.record_in(
                    conn,
                    by,
                    "supervision_withdrawn",
                    item=row.id,
                    town=row.town_code,
                    trigger=key,
                    note="更正后的数据不再触发此条件",
                )
                withdrawn += 1
        _announce(conn, home, made, f"build:{marker[:16]}")
        checks = schema.supervision_checks
        if conn.execute(sa.select(checks.c.build).where(checks.c.build == marker)).first() is None:
            conn.execute(sa.insert(checks).values(build=marker, checked_at=now))
    return CheckResult(created, withdrawn, reinstated)


def _announce(conn: Connection, home: Home, item_ids: list[int], digest_key: str) -> None:
    """Queue the new items' 督办 messages in the transaction that made them (design §12)."""
    if not item_ids:
        return
    names = {town.code: town.name for town in read_towns(home.towns_csv)}
    table = schema.supervision_items
    rows = conn.execute(sa.select(table).where(table.c.id.in_(item_ids)).order_by(table.c.id)).all()
    queue_new_items(conn, home.root, [_listed(_item(row), names) for row in rows], digest_key)


def _withdrawn_by_check(conn: Connection, item_id: int) -> bool:
    """Whether the item's withdrawal was the check's (an admin's stands)."""
    events = schema.supervision_events
    last = conn.execute(
        sa.select(events.c.who)
        .where(events.c.item_id == item_id, events.c.action == "withdrawn")
        .order_by(events.c.seq.desc())
        .limit(1)
    ).first()
    return last is not None and last.who == AUTOMATIC


def _insert(
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


def _step(
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


# ---------------------------------------------------------------- steps people take


def add_item(
    home: Home,
    town_code: str,
    *,
    measure: str,
    reason: str,
    deadline: date,
    by: User,
    card: str | None = None,
    occurred_on: date | None = None,
) -> Item:
    """An item an admin makes by hand (a card named by its colour: 白牌, 黄牌 or 红牌)."""
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
        item_id = _insert(
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
        _announce(conn, home, [item_id], f"item:{item_id}")
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
        _step(conn, item_id, "answered", "answered", by=by.name, at=clock.now_utc(), text=report, files=kept)
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
        _step(conn, item_id, "closed", "closed", by=by.name, at=clock.now_utc(), text=note)
        audit.record_in(conn, by.name, "supervision_closed", item=item_id, town=item.town_code, note=note or None)
    return get_item(home, item_id)


def return_item(home: Home, item_id: int, comment: str, *, by: User) -> Item:
    """The office sends a 整改报告 back with its comment: the town answers again."""
    require(by, "supervise")
    comment = _text(comment, "退回意见")
    with home.store.writing("supervision") as conn:
        require_in(conn, by, "supervise")
        item = _locked(conn, item_id, ("answered",), "退回")
        _step(conn, item_id, "returned", "returned", by=by.name, at=clock.now_utc(), text=comment)
        audit.record_in(conn, by.name, "supervision_returned", item=item_id, town=item.town_code, comment=comment)
    return get_item(home, item_id)


def withdraw(home: Home, item_id: int, *, by: User, note: str) -> Item:
    """An admin withdraws an item (kept, marked withdrawn)."""
    require(by, "supervise")
    note = _text(note, "撤销理由")
    with home.store.writing("supervision") as conn:
        require_in(conn, by, "supervise")
        item = _locked(conn, item_id, ("open", "answered", "returned"), "撤销")
        _step(conn, item_id, "withdrawn", "withdrawn", by=by.name, at=clock.now_utc(), text=note)
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
        if not _could_be_id(item_id)
        else conn.execute(sa.select(schema.supervision_items).where(schema.supervision_items.c.id == item_id)).first()
    )
    if row is None:
        raise SupervisionError(f"没有编号为 {item_id} 的督办事项")
    item = _item(row)
    if item.status not in allowed:
        raise SupervisionError(f"督办事项 {item_id} 当前为“{item.status_label}”，不能{step}")
    return item


# ---------------------------------------------------------------- reading


def _could_be_id(item_id: int) -> bool:
    """An item's id fits its column (a number past it would fail in the driver, not be missing)."""
    return 0 < item_id <= schema.MAX_INTEGER


def get_item(home: Home, item_id: int) -> Item | None:
    if not _could_be_id(item_id):
        return None
    with home.store.reading() as conn:
        row = conn.execute(sa.select(schema.supervision_items).where(schema.supervision_items.c.id == item_id)).first()
    return None if row is None else _item(row)


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
        found = [_item(row) for row in conn.execute(query)]
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
    return tuple(_listed(item, names) for item in new), tuple(_listed(item, names) for item in overdue)


def _listed(item: Item, names: dict[str, str]) -> dict:
    return {
        "id": item.id,
        "code": item.town_code,
        "town": names.get(item.town_code, item.town_code),
        "measure": item.measure_label,
        "reason": item.reason,
        "occurred_on": item.occurred_on.isoformat(),
        "deadline": item.deadline.isoformat(),
    }


def items_frame(items: list[Item], names: dict[str, str], today: date) -> pd.DataFrame:
    """The ledger as a table (Chinese headers), for the page and its XLSX download."""
    rows = [
        {
            **_listed(item, names),
            "occurred_on": item.occurred_on,
            "deadline": item.deadline,
            "status": item.status_label,
            "overdue": "是" if item.overdue(today) else "",
            "created_by": item.created_by,
        }
        for item in items
    ]
    return pd.DataFrame(rows, columns=list(LEDGER_COLUMNS)).drop(columns="code").rename(columns=LEDGER_COLUMNS)


def _item(row) -> Item:
    return Item(
        id=row.id,
        town_code=row.town_code,
        trigger_key=row.trigger_key,
        measure=row.measure,
        card=row.card,
        reason=row.reason,
        occurred_on=row.occurred_on,
        deadline=row.deadline,
        status=row.status,
        created_at=row.created_at,
        created_by=row.created_by,
        changed_at=row.changed_at,
    )
