"""The office's time: every day and every time shown is Beijing time (China keeps no
daylight saving), whatever the server's own zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")


def today() -> date:
    """The towns' today."""
    return datetime.now(BEIJING).date()


def beijing(moment: datetime) -> datetime:
    return moment.astimezone(BEIJING)
