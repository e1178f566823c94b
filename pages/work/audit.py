"""操作日志: every write — submissions, corrections, publications, rule and account changes —
each with its Chinese action label and a one-line description, never raw keys."""

import streamlit as st

from sanse.access.audit import ACTION_LABELS, read_audit
from sanse.access.roles import require
from sanse.facts import clock
from sanse.ui import data
from sanse.ui.session import t, viewer

require(viewer(), "read_audit")
home = data.home()
st.title(t("audit.title"))

events = read_audit(home)
left, middle, right = st.columns(3)
everyone = ["", *sorted(events["who"].dropna().unique())]
who = left.selectbox(
    t("audit.who"), everyone, format_func=lambda w: w or t("audit.all"), placeholder=t("common.choose"), key="audit.who"
)
actions = ["", *sorted(events["action"].dropna().unique(), key=lambda a: ACTION_LABELS.get(a, a))]
action = middle.selectbox(
    t("audit.action"),
    actions,
    format_func=lambda a: ACTION_LABELS.get(a, a) if a else t("audit.all"),
    placeholder=t("common.choose"),
    key="audit.action",
)
# The whole log's span to begin with: an empty range would show Streamlit's "yyyy/mm/dd".
first = events["at"].min().date() if not events.empty else clock.today()
between = right.date_input(
    t("audit.between"), value=(first, max(first, clock.today())), format="YYYY/MM/DD", key="audit.between"
)
since, until = (between + (None, None))[:2] if isinstance(between, tuple) else (between, between)
shown = read_audit(home, who=who or None, action=action or None, since=since, until=until)
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
