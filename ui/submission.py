"""After a submission from the 数据报送 page (a file or the form): rebuild the ranking, check the
督办 triggers on the new build, point the sidebar at the day just sent and keep what happened to
say on the next run."""

from __future__ import annotations

import streamlit as st

from pipelines.build import build
from pipelines.ingest import Ingested
from sanse.supervision import check_if_behind
from ui import data
from ui.session import format_day, move_day, plain, t

RESULT = "submit.result"  # (where, kind, message): shown once, where the clerk pressed the button


def finish(result: Ingested, done: str, *, where: str) -> bool:
    """Run from a button's callback, before the page and its sidebar are drawn. `done` says what
    was stored (Markdown: names in it escaped), `where` names the place to say it; True when
    something was stored."""
    if not result.ok:  # the figures changed since they were checked (another clerk, a new towns.csv)
        problems = plain("；".join(str(p) for p in result.report.errors))
        st.session_state[RESULT] = (where, "error", t("submit.failed", problems=problems))
        return False
    if not result.submission.written:
        st.session_state[RESULT] = (where, "info", t("submit.nothing_new"))
        return False
    build(data.home())
    check_if_behind(data.home())  # as app.py does after a build it makes: this run's build is done here
    data.clear()
    day = max(result.report.rows["date"])
    moved = t("submit.moved", day=format_day(day)) if move_day(day) else ""
    st.session_state[RESULT] = (where, "success", done + moved)
    return True


def show_result(where: str) -> None:
    """What the last submission from `where` did, once."""
    if st.session_state.get(RESULT, ("",))[0] == where:
        _, kind, message = st.session_state.pop(RESULT)
        {"success": st.success, "info": st.info, "error": st.error}[kind](message)
