"""督办事项 (design §11): what a supervision item is — its statuses, the steps of its history
and their labels, and how the store's rows and the messages and bulletins list it. Made by
`triggers` or `lifecycle`, read by `ledger`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sanse.facts.measures import measure_label
from sanse.store import schema

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


def could_be_id(item_id: int) -> bool:
    """An item's id fits its column (a number past it would fail in the driver, not be missing)."""
    return 0 < item_id <= schema.MAX_INTEGER


def listed(item: Item, names: dict[str, str]) -> dict:
    """The item as messages and bulletins list it, its town by name."""
    return {
        "id": item.id,
        "code": item.town_code,
        "town": names.get(item.town_code, item.town_code),
        "measure": item.measure_label,
        "reason": item.reason,
        "occurred_on": item.occurred_on.isoformat(),
        "deadline": item.deadline.isoformat(),
    }


def from_row(row) -> Item:
    """The item a row of the store's supervision_items holds."""
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
