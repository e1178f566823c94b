"""The ranking rules of SPEC section 4: rates, scores, composite, rank, tier, movement, flags.

One implementation serves the build, the CLI, the pages, the bulletin, "what it would take"
and the confidence simulation. It works on a frame of window sums, one row per town and
ranking block (normally a date and a peer group), and is vectorised over blocks so that a
province-year or a thousand simulated rankings cost one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from sanse.config import Indicator, Rules

BLOCK = ("date", "group")
OUTPUT_KEYS = (
    "date", "group", "town", "code", "inspections", "major_hazards", "halted", "cases",
    "major_hazard_rate", "halt_rate", "case_rate", "score", "rank", "tier",
    "rank_change", "tier_streak", "not_reported", "no_inspections", "red_alert",
)
TIER_ORDER = {"blue": 0, "yellow": 1, "red": 2}


def rank_blocks(frame: pd.DataFrame, rules: Rules, by: Sequence[str] = BLOCK) -> pd.DataFrame:
    """Score and rank every block of `frame` under `rules`.

    `frame` holds the window sums of each count named by an indicator, plus `inspections`.
    Adds per indicator `<key>` (the rate, NaN when undefined), `<key>_score`, `<key>_rank`;
    then `score` (composite 0-100), `rank` (competition "1224" on the composite rounded to
    6 decimals, tie-break columns after), `group_size`, `tier`, `no_inspections`.
    """
    out = frame.reset_index(drop=True).copy()
    keys = list(by)
    blocks = out.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    weights = np.array([i.weight for i in rules.indicators], dtype=float)
    composite = np.zeros(len(out))
    for indicator, weight in zip(rules.indicators, weights):
        rate = indicator_rate(out, indicator)
        out[indicator.key] = rate
        score = _normalize(rate, blocks, rules.normalization, indicator.direction)
        out[f"{indicator.key}_score"] = score
        out[f"{indicator.key}_rank"] = _competition_rank(blocks, [np.round(score, 6)])
        composite += weight * score
    out["score"] = composite / weights.sum()
    tie_keys = [np.round(out["score"].to_numpy(), 6)]
    for column in rules.tie_break:
        tie_keys.append(_better_is_larger(out[column].to_numpy(dtype=float), rules, column))
    rank = _competition_rank(blocks, tie_keys)
    size = np.bincount(blocks)[blocks]
    out["rank"] = rank
    out["group_size"] = size
    out["tier"] = tiers_for(rank, size, rules)
    out["no_inspections"] = out["inspections"].to_numpy() == 0
    return out


def indicator_rate(frame: pd.DataFrame, indicator: Indicator) -> np.ndarray:
    numerator = frame[indicator.numerator].to_numpy(dtype=float)
    denominator = frame[indicator.denominator].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def tiers_for(rank: np.ndarray, size: np.ndarray, rules: Rules) -> np.ndarray:
    """blue if rank <= B, red if rank > N - R, else yellow; B and R from each block's N."""
    counts = {n: rules.tier_counts(int(n)) for n in np.unique(size)}
    blue = np.array([counts[n][0] for n in size])
    red = np.array([counts[n][1] for n in size])
    return np.where(rank <= blue, "blue", np.where(rank > size - red, "red", "yellow"))


def _better_is_larger(values: np.ndarray, rules: Rules, column: str) -> np.ndarray:
    lower = any(i.key == column and i.direction == "lower" for i in rules.indicators)
    values = -values if lower else values
    return np.where(np.isnan(values), -np.inf, values)


