"""总览: the chosen day's colour board, headline totals, tier counts and biggest movers."""

from collections import Counter

import streamlit as st

from sanse.access import ANONYMOUS
from sanse.consequences import CARD_WORDS
from ui import data
from ui.overview import overview
from ui.session import chosen_group, format_day, plain, ranking_day_or_stop, t, viewer

day, group = ranking_day_or_stop(), chosen_group()

st.title(t("overview.title", day=format_day(day)))
data.stop_without_ranking(day, group)
published = data.issue_differing(day, group) if not data.reads_issues() else None
if published is not None:
    st.warning(t("live.differs", label=published.label))
overview(day, group)
if viewer().submits:
    count = data.reporting_count(day)
    st.caption(
        t("overview.reporting", reported=count.reported, total=count.total, late=count.late, overdue=count.overdue)
    )
    st.page_link("pages/work/status.py", label=t("nav.status"), icon=":material/fact_check:")
if viewer() != ANONYMOUS:  # the ledger is for signed-in users
    overdue, cards = data.supervision_summary(day)
    if overdue or cards:
        names = {town.code: town.name for town in data.towns()}
        parts = []
        if overdue:
            late = Counter(names.get(item.town_code, item.town_code) for item in overdue)
            towns = "、".join(t("overview.per_town", town=town, count=count) for town, count in late.most_common())
            parts.append(t("overview.overdue", count=len(overdue), towns=towns))
        if cards:
            carded = "、".join(f"{names.get(i.town_code, i.town_code)}（{CARD_WORDS[i.card]}）" for i in cards)
            parts.append(t("overview.cards", count=len(cards), towns=carded))
        st.warning(plain(t("overview.supervision", parts="；".join(parts))))
        st.page_link("pages/work/supervision.py", label=t("nav.supervision"), icon=":material/assignment_late:")
