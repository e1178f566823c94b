"""Signing in (design §8): a local account's password checked with throttling — a name or a
client address that guesses too often is locked for a while, counted in the store so every
process and server sees it — at most a few argon2id checks at once per process; and the
roles of single-sign-on identities."""

from __future__ import annotations

import functools
import json
import logging
import math
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.access import audit
from sanse.access.accounts import (
    could_be_name,
    hash_password,
    needs_rehash,
    password_matches,
    stored_account,
    update_account,
)
from sanse.access.roles import User, access_settings, account_key
from sanse.deployment.home import Home
from sanse.deployment.settings import Settings
from sanse.deployment.towns import Town
from sanse.facts import clock
from sanse.store import StoreError, schema

MAX_FAILURES = 5  # wrong passwords allowed within FAILURE_WINDOW before the account name locks
FAILURE_WINDOW = timedelta(minutes=15)
FIRST_LOCKOUT = timedelta(minutes=15)  # doubles with every further lock-out, up to MAX_LOCKOUT
MAX_LOCKOUT = timedelta(hours=24)
# Wrong passwords from one client address within FAILURE_WINDOW before the address locks:
# more than for a name, since an office's staff may share one address.
MAX_ADDRESS_FAILURES = 20
_ADDRESS = "address "  # throttle key prefix of a client address; no account name has a blank
PASSWORD_CHECKS = 2  # password checks at once per process (each holds 64 MiB)
CHECK_QUEUE_SECONDS = 30  # how long a sign-in waits for its turn before it is refused
_checking = threading.BoundedSemaphore(PASSWORD_CHECKS)
log = logging.getLogger(__name__)


class SignInFailed(Exception):
    """A refused sign-in. The message is for the user and never says whether the name exists."""

    def __init__(self, message: str, retry_at: datetime | None = None):
        super().__init__(message)
        self.retry_at = retry_at  # when a locked-out name may try again (UTC)


def authenticate(
    home: Home, name: str, password: str, *, client: str | None = None, now: datetime | None = None
) -> User:
    """The user if the password is right, else `SignInFailed`.

    After MAX_FAILURES wrong passwords for one name within FAILURE_WINDOW, that name is
    refused (even with the right password) for FIRST_LOCKOUT, doubling with each further
    lock-out; likewise the client address after MAX_ADDRESS_FAILURES, so one address cannot
    try name after name. The counts live in the store, so restarts, other processes and
    other servers see them; a right password clears its name's count. A browser that is
    already signed in never meets this: its session skips the form (`sanse.access.sessions`).
    `client` is the address the attempt came from, when known; `now` (UTC) is for tests.
    """
    now = now or clock.now_utc()
    keys = _throttle_keys(name, client)
    try:
        with home.store.writing("signin") as conn:
            states = {key: _prune(_throttle(conn, key), now) for key in keys}
            for key, state in states.items():
                _refuse_if_locked(state, now, address=key.startswith(_ADDRESS))
            # Count the attempt before the slow check, so parallel guesses cannot exceed the limit.
            if any(len(state["failures"]) >= _limit(key) for key, state in states.items()):
                raise SignInFailed("登录尝试过于频繁，请稍后再试")
            for key, state in states.items():
                state["failures"].append(now.timestamp())
                _save_throttle(conn, key, state)
    except StoreError:
        # The store takes no writes (a full disk): the attempt cannot be counted, but the
        # office can still sign in and see what is wrong. Checks stay bounded by _checking.
        log.exception("sign-in attempt of %r not counted", name)
    with home.store.reading() as conn:
        entry = stored_account(conn, name) if could_be_name(name) else None

    valid = entry is not None and entry["active"]
    right = _verify(entry["password_hash"] if valid else _dummy_hash(), password) and valid
    try:
        _record_outcome(home, name, client, keys, right, entry, password, now)
    except StoreError:
        log.exception("sign-in outcome of %r not recorded", name)
    if not right:
        raise SignInFailed("账号或密码错误")
    return User(entry["name"], entry["role"], entry["town_code"])


def _record_outcome(
    home: Home,
    name: str,
    client: str | None,
    keys: list[str],
    right: bool,
    entry: dict | None,
    password: str,
    now: datetime,
) -> None:
    """After the check: a right password clears its name's count; a wrong one may lock."""
    with home.store.writing("signin") as conn:
        for key in keys:
            state = _prune(_throttle(conn, key), now)
            if right:
                # The name starts afresh; the address keeps its earlier failures, so one
                # account of one's own does not reset guessing at others.
                state = _without(state, now) if key.startswith(_ADDRESS) else _prune(None, now)
            elif len(state["failures"]) >= _limit(key):
                state["lockouts"] += 1
                lockout = min(FIRST_LOCKOUT * 2 ** (state["lockouts"] - 1), MAX_LOCKOUT)
                locked_until = now + lockout
                state["locked_until"], state["failures"] = locked_until.timestamp(), []
                who = {"address": client} if key.startswith(_ADDRESS) else {"account": name}
                audit.record_in(
                    conn, "anonymous", "signin_locked", **who, until=locked_until.isoformat(timespec="seconds")
                )
            _save_throttle(conn, key, state)
        if right and needs_rehash(entry["password_hash"]):
            update_account(conn, name, password_hash=hash_password(password), changed=False)


