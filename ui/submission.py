"""After a submission from the 数据报送 page (a file or the form): rebuild the ranking, point the
sidebar at the day just sent and keep what happened to say on the next run."""

from __future__ import annotations

import streamlit as st

from pipelines.build import build
from pipelines.ingest import Ingested
from ui import data
from ui.session import format_day, move_day, t

RESULT = "submit.result"  # (kind, message) shown once at the top of the page: "success" or "error"


def finish(result: Ingested, done: str) -> bool:
    """Run from a button's callback, before the page and its sidebar are drawn. `done` says what
    was stored; True when something was."""
    if not result.ok:  # the figures changed since they were checked (another clerk, a new towns.csv)
        problems = "；".join(str(p) for p in result.report.errors)
        st.session_state[RESULT] = ("error", t("submit.failed", problems=problems))
        return False
    if not result.submission.written:
        st.session_state[RESULT] = ("info", t("submit.nothing_new"))
        return False
    build(data.home())
    data.clear()
    day = max(result.report.rows["date"])
    moved = t("submit.moved", day=format_day(day)) if move_day(day) else ""
    st.session_state[RESULT] = ("success", done + moved)
    return True


def show_result() -> None:
    """What the last submission did, once."""
    if RESULT in st.session_state:
        kind, message = st.session_state.pop(RESULT)
        {"success": st.success, "info": st.info, "error": st.error}[kind](message)
