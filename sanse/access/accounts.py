"""Local accounts (design §8): adding, listing, disabling and enabling them, their passwords
(the rules a new one meets, argon2id hashes) and the CLI's acting user. Accounts live in the
store, never a password, so every app process and server and the CLI share them; signing in
is `signin`'s.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from sanse.access import audit
from sanse.access.roles import ROLES, SYSTEM, Role, User, account_key, require
from sanse.access.sessions import require_in
from sanse.deployment.home import Home
from sanse.deployment.towns import normalize_spelling, read_towns, town_lookup
from sanse.facts import clock
from sanse.store import schema

MIN_PASSWORD_LENGTH = 8
PASSWORD_ENV = "SANSE_PASSWORD"

_NAME = re.compile(r"^[^\s\x00-\x1f\x7f<>&\"'/\\]{1,64}$")
_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 defaults


class AccountError(ValueError):
    """An account change that cannot be made; the message is for the user."""


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
    digest = hash_password(password)
    now = clock.now_utc()
    with home.store.writing("accounts") as conn:
        require_in(conn, by, "manage_accounts")
        existing = stored_account(conn, name)
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
        entry = stored_account(conn, name)
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
    digest = hash_password(password)
    with home.store.writing("accounts") as conn:
        require_in(conn, by, "read" if own else "manage_accounts")
        entry = _existing(conn, name)
        update_account(conn, name, password_hash=digest)
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
        update_account(conn, name, active=active)
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


# ---------------------------------------------------------------- passwords


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(digest: str, password: str) -> bool:
    """Whether `password` is the one `digest` was made from (about 64 MiB and a fraction of a
    second: `signin` bounds how many run at once)."""
    try:
        return _hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(digest: str) -> bool:
    """Whether `digest` was made with other parameters than this version's."""
    return _hasher.check_needs_rehash(digest)


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


def could_be_name(name: str | None) -> bool:
    """Whether an account could have this name (a sign-in with any other is not looked up)."""
    return bool(_NAME.fullmatch((name or "").strip()))


def _valid_name(name: str) -> str:
    name = (name or "").strip()
    if not could_be_name(name):
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


def stored_account(conn: Connection, name: str) -> dict | None:
    """The store's row of the account of that name (any letter case), hash and all."""
    row = conn.execute(sa.select(schema.accounts).where(schema.accounts.c.key == account_key(name))).mappings().first()
    return dict(row) if row else None


def _existing(conn: Connection, name: str) -> dict:
    entry = stored_account(conn, name)
    if entry is None:
        raise AccountError(f"没有名为“{name}”的账号")
    return entry


def _end_sessions(conn: Connection, name: str) -> None:
    conn.execute(sa.delete(schema.sessions).where(schema.sessions.c.account_key == account_key(name)))


def update_account(conn: Connection, name: str, *, changed: bool = True, **values) -> None:
    """Set `values` on the account; `changed` stamps it as changed now."""
    if changed:
        values["changed_at"] = clock.now_utc()
    conn.execute(sa.update(schema.accounts).where(schema.accounts.c.key == account_key(name)).values(**values))


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
