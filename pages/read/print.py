"""打印版: one published issue of a 通报 series as its 公文, on a page of its own that prints on
A4 (GB/T 9704): /print?series=day&issue=2026-10-30 (&version=2 for an earlier version).
Readers reach it from the bulletin page; whoever may read the bulletin may print it."""

import streamlit as st

from sanse.ui.printing import CONTROLS, asked_issue, print_button, print_page
from sanse.ui.session import t

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
st.html(print_page(issue))
