"""总览: the chosen day's colour board, headline totals, tier counts and biggest movers."""

import streamlit as st

from ui import data
from ui.overview import overview
from ui.session import chosen_group, format_day, ranking_day_or_stop, t

day, group = ranking_day_or_stop(), chosen_group()

st.title(t("overview.title", day=format_day(day)))
data.stop_without_ranking(day, group)
published = data.issue_differing(day, group) if not data.reads_issues() else None
if published is not None:
    st.warning(t("live.differs", label=published.label))
overview(day, group)
