"""Sanse 三色晾晒: the router and frame. Sign-in, the shared sidebar, and the pages this user may see."""

import streamlit as st

from sanse.i18n import LANGUAGES
from ui import data
from ui.session import DAY, GROUP, LANG, t
from ui.signin import current_user, sidebar_block

st.set_page_config(page_title="三色晾晒", page_icon="🚦", layout="wide")

user = current_user()

with st.sidebar:
    st.radio(t("sidebar.language"), list(LANGUAGES), format_func=LANGUAGES.get, key=LANG, horizontal=True)
    days = data.dates() if user else []
    if days:
        if st.session_state.get(DAY) not in days:
            st.session_state[DAY] = days[-1]
        st.date_input(t("sidebar.date"), min_value=days[0], max_value=days[-1], key=DAY)
        groups = data.groups()
        if len(groups) > 1:
            if st.session_state.get(GROUP) not in groups:
                st.session_state[GROUP] = groups[0]
            st.selectbox(t("sidebar.group"), groups, key=GROUP)
        else:
            st.session_state[GROUP] = None
    sidebar_block(user)


def page(path: str, key: str, icon: str) -> st.Page:
    return st.Page(path, title=t(f"nav.{key}"), icon=icon, url_path=key)


if user is None:
    pages = [page("pages/signin.py", "signin", ":material/login:")]
else:
    pages = [
        page("pages/overview.py", "overview", ":material/dashboard:"),
        page("pages/ranking.py", "ranking", ":material/leaderboard:"),
        page("pages/town.py", "town", ":material/location_city:"),
        page("pages/bulletin.py", "bulletin", ":material/article:"),
        page("pages/rules.py", "rules", ":material/rule:"),
        page("pages/confidence.py", "confidence", ":material/query_stats:"),
    ]
    if user.may("submit", user.town_code):
        pages.insert(4, page("pages/submit.py", "submit", ":material/upload_file:"))
    if user.may("read_audit"):
        pages.append(page("pages/audit.py", "audit", ":material/history:"))

st.navigation(pages).run()
