"""统计可信度 as the page shows it: the confidence settings in force, the day's rankability and
待定 count, the tier-confidence table, and a funnel plot's points."""

from __future__ import annotations

import pandas as pd

from sanse.deployment.settings import Indicator, Rules, Settings
from sanse.statistics.confidence import (
    ConfidenceSettings,
    Rankability,
    confidence_settings,
    provisional_count,
    rankability,
)
from sanse.statistics.funnel import ADJUSTMENTS, Funnel, funnel
from sanse.ui.session import lang, t, tier_label


def confidence_choice(settings: Settings) -> ConfidenceSettings:
    """The draws, 待定 threshold and funnel adjustment of rules.toml."""
    return confidence_settings(settings)


def day_rankability(block: pd.DataFrame, rules: Rules) -> Rankability:
    return rankability(block, rules)


def pending_count(tiers: pd.DataFrame) -> int:
    """How many towns' tiers are 待定."""
    return provisional_count(tiers)


def adjustments() -> tuple[str, ...]:
    """The funnel plot's overdispersion adjustments, none first."""
    return ADJUSTMENTS


def funnel_plot(block: pd.DataFrame, indicator: Indicator, rules: Rules, adjust: str, *, group: str) -> Funnel:
    return funnel(block, indicator, rules, adjust, group=group)


def confidence_table(tiers: pd.DataFrame) -> pd.DataFrame:
    """The towns by rank with their tiers (待定 marked), rank intervals, tier chances and notes."""
    table = tiers.sort_values(["group", "rank", "code"])
    note = table["confidence_note"] if lang() == "zh" else table["confidence_note_en"]
    return pd.DataFrame(
        {
            t("col.rank"): table["rank"].astype(int),
            t("col.town"): table["town"],
            t("col.tier"): [
                tier_label(tier) + (f"（{t('confidence.pending')}）" if pending else "")
                for tier, pending in zip(table["tier"], table["provisional"])
            ],
            t("confidence.median_rank"): table["median_rank"],
            t("confidence.interval"): [f"{int(lo)}–{int(hi)}" for lo, hi in zip(table["rank_low"], table["rank_high"])],
            t("confidence.p_blue"): table["p_blue"] * 100,
            t("confidence.p_red"): table["p_red"] * 100,
            t("col.flags"): note,
        }
    )
