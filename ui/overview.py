"""总览 below its title: the 督办 alert, the colour board, the day's and the campaign's totals,
the biggest movers, who did not report and the red alerts."""

from __future__ import annotations

from collections import Counter
from datetime import date

import streamlit as st

from sanse.consequences import CARD_WORDS
from sanse.ranking import biggest_movers
from ui import data
from ui.session import lang, plain, t, tier_label
from ui.tables import names_of, share
from ui.tiers import colour_board, tier_counts


def overview(day: date, group: str | None) -> None:
    _overview(data.source(day), day, group, lang())


# The same for every reader of a day, and every reader opens this page first: drawn once per
# build, day, group and language, then replayed (Streamlit re-sends the drawn elements instead
# of running this body).
@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _overview(identity, day: date, group: str | None, language: str) -> None:
    ranking = data.ranking(day, group)
    totals = data.totals(day, group)

    st.subheader(t("overview.board"))
    tier_counts(ranking)
    colour_board(ranking)
    st.caption(t("overview.board.caption"))

    for span, heading in (("day", "overview.totals"), ("cumulative", "overview.cumulative")):
        figures = totals[span]
        st.subheader(t(heading))
        row = st.columns(4)
        row[0].metric(t("metric.inspections"), f"{figures['inspections']:,.0f}")
        row[1].metric(t("metric.major_hazards"), f"{figures['major_hazards']:,.0f}")
        row[2].metric(t("metric.halted"), f"{figures['halted']:,.0f}")
        row[3].metric(t("metric.cases"), f"{figures['cases']:,.0f}")
        row = st.columns(4)
        row[0].metric(t("metric.hazards"), f"{figures['hazards']:,.0f}")
        row[1].metric(t("metric.rectify_rate"), share(figures["rectified"], figures["hazards"]))
        row[2].metric(t("metric.detentions"), f"{figures['detentions']:,.0f}")
        row[3].metric(t("metric.fines_wan"), f"{figures['fines_wan']:,.2f}")

    st.subheader(t("overview.movers"))
    up, down = biggest_movers(ranking)
    if up.empty and down.empty:
        st.caption(t("overview.none_moved"))
    left, right = st.columns(2)
    for col, moved, heading in ((left, up, "overview.up"), (right, down, "overview.down")):
        with col:
            st.markdown(f"**{t(heading)}**")
            for row in moved.itertuples(index=False):
                st.write(
                    t(
                        "overview.mover",
                        town=plain(row.town),
                        change=int(row.rank_change),
                        rank=int(row.rank),
                        tier=tier_label(row.tier),
                    )
                )

    missing = names_of(ranking, "not_reported")
    st.caption(
        t("overview.not_reported", names="、".join(map(plain, missing))) if missing else t("overview.all_reported")
    )
    alerts = names_of(ranking, "red_alert")
    if alerts:
        st.error(t("overview.red_alerts", names="、".join(map(plain, alerts))))


def supervision_alert(day: date) -> None:
    """The towns with overdue 督办事项 and the cards given for `day`, with the way to the ledger."""
    overdue, cards = data.supervision_summary(day)
    if not overdue and not cards:
        return
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
