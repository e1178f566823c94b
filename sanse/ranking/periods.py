"""Period rankings (design §11): a period (`sanse.facts.periods`) ranked like a day over the
sums of its days; a day is a period of one day.

A period's ranking is Σ numerator / Σ denominator over its days of each town's own daily
figures, then the same scores, ties and tiers as a day (`rank_blocks`) under the rules in
force on the period's last day, within peer groups; movement is against the previous period
of the same kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from sanse.deployment.settings import Rules, Settings
from sanse.facts.dates import month_day
from sanse.facts.periods import Period, PeriodError, clipped
from sanse.facts.report import COUNT_COLUMNS
from sanse.ranking.movement import add_movement
from sanse.ranking.rank import rank_blocks
from sanse.ranking.warehouse import Warehouse


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
