"""The ranking rules of design §4: rates, scores, composite, rank, tier and flags (movement is
`sanse.ranking.movement`'s).

One implementation serves the build, the CLI, the pages, the bulletin, "what it would take"
and the confidence simulation. It works on a frame of window sums, one row per town and
ranking block (normally a date and a peer group), and is vectorised over blocks so that a
province-year or a thousand simulated rankings cost one call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from sanse.deployment.settings import Indicator, Rules
from sanse.facts.report import COUNT_OF
from sanse.facts.tiers import TIER_KEYS

BLOCK = ("date", "group")
FLAGS = ("not_reported", "no_inspections", "red_alert")  # the yes/no columns of every ranking row


def rank_blocks(frame: pd.DataFrame, rules: Rules, by: Sequence[str] = BLOCK) -> pd.DataFrame:
    """Score and rank every block of `frame` under `rules`.

    `frame` holds the window sums of each count named by an indicator, plus `inspections`.
    Adds per indicator `<key>` (the rate, NaN when undefined), `<key>_score`, `<key>_rank`;
    then `score` (composite 0-100), `rank` (competition "1224" on the composite rounded to
    6 decimals, tie-break columns after), `group_size`, `tier`, `no_inspections`.
    """
    out = frame.reset_index(drop=True)  # copy-on-write: the new columns go on a shallow copy
    keys = list(by)
    blocks = _block_numbers(out, keys)
    weights = np.array([i.weight for i in rules.indicators], dtype=float)
    composite = np.zeros(len(out))
    added: dict[str, np.ndarray] = {}
    for indicator, weight in zip(rules.indicators, weights):
        rate = indicator_rate(out, indicator)
        score = _normalize(rate, blocks, rules.normalization, indicator.direction)
        added[indicator.key] = rate
        added[f"{indicator.key}_score"] = score
        added[f"{indicator.key}_rank"] = _competition_rank(blocks, [_millionths(score)])
        composite += weight * score
    added["score"] = composite / weights.sum()
    tie_keys = [_millionths(added["score"])]
    for column in rules.tie_break:
        values = added[column] if column in added else out[column].to_numpy(dtype=float)
        tie_keys.append(_better_is_larger(values, rules, column))
    rank = _competition_rank(blocks, tie_keys)
    rows_in_block = np.bincount(blocks)
    size = rows_in_block[blocks]
    added["rank"] = rank
    added["group_size"] = size
    blue, red = _tier_sizes(rows_in_block, rules)
    tier = np.where(rank <= blue[blocks], 0, np.where(rank > size - red[blocks], 2, 1))
    # through Arrow: a column of three distinct words costs a tenth of converting numpy strings
    added["tier"] = pd.array(_TIER_WORDS.take(pa.array(tier)), dtype="str")
    added["no_inspections"] = out["inspections"].to_numpy() == 0
    return out.assign(**added)


def _block_numbers(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """A number per distinct combination of `keys` (missing values included), as `ngroup` gives,
    from each column's codes packed into one integer."""
    packed = np.zeros(len(frame), dtype=np.int64)
    room = 1
    for key in keys:
        codes, uniques = pd.factorize(frame[key], use_na_sentinel=False)
        room *= max(len(uniques), 1)
        if room >= 2**62:
            return frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
        packed = packed * max(len(uniques), 1) + codes
    return pd.factorize(packed)[0] if len(keys) > 1 else packed


def _millionths(values: np.ndarray) -> np.ndarray:
    """`np.round(values, 6)` as whole millionths: numpy rounds as rint(x * 1e6) / 1e6, so these
    integers order and tie exactly as the rounded floats do (for |x| far below 1e9, as scores are)."""
    return np.rint(np.asarray(values, dtype=float) * 1e6).astype(np.int64)


