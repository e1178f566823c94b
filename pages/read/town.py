"""镇街详情: one town's tier, rank and movement, its colours day by day, its rates against the
group median, and what it would take to move up a tier. Laid out to read on a phone."""

import streamlit as st

from sanse.ui import data
from sanse.ui.choice import ranking_day_or_stop
from sanse.ui.session import format_day, plain, signed_in, t, tier_label, today, viewer
from sanse.ui.tables import lift_text
from sanse.ui.tiers import tier_badge
from sanse.ui.town import change_text, lifts, pending_items, rates_chart, tier_strip

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
on_day = history[history["date"] == day]
if on_day.empty:
    st.warning(t("empty.no_ranking", day=format_day(day)))
    st.stop()
row = on_day.iloc[0]
rules = data.settings().rules_on(day)

tier_badge(row["tier"], f"{names[code]} · {t(f'tier.{row.tier}.long')}")
left, right = st.columns(2)
left.metric(t("town.rank"), t("town.rank_value", rank=int(row["rank"]), size=int(row["group_size"])))
right.metric(t("town.change"), change_text(row["rank_change"]))
st.caption(t("town.streak", days=int(row["tier_streak"]), tier=tier_label(row["tier"])))
if row["not_reported"]:
    st.warning(t("town.not_reported_today", day=format_day(day)))
if signed_in():  # its 督办事项 still to do, with their deadlines (the ledger is for signed-in users)
    pending = pending_items(code)
    if pending:
        st.subheader(t("town.items", count=len(pending)))
        for item in pending:
            late = f" · :red[**{t('supervision.overdue')}**]" if item.overdue(today()) else ""
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
    for lift in lifts(block, code, rules):
        st.markdown("- " + lift_text(lift, has_inspections=row["inspections"] > 0))

st.subheader(t("town.strip"))
past = history[(history["date"] <= day) & history["date"].isin(data.visible_dates(me))]
strip = tier_strip(past)
st.plotly_chart(strip, key="town.strip", config={"displayModeBar": False})

st.subheader(t("town.rates", scope=plain(row["group"]) if row["group"] else t("sidebar.all_city")))
group_history = data.rankings_between(past["date"].min(), day, row["group"])
group_history = group_history[group_history["date"].isin(past["date"])]
for indicator in rules.indicators:
    median = group_history.groupby("date")[indicator.key].median()
    figure = rates_chart(indicator, median, past)
    st.plotly_chart(figure, key=f"town.rates.{indicator.key}", config={"displayModeBar": False})
