"""Sign-in: local accounts (argon2 hashes, throttled) or Streamlit's OIDC login when configured."""

from __future__ import annotations

import streamlit as st

from sanse import accounts
from sanse.access import ANONYMOUS, User
from ui import data
from ui.session import USER, t


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def current_user() -> User | None:
    """Who is using the app now; None when they must sign in before reading anything.

    The account is looked up again on every run, so a disabled account or a changed role
    takes effect at once, not at the next sign-in.
    """
    if oidc_configured() and st.user.is_logged_in:
        signed = accounts.user_from_oidc(dict(st.user), data.settings(), data.towns())
    elif st.session_state.get(USER) is not None:
        signed = accounts.get_user(data.home(), st.session_state[USER].name)
    else:
        signed = None
    st.session_state[USER] = signed
    if signed is not None:
        return signed
    return ANONYMOUS if data.settings().campaign.anonymous_read else None


def sidebar_block(user: User | None) -> None:
    signed = st.session_state.get(USER)
    if signed is not None:
        st.caption(t("sidebar.signed_in_as", name=signed.name, role=t(f"role.{signed.role}")))
        if st.button(t("sidebar.sign_out"), key="sanse.signout"):
            st.session_state.pop(USER, None)
            if oidc_configured() and st.user.is_logged_in:
                st.logout()
            st.rerun()
        return
    if user is None:  # the sign-in page holds the form
        st.caption(t("signin.required"))
        return
    st.caption(t("sidebar.anonymous"))
    with st.expander(t("signin.title")):
        signin_form()


def signin_form() -> None:
    if oidc_configured():
        if st.button(t("signin.sso"), key="sanse.sso"):
            st.login()
        return
    with st.form("sanse.signin", clear_on_submit=True):
        name = st.text_input(t("signin.name"), key="sanse.signin.name")
        password = st.text_input(t("signin.password"), type="password", key="sanse.signin.password")
        if st.form_submit_button(t("signin.submit"), key="sanse.signin.submit"):
            try:
                st.session_state[USER] = accounts.authenticate(data.home(), name.strip(), password)
            except accounts.SignInFailed as exc:
                st.error(str(exc))
            else:
                st.rerun()
    if not accounts.list_users(data.home()):
        st.caption(t("signin.no_accounts"))
