"""打印版: one published issue of a 通报 series as its 公文, on a page of its own that prints on
A4 (GB/T 9704): /print?series=day&issue=2026-10-30 (&version=2 for an earlier version).
Readers reach it from the bulletin page; whoever may read the bulletin may print it."""

import streamlit as st

from sanse.publishing.exports.print_view import STYLE, print_body
from sanse.ranking.periods import PeriodError, parse_period
from sanse.ui import data
from sanse.ui.printing import CONTROLS, page_style, print_button
from sanse.ui.session import t


def asked_issue():
    """The issue the address names, or None when it names none that is published."""
    series, key, version = (st.query_params.get(name, "") for name in ("series", "issue", "version"))
    try:
        period = parse_period(key)
    except PeriodError:
        return None
    if period.kind != (series or "day") or (version and not version.isdigit()):
        return None
    return data.published_issue(period, int(version) if version else None)


issue = asked_issue()
with st.container(key=CONTROLS):
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.page_link(
        "pages/read/bulletin.py",
        label=t("print.back"),
        icon=":material/arrow_back:",
        query_params={"series": issue.period_kind} if issue and issue.period_kind != "day" else None,
    )
    if issue is None:
        st.warning(t("print.none"))
        st.stop()
    with right:
        print_button(t("print.button"))
    st.caption(t("print.caption"))
st.html(page_style(STYLE) + print_body(issue))
