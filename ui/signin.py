"""Sign-in: local accounts (argon2 hashes, throttled) kept signed in by a server-side session,
or Streamlit's OIDC login when configured.

Signing in starts a session in the store and gives the browser its token in a cookie, so a
reload, a new tab or a bookmark is still signed in until the session ends (`sanse.access.sessions`).
Streamlit reads cookies (`st.context.cookies`, as the browser sent them when the tab opened)
but has no call that sets one, so a one-line script in the page writes it.
"""

from __future__ import annotations

import json

import streamlit as st

from sanse.access import accounts, sessions
from sanse.access.forwarded import client_address as forwarded_client
from sanse.access.roles import ANONYMOUS, User, access_settings
from sanse.access.signin import SignInFailed, authenticate, user_from_oidc
from sanse.deployment.errors import ConfigError
from sanse.facts import clock
from sanse.ui import data
from sanse.ui.session import LANDED, USER, plain, t

TOKEN = "sanse.session"  # this tab's session token
EXPIRES = "sanse.session.expires"  # when it ends (UTC)
COOKIE_WRITTEN = "sanse.session.cookie"  # this tab has written the cookie since it opened
ENDED = "sanse.session.ended"  # this tab's session ended since its last run: said once, above the page


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def browser_token() -> str | None:
    """The session token the browser sent when this tab opened, if any."""
    return _text(st.context.cookies.get(sessions.COOKIE))


def client_address() -> str | None:
    """Where this browser connects from: the connection's peer, or behind a balancer listed in
    `[access] trusted_proxies` the address it forwarded (Streamlit reports no address for a
    loopback peer, and its web server is told by `sanse serve` not to read the header itself)."""
    forwarded = [v for v in st.context.headers.get_all("X-Forwarded-For") if _text(v)]
    trusted = access_settings(data.settings()).trusted_proxies
    return forwarded_client(_text(st.context.ip_address), forwarded, trusted)


def _text(value) -> str | None:
    """A value the browser sent, or None (AppTest's stand-in client sends placeholders)."""
    return value if isinstance(value, str) and value else None


def current_user() -> User | None:
    """Who is using the app now; None when they must sign in before reading anything.

    The session and its account are looked up again on every run, so signing out elsewhere,
    a disabled account, a new password or a changed role take effect at once. A button's
    callback runs before this, for the user of the run before: the user carries the session's
    token, and the write checks it again in its own transaction (`sanse.access.sessions.require_in`).
    """
    if oidc_configured() and st.user.is_logged_in:
        signed = user_from_oidc(dict(st.user), data.settings(), data.towns())
    else:
        token = st.session_state.get(TOKEN) or browser_token()
        signed = sessions.session_user(data.home(), token)
        if signed is None:
            if st.session_state.pop(TOKEN, None):  # ended since this tab's last run, not by its own sign-out
                st.session_state[ENDED] = True
        else:
            st.session_state[TOKEN] = token
    st.session_state[USER] = signed
    if signed is not None:
        return signed
    return ANONYMOUS if data.settings().campaign.anonymous_read else None


def sidebar_block(user: User | None) -> None:
    _keep_cookie()
    signed = st.session_state.get(USER)
    if signed is not None:
        st.caption(t("sidebar.signed_in_as", name=plain(signed.name), role=t(f"role.{signed.role}")))
        if st.button(t("sidebar.sign_out"), key="sanse.signout"):
            sessions.end_session(data.home(), st.session_state.pop(TOKEN, None))
            st.session_state.pop(USER, None)
            st.session_state.pop(LANDED, None)
            if oidc_configured() and st.user.is_logged_in:
                st.logout()
            st.rerun()
        return
    if user is None:  # every page shows the sign-in form
        st.caption(t("signin.required"))
        return
    st.caption(t("sidebar.anonymous"))
    with st.expander(t("signin.title")):
        signin_form()


def ended_notice() -> None:
    """Once, above the page: this tab was signed in on its last run and its session has ended
    since (signed out elsewhere, expired, the account disabled or given a new password); any
    write it tried in between was refused."""
    if st.session_state.pop(ENDED, None):
        st.warning(t("signin.ended"))


def signin_page(page: str | None = None) -> None:
    """What every page shows to a visitor who must sign in first, naming the page asked for
    (`page`, a page title; None for the overview). The address stays that page's, so signing
    in opens it."""
    st.title(t("app.title"))
    st.caption(t("app.subtitle"))
    st.info(t("signin.required.page", page=page) if page else t("signin.required"))
    signin_form(key="sanse.signin.page")


def signin_form(key: str = "sanse.signin") -> None:
    if oidc_configured():
        if st.button(t("signin.sso"), key=f"{key}.sso"):
            st.login()
        return
    with st.form(key):
        st.text_input(t("signin.name"), key=f"{key}.name")
        st.text_input(t("signin.password"), type="password", key=f"{key}.password")
        st.form_submit_button(t("signin.submit"), key=f"{key}.submit", on_click=_submit, args=(key,))
        if failure := st.session_state.pop(f"{key}.failed", None):
            st.error(failure)
    if not accounts.list_users(data.home()):
        st.caption(t("signin.no_accounts"))


def _submit(key: str) -> None:
    """The form's callback (run before the page is drawn again): sign in, or keep the account
    name, clear the password and say why."""
    try:
        _sign_in(st.session_state[f"{key}.name"].strip(), st.session_state[f"{key}.password"])
    except (SignInFailed, ConfigError) as exc:
        st.session_state[f"{key}.failed"] = str(exc)
    else:
        st.session_state[f"{key}.name"] = ""
    st.session_state[f"{key}.password"] = ""


def _sign_in(name: str, password: str) -> None:
    home, client = data.home(), client_address()
    hours = access_settings(data.settings()).session_hours
    user = authenticate(home, name, password, client=client)
    session = sessions.start_session(home, user, hours=hours, client=client)
    st.session_state[TOKEN] = session.token
    st.session_state[EXPIRES] = session.expires_at
    st.session_state[USER] = session.user
    st.session_state.pop(ENDED, None)


def _keep_cookie() -> None:
    """Give the browser this tab's session token, or take a stale one away.

    Rendered on every run until a reload shows the browser sends it: a script that is cut
    short by the next run still gets written on the one after.
    """
    token, sent = st.session_state.get(TOKEN), browser_token()
    if token and token != sent:
        expires = st.session_state.get(EXPIRES)
        seconds = int((expires - clock.now_utc()).total_seconds()) if expires else 0
        if seconds > 0:
            _write_cookie(token, seconds)
            st.session_state[COOKIE_WRITTEN] = True
    elif not token and (sent or st.session_state.get(COOKIE_WRITTEN)):
        _write_cookie("", 0)


def _write_cookie(value: str, max_age: int) -> None:
    secure = "; Secure" if (st.context.url or "").startswith("https:") else ""
    cookie = f"{sessions.COOKIE}={value}; Max-Age={max_age}; Path=/; SameSite=Lax{secure}"
    # The token is URL-safe base64 and json.dumps quotes it: nothing the user typed is in here.
    st.html(f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True)
