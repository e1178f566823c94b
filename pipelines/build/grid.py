"""The daily counts being built as a dense town x day grid, and the window sums over it.

Every active town has a row on every ranking day (zeros when it did not report), so each
count is a (days, towns) array and a window sum is a difference of running sums along the
days. Fines are held as whole millionths of 万元, which keeps every sum an exact integer:
a build extended by one day gives the very figures a build from scratch gives.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from sanse.facts.report import COUNT_COLUMNS, MONEY_COLUMNS

LEAD_DAYS = 6  # a 7-day window ending on a new day reaches six days back


@dataclass(frozen=True)
class DailyGrid:
    days: np.ndarray  # datetime64[D], consecutive
    towns: pd.DataFrame  # town_code, town, group: the active towns in code order
    counts: np.ndarray  # int64 (COUNT_COLUMNS, days, towns); fines in millionths
    reported: np.ndarray  # bool (days, towns)
    before: np.ndarray  # int64 (COUNT_COLUMNS, 1, towns): the sums of every day before days[0]

    def window(self, name: str) -> np.ndarray:
        """The sums over window `name` ending on each day: (COUNT_COLUMNS, days, towns). Not to
        be written to: the cumulative sums are computed once and shared."""
        if name == "daily":
            return self.counts
        if name == "cumulative":
            return self._cumulative
        if name == "rolling_7d":
            running = np.cumsum(self.counts, axis=1)
            running[:, 7:] -= running[:, :-7].copy()
            return running
        raise ValueError(f"unknown window {name!r}")

    @functools.cached_property
    def _cumulative(self) -> np.ndarray:
        return np.cumsum(self.counts, axis=1) + self.before


def daily_grid(daily: pd.DataFrame, towns: pd.DataFrame, before: np.ndarray) -> DailyGrid:
    """The grid of `daily`, the daily counts of consecutive days, one row per town of `towns`
    (town_code, town, group, in code order) per day, in day and town order. `before` holds
    the sums of every day before the first, fines in millionths (COUNT_COLUMNS, towns)."""
    days = np.unique(daily["date"].to_numpy().astype("datetime64[D]"))
    shape = (len(days), len(towns))
    if len(daily) != shape[0] * shape[1]:
        raise ValueError("daily_counts is not one row per active town and ranking day")
    return DailyGrid(
        days=days,
        towns=towns.reset_index(drop=True),
        counts=np.stack([in_millionths(daily, c).reshape(shape) for c in COUNT_COLUMNS]),
        reported=~daily["not_reported"].to_numpy(dtype=bool).reshape(shape),
        before=before.reshape(len(COUNT_COLUMNS), 1, -1),
    )


def in_millionths(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A count column as int64; money (fines) as whole millionths of 万元, so that sums are exact."""
    values = frame[column].to_numpy()
    if column in MONEY_COLUMNS:
        return np.round(values.astype(float) * 1e6).astype(np.int64)
    return values.astype(np.int64)


def day_end_sums(grid: DailyGrid) -> dict[date, np.ndarray]:
    """The cumulative sums at the end of each grid day: date -> (COUNT_COLUMNS, towns)."""
    running = grid.window("cumulative")
    return {day.item(): running[:, i, :] for i, day in enumerate(grid.days)}


def window_frame(grid: DailyGrid, window: str, days: np.ndarray) -> pd.DataFrame:
    """The window sums of the grid's days `days` (a boolean mask), one row per town and day
    in day order: the frame the ranking reads. Town columns are categorical (cheap to
    build, group and store)."""
    sums = grid.window(window)[:, days]
    n_days, n_towns = sums.shape[1:]
    town = np.tile(np.arange(n_towns), n_days)

    def repeated(column: str) -> pd.Categorical:
        codes, values = pd.factorize(grid.towns[column], sort=True)
        return pd.Categorical.from_codes(codes[town], values)

    frame = pd.DataFrame(
        {
            "window": pd.Categorical.from_codes(np.zeros(len(town), dtype=np.int8), [window]),
            "date": np.repeat(grid.days[days], n_towns).astype("datetime64[ns]"),
            "group": repeated("group"),
            "code": repeated("town_code"),
            "town": repeated("town"),
            "not_reported": ~grid.reported[days].reshape(-1),
        }
    )
    for index, column in enumerate(COUNT_COLUMNS):
        values = sums[index].reshape(-1)
        frame[column] = values / 1e6 if column in MONEY_COLUMNS else values
    return frame
