"""Funnel plots of one indicator in one peer group (Spiegelhalter 2005).

Each town's rate is plotted against its denominator, around the group's overall rate, with
the 95% and 99.8% limits that chance alone stays inside; a town outside them differs by
more than luck. Overdispersion (towns differing for reasons the rules do not measure) can
widen the limits: multiplicatively by phi, or additively by tau^2 (DerSimonian-Laird), both
estimated from z-scores winsorised at 10%/90% as Spiegelhalter recommends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from sanse.deployment.settings import Indicator, Rules
from sanse.statistics.intervals import ConfidenceInputError, Model, check_block, counts, only_group, sampling_models

Adjust = Literal["none", "phi", "tau2"]
ADJUSTMENTS: tuple[str, ...] = ("none", "phi", "tau2")
LEVELS = {"95": 0.95, "998": 0.998}
# Exact limits while the expected variance of the count, n*target*(1-target) (Poisson:
# n*target), is under this; beyond it the normal limits differ by less than a pixel.
EXACT_BELOW = 100.0
WINSOR_SHARE = 0.10
BANDS = ("above_998", "above_95", "within", "below_95", "below_998", "undefined")


@dataclass(frozen=True)
class Funnel:
    """A funnel plot: the target line, the limit curves, the towns and where they fall."""

    indicator: Indicator
    group: str
    model: Model
    target: float  # the group's overall rate: sum of numerators / sum of denominators
    adjust: Adjust  # the overdispersion adjustment drawn into `limits`
    phi: float  # winsorised dispersion factor (1 = pure chance); NaN under 2 towns
    tau2: float  # DerSimonian-Laird between-town variance on winsorised z; NaN under 2 towns
    limits: pd.DataFrame  # denominator, lower_95, upper_95, lower_998, upper_998
    points: pd.DataFrame  # code, town, numerator, denominator, rate, z, z_adjusted, band

    def outside(
        self, level: Literal["95", "998"] = "95", side: Literal["above", "below", "both"] = "both"
    ) -> list[str]:
        """Names of the towns beyond the `level` limit (beyond 99.8% counts as beyond 95%)."""
        bands = {"95": ("_95", "_998"), "998": ("_998",)}[level]
        sides = ("above", "below") if side == "both" else (side,)
        wanted = {s + b for s in sides for b in bands}
        return list(self.points.loc[self.points["band"].isin(wanted), "town"])

    def rate_axis(self, margin: float = 0.15) -> tuple[float, float]:
        """The span of rates a plot of this funnel shows: from 0 to `margin` past the highest of
        the towns' rates, the target and the 99.8% limit at the median town's denominator —
        fitted to the data, not 0–100% when every town is under 10%. The limits of the smallest
        towns may leave it at the top; every town stays inside."""
        defined = self.points.dropna(subset=["rate"])
        if defined.empty or np.isnan(self.target):
            return 0.0, 1.0
        median = np.array([float(defined["denominator"].median())])
        _, upper = control_limits(median, self.target, LEVELS["998"], self.model)
        top = max(float(defined["rate"].max()), self.target, float(upper[0])) * (1 + margin)
        if top <= 0:
            return 0.0, 1.0
        return 0.0, min(top, 1.0) if self.model == "binomial" else top


def funnel(
    block: pd.DataFrame, indicator: str | Indicator, rules: Rules, adjust: Adjust = "none", *, group: str | None = None
) -> Funnel:
    """The funnel plot of `indicator` (a key of `rules`) for one peer group of `block`.

    `block` is one day's window sums; `group` may be left out when it holds one group.
    Towns whose denominator is 0 are listed with band `undefined` and no z-score.
    """
    if adjust not in ADJUSTMENTS:
        raise ConfidenceInputError(f"过度离散调整应为 {'/'.join(ADJUSTMENTS)} 之一，而不是“{adjust}”")
    check_block(block, rules)
    chosen = _indicator(rules, indicator)
    rows, group = only_group(block, group)
    x, n = counts(rows, chosen)
    model: Model = str(sampling_models(rows, chosen)[0])  # type: ignore[assignment]
    defined = n > 0
    target = float(x[defined].sum() / n[defined].sum()) if defined.any() else float("nan")
    spread = _variance(target, model)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(defined, x / n, np.nan)
        se = np.sqrt(spread / n)
        z = np.where(defined & (se > 0), (rate - target) / se, np.nan)
    usable = ~np.isnan(z)
    phi, tau2 = overdispersion(z[usable], se[usable])
    applied_phi = max(phi, 1.0) if adjust == "phi" and not np.isnan(phi) else 1.0
    applied_tau2 = tau2 if adjust == "tau2" and not np.isnan(tau2) else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z_adjusted = (rate - target) / np.sqrt(se**2 * applied_phi + applied_tau2)
    z_adjusted = np.where(usable, z_adjusted, np.nan)

    band = np.full(len(rows), "within", dtype=object)
    band[~defined] = "undefined"
    for name in ("95", "998"):  # 99.8% second, so it overrides 95%
        lower, upper = control_limits(np.where(defined, n, 1), target, LEVELS[name], model, applied_phi, applied_tau2)
        band[defined & (rate > upper)] = f"above_{name}"
        band[defined & (rate < lower)] = f"below_{name}"
    points = pd.DataFrame(
        {
            "code": rows["code"],
            "town": rows["town"],
            "numerator": x,
            "denominator": n,
            "rate": rate,
            "z": z,
            "z_adjusted": z_adjusted,
            "band": band,
        }
    )
    grid = denominator_grid(float(n.max()) if len(n) else 0.0)
    limits = pd.DataFrame({"denominator": grid})
    for name, level in LEVELS.items():
        lower, upper = control_limits(grid, target, level, model, applied_phi, applied_tau2)
        limits[f"lower_{name}"], limits[f"upper_{name}"] = lower, upper
    return Funnel(chosen, group, model, target, adjust, phi, tau2, limits, points)


def control_limits(
    n: np.ndarray, target: float, level: float, model: Model, phi: float = 1.0, tau2: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) rate limits at denominators `n` that a town at `target` stays within with
    probability `level`: exact with Spiegelhalter's interpolation for small counts, normal for
    large; then widened by the dispersion factor `phi` or the between-town variance `tau2`.
    """
    n = np.asarray(n, dtype=float)
    tail = (1 - level) / 2
    degenerate = np.isnan(target) or target <= 0 or (model == "binomial" and target >= 1)
    if degenerate:
        flat = np.full(len(n), target)
        return flat, flat.copy()
    z = float(stats.norm.ppf(1 - tail))
    half = z * np.sqrt(_variance(target, model) / n)
    lower, upper = target - half, target + half
    exact = (n * _variance(target, model) < EXACT_BELOW) & (n == np.round(n))
    if exact.any():
        lower[exact] = _exact_limit(tail, n[exact], target, model)
        upper[exact] = _exact_limit(1 - tail, n[exact], target, model)
    lower, upper = (_widen(limit - target, z, phi, tau2) + target for limit in (lower, upper))
    ceiling = 1.0 if model == "binomial" else np.inf
    return np.clip(lower, 0, ceiling), np.clip(upper, 0, ceiling)


