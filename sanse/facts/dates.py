"""How a day and a moment are written in Chinese, once for every page, message and document:
2026年10月1日, 10月1日, 2026年10月1日至10月31日, 10月2日17:00."""

from __future__ import annotations

from datetime import date, datetime


def chinese_date(day: date) -> str:
    """2026年10月1日"""
    return f"{day.year}年{day.month}月{day.day}日"


def month_day(day: date) -> str:
    """10月1日"""
    return f"{day.month}月{day.day}日"


def year_month(day: date) -> str:
    """2026年10月"""
    return f"{day.year}年{day.month}月"


def date_span(first: date, last: date) -> str:
    """2026年10月1日至10月31日; the year again when the span crosses into another."""
    end = month_day(last) if last.year == first.year else chinese_date(last)
    return f"{chinese_date(first)}至{end}"


def chinese_date_time(at: datetime) -> str:
    """2026年11月3日 09:30, in the moment's own zone."""
    return f"{chinese_date(at)} {at:%H:%M}"


def month_day_time(at: datetime) -> str:
    """10月2日17:00, in the moment's own zone."""
    return f"{month_day(at)}{at:%H:%M}"


def time_on(at: datetime, day: date) -> str:
    """17:00 when the moment falls on `day`, else 10月2日17:00: a deadline as the day's reader says it."""
    return f"{at:%H:%M}" if at.date() == day else month_day_time(at)
