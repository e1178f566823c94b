"""Trigger occurrences (design §11): where a campaign's rankings and reports meet the
consequence rules, as pure functions over the warehouse's frames: one occurrence per run of
red or unreported days, per bottom place or per run of red periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from sanse.facts.dates import date_span
from sanse.facts.periods import KIND_LABELS
from sanse.supervision.consequences import Trigger


@dataclass(frozen=True)
class Occurrence:
    """A trigger met once: one supervision item, made once whatever the number of checks."""

    key: str  # unique per occurrence: trigger key, town code and what it was met over
    town_code: str
    town: str
    day: date  # the day the trigger was met: the last day of the run or the period
    measure: str
    deadline: date
    reason: str
    card: str | None = None  # white, yellow or red


def deadline_after(day: date, days: int) -> date:
    """The deadline `days` calendar days after `day` (across month and year ends)."""
    return day + timedelta(days=days)


def red_day_runs(rankings: pd.DataFrame, trigger: Trigger) -> list[Occurrence]:
    """Towns red `trigger.days` ranking days running: one occurrence per run, on the day the run
    reaches that length, keyed by the run's first day. `rankings` holds each day's date, code,
    town, tier and tier_streak."""
    red = rankings[(rankings["tier"] == "red") & (rankings["tier_streak"] == trigger.days)]
    found = []
    for row in red.itertuples():
        day = _day(row.date)
        start = day - timedelta(days=trigger.days - 1)
        found.append(
            Occurrence(
                f"{trigger.key}:{row.code}:{start}",
                row.code,
                row.town,
                day,
                trigger.measure,
                deadline_after(day, trigger.deadline_days),
                f"{date_span(start, day)}连续{trigger.days}天红色",
            )
        )
    return found


def not_reporting_runs(daily: pd.DataFrame, trigger: Trigger) -> list[Occurrence]:
    """Towns with no report `trigger.days` days running, once per run, from `daily` (date,
    town_code, town, not_reported for every town and day)."""
    ordered = daily.sort_values(["town_code", "date"], kind="stable").reset_index(drop=True)
    missed = ordered["not_reported"].to_numpy(dtype=bool)
    town = ordered["town_code"].to_numpy()
    days = pd.to_datetime(ordered["date"]).to_numpy().astype("datetime64[D]")
    index = np.arange(len(ordered))
    continues = np.r_[False, (town[1:] == town[:-1]) & (days[1:] - days[:-1] == np.timedelta64(1, "D"))] & missed
    continues &= np.r_[False, missed[:-1]]
    streak = index - np.maximum.accumulate(np.where(continues, 0, index)) + 1
    found = []
    for i in np.flatnonzero(missed & (streak == trigger.days)):
        day = _day(days[i])
        start = day - timedelta(days=trigger.days - 1)
        found.append(
            Occurrence(
                f"{trigger.key}:{town[i]}:{start}",
                str(town[i]),
                str(ordered.at[i, "town"]),
                day,
                trigger.measure,
                deadline_after(day, trigger.deadline_days),
                f"{date_span(start, day)}连续{trigger.days}天未报送",
            )
        )
    return found


def period_occurrences(ranked: pd.DataFrame, labels: dict[str, str], trigger: Trigger) -> list[Occurrence]:
    """`bottom` and `red_periods` over `ranked`: the rankings of consecutive whole periods of
    `trigger.period` (period, date = its last day, group, code, town, rank, group_size, tier),
    oldest first; `labels` names each period (2026年10月). Every period counts on its own: a town
    last `times` periods in a row is met then, and again after `times` more. A period in which a
    town sent nothing (未报送, no rank) is not one it was ranked in: it breaks a run."""
    order = list(dict.fromkeys(ranked["period"]))
    ranked = ranked[ranked["rank"].notna()]
    column = ranked["period"].map({p: i for i, p in enumerate(order)}).to_numpy()
    row, codes = pd.factorize(ranked["code"], sort=True)
    shape = (len(codes), len(order))
    rank, size = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    rank[row, column] = ranked["rank"].to_numpy(dtype=np.int64)
    size[row, column] = ranked["group_size"].to_numpy(dtype=np.int64)
    ranked_there = np.zeros(shape, dtype=bool)
    ranked_there[row, column] = True
    if trigger.when == "bottom":
        hit = ranked_there & (rank > size - trigger.places)
        run = np.zeros(shape, dtype=np.int64)
        for j in range(len(order)):
            run[:, j] = (run[:, j - 1] + 1 if j else 1) * hit[:, j]
        met = hit & (run % trigger.times == 0)
    else:
        red = np.zeros(shape, dtype=bool)
        red[row, column] = ranked["tier"].to_numpy() == "red"
        running = np.cumsum(red, axis=1)
        before = np.zeros(shape, dtype=np.int64)
        before[:, trigger.of :] = running[:, : -trigger.of] if trigger.of < len(order) else 0
        met = red & (running - before >= trigger.times)
    towns = dict(zip(ranked["code"], ranked["town"]))
    lasts = dict(zip(ranked["period"], ranked["date"]))
    return [
        _period_occurrence(
            trigger,
            str(codes[i]),
            towns[codes[i]],
            _day(lasts[order[j]]),
            int(rank[i, j]),
            int(size[i, j]),
            labels,
            order,
            order[j],
        )
        for i, j in zip(*np.nonzero(met))
    ]


def _period_occurrence(
    trigger: Trigger,
    code: str,
    town: str,
    day: date,
    rank: int,
    size: int,
    labels: dict[str, str],
    order: list[str],
    period: str,
) -> Occurrence:
    label = labels[period]
    if trigger.when == "bottom":
        place = "末位" if trigger.places == 1 else f"后{trigger.places}名"
        standing = f"第{rank}名（共{size}个）"
        if trigger.times > 1:
            at = order.index(period)
            since = labels[order[at - trigger.times + 1]]
            reason = f"{since}至{label}连续{trigger.times}期排名{place}，{label}为{standing}"
        else:
            reason = f"{label}排名{place}：{standing}"
    else:
        word = KIND_LABELS[trigger.period]
        reason = f"截至{label}，最近{trigger.of}个{word}中至少{trigger.times}个{word}为红色"
    return Occurrence(
        f"{trigger.key}:{code}:{period}",
        code,
        town,
        day,
        trigger.measure,
        deadline_after(day, trigger.deadline_days),
        reason,
    )


def _day(value) -> date:
    return pd.Timestamp(value).date()
