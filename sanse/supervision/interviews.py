"""约谈 arrangements (design §12): before a 约谈's 通知书 is issued the office sets when and where
it takes place and who of the town attends; kept beside the item, every change audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from sanse.access import audit
from sanse.access.roles import User, require
from sanse.deployment.home import Home
from sanse.facts import clock
from sanse.facts.dates import chinese_date_time
from sanse.store import schema
from sanse.supervision.items import DONE, STATUS_LABELS, SupervisionError

INTERVIEW = "约谈"  # the measure whose notice needs these arrangements
MAX_FIELD = 500  # characters of a place or a list of attendees


@dataclass(frozen=True)
class Interview:
    item_id: int
    meets_at: datetime  # aware
    place: str
    attendees: str
    set_by: str
    set_at: datetime

    @property
    def when(self) -> str:
        """2026年11月3日 09:30 (Beijing time)."""
        at = clock.beijing(self.meets_at)
        return chinese_date_time(at)


def set_interview(home: Home, item_id: int, *, meets_at: datetime, place: str, attendees: str, by: User) -> Interview:
    """The office sets (or changes) a 约谈's time, place and attendees."""
    require(by, "supervise")
    if meets_at.tzinfo is None:
        raise ValueError("the time of a 约谈 needs its time zone")
    place, attendees = _field(place, "约谈地点"), _field(attendees, "参加人员")
    items, table = schema.supervision_items, schema.supervision_interviews
    now = clock.now_utc()
    with home.store.writing("supervision") as conn:
        item = conn.execute(
            sa.select(items.c.measure, items.c.status, items.c.town_code).where(items.c.id == item_id)
        ).first()
        if item is None:
            raise SupervisionError(f"没有编号为 {item_id} 的督办事项")
        if item.measure != INTERVIEW:
            raise SupervisionError(f"督办事项 {item_id} 的措施是“{item.measure}”，不是约谈：无需安排约谈时间和地点")
        if item.status in DONE:
            raise SupervisionError(f"督办事项 {item_id} 已{STATUS_LABELS[item.status][1:]}，不能再安排约谈")
        conn.execute(sa.delete(table).where(table.c.item_id == item_id))
        conn.execute(
            sa.insert(table).values(
                item_id=item_id, meets_at=meets_at, place=place, attendees=attendees, set_by=by.name, set_at=now
            )
        )
        audit.record_in(
            conn,
            by.name,
            "supervision_interview",
            item=item_id,
            town=item.town_code,
            meets_at=f"{clock.beijing(meets_at):%Y-%m-%d %H:%M}",
            place=place,
            attendees=attendees,
        )
    return get_interview(home, item_id)


def get_interview(home: Home, item_id: int) -> Interview | None:
    table = schema.supervision_interviews
    with home.store.reading() as conn:
        row = conn.execute(sa.select(table).where(table.c.item_id == item_id)).first()
    if row is None:
        return None
    return Interview(row.item_id, row.meets_at, row.place, row.attendees, row.set_by, row.set_at)


def _field(text: str, what: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise SupervisionError(f"请填写{what}")
    if len(text) > MAX_FIELD:
        raise SupervisionError(f"{what}不能超过 {MAX_FIELD} 个字")
    return text
