"""报送情况: for a day, which towns have reported, when (Beijing time) and by whom, which are late
against the deadline in rules.toml, and a 催报 message naming those still missing: the towns of the
sidebar's group (or all groups), said in the heading. A town account sees its own town."""

import streamlit as st

from sanse.ui import data
from sanse.ui.choice import scoped
from sanse.ui.reporting import reminder_text, reporting_on, reporting_rules_or_stop, reporting_table
from sanse.ui.session import chosen_group, t, today, viewer

me = viewer()
settings = data.settings()
group = None if me.town_code else chosen_group()  # a town account's own town, whatever the group
towns = [town for town in data.towns() if group is None or town.group == group]
st.title(t("status.title") if me.town_code else scoped(t("status.title")))
rules = reporting_rules_or_stop(settings)

start, now = settings.campaign.start, today()
day = st.date_input(
    t("status.day"),
    value=now,
    min_value=start if start and start <= now else None,
    max_value=now,
    key="status.day",
)
reporting = reporting_on(towns, day, rules)
count = reporting.count
due = reporting.due
st.caption(t("status.deadline", due=f"{due:%Y-%m-%d %H:%M}"))

with st.container(horizontal=True, gap="large", key="status.counts"):  # one row on a phone too
    st.metric(t("status.reported"), f"{count.reported}/{count.total}", width="content")
    st.metric(t("status.late"), count.late, width="content")
    st.metric(t("status.overdue") if reporting.now > due else t("status.pending"), count.missing, width="content")

st.dataframe(
    reporting_table(reporting),
    hide_index=True,
    width="stretch",
    height="content",
    key="status.table",
)

if me.role == "admin":  # the office sends the reminders
    st.subheader(t("status.remind"))
    message = reminder_text(reporting, settings)
    if message:
        st.caption(t("status.remind.caption"))
        st.code(message, language=None, wrap_lines=True)
    else:
        st.success(t("status.all_reported"))
