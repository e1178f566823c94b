"""How sure is one town's rate: the sampling model of a rate and its confidence interval.

Shared by the funnel plot, the rank simulation and the rate table of 统计可信度.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from sanse.deployment.settings import Indicator, Rules

Model = Literal["binomial", "poisson"]
# Below this many events (or non-events) Wilson's normal-based interval is off, so the
# exact Clopper-Pearson interval is used instead (Brown, Cai & DasGupta 2001).
SMALL_COUNT = 5
INTERVAL_COLUMNS = (
    "date",
    "group",
    "code",
    "town",
    "indicator",
    "model",
    "numerator",
    "denominator",
    "rate",
    "lower",
    "upper",
    "method",
)


class ConfidenceInputError(ValueError):
    """A block of window sums the confidence functions cannot use; the message is for the user."""


# ---------------------------------------------------------------- the block


def check_block(block: pd.DataFrame, rules: Rules) -> None:
    """The columns every confidence function reads: who the town is and the counts the rules use."""
    needed = {"group", "code", "town", "inspections"}
    for indicator in rules.indicators:
        needed |= {indicator.numerator, indicator.denominator}
    missing = sorted(needed - set(block.columns))
    if missing:
        raise ConfidenceInputError(f"窗口汇总数据缺少列：{'、'.join(missing)}")
    if block.duplicated(["group", "code"]).any():
        raise ConfidenceInputError("窗口汇总数据中同一镇街出现多次：请只传入一天的数据")


def ranking_keys(block: pd.DataFrame) -> tuple[str, ...]:
    return ("date", "group") if "date" in block.columns else ("group",)


def counts(block: pd.DataFrame, indicator: Indicator) -> tuple[np.ndarray, np.ndarray]:
    """(numerator, denominator) window sums of one indicator, as floats."""
    return (
        block[indicator.numerator].to_numpy(dtype=float),
        block[indicator.denominator].to_numpy(dtype=float),
    )


def sampling_models(block: pd.DataFrame, indicator: Indicator) -> np.ndarray:
    """Per row, the model of the indicator in that town's peer group.

    Binomial (a share of the denominator) while no town of the group has more events than
    its denominator; otherwise Poisson (events per unit of denominator), which needs no
    clipping of rates above 1, e.g. halts per major hazard.
    """
    x, n = counts(block, indicator)
    exceeds = pd.Series(x > n).groupby(block["group"].to_numpy()).transform("any").to_numpy()
    return np.where(exceeds, "poisson", "binomial")


# ---------------------------------------------------------------- intervals


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson_interval(x: np.ndarray | float, n: np.ndarray | float, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of x/n (NaN where n is 0)."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    z = _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def clopper_pearson_interval(
    x: np.ndarray | float, n: np.ndarray | float, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) interval of x/n from beta quantiles (NaN where n is 0)."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    tail = (1 - level) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(x > 0, stats.beta.ppf(tail, x, n - x + 1), 0.0)
        upper = np.where(x < n, stats.beta.ppf(1 - tail, x + 1, n - x), 1.0)
    undefined = n <= 0
    return np.where(undefined, np.nan, lower), np.where(undefined, np.nan, upper)


def poisson_interval(
    x: np.ndarray | float, n: np.ndarray | float, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval of the rate x per unit of n (NaN where n is 0)."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    tail = (1 - level) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(x > 0, stats.gamma.ppf(tail, np.maximum(x, 1e-12)), 0.0) / n
        upper = stats.gamma.ppf(1 - tail, x + 1) / n
    undefined = n <= 0
    return np.where(undefined, np.nan, lower), np.where(undefined, np.nan, upper)


def rate_interval(
    x: np.ndarray, n: np.ndarray, model: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower, upper, method) per row: Wilson, Clopper-Pearson when x < 5 or n - x < 5, exact Poisson."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    wilson = wilson_interval(x, n, level)
    exact = clopper_pearson_interval(x, n, level)
    poisson = poisson_interval(x, n, level)
    small = (x < SMALL_COUNT) | (n - x < SMALL_COUNT)
    method = np.where(model == "poisson", "poisson_exact", np.where(small, "clopper_pearson", "wilson"))
    method = np.where(n <= 0, "undefined", method)
    pick = {"wilson": wilson, "clopper_pearson": exact, "poisson_exact": poisson}
    lower = np.full(len(x), np.nan)
    upper = np.full(len(x), np.nan)
    for name, (lo, hi) in pick.items():
        rows = method == name
        lower[rows], upper[rows] = lo[rows], hi[rows]
    return lower, upper, method


def rate_intervals(block: pd.DataFrame, rules: Rules, level: float = 0.95) -> pd.DataFrame:
    """One row per town and indicator: the rate over the window and its `level` interval.

    `block` is one day's window sums (`Warehouse.window_sums`), one or several peer groups.
    `method` says which interval was used: `wilson`; `clopper_pearson` when the numerator
    or the denominator minus the numerator is under 5; `poisson_exact` for an indicator
    whose numerator can exceed its denominator; `undefined` (rate and limits NaN) when the
    denominator is 0.
    """
    if not 0 < level < 1:
        raise ConfidenceInputError("置信水平应在 0 和 1 之间，例如 0.95")
    check_block(block, rules)
    block = block.reset_index(drop=True)
    parts = []
    for indicator in rules.indicators:
        x, n = counts(block, indicator)
        model = sampling_models(block, indicator)
        lower, upper, method = rate_interval(x, n, model, level)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(n > 0, x / n, np.nan)
        parts.append(
            pd.DataFrame(
                {
                    "date": block["date"] if "date" in block.columns else None,
                    "group": block["group"],
                    "code": block["code"],
                    "town": block["town"],
                    "indicator": indicator.key,
                    "model": model,
                    "numerator": x,
                    "denominator": n,
                    "rate": rate,
                    "lower": lower,
                    "upper": upper,
                    "method": method,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=list(INTERVAL_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(INTERVAL_COLUMNS)]


def only_group(block: pd.DataFrame, group: str | None) -> tuple[pd.DataFrame, str]:
    """The rows of one peer group; `group` may be omitted when the block holds only one."""
    groups: Sequence[str] = list(dict.fromkeys(block["group"]))
    if group is None:
        if len(groups) > 1:
            raise ConfidenceInputError("数据包含多个对比组：请指定要画的对比组")
        group = groups[0] if groups else ""
    rows = block[block["group"] == group]
    if rows.empty:
        raise ConfidenceInputError(f"没有对比组“{group}”的数据")
    return rows.reset_index(drop=True), group
