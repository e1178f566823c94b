"""Local accounts (design §8): argon2id password hashes, throttled sign-in, and the mapping of
single-sign-on identities to roles. Accounts and recent failed sign-ins live in the store,
never a password, so every app process and server and the CLI share them.
"""

from __future__ import annotations

import functools
import getpass
import json
import logging
import math
import os
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from sanse.access import audit
from sanse.access.roles import ROLES, SYSTEM, Role, User, access_settings, account_key, require
from sanse.access.sessions import require_in
from sanse.deployment.config import Settings, Town, normalize_spelling, read_towns, town_lookup
from sanse.deployment.home import Home
from sanse.facts import clock
from sanse.store import StoreError, schema

MIN_PASSWORD_LENGTH = 8
MAX_FAILURES = 5  # wrong passwords allowed within FAILURE_WINDOW before the account name locks
FAILURE_WINDOW = timedelta(minutes=15)
FIRST_LOCKOUT = timedelta(minutes=15)  # doubles with every further lock-out, up to MAX_LOCKOUT
MAX_LOCKOUT = timedelta(hours=24)
# Wrong passwords from one client address within FAILURE_WINDOW before the address locks:
# more than for a name, since an office's staff may share one address.
MAX_ADDRESS_FAILURES = 20
_ADDRESS = "address "  # throttle key prefix of a client address; no account name has a blank
PASSWORD_ENV = "SANSE_PASSWORD"

_NAME = re.compile(r"^[^\s\x00-\x1f\x7f<>&\"'/\\]{1,64}$")
_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 defaults
PASSWORD_CHECKS = 2  # password checks at once per process (each holds 64 MiB)
CHECK_QUEUE_SECONDS = 30  # how long a sign-in waits for its turn before it is refused
_checking = threading.BoundedSemaphore(PASSWORD_CHECKS)
log = logging.getLogger(__name__)


class AccountError(ValueError):
    """An account change that cannot be made; the message is for the user."""


class SignInFailed(Exception):
    """A refused sign-in. The message is for the user and never says whether the name exists."""

    def __init__(self, message: str, retry_at: datetime | None = None):
        super().__init__(message)
        self.retry_at = retry_at  # when a locked-out name may try again (UTC)


@dataclass(frozen=True)
class Account:
    """An account as the admin page lists it (never with its hash)."""

    name: str
    role: Role
    town_code: str | None
    active: bool
    created_at: str
    created_by: str
    changed_at: str

    @property
    def user(self) -> User:
        return User(self.name, self.role, self.town_code)


# ---------------------------------------------------------------- accounts


def add_user(home: Home, name: str, *, role: Role, town: str | None = None, password: str, by: User = SYSTEM) -> User:
    """Create an account. A town account needs its town (name, code or alias); no other
    role takes one. Names are unique regardless of letter case."""
    require(by, "manage_accounts")
    name = _valid_name(name)
    if role not in ROLES:
        raise AccountError(f"角色应为 {'/'.join(ROLES)}，而不是“{role}”")
    town_code = _town_code(home, role, town)
    check_password(password, name)
    digest = _hasher.hash(password)
    now = clock.now_utc()
    with home.store.writing("accounts") as conn:
        require_in(conn, by, "manage_accounts")
        existing = _entry(conn, name)
        if existing is not None:
            raise AccountError(f"账号“{existing['name']}”已存在")
        conn.execute(
            sa.insert(schema.accounts).values(
                key=account_key(name),
                name=name,
                role=role,
                town_code=town_code,
                password_hash=digest,
                active=True,
                created_at=now,
                created_by=by.name,
                changed_at=now,
            )
        )
        audit.record_in(conn, by.name, "account", change="add", account=name, role=role, town=town_code)
    return User(name, role, town_code)


def get_user(home: Home, name: str) -> User | None:
    """The active account of that name (any letter case), else None: call it on every page
    run so that a disabled account loses its rights at once."""
    with home.store.reading() as conn:
        entry = _entry(conn, name)
    if entry is None or not entry["active"]:
        return None
    return User(entry["name"], entry["role"], entry["town_code"])


def list_users(home: Home) -> list[Account]:
    """Every account, active or not, by name."""
    with home.store.reading() as conn:
        rows = conn.execute(sa.select(schema.accounts).order_by(schema.accounts.c.name)).mappings().all()
    return [
        Account(
            r["name"],
            r["role"],
            r["town_code"],
            r["active"],
            _stamp(r["created_at"]),
            r["created_by"],
            _stamp(r["changed_at"]),
        )
        for r in rows
    ]


