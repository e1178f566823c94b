"""The ranking table as people read it: localised headers, formats, tier words and flags."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from sanse.deployment.settings import Rules
from sanse.facts.report import COUNT_OF
from sanse.facts.tiers import TIER_KEYS
from sanse.ranking.rank import FLAGS
from sanse.ui import data
from sanse.ui.session import lang, t, tier_label
from sanse.ui.tiers import style_tiers

EMPTY = "—"  # what a table shows for a value there is none of (an undefined rate, no movement)


def names_of(ranking: pd.DataFrame, flag: str) -> list[str]:
    return list(ranking.loc[ranking[flag].astype(bool), "town"])


def share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "—"


def indicator_label(indicator) -> str:
    return indicator.label_en or indicator.key if lang() == "en" else indicator.label


def ranking_view(ranking: pd.DataFrame, rules: Rules, *, show_group: bool = False) -> pd.DataFrame:
    """The full ranking table: window counts, rates, per-indicator ranks, composite, tier, movement, flags.
    A town 未报送 in a period has no rank or tier: its tier cell says so and the others stay empty."""
    tiered = ranking["tier"].isin(list(TIER_KEYS)).to_numpy()
    view = pd.DataFrame({t("col.rank"): ranking["rank"].astype("Int64")})
    if show_group:
        view[t("col.group")] = ranking["group"]
    view[t("col.town")] = ranking["town"]
    view[t("col.tier")] = [
        tier_label(tier) if ok else t("flag.not_reported") for tier, ok in zip(ranking["tier"], tiered)
    ]
    if "provisional" in ranking:  # a published issue knows which tiers the data cannot support
        pending = ranking["provisional"].fillna(False).astype(bool)
        view.loc[pending.to_numpy(), t("col.tier")] += f"（{t('confidence.pending')}）"
    view[t("col.score")] = ranking["score"].round(2)
    for count in rules.counts:
        view[t(f"col.{count}")] = ranking[count].astype(COUNT_OF[count].dtype)
    for indicator in rules.indicators:
        view[indicator_label(indicator)] = rate_column(ranking, indicator.key)
        view[t("col.rank_of", label=indicator_label(indicator))] = ranking[f"{indicator.key}_rank"].astype("Int64")
    view[t("col.rank_change")] = ranking["rank_change"]
    view[t("col.tier_streak")] = ranking["tier_streak"].astype("Int64").where(tiered)
    view[t("col.flags")] = [
        "、".join(t(f"flag.{flag}") for flag in FLAGS if row[flag]) for row in ranking[list(FLAGS)].to_dict("records")
    ]
    return view


def rate_column(ranking: pd.DataFrame, key: str) -> pd.Series:
    """A rate in per cent. Streamlit's tables write an empty number as "None", so a column with an
    undefined rate (denominator 0) is shown as text: "12.34%", or why there is no rate."""
    rate = ranking[key] * 100
    if rate.notna().all():
        return rate
    why = [
        t("rate.not_reported") if not_reported else t("rate.no_inspections") if no_inspections else "—"
        for not_reported, no_inspections in zip(ranking["not_reported"], ranking["no_inspections"])
    ]
    return pd.Series([f"{r:.2f}%" if r == r else w for r, w in zip(rate, why)], index=ranking.index, dtype=object)


def matching(ranking: pd.DataFrame, query: str) -> pd.DataFrame:
    """The towns whose name or code contains the search text (all of them for an empty search)."""
    if not query:
        return ranking
    return ranking[ranking["town"].str.contains(query, regex=False) | ranking["code"].str.contains(query, regex=False)]


def ranking_table(day: date, group: str | None, query: str, rules: Rules) -> None:
    """The full ranking table of a day, narrowed by a search, tier cells in their colours."""
    _ranking_table(data.source(day), day, group, query, rules, lang())


# Drawn once per build, day, group, search, rules and language: on a hit Streamlit replays the
# drawn element instead of running this body, so styling the tier cells with a pandas Styler
# (12 ms on the demo city) is paid once, not by every visitor.
@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _ranking_table(identity, day: date, group: str | None, query: str, rules: Rules, language: str) -> None:
    ranking = data.ranking(day, group)
    view = ranking_view(matching(ranking, query), rules, show_group=group is None and ranking["group"].nunique() > 1)
    st.dataframe(
        style_tiers(view, t("col.tier")) if len(view) <= 500 else view,
        column_config=column_config(rules, view),
        hide_index=True,
        width="stretch",
        key="ranking.table",
        placeholder=EMPTY,
    )


def column_config(rules: Rules, view: pd.DataFrame) -> dict:
    config = {
        t("col.score"): st.column_config.NumberColumn(format="%.2f"),
        t("col.rank_change"): st.column_config.NumberColumn(format="%+d"),
    }
    for indicator in rules.indicators:
        label = indicator_label(indicator)
        if view[label].dtype.kind == "f":  # else text: a rate is undefined somewhere (rate_column)
            config[label] = st.column_config.NumberColumn(format="%.2f%%")
    return config


def lift_text(lift, *, has_inspections: bool) -> str:
    """ "再发现 2 处重大隐患，可升为黄" — or why this indicator alone cannot do it."""
    label = indicator_label(lift.indicator)
    if lift.extra is None:
        return t("town.lift.none" if has_inspections else "town.lift.no_inspections", label=label)
    phrase = t(f"lift.{lift.indicator.numerator}")
    verb, unit, noun = phrase if isinstance(phrase, tuple) else ("", "", label)
    return t("town.lift.item", verb=verb, extra=lift.extra, unit=unit, noun=noun, tier=tier_label(lift.tier))


def problems_frame(problems) -> pd.DataFrame:
    """Validation errors or warnings as a table: row, its town, column, plain-language explanation."""
    return pd.DataFrame(
        {
            t("submit.col.row"): [p.row for p in problems],
            t("col.town"): [p.town for p in problems],
            t("submit.col.column"): [p.column for p in problems],
            t("submit.col.message"): [p.message for p in problems],
        }
    )
