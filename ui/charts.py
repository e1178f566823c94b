"""Charts in tier colours: the bar chart of a day's ranking, the funnel plot of an indicator."""

from __future__ import annotations

from datetime import date
from html import escape

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from sanse.facts.tiers import TIER_COLOURS
from sanse.statistics.funnel import Funnel
from sanse.ui import data
from sanse.ui.session import lang, t, tier_label
from sanse.ui.tables import indicator_label, matching


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


def funnel_chart(plot: Funnel, tiers: dict[str, str]) -> go.Figure:
    """A funnel plot a person can read: the rate axis fitted to the towns, the 95% and 99.8%
    limits named in the legend, the towns in their tier colours with names written only beside
    those beyond the 99.8% limits, which chance alone almost never crosses (every name on hover;
    the page lists those beyond 95%). `tiers` maps town codes to tiers."""
    limits, points = plot.limits, plot.points.dropna(subset=["rate"])
    figure = go.Figure()
    for level, dash in (("998", "solid"), ("95", "dash")):
        for side in ("lower", "upper"):
            figure.add_scatter(
                x=limits["denominator"],
                y=limits[f"{side}_{level}"] * 100,
                mode="lines",
                line=dict(color="#666", dash=dash, width=1),
                hoverinfo="skip",
                name=t(f"confidence.limit_{level}"),
                legendgroup=level,
                showlegend=side == "lower",
            )
    outside = points["band"].isin(["above_998", "below_998"])
    names = [escape(town) for town in points["town"]]  # Plotly reads tags in its labels: shown as written
    figure.add_scatter(
        x=points["denominator"],
        y=points["rate"] * 100,
        mode="markers+text",
        text=[name if out else "" for name, out in zip(names, outside)],
        hovertext=[
            f"{name}：{rate:.2%}（{tier_label(tiers.get(code, 'yellow'))}）"
            for name, rate, code in zip(names, points["rate"], points["code"])
        ],
        hoverinfo="text",
        textposition="top center",
        name=t("confidence.towns"),
        marker=dict(
            size=10,
            color=[TIER_COLOURS[tiers.get(code, "yellow")] for code in points["code"]],
            line=dict(color="#222", width=1),
        ),
    )
    figure.add_hline(y=plot.target * 100, line=dict(color="#333", width=1), annotation_text=t("confidence.target"))
    low, high = plot.rate_axis()
    figure.update_layout(
        height=420,
        margin=dict(l=0, r=0, t=10, b=0),
        yaxis=dict(range=[low * 100, high * 100], ticksuffix="%", title=indicator_label(plot.indicator)),
        xaxis=dict(
            range=[0, float(limits["denominator"].max()) if len(limits) else 1],
            title=t(f"col.{plot.indicator.denominator}"),
        ),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
    )
    return figure
