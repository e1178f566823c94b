"""每日排名: the full ranking table of the chosen day and group, and a bar chart in tier colours."""

import plotly.express as px
import streamlit as st

from sanse.tiers import TIER_COLOURS
from ui import data
from ui.session import chosen_group, format_day, ranking_day_or_stop, t, tier_label
from ui.tables import column_config, ranking_view
from ui.tiers import style_tiers

day, group = ranking_day_or_stop(), chosen_group()

st.title(t("ranking.title", day=format_day(day)))
ranking = data.ranking_or_stop(day, group)
rules = data.settings().rules_on(day)
blue, red = rules.tier_counts(int(ranking["group_size"].iloc[0]))
st.caption(t(
    "ranking.caption", window=t(f"window.{rules.window}"), normalization=t(f"norm.{rules.normalization}"),
    blue=blue, red=red,
))

query = st.text_input(t("ranking.search"), key="ranking.search", placeholder="云岫 / T01")
shown = ranking
if query.strip():
    needle = query.strip()
    shown = ranking[ranking["town"].str.contains(needle, regex=False) | ranking["code"].str.contains(needle, regex=False)]

view = ranking_view(shown, rules, show_group=group is None and ranking["group"].nunique() > 1)
st.dataframe(
    style_tiers(view, t("col.tier")) if len(view) <= 500 else view,
    column_config=column_config(rules), hide_index=True, width="stretch", key="ranking.table",
)

st.subheader(t("ranking.chart"))
chart = shown.assign(label=[f"{score:.1f} {tier_label(tier)}" for score, tier in zip(shown["score"], shown["tier"])])
figure = px.bar(
    chart, x="score", y="town", orientation="h", color="tier",
    color_discrete_map=TIER_COLOURS, text="label",
    labels={"score": t("col.score"), "town": t("col.town"), "tier": t("col.tier")},
    category_orders={"town": list(chart["town"])},
)
figure.for_each_trace(lambda trace: trace.update(name=tier_label(trace.name)))
figure.update_traces(textposition="outside", cliponaxis=False)
figure.update_layout(height=max(320, 22 * len(chart) + 80), margin=dict(l=0, r=0, t=10, b=0), legend_title_text="")
st.plotly_chart(figure, key="ranking.chart", config={"displayModeBar": False})
