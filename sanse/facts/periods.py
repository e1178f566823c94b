"""Periods (design §11): a day, a week, month, two months, quarter, half year, year or any date
range; a span of whole days and the kind it belongs to.

`KIND_OF` holds each kind once: its Chinese name, what a bulletin calls it, its 通报
series' title, how its id (`2026-W43`) is read and written, its span and its title. A new kind
is one entry there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sanse.facts.dates import chinese_date, date_span, year_month

Span = tuple[date, date]  # first and last day, both included


class PeriodError(ValueError):
    """A period that cannot be read or ranked; the message is for the user."""


@dataclass(frozen=True)
class PeriodKind:
    key: str  # as rules.toml, the store and the command line write it
    name: str  # 周: the picker's word, and a trigger's (连续两个周红色)
    this: str  # what a bulletin calls the period it is about: 本周
    previous: str  # ... and the one before it: 上周
    streak_unit: str  # a streak of them: 连续3周
    series_title: str  # the default title of its 通报 series
    example: str  # its id as written: 2026-W43
    pattern: str  # the ids it reads, upper-cased and without blanks
    read: Callable[[re.Match, str], Span]  # an id's span (the id as typed, for messages)
    id: Callable[[date, date], str]  # a span's id
    title: Callable[[date, date], str]  # 2026年第43周
    containing: Callable[[date], Span] | None = None  # the one holding a day; None for a range


def _day(text: str, whole: str) -> date:
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        raise PeriodError(f"“{whole}”中的“{text}”不是有效日期，应写成 YYYY-MM-DD") from None


def _range(found: re.Match, text: str) -> Span:
    first, last = _day(found[1], text), _day(found[2], text)
    if last < first:
        raise PeriodError(f"时段“{text}”的结束日期早于开始日期")
    return first, last


def _week(day: date) -> Span:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _iso_week(found: re.Match, text: str) -> Span:
    year, number = int(found[1]), int(found[2])
    try:
        return _week(date.fromisocalendar(year, number, 1))
    except ValueError:
        raise PeriodError(f"{year} 年没有第 {number} 周") from None


def _week_title(first: date, last: date) -> str:
    year, week, _ = first.isocalendar()
    return f"{year}年第{week}周"


def _months(year: int, first_month: int, count: int) -> Span:
    end_year, end_month = year + (first_month + count - 1) // 12, (first_month + count - 1) % 12 + 1
    return date(year, first_month, 1), date(end_year, end_month, 1) - timedelta(days=1)


def _months_kind(count: int, letter: str, **words) -> PeriodKind:
    """A kind of `count` calendar months from January on, its n-th of a year written YYYY-{letter}n."""

    def number(first: date) -> int:
        return (first.month - 1) // count + 1

    def read(found: re.Match, text: str) -> Span:
        year, n = int(found[1]), int(found[2]) if found.lastindex == 2 else 1
        if count == 1 and not 1 <= n <= 12:
            raise PeriodError(f"“{text}”：月份应在 1 到 12 之间")
        return _months(year, (n - 1) * count + 1, count)

    def containing(day: date) -> Span:
        return _months(day.year, (day.month - 1) // count * count + 1, count)

    if count == 12:
        pattern, written = r"(\d{4})", lambda first: str(first.year)
    elif count == 1:
        pattern, written = r"(\d{4})-(\d{1,2})", lambda first: f"{first.year}-{first.month:02d}"
    else:
        last = 12 // count
        pattern, written = rf"(\d{{4}})-{letter}([1-{last}])", lambda first: f"{first.year}-{letter}{number(first)}"
    return PeriodKind(pattern=pattern, read=read, id=lambda first, last: written(first), containing=containing, **words)


def _bimonth_title(first: date, last: date) -> str:  # one month when the campaign starts in the second
    months = f"{first.month}—{last.month}" if first.month != last.month else f"{first.month}"
    return f"{first.year}年{months}月"


_KINDS = (
    PeriodKind(
        key="day",
        name="日",
        this="当日",
        previous="上一排名日",
        streak_unit="天",
        series_title="每日工作动态",
        example="2026-10-01",
        pattern=r"(\d{4}-\d{1,2}-\d{1,2})",
        read=lambda found, text: (_day(found[1], text),) * 2,
        id=lambda first, last: first.isoformat(),
        title=lambda first, last: chinese_date(first),
        containing=lambda day: (day, day),
    ),
    PeriodKind(
        key="week",
        name="周",
        this="本周",
        previous="上周",
        streak_unit="周",
        series_title="安全生产考核周通报",
        example="2026-W43",
        pattern=r"(\d{4})-W(\d{1,2})",
        read=_iso_week,
        id=lambda first, last: "{}-W{:02d}".format(*first.isocalendar()[:2]),
        title=_week_title,
        containing=_week,
    ),
    _months_kind(
        1,
        "",
        key="month",
        name="月",
        this="本月",
        previous="上月",
        streak_unit="个月",
        series_title="安全生产考核月度通报",
        example="2026-10",
        title=lambda first, last: year_month(first),
    ),
    _months_kind(
        2,
        "B",
        key="bimonth",
        name="双月",
        this="本期",
        previous="上期",
        streak_unit="期",
        series_title="安全生产考核双月通报",
        example="2026-B5",
        title=_bimonth_title,
    ),
    _months_kind(
        3,
        "Q",
        key="quarter",
        name="季度",
        this="本季度",
        previous="上季度",
        streak_unit="个季度",
        series_title="安全生产考核季度通报",
        example="2026-Q3",
        title=lambda first, last: f"{first.year}年第{(first.month - 1) // 3 + 1}季度",
    ),
    _months_kind(
        6,
        "H",
        key="half",
        name="半年",
        this="本半年",
        previous="上半年度",
        streak_unit="个半年",
        series_title="安全生产考核半年通报",
        example="2026-H1",
        title=lambda first, last: f"{first.year}年{'上' if first.month <= 6 else '下'}半年",
    ),
    _months_kind(
        12,
        "",
        key="year",
        name="年",
        this="本年度",
        previous="上年度",
        streak_unit="年",
        series_title="安全生产考核年度通报",
        example="2026",
        title=lambda first, last: f"{first.year}年",
    ),
    PeriodKind(
        key="range",
        name="时段",
        this="本时段",
        previous="上一时段",
        streak_unit="期",
        series_title="安全生产考核专项通报",
        example="2026-10-01..2026-10-15",
        pattern=r"(.*?)\.\.(.*)",
        read=_range,
        id=lambda first, last: f"{first.isoformat()}..{last.isoformat()}",
        title=lambda first, last: f"{first.isoformat()}至{last.isoformat()}",
    ),
)
KIND_OF = {kind.key: kind for kind in _KINDS}  # in the order pickers list them
KINDS = tuple(KIND_OF)
# Those a ranking, a 通报 series or a consequence trigger runs over besides a day and a range.
PERIOD_KINDS = tuple(kind.key for kind in _KINDS if kind.containing and kind.key != "day")
KIND_LABELS = {kind.key: kind.name for kind in _KINDS}
THIS_PERIOD = {kind.key: kind.this for kind in _KINDS}
PREVIOUS_PERIOD = {kind.key: kind.previous for kind in _KINDS}
SYNTAX = "、".join(kind.example for kind in _KINDS[:-1]) + f" 或 {_KINDS[-1].example}"


@dataclass(frozen=True, order=True)
class Period:
    """A span of whole days, first to last inclusive, and the kind it belongs to."""

    first: date
    last: date
    kind: str = "range"

    def __post_init__(self) -> None:
        if self.kind not in KIND_OF:
            raise PeriodError(f"周期种类应为 {'/'.join(KINDS)} 之一，而不是“{self.kind}”")
        if self.last < self.first:
            raise PeriodError(f"时段的结束日期 {self.last} 早于开始日期 {self.first}")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last

    @property
    def key(self) -> str:
        """The period as the command line writes it: 2026-10, 2026-Q3, 2026-W43 ..."""
        return KIND_OF[self.kind].id(self.first, self.last)

    @property
    def label(self) -> str:
        """2026年第43周, 2026年10月, 2026年9—10月, 2026年第3季度, 2026年上半年, 2026年,
        2026-10-01至2026-10-15, 2026年10月1日."""
        return KIND_OF[self.kind].title(self.first, self.last)

    @property
    def span(self) -> str:
        """The dates it covers, for a reader who wants them: 2026年10月1日至10月31日."""
        first, last = self.first, self.last
        return chinese_date(first) if first == last else date_span(first, last)

    def previous(self) -> Period:
        """The period of the same kind just before this one (a range: as long, ending the day before)."""
        if self.kind == "range":
            return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1), "range")
        return period_containing(self.kind, self.first - timedelta(days=1))

    def next(self) -> Period:
        if self.kind == "range":
            return Period(self.last + timedelta(days=1), self.last + timedelta(days=self.days), "range")
        return period_containing(self.kind, self.last + timedelta(days=1))


def clipped(period: Period, start: date | None) -> Period:
    """`period` from the campaign's `start` on, when it began before it: a 第3季度 of a campaign
    that started on 1 September runs, is named and is spanned from 1 September."""
    if start is None or not period.first < start <= period.last:
        return period
    return Period(start, period.last, period.kind)


def period_containing(kind: str, day: date) -> Period:
    """The period of `kind` (not a range) that holds `day`."""
    found = KIND_OF.get(kind)
    if found is None or found.containing is None:
        raise PeriodError(f"没有包含某一天的“{KIND_LABELS.get(kind, kind)}”：时段需写明起止日期")
    return Period(*found.containing(day), kind)


def parse_period(text: str) -> Period:
    """`2026-10`, `2026-Q3`, `2026-W43` (ISO week, Monday to Sunday), `2026-H1`, `2026-B5`
    (the fifth pair of months: September and October), `2026`, `2026-10-01` (a day) or
    `2026-10-01..2026-10-15` (a date range, both ends included)."""
    cleaned = "".join(str(text).split()).upper()
    try:
        for kind in _KINDS:
            found = re.fullmatch(kind.pattern, cleaned)
            if found:
                return Period(*kind.read(found, text), kind.key)
    except PeriodError:
        raise
    except (ValueError, OverflowError):  # year 0, or a week ending after 9999-12-31
        raise PeriodError(f"“{text}”超出可以表示的日期范围") from None
    raise PeriodError(f"无法识别周期“{text}”：应写成 {SYNTAX}")


def periods_between(kind: str, first: date, last: date) -> list[Period]:
    """Every whole period of `kind` that starts on or after `first` and ends on or before `last`."""
    found: list[Period] = []
    period = period_containing(kind, first)
    if period.first < first:
        period = period.next()
    while period.last <= last:
        found.append(period)
        period = period.next()
    return found


def periods_back(kind: str, since: date, day: date) -> list[Period]:
    """The period of `kind` holding `day`, then each before it back to the one holding
    `since` (a campaign's start): newest first, as a picker lists them."""
    found = [period_containing(kind, day)]
    while found[-1].first > since:
        found.append(found[-1].previous())
    found[-1] = clipped(found[-1], since)
    return found
