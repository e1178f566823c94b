"""The ranking rules of design §4: rates, scores, composite, rank, tier, movement, flags.

One implementation serves the build, the CLI, the pages, the bulletin, "what it would take"
and the confidence simulation. It works on a frame of window sums, one row per town and
ranking block (normally a date and a peer group), and is vectorised over blocks so that a
province-year or a thousand simulated rankings cost one call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from sanse.deployment.settings import Indicator, Rules
from sanse.facts.tiers import TIER_KEYS, TIER_ORDER

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
    return what_it_takes_each(day, [code], rules, limit)[code]


TRIAL_ROWS = 250_000  # rows of one batch of trial rankings (a copy of the block per trial)


def what_it_takes_each(
    day: pd.DataFrame, codes: Sequence[str], rules: Rules, limit: int = 1_000_000
) -> dict[str, list[Lift]]:
    """`what_it_takes` of several towns of one block at once (each town's trials ranked in the
    same batches as the others'): what a publication tells each town's work group."""
    day = day.reset_index(drop=True)
    current = rank_blocks(day, rules)
    rows = {code: int(current.index[current["code"] == code][0]) for code in codes}
    tiers = current["tier"].to_numpy()
    climbing = {code: row for code, row in rows.items() if tiers[row] != "blue"}
    lifts: dict[str, list[Lift]] = {code: [] for code in codes}
    for indicator in rules.indicators:
        if indicator.direction == "lower":
            continue
        extras = _least_extras(day, list(climbing.values()), indicator, rules, tiers, limit)
        # a group without yellow towns lifts red straight to blue
        reached = _trial_tiers(
            day, [(row, np.array([extra])) for row, extra in extras.items() if extra is not None], indicator, rules
        )
        for code, row in climbing.items():
            target = "yellow" if tiers[row] == "red" else "blue"
            extra = extras[row]
            lifts[code].append(Lift(indicator, extra, reached[row][0] if extra is not None else target))
    return lifts


def _least_extras(
    day: pd.DataFrame, rows: list[int], indicator: Indicator, rules: Rules, tiers: np.ndarray, limit: int
) -> dict[int, int | None]:
    """Per row, the least extra count of `indicator`'s numerator that lifts it a tier (None:
    none up to `limit`, or no denominator): a coarse pass over every row, then finer passes
    between each row's last failing and first lifting count."""
    found: dict[int, int | None] = {row: None for row in rows}
    searching = [row for row in rows if day.at[row, indicator.denominator] > 0]
    coarse = np.unique(np.r_[np.arange(1, 65), np.geomspace(64, limit, 120).astype(int)])
    brackets = {row: (0, coarse) for row in searching}
    while brackets:
        order = list(brackets)
        trials = _trial_tiers(day, [(row, brackets[row][1]) for row in order], indicator, rules)
        narrower = {}
        for row in order:
            below, candidates = brackets[row]
            lifted = np.array([TIER_ORDER[t] for t in trials[row]]) < TIER_ORDER[tiers[row]]
            if not lifted.any():
                continue  # stays None
            first = int(np.argmax(lifted))
            hit = int(candidates[first])
            below = int(candidates[first - 1]) if first else below
            found[row] = hit
            if hit - below > 1:
                fine = np.unique(np.linspace(below + 1, hit, num=min(hit - below, 256)).astype(int))
                narrower[row] = (below, fine)
        brackets = narrower
    return found


def _trial_tiers(
    day: pd.DataFrame, trials: list[tuple[int, np.ndarray]], indicator: Indicator, rules: Rules
) -> dict[int, list[str]]:
    """For each (row, extras): the row's tier with each extra added to its numerator, all else
    as it is; every trial a copy of the block, ranked in batches of about TRIAL_ROWS rows."""
    size = len(day)
    out: dict[int, list[str]] = {}
    batch: list[tuple[int, np.ndarray]] = []

    def rank_batch() -> None:
        extras = np.concatenate([e for _, e in batch])
        where = np.concatenate([np.full(len(e), row) for row, e in batch])
        copies = len(extras)
        trial = day.iloc[np.tile(np.arange(size), copies)].reset_index(drop=True)
        trial["_k"] = np.repeat(np.arange(copies), size)
        at = np.arange(copies) * size + where
        trial.loc[at, indicator.numerator] = trial.loc[at, indicator.numerator].to_numpy() + extras
        ranked = rank_blocks(trial, rules, by=("_k",))["tier"].to_numpy()[at]
        start = 0
        for row, e in batch:
            out[row] = list(ranked[start : start + len(e)])
            start += len(e)
        batch.clear()

    rows_in_batch = 0
    for row, extras in trials:
        if batch and rows_in_batch + len(extras) * size > TRIAL_ROWS:
            rank_batch()
            rows_in_batch = 0
        batch.append((row, extras))
        rows_in_batch += len(extras) * size
    if batch:
        rank_batch()
    return out


def public_ranking(ranked: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The columns of `sanse rank --format csv|json` (design §7), rates as fractions."""
    rates = [i.key for i in rules.indicators]
    counts = ["inspections"] + [i.numerator for i in rules.indicators if i.numerator != "inspections"]
    counts = list(dict.fromkeys(counts))
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
    for column in counts + ["tier_streak"]:
        out[column] = out[column].astype("int64")
    out["rank"] = out["rank"].astype("Int64")  # empty for a town 未报送 in a period (design §2)
    for column in FLAGS:
        out[column] = out[column].astype(bool)
    return out.reset_index(drop=True)


def biggest_movers(ranked: pd.DataFrame, n: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The n towns that rose most and the n that fell most since the previous day."""
    moved = ranked.dropna(subset=["rank_change"])
    up = moved[moved["rank_change"] > 0].sort_values(["rank_change", "rank"], ascending=[False, True])
    down = moved[moved["rank_change"] < 0].sort_values(["rank_change", "rank"], ascending=[True, True])
    return up.head(n), down.head(n)
