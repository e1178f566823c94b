"""Per-browser state shared by the pages: language, chosen date and group, the signed-in user."""

from __future__ import annotations

import re
from datetime import date

import streamlit as st

from sanse.access.roles import ANONYMOUS, User
from sanse.facts.dates import chinese_date
from sanse.i18n import translate

LANG = "sanse.lang"
DAY = "sanse.date"
DAY_PICK = "sanse.date.pick"  # the sidebar's date picker for staff (app.py)
GROUP = "sanse.group"
USER = "sanse.user"
LANDED = "sanse.landed"  # the signed-in user has opened a first page in this tab


def lang() -> str:
    return st.session_state.get(LANG, "zh")


def t(key: str, **values) -> str:
    return translate(lang(), key, **values)


# Every character Markdown, GitHub's autolinks (an e-mail address, www.) or Streamlit's
# directives and formulas give a meaning to; a backslash before any of them shows it as it is.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:@&=])")


def plain(text: object) -> str:
    """Text a user or the configuration wrote (a town, an account, a 督办事由, a file name),
    escaped for the Markdown of captions, messages, headings and labels: shown exactly as
    written, never as a link, an image, a heading, a Streamlit directive or markup. Every page
    puts such text through this, or shows it with st.text."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def tier_label(tier: str) -> str:
    return t(f"tier.{tier}")


def chosen_day() -> date | None:
    """The sidebar's date; the latest day this user may see when none was chosen yet. Staff
    may pick any day of the campaign, also one that nobody reported (the pages say so)."""
    from sanse.ui import data

    me = viewer()
    days = data.visible_dates(me)
    day = st.session_state.get(DAY)
    if day in days or (day is not None and days and me.may("submit", me.town_code) and days[0] <= day <= days[-1]):
        return day
    return days[-1] if days else None


def move_day(day: date) -> bool:
    """Point the sidebar at `day`, if it is a day with data. Only before the sidebar is drawn, as
    in a button's callback: a widget's value cannot change once it is on the page."""
    from sanse.ui import data

    if day not in data.visible_dates(viewer()):
        return False
    st.session_state[DAY] = day
    st.session_state[DAY_PICK] = day
    return True


def chosen_group() -> str | None:
    """None means every group (a city without peer groups has the one group '')."""
    return st.session_state.get(GROUP)


def scoped(title: str) -> str:
    """A page's heading with the towns its figures cover, where towns rank in several groups:
    "总览 · 东县 · …" or "总览 · 全部分组 · …"; unchanged in a city of one group."""
    from sanse.ui import data

    if len(data.groups()) <= 1:
        return title
    head, _, rest = title.partition(" · ")
    scope = chosen_group() if chosen_group() is not None else t("overview.all_groups")
    return f"{head} · {scope} · {rest}" if rest else f"{head} · {scope}"


def user() -> User | None:
    """The signed-in user; the anonymous reader when anonymous reading is on; else None."""
    return st.session_state.get(USER)


def viewer() -> User:
    return user() or ANONYMOUS


def format_day(day: date) -> str:
    return chinese_date(day) if lang() == "zh" else day.isoformat()


def ranking_day_or_stop() -> date:
    """The chosen day; with no data yet, say how to load some and stop the page."""
    day = chosen_day()
    if day is None:
        drafts_visible = viewer().may("submit", viewer().town_code)
        st.info(t("empty.no_data" if drafts_visible else "empty.not_published"))
        st.stop()
    return day
