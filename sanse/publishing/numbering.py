"""How issues are told apart and numbered: each series (the daily one, each period kind's)
numbers its own issues as 第N期, a period's series within each year as 2026年第N期; publishing a
numbered period again makes its next version, a 更正."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.facts.periods import Period
from sanse.store import schema


def as_period(day: date | Period) -> Period:
    """A day is a period of one day."""
    return day if isinstance(day, Period) else Period(day, day, "day")


def series_key(period: Period) -> str:
    """How the issues table names a period: "" for a day (whose `day` says it all), else its key."""
    return "" if period.kind == "day" else period.key


def same_period(one: Period, other: Period) -> bool:
    """Two names of one issue's period: what the store tells issues apart by (an issue published
    before periods were clipped to the campaign keeps the first day it was published with)."""
    return (one.kind, series_key(one), one.last) == (other.kind, series_key(other), other.last)


def of_period(period: Period) -> sa.ColumnElement[bool]:
    """The issues table's rows of `period`, every version."""
    table = schema.issues
    return sa.and_(table.c.period_kind == period.kind, table.c.period == series_key(period), table.c.day == period.last)


def number_label(period: Period, number: int) -> str:
    """第12期 in the daily series; 2026年第3期 in a period's, numbered within its year."""
    return f"第{number}期" if period.kind == "day" else f"{period.key[:4]}年第{number}期"


def next_number(conn: Connection, period: Period, first_issue: int) -> tuple[int, int]:
    """(number, version) that publishing `period` now gives it: its own number and the next
    version when it was published, else the next number of its series (the daily series starts
    at the campaign's `first_issue`)."""
    table = schema.issues
    same = conn.execute(
        sa.select(table.c.version, table.c.number).where(of_period(period)).order_by(table.c.version.desc())
    ).first()
    if same is not None:
        return same.number, same.version + 1
    if period.kind == "day":
        highest = conn.execute(sa.select(sa.func.max(table.c.number)).where(table.c.period_kind == "day")).scalar_one()
        return (highest + 1 if highest is not None else first_issue), 1
    highest = conn.execute(
        sa.select(sa.func.max(table.c.number)).where(
            table.c.period_kind == period.kind, table.c.period.like(f"{period.key[:4]}%")
        )
    ).scalar_one()
    return (highest or 0) + 1, 1
