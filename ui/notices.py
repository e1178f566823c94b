"""The notice block of 督办台账 (design §12): the chosen item's 约谈通知书 or 督办通知单 as DOCX and
PDF, and, for a 约谈, the office's form for its time, place and attendees, without which its
通知书 is not issued."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import partial

import streamlit as st

from sanse.access.roles import Forbidden, User
from sanse.deployment.home import Home
from sanse.facts import clock
from sanse.publishing.exports import EXPORTS, NOTICE_FORMATS, render_notice, unavailable
from sanse.publishing.exports.notice import notice_name, notice_title
from sanse.supervision.interviews import INTERVIEW, get_interview, set_interview
from sanse.supervision.items import DONE, Item, SupervisionError
from sanse.ui.session import t

SAVED = "notice.saved"  # a message carried over the rerun after saving


def notice_block(home: Home, item: Item, me: User) -> None:
    title = notice_title(item)
    st.markdown(f"**{title}**")
    if SAVED in st.session_state:
        st.success(st.session_state.pop(SAVED))
    interview = get_interview(home, item.id) if item.measure == INTERVIEW else None
    if interview is not None:
        st.caption(
            t("notice.interview.current", when=interview.when, place=interview.place, attendees=interview.attendees)
        )
    if item.measure == INTERVIEW and me.may("supervise") and item.status not in DONE:
        _interview_form(home, item, interview, me)
    if item.measure == INTERVIEW and interview is None:
        st.info(t("notice.not_ready" if me.may("supervise") else "notice.not_ready.town"))
        return
    for column, fmt in zip(st.columns(len(NOTICE_FORMATS)), NOTICE_FORMATS):
        if reason := unavailable(fmt):
            column.caption(t("export.unavailable", format=fmt.upper(), reason=reason))
            continue
        column.download_button(
            t("notice.download", title=title, format=fmt.upper()),
            data=partial(render_notice, home, item.id, fmt),
            file_name=notice_name(home, item.id, fmt),
            mime=EXPORTS[fmt].mime,
            on_click="ignore",
            key=f"supervision.notice.{item.id}.{fmt}",
            width="stretch",
        )


def _interview_form(home: Home, item: Item, interview, me: User) -> None:
    with st.expander(t("notice.interview"), expanded=interview is None):
        with st.form(key=f"supervision.interview.{item.id}", border=False):
            at = clock.beijing(interview.meets_at) if interview else None
            day, hour = st.columns(2)
            chosen_day = day.date_input(
                t("notice.interview.day"),
                value=at.date() if at else clock.today() + timedelta(days=1),
                format="YYYY/MM/DD",
                key=f"supervision.interview.day.{item.id}",
            )
            chosen_time = hour.time_input(
                t("notice.interview.time"),
                value=at.time().replace(tzinfo=None) if at else time(9, 0),
                step=timedelta(minutes=15),
                key=f"supervision.interview.time.{item.id}",
            )
            place = st.text_input(
                t("notice.interview.place"),
                value=interview.place if interview else "",
                key=f"supervision.interview.place.{item.id}",
            )
            attendees = st.text_input(
                t("notice.interview.attendees"),
                value=interview.attendees if interview else "",
                placeholder=t("notice.interview.attendees.placeholder"),
                key=f"supervision.interview.attendees.{item.id}",
            )
            if st.form_submit_button(t("notice.interview.submit"), type="primary"):
                meets_at = datetime.combine(chosen_day, chosen_time, clock.BEIJING)
                try:
                    set_interview(home, item.id, meets_at=meets_at, place=place, attendees=attendees, by=me)
                except (SupervisionError, Forbidden) as exc:
                    st.error(str(exc))
                else:
                    st.session_state[SAVED] = t("notice.interview.saved", id=item.id)
                    st.rerun()
