"""统计可信度: how far a day's tiers are supported by the counts behind them (design §6).

The entry point for pages and reports: rate intervals, funnel plots, rank intervals and tier
probabilities, 待定 (provisional) and 样本不足 (small sample) flags, and one number for how
much of the spread between towns is real. Method note: docs/confidence.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sanse.deployment.errors import ConfigError
from sanse.deployment.settings import Indicator, Rules, Settings
from sanse.ranking.rank import rank_blocks
from sanse.statistics.funnel import (
    ADJUSTMENTS,
    Adjust,
    Funnel,
    between_town_variance,
    control_limits,
    dersimonian_laird_tau2,
    funnel,
    overdispersion,
    winsorize,
)
from sanse.statistics.intervals import (
    ConfidenceInputError,
    check_block,
    clopper_pearson_interval,
    counts,
    poisson_interval,
    rate_intervals,
    sampling_models,
    wilson_interval,
)
from sanse.statistics.rank_simulation import PRIORS, Prior, default_seed, posterior, rank_uncertainty

__all__ = [
    "ConfidenceInputError",
    "ConfidenceSettings",
    "Funnel",
    "Rankability",
    "clopper_pearson_interval",
    "confidence_settings",
    "control_limits",
    "default_seed",
    "dersimonian_laird_tau2",
    "funnel",
    "overdispersion",
    "poisson_interval",
    "posterior",
    "provisional_count",
    "provisional_tiers",
    "rank_uncertainty",
    "rankability",
    "rate_intervals",
    "tier_confidence",
    "wilson_interval",
    "winsorize",
]

PROVISIONAL = "待定"
SMALL_SAMPLE = "样本不足"


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class ConfidenceSettings:
    """rules.toml `[confidence]`."""

    provisional_below: float = 0.5  # a blue/red tier less likely than this is 待定
    min_inspections: int = 0  # towns under this many inspections in the window: 样本不足
    draws: int = 1000  # simulated rankings behind the probabilities
    funnel_adjust: Adjust = "none"  # widen funnel limits for overdispersion: none/phi/tau2
    prior: Prior = "group"  # rates drawn around the group's rate (group) or from own counts only (jeffreys)


def confidence_settings(settings: Settings) -> ConfidenceSettings:
    """The `[confidence]` section of rules.toml, defaults where absent; ConfigError if invalid."""
    raw = dict(settings.extra.get("confidence", {}) or {})
    known = set(ConfidenceSettings.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"rules.toml [confidence] 中有无法识别的设置：{'、'.join(unknown)}")
    defaults = ConfidenceSettings()
    try:
        below = float(raw.get("provisional_below", defaults.provisional_below))
        minimum = raw.get("min_inspections", defaults.min_inspections)
        draws = raw.get("draws", defaults.draws)
    except (TypeError, ValueError) as exc:
        raise ConfigError("rules.toml [confidence] 中 provisional_below 应为 0 到 1 之间的数") from exc
    adjust = raw.get("funnel_adjust", defaults.funnel_adjust)
    if not 0 <= below <= 1:
        raise ConfigError("rules.toml [confidence] 中 provisional_below 应在 0 到 1 之间，例如 0.5")
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
        raise ConfigError("rules.toml [confidence] 中 min_inspections 应为不小于 0 的整数")
    if isinstance(draws, bool) or not isinstance(draws, int) or not 100 <= draws <= 100_000:
        raise ConfigError("rules.toml [confidence] 中 draws 应为 100 到 100000 之间的整数")
    if adjust not in ADJUSTMENTS:
        raise ConfigError(f"rules.toml [confidence] 中 funnel_adjust 应为 {'/'.join(ADJUSTMENTS)} 之一")
    prior = raw.get("prior", defaults.prior)
    if prior not in PRIORS:
        raise ConfigError(f"rules.toml [confidence] 中 prior 应为 {'/'.join(PRIORS)} 之一")
    return ConfidenceSettings(below, minimum, draws, adjust, prior)


# ---------------------------------------------------------------- provisional tiers


def provisional_tiers(
    ranking: pd.DataFrame, uncertainty: pd.DataFrame, threshold: float = 0.5, *, min_inspections: int = 0
) -> pd.DataFrame:
    """The ranking with its rank interval and tier chances, and two flags.

    `provisional` (待定): blue with P(blue) < `threshold`, or red with P(red) < `threshold`.
    `small_sample` (样本不足): fewer than `min_inspections` inspections in the window; such a
    town is still ranked. `confidence_note` / `confidence_note_en` spell the flags out.
    """
    if not 0 <= threshold <= 1:
        raise ConfidenceInputError("待定阈值应在 0 和 1 之间，例如 0.5")
    added = ["median_rank", "rank_low", "rank_high", "p_blue", "p_yellow", "p_red", "p_current"]
    keys = ["group", "code"]
    out = ranking.drop(columns=[c for c in added if c in ranking.columns]).merge(
        uncertainty[keys + added],
        on=keys,
        how="left",
        validate="one_to_one",
    )
    tier = out["tier"].to_numpy()
    out["provisional"] = ((tier == "blue") & (out["p_blue"] < threshold)) | (
        (tier == "red") & (out["p_red"] < threshold)
    )
    out["small_sample"] = out["inspections"].to_numpy(dtype=float) < min_inspections
    flags = out[["provisional", "small_sample"]].to_numpy()
    out["confidence_note"] = ["、".join(w for w, on in zip((PROVISIONAL, SMALL_SAMPLE), row) if on) for row in flags]
    out["confidence_note_en"] = [
        ", ".join(w for w, on in zip(("provisional", "small sample"), row) if on) for row in flags
    ]
    return out


def provisional_count(tiers: pd.DataFrame) -> int:
    """How many tiers of `provisional_tiers` output are 待定."""
    return int(tiers["provisional"].sum()) if "provisional" in tiers.columns else 0


def tier_confidence(
    block: pd.DataFrame, rules: Rules, settings: ConfidenceSettings = ConfidenceSettings(), *, seed: int | None = None
) -> pd.DataFrame:
    """Rank the block, simulate it and flag it, all under one `[confidence]` setting."""
    check_block(block, rules)
    by = ("date", "group") if "date" in block.columns else ("group",)
    ranking = rank_blocks(block, rules, by=by)
    uncertainty = rank_uncertainty(block, rules, draws=settings.draws, seed=seed, prior=settings.prior)
    return provisional_tiers(ranking, uncertainty, settings.provisional_below, min_inspections=settings.min_inspections)


# ---------------------------------------------------------------- rankability


@dataclass(frozen=True)
class Rankability:
    """Share of the spread between towns that is real rather than chance (0 to 1; NaN: too little data)."""

    value: float
    sentence_zh: str
    sentence_en: str
    by_indicator: dict[str, float]


def rankability(block: pd.DataFrame, rules: Rules) -> Rankability:
    """Reliability of the day's comparison (signal / (signal + noise), as in provider profiling).

    Per indicator and peer group: tau^2 / (tau^2 + median sampling variance of a town's rate),
    tau^2 the DerSimonian-Laird between-town variance (not winsorised: a real outlier is
    signal here). Averaged over groups weighted by towns, then over indicators by weight.
    """
    check_block(block, rules)
    block = block.reset_index(drop=True)
    by_indicator: dict[str, float] = {}
    for indicator in rules.indicators:
        values, sizes = [], []
        for _, rows in block.groupby("group", sort=False):
            value = _reliability(rows, indicator)
            if not math.isnan(value):
                values.append(value)
                sizes.append(len(rows))
        by_indicator[indicator.key] = float(np.average(values, weights=sizes)) if values else float("nan")
    weights = {i.key: i.weight for i in rules.indicators if not math.isnan(by_indicator[i.key])}
    value = sum(by_indicator[k] * w for k, w in weights.items()) / sum(weights.values()) if weights else float("nan")
    sentence_zh, sentence_en = _explain(value, by_indicator, rules)
    return Rankability(value, sentence_zh, sentence_en, by_indicator)


def _reliability(rows: pd.DataFrame, indicator: Indicator) -> float:
    x, n = counts(rows, indicator)
    model = "poisson" if (sampling_models(rows, indicator) == "poisson").any() else "binomial"
    _, tau2, noise = between_town_variance(x, n, model)
    if np.isnan(tau2):
        return float("nan")
    return tau2 / (tau2 + noise) if tau2 + noise > 0 else float("nan")


def _explain(value: float, by_indicator: dict[str, float], rules: Rules) -> tuple[str, str]:
    if math.isnan(value):
        return "今日数据太少，无法判断排名的可分辨度。", "Too little data today to tell how reliable the ranking is."
    chance = round((1 - value) * 100)
    if value >= 0.8:
        zh = f"今日排名的可分辨度为 {value:.2f}：大部分差距来自真实差异，而不是偶然波动。"
        en = f"Today's ranking has a reliability of {value:.2f}: most of the gaps reflect real differences, not chance."
    elif value >= 0.5:
        zh = f"今日排名的可分辨度为 {value:.2f}：差距中约 {chance}% 来自偶然波动，名次相近的镇街不宜细分高低。"
        en = (
            f"Today's ranking has a reliability of {value:.2f}: about {chance}% of the gaps are chance, "
            "so towns with close ranks should not be told apart."
        )
    else:
        zh = f"今日排名的可分辨度为 {value:.2f}：差距主要来自偶然波动（约 {chance}%），排名仅供参考，请留意“待定”标记。"
        en = (
            f"Today's ranking has a reliability of {value:.2f}: the gaps are mostly chance (about {chance}%); "
            "read the ranking as a guide and mind the 'provisional' marks."
        )
    defined = {k: v for k, v in by_indicator.items() if not math.isnan(v)}
    if len(defined) > 1:
        weakest = min(defined, key=defined.get)
        if defined[weakest] < 0.5:
            indicator = next(i for i in rules.indicators if i.key == weakest)
            zh += f"其中“{indicator.label}”最难分辨（{defined[weakest]:.2f}）。"
            en += f" The hardest to tell apart is {indicator.label_en or indicator.key} ({defined[weakest]:.2f})."
    return zh, en
