"""操作日志: every write — submissions, corrections, publications, rule and account changes —
each with its Chinese action label and a one-line description, never raw keys."""

import streamlit as st

from sanse.ui.audit_log import action_label, audit_events
from sanse.ui.session import t, today

events = audit_events()
st.title(t("audit.title"))

left, middle, right = st.columns(3)
everyone = ["", *sorted(events["who"].dropna().unique())]
who = left.selectbox(
    t("audit.who"), everyone, format_func=lambda w: w or t("audit.all"), placeholder=t("common.choose"), key="audit.who"
)
actions = ["", *sorted(events["action"].dropna().unique(), key=action_label)]
action = middle.selectbox(
    t("audit.action"),
    actions,
    format_func=lambda a: action_label(a) if a else t("audit.all"),
    placeholder=t("common.choose"),
    key="audit.action",
)
# The whole log's span to begin with: an empty range would show Streamlit's "yyyy/mm/dd".
first = events["at"].min().date() if not events.empty else today()
between = right.date_input(
    t("audit.between"), value=(first, max(first, today())), format="YYYY/MM/DD", key="audit.between"
)
since, until = (between + (None, None))[:2] if isinstance(between, tuple) else (between, between)
shown = audit_events(who=who or None, action=action or None, since=since, until=until)
st.dataframe(
    shown[["at", "who", "action_label", "what"]].rename(
        columns={
            "at": t("audit.at"),
            "who": t("audit.who"),
            "action_label": t("audit.action"),
            "what": t("audit.what"),
        }
    ),
    column_config={t("audit.at"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")},
    hide_index=True,
    width="stretch",
    key="audit.table",
)
