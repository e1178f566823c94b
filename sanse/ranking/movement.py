"""Movement over consecutive ranking days: each town's rank change, how long it has held its
tier, and the red alert (约谈) of a long red streak; the biggest movers of a day."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def add_movement(
    ranked: pd.DataFrame, red_alert_streak: Callable[[object], int] | int = 3, *, ordered: bool = True
) -> pd.DataFrame:
    """`rank_change`, `tier_streak` and `red_alert` over consecutive ranking days per town.

    `ranked` holds every ranking day needed (a streak looks back to its start). The rows come
    back ordered by date, group, rank and code; with `ordered=False` in the order of `ranked`
    (for a caller that sorts them anyway, as the warehouse does when it stores them).
    """
    out = ranked.reset_index(drop=True)
    n = len(out)
    day = pd.to_datetime(out["date"])
    town, town_missing = _sort_codes(out["code"])
    group, group_missing = _sort_codes(out["group"])
    tier, tier_missing = _sort_codes(out["tier"])
    moments, day_missing = _sort_codes(day)
    # each town's days in order; rows of one town and day keep their order (a stable sort)
    by_town = _stable_order([town, moments])
    t, g, d = town[by_town], group[by_town], day.to_numpy("datetime64[ns]")[by_town]
    known = ~(town_missing | group_missing)[by_town]
    same_town = np.r_[False, (t[1:] == t[:-1]) & (g[1:] == g[:-1]) & known[1:] & known[:-1]]
    dated = ~day_missing[by_town]
    consecutive = same_town & np.r_[False, (d[1:] - d[:-1] == np.timedelta64(1, "D")) & dated[1:] & dated[:-1]]
    rank = out["rank"].to_numpy()[by_town]
    change = np.zeros(n, dtype=np.int64)
    change[1:] = rank[:-1] - rank[1:]
    tiers, tiered = tier[by_town], ~tier_missing[by_town]
    same_tier = np.r_[False, (tiers[1:] == tiers[:-1]) & tiered[1:] & tiered[:-1]]
    index = np.arange(n)
    streak = index - np.maximum.accumulate(np.where(consecutive & same_tier, 0, index)) + 1
    rank_change, moved, tier_streak = np.empty(n, dtype=np.int64), np.empty(n, dtype=bool), np.empty(n, dtype=np.int64)
    rank_change[by_town], moved[by_town], tier_streak[by_town] = change, consecutive, streak
    threshold = out["date"].map(red_alert_streak) if callable(red_alert_streak) else red_alert_streak
    out = out.assign(
        rank_change=pd.arrays.IntegerArray(rank_change, ~moved),
        tier_streak=tier_streak,
        red_alert=out["tier"].eq("red") & (tier_streak >= threshold),
    )
    if not ordered:
        return out
    ranks, _ = _sort_codes(out["rank"])
    final = by_town[_stable_order([moments[by_town], group[by_town], ranks[by_town], town[by_town]])]
    return out.take(final).reset_index(drop=True)


def _sort_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integers that sort like `column` does in `sort_values` (missing values last), and where it is missing."""
    codes, _ = pd.factorize(column, sort=True, use_na_sentinel=False)
    return codes.astype(np.int64), column.isna().to_numpy()


def _stable_order(keys: list[np.ndarray]) -> np.ndarray:
    """The stable sort order by several non-negative integer keys, first key first."""
    # Rows already in order of the last key need only a stable sort by the others (as a
    # ranking's rows, in day order, need only be sorted by town).
    while len(keys) > 1 and np.all(keys[-1][1:] >= keys[-1][:-1]):
        keys = keys[:-1]
    packed = np.zeros(len(keys[0]), dtype=np.int64)
    room = 1
    for key in keys:
        span = int(key.max()) + 1 if len(key) else 1
        room *= span
        if room >= 2**62:
            return np.lexsort(tuple(reversed(keys)))
        packed = packed * span + key
    if room <= 1 << 16:  # numpy sorts 16-bit integers stably by radix, in linear time
        packed = packed.astype(np.uint16)
    return np.argsort(packed, kind="stable")


def biggest_movers(ranked: pd.DataFrame, n: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The n towns that rose most and the n that fell most since the previous day."""
    moved = ranked.dropna(subset=["rank_change"])
    up = moved[moved["rank_change"] > 0].sort_values(["rank_change", "rank"], ascending=[False, True])
    down = moved[moved["rank_change"] < 0].sort_values(["rank_change", "rank"], ascending=[True, True])
    return up.head(n), down.head(n)
