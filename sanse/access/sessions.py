"""Signed-in sessions (design §8): signing in lasts across reloads, tabs and bookmarks for a set
time. The browser keeps a random token in a cookie; the store keeps only its SHA-256, so a
copy of the database signs no one in. A session ends when its user signs out, when it
expires, and when its account is disabled or its password changes; a write made through it
checks that again in its own transaction (`require_in`), so a tab drawn before cannot write.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.access.roles import DEFAULT_SESSION_HOURS, Action, SessionEnded, User, account_key, require
from sanse.deployment.home import Home
from sanse.facts import clock
from sanse.store import schema

COOKIE = "sanse_session"  # the browser cookie that holds the token
SEEN_EVERY = timedelta(minutes=5)  # last_seen is written at most this often, not on every page run


@dataclass(frozen=True)
class Session:
    token: str  # only the browser holds this
    user: User
    expires_at: datetime  # UTC


def start_session(
    home: Home,
    user: User,
    *,
    hours: float = DEFAULT_SESSION_HOURS,
    client: str | None = None,
    now: datetime | None = None,
) -> Session:
    """A new session for `user`, who has just proved who they are. Sessions that have
    expired, anyone's, are cleared out at the same time."""
    now = now or clock.now_utc()
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=hours)
    table = schema.sessions
    with home.store.writing() as conn:
        conn.execute(sa.delete(table).where(table.c.expires_at <= now))
        conn.execute(
            sa.insert(table).values(
                token_hash=_digest(token),
                account_key=account_key(user.name),
                created_at=now,
                expires_at=expires_at,
                last_seen=now,
                client=(client or None) and client[:64],
            )
        )
    return Session(token, User(user.name, user.role, user.town_code, session=token), expires_at)


def session_user(home: Home, token: str | None, *, now: datetime | None = None) -> User | None:
    """The user a browser's token signs in, with the account's role as it is now; None when
    the token is unknown, has expired, or its account was disabled or given a new password
    after the session began."""
    if not token or len(token) > 256:
        return None
    now = now or clock.now_utc()
    with home.store.reading() as conn:
        row = conn.execute(_lookup(token)).mappings().first()
    if not _valid(row, now):
        return None
    if now - row["last_seen"] >= SEEN_EVERY:
        with home.store.writing() as conn:
            conn.execute(
                sa.update(schema.sessions).where(schema.sessions.c.token_hash == _digest(token)).values(last_seen=now)
            )
    return User(row["name"], row["role"], row["town_code"], session=token)


def require_in(conn: Connection, user: User, action: Action, *town_codes: str | None) -> None:
    """Inside a write's own transaction: refuse the write unless `user` may still take
    `action` (for each of `town_codes`). For a user acting through a browser session, the
    session must still be open and its account active, with the password it signed in with
    and a role that still allows it; otherwise `SessionEnded`, and the write rolls back.

    The session and account rows are held until the write commits (PostgreSQL: FOR SHARE),
    so a disable or a new password that comes at the same moment lands before or after the
    write, never between the check and the write.
    """
    if user.session is not None:
        row = conn.execute(_lookup(user.session).with_for_update(read=True)).mappings().first()
        if not _valid(row, clock.now_utc()):
            raise SessionEnded()
        user = User(row["name"], row["role"], row["town_code"])
    for town_code in town_codes or (None,):
        require(user, action, town_code)


def _lookup(token: str) -> sa.Select:
    sessions, accounts = schema.sessions, schema.accounts
    return (
        sa.select(
            sessions.c.expires_at,
            sessions.c.created_at.label("began"),
            sessions.c.last_seen,
            accounts.c.name,
            accounts.c.role,
            accounts.c.town_code,
            accounts.c.active,
            accounts.c.changed_at,
        )
        .join(accounts, accounts.c.key == sessions.c.account_key)
        .where(sessions.c.token_hash == _digest(token))
    )


def _valid(row, now: datetime) -> bool:
    return row is not None and row["expires_at"] > now and row["active"] and row["began"] >= row["changed_at"]


def end_session(home: Home, token: str | None) -> None:
    """Sign a browser out: its token signs no one in from now on."""
    if token:
        with home.store.writing() as conn:
            conn.execute(sa.delete(schema.sessions).where(schema.sessions.c.token_hash == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
