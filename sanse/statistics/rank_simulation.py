"""How sure is a town's rank and tier: the day's ranking simulated from each town's counts.

Each draw replaces every town's rates by plausible values given its counts (a Bayesian
posterior, Beta for a share, Gamma for a Poisson rate), keeps the denominators, and ranks
all draws under the same rules in one `rank_blocks` call.

Two priors: "group" (default) centres each rate's prior on the peer group's overall rate,
as wide as the real spread between towns (DerSimonian-Laird tau^2), so a town with few
inspections is pulled towards its group, the more so the fewer it has: 2 major hazards
in 12 inspections is weak evidence of a high rate. "jeffreys" judges each town on its own
counts only: Beta(x + 0.5, n - x + 0.5), Gamma(x + 0.5) / n.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from sanse.deployment.settings import Indicator, Rules
from sanse.ranking.rank import rank_blocks
from sanse.statistics.funnel import between_town_variance
from sanse.statistics.intervals import ConfidenceInputError, check_block, counts, ranking_keys, sampling_models

UNCERTAINTY_COLUMNS = (
    "date",
    "group",
    "code",
    "town",
    "rank",
    "tier",
    "median_rank",
    "rank_low",
    "rank_high",
    "p_blue",
    "p_yellow",
    "p_red",
    "p_current",
)
RANK_QUANTILES = (0.05, 0.5, 0.95)
Prior = Literal["group", "jeffreys"]
PRIORS: tuple[str, ...] = ("group", "jeffreys")


def default_seed(block: pd.DataFrame) -> int:
    """The block's date as yyyymmdd, so the same day always gives the same numbers."""
    if "date" not in block.columns or block.empty:
        return 0
    days = pd.to_datetime(pd.Series(block["date"]).dropna().unique())
    if len(days) > 1:
        raise ConfidenceInputError("窗口汇总数据包含多个日期：请只传入一天的数据")
    day = days[0].date() if len(days) else date.min
    return int(day.strftime("%Y%m%d"))


def rank_uncertainty(
    block: pd.DataFrame, rules: Rules, *, draws: int = 1000, seed: int | None = None, prior: Prior = "group"
) -> pd.DataFrame:
    """Per town: today's rank and tier, the median rank and 5-95% rank interval over `draws`
    simulated rankings, and the chances of each tier (`p_current` = of today's tier).

    `block` is one day's window sums for one or several peer groups. Each town draws from
    its own stream, seeded by `seed` (default: the date as yyyymmdd) and its code, so a
    town's numbers do not depend on the row order. Towns with identical counts in a group
    are exchangeable, so their draws are pooled and they get identical results.
    """
    if draws < 1:
        raise ConfidenceInputError("模拟次数至少为 1")
    if prior not in PRIORS:
        raise ConfidenceInputError(f"先验应为 {'/'.join(PRIORS)} 之一，而不是“{prior}”")
    check_block(block, rules)
    block = block.reset_index(drop=True)
    seed = default_seed(block) if seed is None else int(seed)
    current = rank_blocks(block, rules, by=ranking_keys(block))
    if block.empty:
        return pd.DataFrame(columns=list(UNCERTAINTY_COLUMNS))
    towns = len(block)
    simulated, sim_rules = _simulated_frame(block, rules, draws, seed, prior)
    ranked = rank_blocks(simulated, sim_rules, by=("_draw", "_group"))
    rank = ranked["rank"].to_numpy().reshape(draws, towns)
    tier = ranked["tier"].to_numpy().reshape(draws, towns)

    exchangeable = _exchangeable_classes(block, rules)
    pooled = lambda per_town: _pool(per_town, exchangeable)  # noqa: E731
    out = current[[c for c in ("date", "group", "code", "town", "rank", "tier") if c in current.columns]].copy()
    if "date" not in out.columns:
        out.insert(0, "date", None)
    histogram = pooled(_rank_histogram(rank, int(current["group_size"].max())))
    cumulative = np.cumsum(histogram, axis=1)
    for name, q in zip(("rank_low", "median_rank", "rank_high"), RANK_QUANTILES):
        out[name] = np.argmax(cumulative >= q - 1e-12, axis=1)
    for name in ("blue", "yellow", "red"):
        out[f"p_{name}"] = pooled((tier == name).mean(axis=0)[:, None])[:, 0]
    today = current["tier"].to_numpy()
    out["p_current"] = np.select([today == "blue", today == "red"], [out["p_blue"], out["p_red"]], out["p_yellow"])
    out.attrs.update(draws=draws, seed=seed)
    return out[list(UNCERTAINTY_COLUMNS)]