def _exact_limit(p: float, n: np.ndarray, target: float, model: Model) -> np.ndarray:
    """Spiegelhalter's (2005, appendix) interpolated p-quantile of the count, as a rate:
    r_p the p-quantile, alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1)), limit (r_p - alpha) / n."""
    dist = stats.binom(n, target) if model == "binomial" else stats.poisson(n * target)
    r = dist.ppf(p)
    at, below = dist.cdf(r), dist.cdf(r - 1)
    alpha = (at - p) / (at - below)
    return (r - alpha) / n


def _widen(distance: np.ndarray, z: float, phi: float, tau2: float) -> np.ndarray:
    """Distance from the target after overdispersion: times sqrt(phi), or z*tau added in quadrature."""
    distance = distance * np.sqrt(phi)
    if tau2 > 0:
        distance = np.sign(distance) * np.sqrt(distance**2 + z * z * tau2)
    return distance


def _variance(target: float, model: Model) -> float:
    """Variance of one unit of denominator under the target rate."""
    return target * (1 - target) if model == "binomial" else target


def denominator_grid(largest: float, points: int = 200) -> np.ndarray:
    """Integer denominators from 1 to 10% past the largest town, dense where the funnel bends."""
    if largest <= 0:
        return np.array([], dtype=float)
    top = int(np.ceil(round(largest * 1.1, 6)))
    return np.unique(np.r_[np.arange(1, min(top, 30) + 1), np.round(np.geomspace(1, top, points))]).astype(float)


# ---------------------------------------------------------------- overdispersion


def winsorize(z: np.ndarray, share: float = WINSOR_SHARE) -> np.ndarray:
    """z-scores below the `share` quantile raised to it, above 1 - `share` lowered to it."""
    if len(z) == 0:
        return z
    lo, hi = np.quantile(z, [share, 1 - share])
    return np.clip(z, lo, hi)


def overdispersion(z: np.ndarray, se: np.ndarray, share: float = WINSOR_SHARE) -> tuple[float, float]:
    """(phi, tau2) from the towns' z-scores and standard errors (Spiegelhalter 2005, s. 3.2).

    phi = mean of squared winsorised z. tau2 = DerSimonian-Laird:
    (I*phi - (I - 1)) / (sum w - sum w^2 / sum w) with w = 1/se^2, floored at 0.
    """
    if len(z) < 2:
        return float("nan"), float("nan")
    zw = winsorize(np.asarray(z, dtype=float), share)
    return float(np.mean(zw**2)), dersimonian_laird_tau2(zw, se)


def dersimonian_laird_tau2(z: np.ndarray, se: np.ndarray) -> float:
    """Between-town variance tau^2 from (already winsorised) z-scores and standard errors."""
    z, se = np.asarray(z, dtype=float), np.asarray(se, dtype=float)
    towns = len(z)
    if towns < 2:
        return float("nan")
    w = 1 / se**2
    excess = float(np.sum(z**2)) - (towns - 1)
    scale = float(w.sum() - (w**2).sum() / w.sum())
    return max(0.0, excess / scale) if scale > 0 else 0.0


def between_town_variance(x: np.ndarray, n: np.ndarray, model: Model) -> tuple[float, float, float]:
    """(target, tau2, median sampling variance) of the towns with a denominator; tau2 is
    DerSimonian-Laird without winsorising (NaN under 2 towns or when no event happened)."""
    defined = n > 0
    if defined.sum() < 2:
        return float("nan"), float("nan"), float("nan")
    x, n = x[defined], n[defined]
    target = float(x.sum() / n.sum())
    spread = _variance(target, model)
    if spread <= 0:
        return target, float("nan"), 0.0
    se = np.sqrt(spread / n)
    return target, dersimonian_laird_tau2((x / n - target) / se, se), float(np.median(se**2))


def _indicator(rules: Rules, indicator: str | Indicator) -> Indicator:
    key = indicator.key if isinstance(indicator, Indicator) else indicator
    for candidate in rules.indicators:
        if candidate.key == key:
            return candidate
    raise ConfidenceInputError(f"规则中没有指标“{key}”")
