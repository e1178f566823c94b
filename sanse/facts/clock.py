"""The office's time: every day and every time shown is Beijing time (China keeps no
daylight saving), whatever the server's own zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")


def today() -> date:
    """The towns' today."""
    return datetime.now(BEIJING).date()


def now() -> datetime:
    """This moment, in Beijing time."""
    return datetime.now(BEIJING)


def now_utc() -> datetime:
    """This moment in UTC, as the store keeps moments."""
    return datetime.now(UTC)


def beijing(moment: datetime) -> datetime:
    return moment.astimezone(BEIJING)


def stamp(moment: datetime) -> str:
    """A stored moment (UTC) as the office reads it: Beijing time to the minute."""
    return f"{beijing(moment):%Y-%m-%d %H:%M}"
