"""The daily counts of a build as a dense town x day grid, and the window sums over it.

Every active town has a row on every ranking day (zeros when it did not report), so each
count is a (days, towns) array and a window sum is a difference of running sums along the
days. Fines are held as whole millionths of 万元, which keeps every sum an exact integer:
a build extended by one day gives the very figures a build from scratch gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from sanse.config import COUNT_COLUMNS

SQL = Path(__file__).parent / "sql" / "grid"
LEAD_DAYS = 6  # a 7-day window ending on a new day reaches six days back
FINES = COUNT_COLUMNS.index("fines_wan")


@dataclass(frozen=True)
class DailyGrid:
    days: np.ndarray  # datetime64[D], consecutive
    towns: pd.DataFrame  # town_code, town, group: the active towns in code order
    counts: np.ndarray  # int64 (COUNT_COLUMNS, days, towns); fines in millionths
    reported: np.ndarray  # bool (days, towns)
    before: np.ndarray  # int64 (COUNT_COLUMNS, 1, towns): the sums of every day before days[0]

    def window(self, name: str) -> np.ndarray:
        """The sums over window `name` ending on each day: (COUNT_COLUMNS, days, towns)."""
        if name == "daily":
            return self.counts
        running = np.cumsum(self.counts, axis=1)
        if name == "cumulative":
            return running + self.before
        if name == "rolling_7d":
            running[:, 7:] -= running[:, :-7].copy()
            return running
        raise ValueError(f"unknown window {name!r}")


def daily_grid(con: duckdb.DuckDBPyConnection, after: date | None = None) -> DailyGrid:
    """The grid of `daily_counts` in `con`: every day, or when extending a build past day
    `after`, the days after it plus the LEAD_DAYS before them (with the sums before those)."""
    lead_after = after - timedelta(days=LEAD_DAYS) if after else None
    con.execute("set variable lead_after = cast(? as date)", [lead_after])
    towns = con.sql('select town_code, town, "group" from towns order by town_code').df()
    days = con.sql("select date from calendar where ? is null or date > ? order by date",
                   params=[lead_after, lead_after]).fetchnumpy()["date"].astype("datetime64[D]")
    rows = con.sql(_sql("days")).fetchnumpy()
    before = con.sql(_sql("sums_before")).fetchnumpy()
    shape = (len(days), len(towns))
    if len(rows["not_reported"]) != shape[0] * shape[1]:
        raise ValueError("daily_counts is not one row per active town and ranking day")
    return DailyGrid(
        days=days,
        towns=towns,
        counts=np.stack([rows[c].astype(np.int64).reshape(shape) for c in COUNT_COLUMNS]),
        reported=~rows["not_reported"].astype(bool).reshape(shape),
        before=np.stack([before[c].astype(np.int64) for c in COUNT_COLUMNS]).reshape(len(COUNT_COLUMNS), 1, -1),
    )


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

    frame = pd.DataFrame({
        "window": pd.Categorical.from_codes(np.zeros(len(town), dtype=np.int8), [window]),
        "date": np.repeat(grid.days[days], n_towns).astype("datetime64[ns]"),
        "group": repeated("group"),
        "code": repeated("town_code"),
        "town": repeated("town"),
        "not_reported": ~grid.reported[days].reshape(-1),
    })
    for index, column in enumerate(COUNT_COLUMNS):
        values = sums[index].reshape(-1)
        frame[column] = values / 1e6 if index == FINES else values
    return frame


def _sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")