def _throttle_keys(name: str, client: str | None) -> list[str]:
    """The name's key (a name no account can have is counted on the address only), then the
    address's. An address key has a blank in it, which no account name has."""
    keys = [account_key(name)] if could_be_name(name) else []
    if client:
        keys.append(_ADDRESS + client.strip()[:64])
    return keys or [_ADDRESS + "unknown"]


def _limit(key: str) -> int:
    return MAX_ADDRESS_FAILURES if key.startswith(_ADDRESS) else MAX_FAILURES


def _without(state: dict, now: datetime) -> dict:
    """The state less this (right) attempt."""
    failures = list(state["failures"])
    if now.timestamp() in failures:
        failures.remove(now.timestamp())
    return {**state, "failures": failures}


def _refuse_if_locked(state: dict, now: datetime, *, address: bool = False) -> None:
    until = state.get("locked_until")
    if until and until > now.timestamp():
        minutes = max(1, math.ceil((until - now.timestamp()) / 60))
        retry_at = datetime.fromtimestamp(until, UTC)
        what = "本机所在网络地址" if address else "该账号"
        raise SignInFailed(f"登录失败次数过多，{what}已暂时锁定，请 {minutes} 分钟后再试", retry_at)


def _prune(state: dict | None, now: datetime) -> dict:
    """Forget failures older than the window, and past lock-outs after a quiet day."""
    state = dict(state or {})
    since = (now - FAILURE_WINDOW).timestamp()
    state["failures"] = [t for t in state.get("failures", []) if t > since]
    state.setdefault("lockouts", 0)
    state.setdefault("locked_until", None)
    if state["locked_until"] and state["locked_until"] + MAX_LOCKOUT.total_seconds() < now.timestamp():
        state["lockouts"], state["locked_until"] = 0, None
    return state


def _throttle(conn: Connection, key: str) -> dict | None:
    row = conn.execute(sa.select(schema.signin_throttle).where(schema.signin_throttle.c.key == key)).mappings().first()
    if row is None:
        return None
    return {"failures": json.loads(row["failures"]), "lockouts": row["lockouts"], "locked_until": row["locked_until"]}


def _save_throttle(conn: Connection, key: str, state: dict) -> None:
    """Keep what there is to remember of `key`; a name with nothing left is dropped, so
    guessed names do not pile up."""
    table = schema.signin_throttle
    conn.execute(sa.delete(table).where(table.c.key == key))
    if state["failures"] or state["lockouts"]:
        conn.execute(
            sa.insert(table).values(
                key=key,
                failures=json.dumps(state["failures"]),
                lockouts=state["lockouts"],
                locked_until=state["locked_until"],
            )
        )


@functools.cache
def _dummy_hash() -> str:
    """Unknown names are checked against this, so they take as long as a real account."""
    return hash_password(uuid.uuid4().hex)


def _verify(digest: str, password: str) -> bool:
    """Check a password, at most PASSWORD_CHECKS at once per process: each check holds 64 MiB,
    so many sign-ins at once queue here rather than exhaust the server's memory."""
    if not _checking.acquire(timeout=CHECK_QUEUE_SECONDS):
        raise SignInFailed("登录的人太多，请稍后再试")
    try:
        return password_matches(digest, password)
    finally:
        _checking.release()


def user_from_oidc(claims: Mapping, settings: Settings, towns: list[Town] | None = None) -> User | None:
    """The user for an identity signed in through Streamlit's `st.login()`: pass `st.user`.

    The identity is the e-mail (unless the provider says it is unverified) or the `sub`
    claim, looked up in `[access]` of rules.toml (see `sanse.access.roles.access_settings`).
    None when the identity is in no list: the app then treats the visitor as signed out.
    """
    if not claims or not claims.get("is_logged_in", True):
        return None
    identities = []
    email = str(claims.get("email") or "").strip()
    if email and claims.get("email_verified", True) not in (False, "false"):
        identities.append(email)
    sub = str(claims.get("sub") or "").strip()
    if sub:
        identities.append(sub)
    found = access_settings(settings, towns).role_of(identities)
    if found is None:
        return None
    role, town_code = found
    return User(identities[0], role, town_code)