def indicator_rate(frame: pd.DataFrame, indicator: Indicator) -> np.ndarray:
    numerator = frame[indicator.numerator].to_numpy(dtype=float)
    denominator = frame[indicator.denominator].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def tiers_for(rank: np.ndarray, size: np.ndarray, rules: Rules) -> np.ndarray:
    """blue if rank <= B, red if rank > N - R, else yellow; B and R from each block's N."""
    blue, red = _tier_sizes(size, rules)
    return np.where(rank <= blue, "blue", np.where(rank > size - red, "red", "yellow"))


_TIER_WORDS = pa.array(TIER_KEYS)  # blue, yellow, red: a tier's code is its position


def _tier_sizes(size: np.ndarray, rules: Rules) -> tuple[np.ndarray, np.ndarray]:
    """B and R for each group size in `size`, worked out once per distinct size."""
    sizes, which = np.unique(size, return_inverse=True)  # a handful of group sizes
    counts = np.array([rules.tier_counts(int(n)) for n in sizes], dtype=np.int64).reshape(-1, 2)
    return counts[which.reshape(-1), 0], counts[which.reshape(-1), 1]


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
    """Competition ranking ("1224") inside each block, larger keys first, keys compared in order.

    Block and keys are packed into one integer per row when that is exact, so a single sort
    orders them; otherwise the keys are sorted one after another.
    """
    n = len(blocks)
    if n == 0:
        return np.array([], dtype=int)
    packed = _pack_descending(blocks, keys)
    if packed is not None:
        order = np.argsort(packed)  # rows that tie share a rank, so the sort need not be stable
        sorted_packed = packed[order]
        differs = np.r_[True, sorted_packed[1:] != sorted_packed[:-1]]
    else:
        order = np.lexsort(tuple(-k for k in reversed(keys)) + (blocks,))
        differs = np.r_[True, blocks[order][1:] != blocks[order][:-1]]
        for key in keys:
            k = key[order]
            differs[1:] |= k[1:] != k[:-1]
    # blocks come in ascending order, so a block starts after all rows of the blocks before it
    rows_in_block = np.bincount(blocks)
    block_start = (np.cumsum(rows_in_block) - rows_in_block)[blocks[order]]
    run_start = np.maximum.accumulate(np.where(differs, np.arange(n), 0))
    rank = np.empty(n, dtype=int)
    rank[order] = run_start - block_start + 1
    return rank


def _pack_descending(blocks: np.ndarray, keys: list[np.ndarray]) -> np.ndarray | None:
    """One int64 per row ordering rows by block, then each key from largest to smallest, with
    equal integers exactly for equal (block, keys); None when it would not fit or a key has NaN.

    Integer keys are offsets from their maximum; float keys their dense rank among the values.
    """
    packed = blocks.astype(np.int64)
    room = int(blocks.max()) + 1
    for key in keys:
        if key.dtype.kind in "iu":
            high, span = int(key.max()), int(key.max()) - int(key.min()) + 1
            descending = high - key.astype(np.int64) if span < 2**62 else None
        elif np.isnan(key).any():  # NaN never ties, not even with itself: leave it to lexsort
            return None
        else:
            values, dense = np.unique(key, return_inverse=True)
            span = len(values)
            descending = span - 1 - dense.reshape(-1).astype(np.int64)
        room *= span
        if descending is None or room >= 2**62:
            return None
        packed = packed * span + descending
    return packed


def public_ranking(ranked: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The columns of `sanse rank --format csv|json` (design §7), rates as fractions."""
    rates = [i.key for i in rules.indicators]
    counts = list(rules.counts)
    columns = [
        "date",
        "group",
        "town",
        "code",
        *counts,
        *rates,
        "score",
        "rank",
        "tier",
        "rank_change",
        "tier_streak",
        *FLAGS,
    ]
    out = ranked[columns].copy()
    for column in counts:
        out[column] = out[column].astype(COUNT_OF[column].dtype)
    out["tier_streak"] = out["tier_streak"].astype("int64")
    out["rank"] = out["rank"].astype("Int64")  # empty for a town 未报送 in a period (design §2)
    for column in FLAGS:
        out[column] = out[column].astype(bool)
    return out.reset_index(drop=True)
