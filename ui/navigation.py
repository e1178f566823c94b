"""Every page of the dashboard and who may open it: the navigation app.py runs.

Every page's address is known to the navigation whoever is visiting, so a link to any page
opens it: the page itself for those who may see it, else the sign-in form (the address stays,
so signing in opens the page asked for) or, for a signed-in user without the right, a note
saying so. Streamlit would answer an unknown address with its own English "Page not found".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import streamlit as st

from sanse.access.roles import ANONYMOUS, User
from sanse.ui import data
from sanse.ui.session import LANDED, t
from sanse.ui.signin import ended_notice, signin_page


@dataclass(frozen=True)
class PageEntry:
    path: str  # under pages/
    key: str  # nav.<key> in the catalogue; also the page's address
    icon: str
    section: str  # read | work
    may_open: Callable[[User], bool]
    in_menu: bool = True  # False: reached by a link only (the print page)
    needs_groups: bool = False  # only where towns rank in more than one peer group


PAGES = (
    PageEntry("read/overview.py", "overview", ":material/dashboard:", "read", lambda u: True),
    PageEntry("read/ranking.py", "ranking", ":material/leaderboard:", "read", lambda u: True),
    PageEntry("read/groups.py", "groups", ":material/account_tree:", "read", lambda u: True, needs_groups=True),
    PageEntry("read/periods.py", "periods", ":material/date_range:", "read", lambda u: u.submits),
    PageEntry("read/town.py", "town", ":material/location_city:", "read", lambda u: True),
    PageEntry("read/bulletin.py", "bulletin", ":material/article:", "read", lambda u: True),
    PageEntry("read/print.py", "print", ":material/print:", "read", lambda u: True, in_menu=False),
    PageEntry("read/rules.py", "rules", ":material/rule:", "read", lambda u: True),
    PageEntry("read/confidence.py", "confidence", ":material/query_stats:", "read", lambda u: True),
    PageEntry("work/submit.py", "submit", ":material/upload_file:", "work", lambda u: u.submits),
    PageEntry("work/status.py", "status", ":material/fact_check:", "work", lambda u: u.submits),
    PageEntry("work/supervision.py", "supervision", ":material/assignment_late:", "work", lambda u: u != ANONYMOUS),
    PageEntry("work/audit.py", "audit", ":material/history:", "work", lambda u: u.may("read_audit")),
)
DEFAULT = "overview"


def run_navigation(user: User | None) -> None:
    """st.navigation over the pages, in the sidebar (Streamlit folds it away on a phone once
    a page is chosen), then the page asked for."""
    sections: dict[str, list[st.Page]] = {}
    signed_out = user is None or user == ANONYMOUS
    grouped = len(data.groups()) > 1
    for entry in PAGES:
        if entry.needs_groups and not grouped:
            continue
        default = entry.key == DEFAULT
        if user is not None and entry.may_open(user):
            page = st.Page(
                f"pages/{entry.path}",
                title=t(f"nav.{entry.key}"),
                icon=entry.icon,
                url_path=entry.key,
                default=default,
                visibility="visible" if entry.in_menu else "hidden",
            )
            sections.setdefault(t(f"nav.section.{entry.section}"), []).append(page)
            continue
        # A page this visitor may not open keeps its address, out of the menu; with nothing
        # to read before signing in, the menu is the one sign-in entry.
        stand_in = partial(signin_page, None if default else t(f"nav.{entry.key}")) if signed_out else _not_allowed
        title = t("nav.signin") if signed_out else t(f"nav.{entry.key}")
        visible = user is None and default
        page = st.Page(
            stand_in,
            title=title,
            icon=":material/login:" if visible else entry.icon,
            url_path=entry.key,
            default=default,
            visibility="visible" if visible else "hidden",
        )
        sections.setdefault("" if user is None else t(f"nav.section.{entry.section}"), []).append(page)
    chosen = st.navigation(sections, expanded=True)  # never Streamlit's English "View more"
    _land_town_accounts(user, chosen)
    ended_notice()
    chosen.run()


def _land_town_accounts(user: User | None, chosen: st.Page) -> None:
    """A town account that opens the dashboard's front page lands on its own town's page
    (once a sign-in: the 总览 entry of the menu still opens the overview)."""
    if user is None or user == ANONYMOUS or st.session_state.get(LANDED):
        return
    st.session_state[LANDED] = True
    if user.role == "town" and user.town_code and chosen.url_path == "":
        st.session_state["town.pick"] = user.town_code
        st.switch_page("pages/read/town.py")


def _not_allowed() -> None:
    st.warning(t("access.not_allowed"))
