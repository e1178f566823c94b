"""报送情况: for a day, which towns have reported, when (Beijing time) and by whom, which are late
against the deadline in rules.toml, and a 催报 message naming those still missing: the towns of the
sidebar's group (or all groups), said in the heading. A town account sees its own town."""

import pandas as pd
import streamlit as st

from sanse.deployment.config import ConfigError
from sanse.facts import clock
from sanse.reporting.status import day_reporting, office_name, reminder, reporting_settings
from sanse.ui import data
from sanse.ui.choice import scoped
from sanse.ui.session import chosen_group, plain, t, viewer

me = viewer()
settings = data.settings()
group = None if me.town_code else chosen_group()  # a town account's own town, whatever the group
towns = [town for town in data.towns() if group is None or town.group == group]
st.title(t("status.title") if me.town_code else scoped(t("status.title")))
try:
    rules = reporting_settings(settings)
except ConfigError as error:
    st.error(plain(error))
    st.stop()

today = clock.today()
start = settings.campaign.start
day = st.date_input(
    t("status.day"),
    value=today,
    min_value=start if start and start <= today else None,
    max_value=today,
    key="status.day",
)
reporting = day_reporting(data.home().store, towns, day, rules=rules, user=me)
count = reporting.count
due = reporting.due
st.caption(t("status.deadline", due=f"{due:%Y-%m-%d %H:%M}"))

with st.container(horizontal=True, gap="large", key="status.counts"):  # one row on a phone too
    st.metric(t("status.reported"), f"{count.reported}/{count.total}", width="content")
    st.metric(t("status.late"), count.late, width="content")
    st.metric(t("status.overdue") if reporting.now > due else t("status.pending"), count.missing, width="content")

shown = reporting.by_status()
st.dataframe(
    pd.DataFrame(
        {
            t("col.town"): [town.name for town in shown],
            t("status.col.status"): [t(f"status.{town.status}") for town in shown],
            t("status.col.first"): [clock.stamp(town.first_at) if town.first_at else "" for town in shown],
            t("status.col.by"): [town.first_by for town in shown],
            t("status.col.last"): [
                f"{clock.stamp(town.last_at)} {town.last_by}" if town.last_at else "" for town in shown
            ],
        }
    ),
    hide_index=True,
    width="stretch",
    height="content",
    key="status.table",
)

if me.role == "admin":  # the office sends the reminders
    st.subheader(t("status.remind"))
    message = reminder(reporting, office=office_name(settings))
    if message:
        st.caption(t("status.remind.caption"))
        st.code(message, language=None, wrap_lines=True)
    else:
        st.success(t("status.all_reported"))