def set_password(home: Home, name: str, password: str, *, by: User = SYSTEM) -> None:
    """Replace a password: an admin for anyone, a user for their own account (the page asks
    for the old password first). Also lifts any sign-in lock-out of that name."""
    own = account_key(by.name) == account_key(name)
    if not own:
        require(by, "manage_accounts")
    check_password(password, name)
    digest = _hasher.hash(password)
    with home.store.writing("accounts") as conn:
        require_in(conn, by, "read" if own else "manage_accounts")
        entry = _existing(conn, name)
        _update(conn, name, password_hash=digest)
        conn.execute(sa.delete(schema.signin_throttle).where(schema.signin_throttle.c.key == account_key(name)))
        _end_sessions(conn, name)  # every browser signed in with the old password signs in again
        audit.record_in(conn, by.name, "account", change="password", account=entry["name"])


def disable_user(home: Home, name: str, *, by: User = SYSTEM) -> None:
    """Stop an account from signing in; its history and audit entries stay."""
    _set_active(home, name, False, by)


def enable_user(home: Home, name: str, *, by: User = SYSTEM) -> None:
    _set_active(home, name, True, by)


def _set_active(home: Home, name: str, active: bool, by: User) -> None:
    require(by, "manage_accounts")
    if not active and account_key(by.name) == account_key(name):
        raise AccountError("不能停用自己正在使用的账号")
    with home.store.writing("accounts") as conn:
        require_in(conn, by, "manage_accounts")
        entry = _existing(conn, name)
        _update(conn, name, active=active)
        if not active:
            _end_sessions(conn, name)
        audit.record_in(conn, by.name, "account", change="enable" if active else "disable", account=entry["name"])


def acting_user(home: Home, name: str | None) -> User:
    """The user whose rights a CLI command applies: `--as NAME`, else the shell operator."""
    if name is None:
        return SYSTEM
    user = get_user(home, name)
    if user is None:
        raise AccountError(f"没有名为“{name}”的可用账号：请先用 sanse user add 添加")
    return user


# ---------------------------------------------------------------- sign-in


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
        entry = _entry(conn, name) if _NAME.fullmatch((name or "").strip()) else None

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
        if right and _hasher.check_needs_rehash(entry["password_hash"]):
            _update(conn, name, password_hash=_hasher.hash(password), changed=False)


def _throttle_keys(name: str, client: str | None) -> list[str]:
    """The name's key (a name no account can have is counted on the address only), then the
    address's. An address key has a blank in it, which no account name has."""
    keys = [account_key(name)] if _NAME.fullmatch((name or "").strip()) else []
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
    return _hasher.hash(uuid.uuid4().hex)


def _verify(digest: str, password: str) -> bool:
    """Check a password, at most PASSWORD_CHECKS at once per process: each check holds 64 MiB,
    so many sign-ins at once queue here rather than exhaust the server's memory."""
    if not _checking.acquire(timeout=CHECK_QUEUE_SECONDS):
        raise SignInFailed("登录的人太多，请稍后再试")
    try:
        return _hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False
    finally:
        _checking.release()


# ---------------------------------------------------------------- single sign-on


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


# ---------------------------------------------------------------- passwords


def check_password(password: str, name: str = "") -> None:
    if not password or not password.strip():
        raise AccountError("密码不能为空")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if name and password.casefold() == name.casefold():
        raise AccountError("密码不能与账号名相同")


def read_new_password() -> str:
    """For the CLI: `SANSE_PASSWORD` if set, else asked twice without echo."""
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        try:
            password = getpass.getpass("新密码：")
            again = getpass.getpass("再输入一次：")
        except EOFError:
            raise AccountError(f"没有读到密码：请在终端中运行，或设置环境变量 {PASSWORD_ENV}") from None
        if password != again:
            raise AccountError("两次输入的密码不一致")
    check_password(password)
    return password


# ---------------------------------------------------------------- storage


def _valid_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise AccountError("账号名应为 1 至 64 个字符，不含空格、引号、尖括号、& 和斜杠")
    return name


def _town_code(home: Home, role: Role, town: str | None) -> str | None:
    if role != "town":
        if town:
            raise AccountError("只有镇街账号（--role town）需要指定镇街")
        return None
    if not town or not town.strip():
        raise AccountError("镇街账号必须指定所属镇街（--town 名称、代码或别名）")
    found = town_lookup(read_towns(home.towns_csv)).get(normalize_spelling(town))
    if found is None:
        raise AccountError(f"未知镇街“{town}”：请使用 towns.csv 中的名称、代码或别名")
    return found.code


def _entry(conn: Connection, name: str) -> dict | None:
    row = conn.execute(sa.select(schema.accounts).where(schema.accounts.c.key == account_key(name))).mappings().first()
    return dict(row) if row else None


def _existing(conn: Connection, name: str) -> dict:
    entry = _entry(conn, name)
    if entry is None:
        raise AccountError(f"没有名为“{name}”的账号")
    return entry


def _end_sessions(conn: Connection, name: str) -> None:
    conn.execute(sa.delete(schema.sessions).where(schema.sessions.c.account_key == account_key(name)))


def _update(conn: Connection, name: str, *, changed: bool = True, **values) -> None:
    if changed:
        values["changed_at"] = clock.now_utc()
    conn.execute(sa.update(schema.accounts).where(schema.accounts.c.key == account_key(name)).values(**values))


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
