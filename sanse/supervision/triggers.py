"""The 督办 check (design §11): the trigger occurrences the current build's figures give under
the consequence rules, and the items brought in line with them — one made for each new
occurrence, those whose trigger corrected data took away withdrawn, and those it brings back
reinstated; once per build."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.access import audit
from sanse.deployment.home import Home
from sanse.deployment.settings import Settings
from sanse.facts import clock
from sanse.facts.periods import periods_between
from sanse.ranking.periods import rank_periods
from sanse.ranking.rulebook import settings_in_force
from sanse.ranking.warehouse import NotBuilt, Warehouse
from sanse.store import schema
from sanse.supervision.cards import with_cards
from sanse.supervision.consequences import Consequences, consequence_versions, consequences_on
from sanse.supervision.items import DONE
from sanse.supervision.lifecycle import Announce, announce_new, insert_item, take_step
from sanse.supervision.occurrences import Occurrence, not_reporting_runs, period_occurrences, red_day_runs

AUTOMATIC = "自动核查"  # who the audit log names for what the triggers did


@dataclass(frozen=True)
class CheckResult:
    created: int = 0
    withdrawn: int = 0
    reinstated: int = 0
    skipped: bool = False  # this build had been checked already

    @property
    def summary(self) -> str:
        return f"督办核查：新立项 {self.created} 项，撤销 {self.withdrawn} 项，恢复 {self.reinstated} 项"


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


def check(home: Home, *, announce: Announce | None, by: str = AUTOMATIC) -> CheckResult:
    """Bring the items in line with the current build: an item for each new occurrence, the
    open items whose trigger is gone withdrawn, and those withdrawn so that come back reopened;
    the new items handed to `announce` in the same transaction. Running it again changes
    nothing."""
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
    return _apply(home, found, marker, by, announce)


def check_if_behind(home: Home, *, announce: Announce | None) -> CheckResult:
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
    return CheckResult(skipped=True) if seen else check(home, announce=announce)


def _build_marker(warehouse: Warehouse, versions: tuple[Consequences, ...]) -> str:
    return hashlib.sha256(repr((warehouse.manifest.to_json(), versions)).encode()).hexdigest()


def _apply(home: Home, found: list[Occurrence], marker: str, by: str, announce: Announce | None) -> CheckResult:
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
                made_id = insert_item(
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
                take_step(conn, row.id, "reinstated", "open", by=by, at=now, text="更正后的数据再次触发此条件")
                audit.record_in(
                    conn, by, "supervision_reinstated", item=row.id, town=row.town_code, trigger=occurrence.key
                )
                reinstated += 1
        for key, row in existing.items():
            if key not in keys and row.status not in DONE:
                take_step(conn, row.id, "withdrawn", "withdrawn", by=by, at=now, text="更正后的数据不再触发此条件")
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
        announce_new(conn, home, made, f"build:{marker[:16]}", announce)
        checks = schema.supervision_checks
        if conn.execute(sa.select(checks.c.build).where(checks.c.build == marker)).first() is None:
            conn.execute(sa.insert(checks).values(build=marker, checked_at=now))
    return CheckResult(created, withdrawn, reinstated)


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