def _simulated_frame(
    block: pd.DataFrame, rules: Rules, draws: int, seed: int, prior: Prior
) -> tuple[pd.DataFrame, Rules]:
    """`draws` copies of the block stacked, each indicator's numerator drawn anew.

    The simulated counts go to private columns the rules are re-pointed at, so an indicator
    whose numerator is another's denominator stays consistent.
    """
    towns = len(block)
    generators = [np.random.default_rng([seed, *str(code).encode()]) for code in block["code"]]
    columns: dict[str, np.ndarray] = {
        "_draw": np.repeat(np.arange(draws), towns),
        "_group": np.tile(pd.factorize(block["group"])[0], draws),
    }
    for column in ("inspections", *(c for c in rules.tie_break if c in block.columns)):
        columns[column] = np.tile(block[column].to_numpy(dtype=float), draws)
    indicators = []
    for k, indicator in enumerate(rules.indicators):
        x, n = counts(block, indicator)
        shape_a, shape_b, poisson = posterior(block, indicator, prior)
        drawn = np.zeros((draws, towns))
        for town, rng in enumerate(generators):
            if n[town] <= 0:
                continue  # undefined rate: stays 0 over 0, as in the real ranking
            if poisson[town]:  # Gamma(a, rate b) rate per unit, times the denominator
                drawn[:, town] = n[town] * rng.gamma(shape_a[town], size=draws) / shape_b[town]
            else:
                drawn[:, town] = n[town] * rng.beta(shape_a[town], shape_b[town], size=draws)
        columns[f"_x{k}"] = drawn.ravel()
        columns[f"_n{k}"] = np.tile(n, draws)
        indicators.append(replace(indicator, numerator=f"_x{k}", denominator=f"_n{k}"))
        if indicator.numerator in columns and indicator.numerator in rules.tie_break:
            columns[indicator.numerator] = drawn.ravel()  # a count tie-break follows the draw
    return pd.DataFrame(columns), replace(rules, indicators=tuple(indicators))


def posterior(
    block: pd.DataFrame, indicator: Indicator, prior: Prior = "group"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per town, the posterior of its rate: (a, b, poisson). Binomial: Beta(a, b).
    Poisson: Gamma(shape a, rate b) per unit of denominator.

    The group prior has mean m = the group's rate and weight k (in units of denominator)
    from the spread between towns: k = m(1 - m)/tau^2 - 1 (Poisson: m/tau^2), kept between
    1 and the group's median denominator so that a tau^2 estimated as 0 never makes all
    towns alike. Where the group has no event or one town, the Jeffreys prior is used.
    """
    x, n = counts(block, indicator)
    poisson = sampling_models(block, indicator) == "poisson"
    a = x + 0.5
    b = np.where(poisson, n, n - x + 0.5)
    if prior == "jeffreys":
        return a, b, poisson
    for _, rows in block.groupby("group", sort=False).indices.items():
        model = "poisson" if poisson[rows[0]] else "binomial"
        target, tau2, _ = between_town_variance(x[rows], n[rows], model)
        if np.isnan(tau2) or not 0 < target < (np.inf if poisson[rows[0]] else 1):
            continue
        spread = target if poisson[rows[0]] else target * (1 - target)
        weight = spread / tau2 - (0 if poisson[rows[0]] else 1) if tau2 > 0 else np.inf
        typical = float(np.median(n[rows][n[rows] > 0]))
        weight = float(np.clip(weight, 1.0, max(typical, 1.0)))
        a[rows] = x[rows] + target * weight
        b[rows] = n[rows] + weight if poisson[rows[0]] else n[rows] - x[rows] + (1 - target) * weight
    return a, b, poisson


def _exchangeable_classes(block: pd.DataFrame, rules: Rules) -> np.ndarray:
    """A class id per town: same group and the same counts for everything the rules read."""
    used = ["inspections", *(c for c in rules.tie_break if c in block.columns)]
    for indicator in rules.indicators:
        used += [indicator.numerator, indicator.denominator]
    keys = block[["group", *dict.fromkeys(used)]]
    return keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()


def _pool(per_town: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Each town's rows replaced by the mean over its class (rows: towns)."""
    sums = np.zeros((classes.max() + 1, per_town.shape[1]))
    np.add.at(sums, classes, per_town)
    return sums[classes] / np.bincount(classes)[classes][:, None]


def _rank_histogram(rank: np.ndarray, largest: int) -> np.ndarray:
    """Per town (rows), the share of draws at each rank 0..largest."""
    draws, towns = rank.shape
    cells = (np.arange(towns)[None, :] * (largest + 1) + rank).ravel()
    return np.bincount(cells, minlength=towns * (largest + 1)).reshape(towns, largest + 1) / draws
