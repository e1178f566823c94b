"""What it would take: the least extra count of one indicator's numerator that lifts a town
up a tier, all else as it is; what a town's page and its work group's message tell it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sanse.deployment.settings import Indicator, Rules
from sanse.facts.tiers import TIER_ORDER
from sanse.ranking.rank import rank_blocks


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
