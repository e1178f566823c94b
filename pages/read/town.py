"""镇街详情: one town's tier, rank and movement, its colours day by day, its rates against the
group median, and what it would take to move up a tier. Laid out to read on a phone."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from sanse.facts import clock
from sanse.facts.tiers import TIER_COLOURS
from sanse.ranking.rank import what_it_takes
from sanse.supervision.items import DONE, list_items
from sanse.ui import data
from sanse.ui.choice import ranking_day_or_stop
from sanse.ui.session import format_day, plain, signed_in, t, tier_label, viewer
from sanse.ui.tables import indicator_label, lift_text
from sanse.ui.tiers import tier_badge


def day_axis(days) -> dict:
    """A date axis labelled with whole days only (never 12:00), about eight labels at most."""
    step = max(1, -(-len(days) // 8))
    return dict(type="date", tickformat="%m-%d", hoverformat="%Y-%m-%d", tick0=min(days), dtick=step * 86_400_000)


day = ranking_day_or_stop()

st.title(t("town.title"))
data.stop_without_ranking(day)
towns = [town for town in data.towns() if town.active]
codes = [town.code for town in towns]
names = {town.code: town.name for town in towns}
me = viewer()
if "town.pick" not in st.session_state and me.town_code in names:
    st.session_state["town.pick"] = me.town_code
code = st.selectbox(t("town.pick"), codes, format_func=names.get, placeholder=t("common.choose"), key="town.pick")

history = data.town_rankings(code)
today = history[history["date"] == day]
if today.empty:
    st.warning(t("empty.no_ranking", day=format_day(day)))
    st.stop()
row = today.iloc[0]
rules = data.settings().rules_on(day)

tier_badge(row["tier"], f"{names[code]} · {t(f'tier.{row.tier}.long')}")
left, right = st.columns(2)
left.metric(t("town.rank"), t("town.rank_value", rank=int(row["rank"]), size=int(row["group_size"])))
change = row["rank_change"]
if pd.isna(change):  # the first ranking day, or a town new to the ranking
    right.metric(t("town.change"), "—")
else:
    right.metric(t("town.change"), t("town.same") if change == 0 else f"{int(change):+d}")
st.caption(t("town.streak", days=int(row["tier_streak"]), tier=tier_label(row["tier"])))
if row["not_reported"]:
    st.warning(t("town.not_reported_today", day=format_day(day)))
if signed_in():  # its 督办事项 still to do, with their deadlines (the ledger is for signed-in users)
    pending = [item for item in list_items(data.home(), viewer=me, town_code=code) if item.status not in DONE]
    if pending:
        st.subheader(t("town.items", count=len(pending)))
        for item in pending:
            late = f" · :red[**{t('supervision.overdue')}**]" if item.overdue(clock.today()) else ""
            st.markdown(
                f"- **{plain(item.measure_label)}** · {t('town.item.deadline', deadline=item.deadline)}"
                f" · {item.status_label}{late}  \n  {plain(item.reason)}"
            )
        link = t("town.items.link") if me.role == "town" else t("nav.supervision")
        st.page_link("pages/work/supervision.py", label=link, icon=":material/assignment_late:")

st.subheader(t("town.lift"))
if row["tier"] == "blue":
    st.success(t("town.lift.top"))
else:
    # the window the warehouse ranked on, even if rules.toml has changed since the last build
    block = data.window_sums(day, row["window"], row["group"])
    for lift in what_it_takes(block, code, rules):
        st.markdown("- " + lift_text(lift, has_inspections=row["inspections"] > 0))

st.subheader(t("town.strip"))
past = history[(history["date"] <= day) & history["date"].isin(data.visible_dates(me))]
strip = go.Figure(
    go.Bar(
        x=past["date"],
        y=[1] * len(past),
        marker_color=[TIER_COLOURS[tier] for tier in past["tier"]],
        text=[tier_label(tier) for tier in past["tier"]],
        textposition="inside",
        customdata=past["rank"],
        hovertemplate="%{x}<br>%{text} · " + t("col.rank") + " %{customdata}<extra></extra>",
    )
)
strip.update_layout(
    height=110, margin=dict(l=0, r=0, t=0, b=0), yaxis=dict(visible=False), bargap=0.08, xaxis=day_axis(past["date"])
)
st.plotly_chart(strip, key="town.strip", config={"displayModeBar": False})

st.subheader(t("town.rates", scope=plain(row["group"]) if row["group"] else t("sidebar.all_city")))
group_history = data.rankings_between(past["date"].min(), day, row["group"])
group_history = group_history[group_history["date"].isin(past["date"])]
for indicator in rules.indicators:
    median = group_history.groupby("date")[indicator.key].median()
    figure = go.Figure()
    figure.add_scatter(
        x=median.index, y=median.values * 100, name=t("town.median"), line=dict(color="#888", dash="dot")
    )
    figure.add_scatter(
        x=past["date"], y=past[indicator.key] * 100, name=t("town.self"), line=dict(color=TIER_COLOURS["blue"], width=3)
    )
    figure.update_layout(
        title=indicator_label(indicator),
        height=240,
        margin=dict(l=0, r=0, t=36, b=0),
        yaxis_ticksuffix="%",
        legend=dict(orientation="h", y=-0.25),
        xaxis=day_axis(past["date"]),
    )
    st.plotly_chart(figure, key=f"town.rates.{indicator.key}", config={"displayModeBar": False})
