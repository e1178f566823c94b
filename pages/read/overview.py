"""总览: the chosen day's 督办 alert (signed-in users), colour board, headline totals, tier counts and movers."""

import streamlit as st

from sanse.ui import data
from sanse.ui.choice import ranking_day_or_stop, scoped
from sanse.ui.overview import overview, supervision_alert
from sanse.ui.session import chosen_group, format_day, signed_in, t, viewer

day, group = ranking_day_or_stop(), chosen_group()

st.title(scoped(t("overview.title", day=format_day(day))))
data.stop_without_ranking(day, group)
published = data.issue_differing(day, group) if not data.reads_issues() else None
if published is not None:
    st.warning(t("live.differs", label=published.label))
if signed_in():  # the ledger is for signed-in users
    supervision_alert(day, group)
overview(day, group)
if viewer().submits:
    count = data.reporting_count(day, group)
    st.caption(
        t("overview.reporting", reported=count.reported, total=count.total, late=count.late, overdue=count.overdue)
    )
    st.page_link("pages/work/status.py", label=t("nav.status"), icon=":material/fact_check:")
