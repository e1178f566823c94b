"""分组排名: for a deployment with several peer groups (a province's counties), the groups
themselves ranked on their towns' summed counts, with their towns' tiers, reporting and overdue
督办事项; choosing a group opens its towns' ranking. Readers see published days only."""

import streamlit as st

from sanse.ui import data
from sanse.ui.choice import ranking_day_or_stop
from sanse.ui.groups import groups_view, ranked_groups
from sanse.ui.session import GROUP, format_day, t
from sanse.ui.tables import column_config
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
ranked = ranked_groups(day, rules, settings)
coloured = settings.group_tiers is not None  # rules.toml's [groups] tiers = true
caption = "groups.caption.tiers" if coloured else "groups.caption"
st.caption(t(caption, normalization=t(f"norm.{rules.normalization}"), window=t(f"window.{rules.window}")))

view = groups_view(ranked, rules, coloured)
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
