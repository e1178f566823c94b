"""总览 below its title: the 督办 alert, the colour board, the day's and the campaign's totals,
the biggest movers, who did not report and the red alerts."""

from __future__ import annotations

from collections import Counter
from datetime import date

import streamlit as st

from sanse.facts.measures import CARD_WORDS
from sanse.ranking.groups import overdue_by_group
from sanse.ranking.movement import biggest_movers
from sanse.ui import data
from sanse.ui.session import format_day, lang, plain, t, tier_label
from sanse.ui.tables import names_of, share
from sanse.ui.tiers import colour_board, tier_counts


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
    if ranking["rank_change"].isna().all():  # after a day nobody reported there is nothing to move from
        st.caption(t("overview.no_previous"))
    elif up.empty and down.empty:
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


WORST = 10  # towns (and groups) named in the alert; the ledger lists every item


def supervision_alert(day: date, group: str | None) -> None:
    """The 督办事项 overdue at the end of `day` and the cards given that day, for the towns of
    `group` (or all): counted by group when the page covers several, the ten towns with most
    named, and the way to the full list on the ledger."""
    overdue, cards = data.supervision_summary(day, group)
    if not overdue and not cards:
        return
    towns = data.towns()
    names = {town.code: town.name for town in towns}
    parts = []
    if overdue:
        per_town = Counter(names.get(item.town_code, item.town_code) for item in overdue).most_common()
        listed = "、".join(t("overview.per_town", town=plain(town), count=count) for town, count in per_town[:WORST])
        if len(per_town) > WORST:
            listed += t("overview.and_more", count=len(per_town))
        text = t("overview.overdue", day=format_day(day), count=len(overdue), towns=listed)
        by_group = sorted(overdue_by_group(overdue, towns).items(), key=lambda pair: (-pair[1], pair[0]))
        if group is None and len(by_group) > 1:
            groups = "、".join(
                t("overview.per_town", town=plain(name), count=count) for name, count in by_group[:WORST]
            )
            if len(by_group) > WORST:
                groups += t("overview.and_more_groups", count=len(by_group))
            text += t("overview.by_group", groups=groups)
        parts.append(text)
    if cards:
        carded = [f"{plain(names.get(i.town_code, i.town_code))}（{CARD_WORDS[i.card]}）" for i in cards]
        more = t("overview.and_more", count=len(carded)) if len(carded) > WORST else ""
        parts.append(t("overview.cards", count=len(cards), towns="、".join(carded[:WORST]) + more))
    st.warning(t("overview.supervision", parts="；".join(parts)))
    st.page_link("pages/work/supervision.py", label=t("overview.ledger"), icon=":material/assignment_late:")
