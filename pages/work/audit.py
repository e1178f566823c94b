"""操作日志: every write — submissions, corrections, publications, rule and account changes."""

import streamlit as st

from sanse.access import require
from sanse.audit import read_audit
from ui import data
from ui.session import t, viewer

require(viewer(), "read_audit")
home = data.home()
st.title(t("audit.title"))

events = read_audit(home)
left, middle, right = st.columns(3)
who = left.selectbox(t("audit.who"), ["", *sorted(events["who"].dropna().unique())] if len(events) else [""],
                     key="audit.who")
action = middle.selectbox(t("audit.action"), ["", *sorted(events["action"].dropna().unique())] if len(events) else [""],
                          key="audit.action")
between = right.date_input(t("audit.between"), value=(), key="audit.between")
since, until = (between + (None, None))[:2] if isinstance(between, tuple) else (between, between)
shown = read_audit(home, who=who or None, action=action or None, since=since, until=until)
columns = [c for c in ("at", "who", "action_label", "what") if c in shown.columns]
st.dataframe(
    shown[columns].rename(columns={
        "at": t("submit.col.submitted_at"), "who": t("audit.who"), "action_label": t("audit.action"),
        "what": t("submit.col.message"),
    }),
    hide_index=True, width="stretch", key="audit.table",
)
