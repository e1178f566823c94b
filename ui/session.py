"""Per-browser state shared by the pages: language, chosen group, the signed-in user (the chosen
day, which depends on the days there are, is sanse.ui.choice)."""

from __future__ import annotations

import re
from datetime import date, datetime

import streamlit as st

from sanse.access.roles import ANONYMOUS, User
from sanse.facts import clock
from sanse.facts.dates import chinese_date
from sanse.i18n import LANGUAGES, translate

LANG = "sanse.lang"
DAY = "sanse.date"
DAY_PICK = "sanse.date.pick"  # the sidebar's date picker for staff (app.py)
GROUP = "sanse.group"
USER = "sanse.user"
LANDED = "sanse.landed"  # the signed-in user has opened a first page in this tab


def lang() -> str:
    return st.session_state.get(LANG, "zh")


def languages() -> dict[str, str]:
    """The languages the pages speak, each by its own name (中文, English)."""
    return LANGUAGES


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


def chosen_group() -> str | None:
    """None means every group (a city without peer groups has the one group '')."""
    return st.session_state.get(GROUP)


def user() -> User | None:
    """The signed-in user; the anonymous reader when anonymous reading is on; else None."""
    return st.session_state.get(USER)


def viewer() -> User:
    return user() or ANONYMOUS


def today() -> date:
    """Today in Beijing, the campaign's day."""
    return clock.today()


def signed_in() -> bool:
    """Whether someone signed in (not the anonymous reader): the 督办 ledger is for them."""
    return viewer() != ANONYMOUS


def stamp(moment: datetime) -> str:
    """A stored moment (UTC) as the office reads it: Beijing time to the minute."""
    return clock.stamp(moment)


def format_day(day: date) -> str:
    return chinese_date(day) if lang() == "zh" else day.isoformat()
