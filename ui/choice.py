"""The day and the towns a page shows: the sidebar's choice, held to the days this visitor may
see, and what a page says when there is no day to show."""

from __future__ import annotations

from datetime import date

import streamlit as st

from sanse.ui import data
from sanse.ui.session import DAY, DAY_PICK, chosen_group, t, viewer


def chosen_day() -> date | None:
    """The sidebar's date; the latest day this user may see when none was chosen yet. Staff
    may pick any day of the campaign, also one that nobody reported (the pages say so)."""
    me = viewer()
    days = data.visible_dates(me)
    day = st.session_state.get(DAY)
    if day in days or (day is not None and days and me.may("submit", me.town_code) and days[0] <= day <= days[-1]):
        return day
    return days[-1] if days else None


def move_day(day: date) -> bool:
    """Point the sidebar at `day`, if it is a day with data. Only before the sidebar is drawn, as
    in a button's callback: a widget's value cannot change once it is on the page."""
    if day not in data.visible_dates(viewer()):
        return False
    st.session_state[DAY] = day
    st.session_state[DAY_PICK] = day
    return True


def scoped(title: str) -> str:
    """A page's heading with the towns its figures cover, where towns rank in several groups:
    "总览 · 东县 · …" or "总览 · 全部分组 · …"; unchanged in a city of one group."""
    if len(data.groups()) <= 1:
        return title
    head, _, rest = title.partition(" · ")
    scope = chosen_group() if chosen_group() is not None else t("overview.all_groups")
    return f"{head} · {scope} · {rest}" if rest else f"{head} · {scope}"


def ranking_day_or_stop() -> date:
    """The chosen day; with no data yet, say how to load some and stop the page."""
    day = chosen_day()
    if day is None:
        drafts_visible = viewer().may("submit", viewer().town_code)
        st.info(t("empty.no_data" if drafts_visible else "empty.not_published"))
        st.stop()
    return day
