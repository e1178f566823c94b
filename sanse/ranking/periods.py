"""Periods (design §11): a week, month, two months, quarter, half year, year or any date range,
ranked like a day over the sums of its days; a day is a period of one day.

A period's ranking is Σ numerator / Σ denominator over its days of each town's own daily
figures, then the same scores, ties and tiers as a day (`rank_blocks`) under the rules in
force on the period's last day, within peer groups; movement is against the previous period
of the same kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from sanse.deployment.config import PERIOD_KINDS, Rules, Settings
from sanse.facts.dates import chinese_date, date_span, month_day, year_month
from sanse.facts.report import COUNT_COLUMNS
from sanse.ranking.rank import add_movement, rank_blocks
from sanse.ranking.warehouse import Warehouse

PeriodKind = Literal["day", "week", "month", "bimonth", "quarter", "half", "year", "range"]
KINDS: tuple[str, ...] = ("day", *PERIOD_KINDS, "range")
KIND_LABELS = {
    "day": "日",
    "week": "周",
    "month": "月",
    "bimonth": "双月",
    "quarter": "季度",
    "half": "半年",
    "year": "年",
    "range": "时段",
}
# What a bulletin calls the period it is about, and the one before it.
THIS_PERIOD = {
    "day": "当日",
    "week": "本周",
    "month": "本月",
    "bimonth": "本期",
    "quarter": "本季度",
    "half": "本半年",
    "year": "本年度",
    "range": "本时段",
}
PREVIOUS_PERIOD = {
    "day": "上一排名日",
    "week": "上周",
    "month": "上月",
    "bimonth": "上期",
    "quarter": "上季度",
    "half": "上半年度",
    "year": "上年度",
    "range": "上一时段",
}
SYNTAX = "2026-10、2026-Q3、2026-W43、2026-H1、2026-B5、2026、2026-10-01 或 2026-10-01..2026-10-15"


class PeriodError(ValueError):
    """A period that cannot be read or ranked; the message is for the user."""


@dataclass(frozen=True, order=True)
class Period:
    """A span of whole days, first to last inclusive, and the kind it belongs to."""

    first: date
    last: date
    kind: str = "range"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
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
        first = self.first
        if self.kind == "day":
            return first.isoformat()
        if self.kind == "week":
            year, week, _ = first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{first.year}-{first.month:02d}"
        if self.kind == "bimonth":
            return f"{first.year}-B{(first.month + 1) // 2}"
        if self.kind == "quarter":
            return f"{first.year}-Q{(first.month + 2) // 3}"
        if self.kind == "half":
            return f"{first.year}-H{1 if first.month <= 6 else 2}"
        if self.kind == "year":
            return str(first.year)
        return f"{first.isoformat()}..{self.last.isoformat()}"

    @property
    def label(self) -> str:
        """2026年第43周, 2026年10月, 2026年9—10月, 2026年第3季度, 2026年上半年, 2026年,
        2026-10-01至2026-10-15, 2026年10月1日."""
        first = self.first
        if self.kind == "day":
            return chinese_date(first)
        if self.kind == "week":
            year, week, _ = first.isocalendar()
            return f"{year}年第{week}周"
        if self.kind == "month":
            return year_month(first)
        if self.kind == "bimonth":  # one month when the campaign starts in the second
            months = f"{first.month}—{self.last.month}" if first.month != self.last.month else f"{first.month}"
            return f"{first.year}年{months}月"
        if self.kind == "quarter":
            return f"{first.year}年第{(first.month + 2) // 3}季度"
        if self.kind == "half":
            return f"{first.year}年{'上' if first.month <= 6 else '下'}半年"
        if self.kind == "year":
            return f"{first.year}年"
        return f"{first.isoformat()}至{self.last.isoformat()}"

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
    if kind == "day":
        return Period(day, day, "day")
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=6), "week")
    months = {"month": 1, "bimonth": 2, "quarter": 3, "half": 6, "year": 12}.get(kind)
    if months is None:
        raise PeriodError(f"没有包含某一天的“{KIND_LABELS.get(kind, kind)}”：时段需写明起止日期")
    first_month = (day.month - 1) // months * months + 1
    return _months(day.year, first_month, months, kind)


def _months(year: int, first_month: int, count: int, kind: str) -> Period:
    end_year, end_month = year + (first_month + count - 1) // 12, (first_month + count - 1) % 12 + 1
    return Period(date(year, first_month, 1), date(end_year, end_month, 1) - timedelta(days=1), kind)


_FORMS = (
    (re.compile(r"(\d{4})-W(\d{1,2})"), "week"),
    (re.compile(r"(\d{4})-Q([1-4])"), "quarter"),
    (re.compile(r"(\d{4})-H([12])"), "half"),
    (re.compile(r"(\d{4})-B([1-6])"), "bimonth"),
    (re.compile(r"(\d{4})-(\d{1,2})"), "month"),
    (re.compile(r"(\d{4})"), "year"),
)


def parse_period(text: str) -> Period:
    """`2026-10`, `2026-Q3`, `2026-W43` (ISO week, Monday to Sunday), `2026-H1`, `2026-B5`
    (the fifth pair of months: September and October), `2026`, `2026-10-01` (a day) or
    `2026-10-01..2026-10-15` (a date range, both ends included)."""
    try:
        return _parsed(text)
    except PeriodError:
        raise
    except (ValueError, OverflowError):  # year 0, or a week ending after 9999-12-31
        raise PeriodError(f"“{text}”超出可以表示的日期范围") from None


def _parsed(text: str) -> Period:
    cleaned = "".join(str(text).split()).upper()
    if ".." in cleaned:
        start, _, end = cleaned.partition("..")
        first, last = _day(start, text), _day(end, text)
        if last < first:
            raise PeriodError(f"时段“{text}”的结束日期早于开始日期")
        return Period(first, last, "range")
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", cleaned):
        day = _day(cleaned, text)
        return Period(day, day, "day")
    for pattern, kind in _FORMS:
        found = pattern.fullmatch(cleaned)
        if not found:
            continue
        year, number = int(found.group(1)), int(found.group(2)) if found.lastindex == 2 else 0
        if kind == "year":
            return _months(year, 1, 12, "year")
        if kind == "week":
            try:
                monday = date.fromisocalendar(year, number, 1)
            except ValueError:
                raise PeriodError(f"{year} 年没有第 {number} 周") from None
            return Period(monday, monday + timedelta(days=6), "week")
        if kind == "month" and not 1 <= number <= 12:
            raise PeriodError(f"“{text}”：月份应在 1 到 12 之间")
        size = {"month": 1, "bimonth": 2, "quarter": 3, "half": 6}[kind]
        return _months(year, (number - 1) * size + 1, size, kind)
    raise PeriodError(f"无法识别周期“{text}”：应写成 {SYNTAX}")


def _day(text: str, whole: str) -> date:
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        raise PeriodError(f"“{whole}”中的“{text}”不是有效日期，应写成 YYYY-MM-DD") from None


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


# ---------------------------------------------------------------- ranking


@dataclass(frozen=True)
class PeriodRanking:
    """A period ranked, with the period before it for movement."""

    period: Period
    rules: Rules  # the version in force on the period's last day
    through: date  # the last day with data in the period (before `period.last` while it runs)
    ranking: pd.DataFrame  # one row per town, by group and rank; columns as a day's ranking, plus days and missed_days
    previous: Period | None  # the period the movement is measured against; None before the campaign
    notes: tuple[str, ...]  # what a reader should know: a rules change inside it, days still to come
    before: pd.DataFrame  # the previous period's ranking (empty when there is none)

    @property
    def complete(self) -> bool:
        return self.through >= self.period.last


def rank_period(warehouse: Warehouse, period: Period, settings: Settings) -> PeriodRanking:
    """Rank `period` from the warehouse's daily counts (see `rank_periods`), from the campaign's
    first day on. A period in which no town reported is not ranked (design §2)."""
    first_day, last_day = warehouse.manifest.first_day, warehouse.manifest.last_day
    if first_day is None or last_day is None or period.last < first_day or period.first > last_day:
        span = f"{first_day} 至 {last_day}" if first_day and last_day else "无"
        raise PeriodError(f"{period.label}（{period.span}）没有数据：有数据的日期为 {span}")
    period = clipped(period, first_day)
    chain = [period]
    while chain[-1].first > first_day:
        chain.append(chain[-1].previous())
    chain[-1] = clipped(chain[-1], first_day)
    chain.reverse()
    daily = warehouse.daily_counts(chain[0].first, min(period.last, last_day))
    ranked = rank_periods(daily, chain, settings)
    through = min(period.last, last_day)
    rules = settings.rules_on(period.last)
    ranking = ranked[ranked["period"] == period.key].reset_index(drop=True)
    if not ranking["rank"].notna().any():
        raise PeriodError(
            f"{period.label}（{period.span}）没有镇街报送数据，不排名：各镇街在此期间均未报送，不评定等级"
        )
    previous = chain[-2] if len(chain) > 1 else None
    return PeriodRanking(
        period=period,
        rules=rules,
        through=through,
        ranking=ranking,
        previous=previous,
        notes=period_notes(period, settings, through),
        before=ranked[ranked["period"] == (previous.key if previous else None)].reset_index(drop=True),
    )


def rank_periods(daily: pd.DataFrame, periods: list[Period], settings: Settings) -> pd.DataFrame:
    """Rank each of `periods` (consecutive, of one kind, oldest first) from `daily`, each
    town's own figures per day (the warehouse's daily_counts: date, group, town_code, town,
    not_reported and the counts), with movement from one period to the next.

    A period is ranked under the rules in force on its last day. `date` is the period's last
    day; `period`, `first` and `last` name it; `days` counts the days with data in it and
    `missed_days` those the town did not report; `not_reported` is true when it missed any.
    A town that reported on none of them is 未报送: no rank, score or tier (NA), not counted in
    its group's size when the blue and red places are counted, and no movement or streak.
    `tier_streak` counts periods; `red_alert` is a red streak of at least the rules'
    `red_alert_streak` periods (for one-day periods, exactly the daily rule).
    """
    sums = period_sums(daily, periods)
    silent = sums["missed_days"].to_numpy() >= sums["days"].to_numpy()
    reporting = sums[~silent]
    parts = []
    index_of = {p.key: i for i, p in enumerate(periods)}
    for version in dict.fromkeys(settings.rules_on(p.last) for p in periods):
        chosen = [p.key for p in periods if settings.rules_on(p.last) == version]
        part = reporting[reporting["period"].isin(chosen)]
        if len(part):
            parts.append(rank_blocks(part, version, by=("period", "group")).assign(rules_effective=version.effective))
    if parts:
        ranked = pd.concat(parts, ignore_index=True)
        # add_movement follows consecutive days: period n stands in as day n, so consecutive
        # periods are consecutive "days", and each is judged by its own rules' red alert streak.
        # A period in which a town went unranked breaks its run, as a day does.
        step = ranked["period"].map(index_of).to_numpy()
        as_days = ranked.assign(date=pd.Timestamp("2000-01-01") + pd.to_timedelta(step, unit="D"))
        streaks = {
            pd.Timestamp("2000-01-01") + pd.Timedelta(days=i): settings.rules_on(p.last).red_alert_streak
            for i, p in enumerate(periods)
        }
        moved = add_movement(as_days, lambda day: streaks[pd.Timestamp(day)])
    else:
        moved = rank_blocks(reporting, settings.rules_on(periods[-1].last), by=("period", "group")).assign(
            rank_change=pd.array([], dtype="Int64"), tier_streak=0, red_alert=False
        )
    out = moved  # by period, group, rank and code
    if silent.any():  # those 未报送 last in their period and group
        out = pd.concat([moved, _unranked(sums[silent], settings, periods)], ignore_index=True)
        out["_step"] = out["period"].map(index_of)
        out = out.sort_values(["_step", "group", "rank", "code"], na_position="last", kind="stable")
        out = out.drop(columns="_step")
    for column in ("rank", "group_size", *(c for c in out.columns if c.endswith("_rank"))):
        out[column] = out[column].astype("Int64")
    out["tier_streak"] = out["tier_streak"].astype("int64")
    out["date"] = out["period"].map({p.key: p.last for p in periods})
    return out.reset_index(drop=True)


def _unranked(silent: pd.DataFrame, settings: Settings, periods: list[Period]) -> pd.DataFrame:
    """The rows of towns that reported on no day of a period (未报送): the ranking's columns,
    with no rate, score, rank or tier."""
    rules_of = {p.key: settings.rules_on(p.last) for p in periods}
    keys = dict.fromkeys(i.key for rules in rules_of.values() for i in rules.indicators)
    nothing = np.full(len(silent), np.nan)
    return silent.assign(
        **{key: nothing for key in keys},
        **{f"{key}_score": nothing for key in keys},
        **{f"{key}_rank": pd.array([None] * len(silent), dtype="Int64") for key in keys},
        score=nothing,
        rank=pd.array([None] * len(silent), dtype="Int64"),
        group_size=pd.array([None] * len(silent), dtype="Int64"),
        tier=pd.array([None] * len(silent), dtype="str"),
        no_inspections=silent["inspections"].to_numpy() == 0,
        rules_effective=[rules_of[key].effective for key in silent["period"]],
        rank_change=pd.array([None] * len(silent), dtype="Int64"),
        tier_streak=0,
        red_alert=False,
    )


def period_sums(daily: pd.DataFrame, periods: list[Period]) -> pd.DataFrame:
    """One row per period and town: the sums of its days' counts, how many days it had data
    and how many of them the town did not report."""
    firsts = np.array([np.datetime64(p.first) for p in periods])
    lasts = np.array([np.datetime64(p.last) for p in periods])
    days = pd.to_datetime(daily["date"]).to_numpy().astype("datetime64[D]")
    at = np.searchsorted(firsts, days, side="right") - 1
    inside = (at >= 0) & (days <= lasts[np.clip(at, 0, None)])
    frame = daily[inside].assign(_period=at[inside], _missed=daily["not_reported"][inside].astype(int))
    keys = ["_period", "group", "town_code", "town"]
    summed = (
        frame.groupby(keys, sort=True, observed=True)
        .agg(
            **{c: (c, "sum") for c in COUNT_COLUMNS},
            days=("date", "nunique"),
            missed_days=("_missed", "sum"),
        )
        .reset_index()
    )
    step = summed["_period"].to_numpy()
    out = pd.DataFrame(
        {
            "window": "period",
            "period": [periods[i].key for i in step],
            "first": [periods[i].first for i in step],
            "last": [periods[i].last for i in step],
            "date": [periods[i].last for i in step],
            "group": summed["group"].astype(str),
            "code": summed["town_code"].astype(str),
            "town": summed["town"].astype(str),
            "not_reported": summed["missed_days"].to_numpy() > 0,
            "days": summed["days"].astype("int64"),
            "missed_days": summed["missed_days"].astype("int64"),
        }
    )
    for column in COUNT_COLUMNS:
        out[column] = summed[column].to_numpy()
    return out


def period_notes(period: Period, settings: Settings, through: date) -> tuple[str, ...]:
    """What a reader of the period's ranking should be told."""
    notes = []
    changes = [
        v.effective
        for v in settings.versions[1:]
        if v.effective is not None and period.first < v.effective <= period.last
    ]
    if changes:
        dates = "、".join(month_day(d) for d in changes)
        notes.append(
            f"{period.label}内排名规则有变更（{dates}起施行新规则），本期按期末（{period.last}）施行的规则排名。"
        )
    if through < period.last:
        notes.append(f"{period.label}尚未结束：数据截至{month_day(through)}。")
    return tuple(notes)
