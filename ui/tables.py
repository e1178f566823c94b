"""The ranking table as people read it: localised headers, formats, tier words and flags."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sanse.config import Rules
from ui.session import lang, t, tier_label


def names_of(ranking: pd.DataFrame, flag: str) -> list[str]:
    return list(ranking.loc[ranking[flag].astype(bool), "town"])


def share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "—"


def indicator_label(indicator) -> str:
    return indicator.label_en or indicator.key if lang() == "en" else indicator.label


def ranking_view(ranking: pd.DataFrame, rules: Rules, *, show_group: bool = False) -> pd.DataFrame:
    """The full ranking table: window counts, rates, per-indicator ranks, composite, tier, movement, flags."""
    view = pd.DataFrame({t("col.rank"): ranking["rank"].astype(int)})
    if show_group:
        view[t("col.group")] = ranking["group"]
    view[t("col.town")] = ranking["town"]
    view[t("col.tier")] = ranking["tier"].map(tier_label)
    if "provisional" in ranking:  # a published issue knows which tiers the data cannot support
        pending = ranking["provisional"].fillna(False).astype(bool)
        view.loc[pending.to_numpy(), t("col.tier")] += f"（{t('confidence.pending')}）"
    view[t("col.score")] = ranking["score"].round(2)
    for counts in dict.fromkeys(["inspections"] + [i.numerator for i in rules.indicators]):
        view[t(f"col.{counts}")] = ranking[counts].astype(int)
    for indicator in rules.indicators:
        view[indicator_label(indicator)] = ranking[indicator.key] * 100
        view[t("col.rank_of", label=indicator_label(indicator))] = ranking[f"{indicator.key}_rank"].astype(int)
    view[t("col.rank_change")] = ranking["rank_change"]
    view[t("col.tier_streak")] = ranking["tier_streak"].astype(int)
    view[t("col.flags")] = [
        "、".join(t(f"flag.{flag}") for flag in ("not_reported", "no_inspections", "red_alert") if row[flag])
        for row in ranking[["not_reported", "no_inspections", "red_alert"]].to_dict("records")
    ]
    return view


def column_config(rules: Rules) -> dict:
    config = {
        t("col.score"): st.column_config.NumberColumn(format="%.2f"),
        t("col.rank_change"): st.column_config.NumberColumn(format="%+d"),
    }
    for indicator in rules.indicators:
        config[indicator_label(indicator)] = st.column_config.NumberColumn(format="%.2f%%")
    return config



def lift_text(lift, *, has_inspections: bool) -> str:
    """"再发现 2 处重大隐患，可升为黄" — or why this indicator alone cannot do it."""
    label = indicator_label(lift.indicator)
    if lift.extra is None:
        return t("town.lift.none" if has_inspections else "town.lift.no_inspections", label=label)
    phrase = t(f"lift.{lift.indicator.numerator}")
    verb, unit, noun = phrase if isinstance(phrase, tuple) else ("", "", label)
    return t("town.lift.item", verb=verb, extra=lift.extra, unit=unit, noun=noun, tier=tier_label(lift.tier))


def problems_frame(problems) -> pd.DataFrame:
    """Validation errors or warnings as a table: row, column, plain-language explanation."""
    return pd.DataFrame({
        t("submit.col.row"): [p.row for p in problems],
        t("submit.col.column"): [p.column for p in problems],
        t("submit.col.message"): [p.message for p in problems],
    })
