"""The 数据报送 page's work outside its widgets: the template to download, and after a submission
(a file or the form) rebuilding the ranking, checking the 督办 triggers on the new build,
pointing the sidebar at the day just sent and keeping what happened to say on the next run."""

from __future__ import annotations

from datetime import date

import streamlit as st

from sanse.access.roles import Forbidden
from sanse.deployment.towns import Town
from sanse.pipelines.build.warehouse import build
from sanse.pipelines.reports.ingest import Ingested
from sanse.pipelines.reports.template import template_xlsx
from sanse.sending.queue import queue_new_items
from sanse.supervision.triggers import check_if_behind
from sanse.ui import data
from sanse.ui.choice import move_day
from sanse.ui.session import format_day, plain, t

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
    check_if_behind(
        data.home(), announce=queue_new_items
    )  # as app.py does after a build it makes: this run's build is done here
    data.clear()
    day = max(result.report.rows["date"])
    moved = t("submit.moved", day=format_day(day)) if move_day(day) else ""
    st.session_state[RESULT] = (where, "success", done + moved)
    return True


def refused(refusal: Forbidden, *, where: str) -> None:
    """A submission the store refused for its sender's rights; nothing was written."""
    st.session_state[RESULT] = (where, "error", plain(refusal))


def show_result(where: str) -> None:
    """What the last submission from `where` did, once."""
    if st.session_state.get(RESULT, ("",))[0] == where:
        _, kind, message = st.session_state.pop(RESULT)
        {"success": st.success, "info": st.info, "error": st.error}[kind](message)


@st.cache_data(ttl=3600, max_entries=16)
def template(towns: tuple[Town, ...], day: date) -> bytes:
    """The daily report template (XLSX) for these towns, prefilled with the date."""
    return template_xlsx(list(towns), day)
