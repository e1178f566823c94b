"""Sanse 三色晾晒: the router and frame. Sign-in, the shared sidebar, and the pages this user may see."""

import logging

import streamlit as st

from sanse.ui import data
from sanse.ui.choice import chosen_day
from sanse.ui.guard import run_page
from sanse.ui.navigation import run_navigation
from sanse.ui.session import DAY, DAY_PICK, GROUP, LANG, format_day, lang, languages, t
from sanse.ui.signin import current_user, sidebar_block
from sanse.ui.style import apply_style

st.set_page_config(page_title="三色晾晒", page_icon="🚦", layout="wide", initial_sidebar_state="auto")
log = logging.getLogger("sanse.app")


def frame() -> None:
    data.catch_up()
    user = current_user()

    with st.sidebar:
        # Widgets keep their own keys; the choice is copied to a plain key that the pages read.
        st.session_state[LANG] = st.radio(
            t("sidebar.language"),
            list(languages()),
            index=list(languages()).index(lang()),
            format_func=languages().get,
            horizontal=True,
            key="sanse.lang.pick",
        )
        days = data.visible_dates(user) if user else []
        if days:
            current = chosen_day()  # staff may stay on a day nobody reported; the pages say so
            if user.may("submit", user.town_code):  # staff: every day of the campaign
                # The picker's value lives in its key alone: a page may move it (sanse.ui.choice.move_day),
                # and Streamlit warns about a widget given both a value and its key's state.
                picked = st.session_state.get(DAY_PICK)
                if picked is None or not days[0] <= picked <= days[-1]:  # also a day nobody reported
                    st.session_state[DAY_PICK] = current
                st.session_state[DAY] = st.date_input(
                    t("sidebar.date"),
                    min_value=days[0],
                    max_value=days[-1],
                    format="YYYY/MM/DD",
                    key=DAY_PICK,
                )
            else:  # readers: the published days only, newest first
                newest_first = days[::-1]
                st.session_state[DAY] = st.selectbox(
                    t("sidebar.date"),
                    newest_first,
                    index=newest_first.index(current),
                    format_func=format_day,
                    placeholder=t("common.choose"),
                    key="sanse.date.published",
                )
            groups = data.groups()
            if len(groups) > 1:  # one group, or all of them (None)
                choices = [None, *groups]
                current = st.session_state.get(GROUP, groups[0])
                st.session_state[GROUP] = st.selectbox(
                    t("sidebar.group"),
                    choices,
                    index=choices.index(current) if current in choices else 1,
                    format_func=lambda group: t("overview.all_groups") if group is None else group,
                    placeholder=t("common.choose"),
                    key="sanse.group.pick",
                )
            else:
                st.session_state[GROUP] = None
        sidebar_block(user)

    apply_style()  # in the language just chosen
    run_navigation(user)


run_page(frame, log)
