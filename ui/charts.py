"""Charts in tier colours: the bar chart of a day's ranking."""

from __future__ import annotations

from datetime import date
from html import escape

import plotly.express as px
import streamlit as st

from sanse.tiers import TIER_COLOURS
from ui import data
from ui.session import lang, t, tier_label
from ui.tables import matching


def ranking_chart(day: date, group: str | None, query: str) -> None:
    """Composite scores as horizontal bars in tier colours, each labelled with score and tier word."""
    _ranking_chart(data.source(day), day, group, query, lang())


# Drawn once per build, day, group, search and language, then replayed: building a Plotly
# figure takes longer than the rest of the page together.
@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _ranking_chart(identity, day: date, group: str | None, query: str, language: str) -> None:
    shown = matching(data.ranking(day, group), query)
    chart = shown.assign(
        label=[f"{score:.1f} {tier_label(tier)}" for score, tier in zip(shown["score"], shown["tier"])],
        town=[escape(town) for town in shown["town"]],  # Plotly reads tags in its labels: shown as written
    )
    figure = px.bar(
        chart,
        x="score",
        y="town",
        orientation="h",
        color="tier",
        color_discrete_map=TIER_COLOURS,
        text="label",
        labels={"score": t("col.score"), "town": t("col.town"), "tier": t("col.tier")},
        category_orders={"town": list(chart["town"])},
    )
    figure.for_each_trace(lambda trace: trace.update(name=tier_label(trace.name)))
    figure.update_traces(textposition="outside", cliponaxis=False)
    figure.update_layout(height=max(320, 22 * len(chart) + 80), margin=dict(l=0, r=0, t=10, b=0), legend_title_text="")
    st.plotly_chart(figure, key="ranking.chart", config={"displayModeBar": False})
