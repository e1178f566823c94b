"""分组排名: for a deployment with several peer groups (a province's counties), the groups
themselves ranked on their towns' summed counts, with their towns' tiers, reporting and overdue
督办事项; choosing a group opens its towns' ranking. Readers see published days only."""

import pandas as pd
import streamlit as st

from sanse.ranking.groups import TIERS, overdue_by_group, rank_groups
from sanse.ui import data
from sanse.ui.choice import ranking_day_or_stop
from sanse.ui.session import GROUP, format_day, signed_in, t, tier_label
from sanse.ui.tables import column_config, indicator_label, rate_column
from sanse.ui.tiers import style_tiers

OPEN = "groups.open"  # the group chosen in the table, opened on the next run


def open_group(groups: list[str]) -> None:
    """The table's callback: point the sidebar at the chosen group (before it is drawn)."""
    rows = st.session_state["groups.table"].selection.rows
    if rows:
        st.session_state[GROUP] = st.session_state["sanse.group.pick"] = groups[rows[0]]
        st.session_state[OPEN] = True


if st.session_state.pop(OPEN, False):
    st.switch_page("pages/read/ranking.py")

day = ranking_day_or_stop()
st.title(t("groups.title", day=format_day(day)))
data.stop_without_ranking(day)
settings = data.settings()
rules = settings.rules_on(day)
overdue = overdue_by_group(data.supervision_summary(day)[0], data.towns()) if signed_in() else None
ranked = rank_groups(data.ranking(day), rules, overdue, settings.group_tiers)
coloured = settings.group_tiers is not None  # rules.toml's [groups] tiers = true
caption = "groups.caption.tiers" if coloured else "groups.caption"
st.caption(t(caption, normalization=t(f"norm.{rules.normalization}"), window=t(f"window.{rules.window}")))

view = pd.DataFrame(
    {
        t("col.rank"): ranked["rank"].astype(int),
        t("col.group"): ranked["group"],
        **({t("col.tier"): ranked["tier"].map(tier_label)} if coloured else {}),
        t("groups.towns"): ranked["towns"],
        t("groups.reported"): ranked["reported"],
        **{tier_label(tier): ranked[tier] for tier in TIERS},
    }
)
if signed_in():
    view[t("groups.overdue")] = ranked["overdue"]
view[t("col.score")] = ranked["score"].round(2)
view[t("col.inspections")] = ranked["inspections"].astype(int)
why = ranked.assign(not_reported=ranked["reported"] == 0, no_inspections=ranked["inspections"] == 0)
for indicator in rules.indicators:
    view[indicator_label(indicator)] = rate_column(why, indicator.key)
    view[t("col.rank_of", label=indicator_label(indicator))] = ranked[f"{indicator.key}_rank"].astype(int)
st.dataframe(
    style_tiers(view, t("col.tier")) if coloured else view,
    column_config=column_config(rules, view),
    hide_index=True,
    width="stretch",
    on_select=lambda: open_group(list(ranked["group"])),
    selection_mode="single-row",
    key="groups.table",
)
st.caption(t("groups.open"))