def _normalize(rate: np.ndarray, blocks: np.ndarray, method: str, direction: str) -> np.ndarray:
    defined = ~np.isnan(rate)
    higher = direction == "higher"
    hi = _block_reduce(rate, blocks, np.fmax, -np.inf)
    lo = _block_reduce(rate, blocks, np.fmin, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "fracmax":
            if higher:
                score = np.where(hi > 0, 100 * rate / hi, 0.0)
            else:  # 逆向指标: the lowest rate scores 100, others min/rate of it
                score = np.where(rate > 0, 100 * lo / rate, 100.0)
        elif method == "minmax":
            spread = hi - lo
            part = (rate - lo) if higher else (hi - rate)
            score = np.where(spread > 0, 100 * part / spread, 0.0)
        elif method == "rank":
            better = rate if higher else -rate
            beaten = _count_strictly_below(np.where(defined, better, -np.inf), blocks, defined)
            size = np.bincount(blocks)[blocks]
            score = np.where(size > 1, 100 * beaten / np.maximum(size - 1, 1), 100.0)
        elif method == "zscore":
            count = np.bincount(blocks, weights=defined)[blocks]
            mean = np.bincount(blocks, weights=np.where(defined, rate, 0))[blocks] / np.maximum(count, 1)
            square = np.bincount(blocks, weights=np.where(defined, (rate - mean) ** 2, 0))[blocks]
            std = np.sqrt(square / np.maximum(count, 1))
            z = np.where(std > 0, (rate - mean) / std, 0.0) * (1 if higher else -1)
            score = np.clip(50 + 10 * z, 0, 100)
        else:
            raise ValueError(f"unknown normalization {method!r}")
    return np.where(defined, np.nan_to_num(score, nan=0.0), 0.0)


def _block_reduce(values: np.ndarray, blocks: np.ndarray, ufunc, empty: float) -> np.ndarray:
    """Per-row max/min of `values` over its block, NaN ignored (NaN where none is defined)."""
    result = np.full(blocks.max() + 1 if len(blocks) else 0, empty)
    ufunc.at(result, blocks, np.where(np.isnan(values), empty, values))
    result[np.isinf(result)] = np.nan
    return result[blocks]


def _count_strictly_below(values: np.ndarray, blocks: np.ndarray, defined: np.ndarray) -> np.ndarray:
    """How many towns of the same block have a strictly smaller value (Borda points)."""
    n = len(values)
    order = np.lexsort((values, blocks))
    sorted_blocks, sorted_values = blocks[order], values[order]
    index = np.arange(n)
    new_block = np.r_[True, sorted_blocks[1:] != sorted_blocks[:-1]]
    new_value = new_block | np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    block_start = np.maximum.accumulate(np.where(new_block, index, 0))
    value_start = np.maximum.accumulate(np.where(new_value, index, 0))
    below = np.empty(n, dtype=float)
    below[order] = value_start - block_start
    return np.where(defined, below, 0.0)


def _competition_rank(blocks: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """Competition ranking ("1224") inside each block, larger keys first, keys compared in order."""
    n = len(blocks)
    if n == 0:
        return np.array([], dtype=int)
    order = np.lexsort(tuple(-k for k in reversed(keys)) + (blocks,))
    sorted_blocks = blocks[order]
    new_block = np.r_[True, sorted_blocks[1:] != sorted_blocks[:-1]]
    differs = new_block.copy()
    for key in keys:
        k = key[order]
        differs[1:] |= k[1:] != k[:-1]
    position = np.arange(n) - np.maximum.accumulate(np.where(new_block, np.arange(n), 0)) + 1
    run_start = np.maximum.accumulate(np.where(differs, np.arange(n), 0))
    rank = np.empty(n, dtype=int)
    rank[order] = position[run_start]
    return rank


def add_movement(ranked: pd.DataFrame, red_alert_streak: Callable[[object], int] | int = 3) -> pd.DataFrame:
    """`rank_change`, `tier_streak` and `red_alert` over consecutive ranking days per town.

    `ranked` holds every ranking day needed (a streak looks back to its start).
    """
    out = ranked.sort_values(["code", "date"], kind="stable").reset_index(drop=True)
    day = pd.to_datetime(out["date"])
    same_town = out["code"].eq(out["code"].shift()) & out["group"].eq(out["group"].shift())
    consecutive = same_town & (day - day.shift()).eq(pd.Timedelta(days=1))
    previous = out["rank"].shift()
    out["rank_change"] = (previous - out["rank"]).where(consecutive).astype("Int64")
    new_run = ~(consecutive & out["tier"].eq(out["tier"].shift()))
    out["tier_streak"] = out.groupby(new_run.cumsum()).cumcount() + 1
    if callable(red_alert_streak):
        threshold = out["date"].map(red_alert_streak)
    else:
        threshold = red_alert_streak
    out["red_alert"] = out["tier"].eq("red") & (out["tier_streak"] >= threshold)
    return out.sort_values(["date", "group", "rank", "code"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- what it would take

@dataclass(frozen=True)
class Lift:
    """The smallest extra count of one numerator that moves a town up a tier."""

    indicator: Indicator
    extra: int | None  # None: no count of this kind can do it (e.g. no inspections yet)
    tier: str  # the tier it would reach


def what_it_takes(day: pd.DataFrame, code: str, rules: Rules, limit: int = 1_000_000) -> list[Lift]:
    """For each indicator, the least extra numerator count lifting `code` to a better tier.

    `day` is one block (one date, one group) of window sums. All other figures stay as they
    are; each indicator is tried on its own.
    """
    day = day.reset_index(drop=True)
    current = rank_blocks(day, rules)
    row = current.index[current["code"] == code][0]
    tier = current.at[row, "tier"]
    if tier == "blue":
        return []
    target = "yellow" if tier == "red" else "blue"
    lifts = []
    for indicator in rules.indicators:
        if indicator.direction == "lower":
            continue
        extra = _least_extra(day, row, indicator, rules, tier, limit)
        reached = target
        if extra is not None:  # a group without yellow towns lifts red straight to blue
            lifted = day.copy()
            lifted.loc[row, indicator.numerator] += extra
            reached = rank_blocks(lifted, rules).at[row, "tier"]
        lifts.append(Lift(indicator, extra, reached))
    return lifts


def _least_extra(day: pd.DataFrame, row: int, indicator: Indicator, rules: Rules, tier: str, limit: int) -> int | None:
    if day.at[row, indicator.denominator] <= 0:
        return None

    def search(known_failing: int, candidates: np.ndarray) -> tuple[int | None, int]:
        """First candidate that lifts the town, and the largest failing value below it."""
        trial = pd.concat([day] * len(candidates), ignore_index=True)
        trial["_k"] = np.repeat(candidates, len(day))
        at = np.arange(len(candidates)) * len(day) + row
        trial.loc[at, indicator.numerator] = trial.loc[at, indicator.numerator].to_numpy() + candidates
        ranked = rank_blocks(trial, rules, by=("_k",))
        lifted = ranked.loc[at, "tier"].map(TIER_ORDER).to_numpy() < TIER_ORDER[tier]
        if not lifted.any():
            return None, int(candidates[-1])
        first = int(np.argmax(lifted))
        return int(candidates[first]), int(candidates[first - 1]) if first else known_failing

    coarse = np.unique(np.r_[np.arange(1, 65), np.geomspace(64, limit, 120).astype(int)])
    found, below = search(0, coarse)
    while found is not None and found - below > 1:
        fine = np.unique(np.linspace(below + 1, found, num=min(found - below, 256)).astype(int))
        found, below = search(below, fine)
    return found


def public_ranking(ranked: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The columns of `sanse rank --format csv|json` (SPEC 7), rates as fractions."""
    rates = [i.key for i in rules.indicators]
    counts = ["inspections"] + [i.numerator for i in rules.indicators if i.numerator != "inspections"]
    counts = list(dict.fromkeys(counts))
    columns = ["date", "group", "town", "code", *counts, *rates, "score", "rank", "tier",
               "rank_change", "tier_streak", "not_reported", "no_inspections", "red_alert"]
    out = ranked[columns].copy()
    for column in counts + ["rank", "tier_streak"]:
        out[column] = out[column].astype("int64")
    for column in ("not_reported", "no_inspections", "red_alert"):
        out[column] = out[column].astype(bool)
    return out.reset_index(drop=True)


def biggest_movers(ranked: pd.DataFrame, n: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The n towns that rose most and the n that fell most since the previous day."""
    moved = ranked.dropna(subset=["rank_change"])
    up = moved[moved["rank_change"] > 0].sort_values(["rank_change", "rank"], ascending=[False, True])
    down = moved[moved["rank_change"] < 0].sort_values(["rank_change", "rank"], ascending=[True, True])
    return up.head(n), down.head(n)
