"""Who may do what (design §8), enforced by the domain functions themselves, not by the pages;
and the `[access]` settings that give single-sign-on identities their role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sanse.access.forwarded import LOOPBACK, Network, networks
from sanse.deployment.errors import ConfigError
from sanse.deployment.settings import Settings
from sanse.deployment.towns import Town, normalize_spelling, town_lookup

Role = Literal["admin", "town", "viewer"]
Action = Literal["read", "submit", "publish", "change_rules", "manage_accounts", "read_audit", "answer", "supervise"]
ROLES: tuple[Role, ...] = ("admin", "town", "viewer")
ROLE_LABELS = {"admin": "管理员", "town": "镇街", "viewer": "只读"}


class Forbidden(PermissionError):
    """The message is shown to the user as it is."""


class SessionEnded(Forbidden):
    """A write from a browser whose session has ended (signed out, expired, the account
    disabled or given a new password) since the page was drawn: nothing was written."""

    def __init__(self):
        super().__init__("登录已失效（已退出、超时、账号已停用或密码已更改），本次操作没有保存，请重新登录")


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    town_code: str | None = None  # the town of a town account
    # The token of the browser session this user acts through (sanse.access.sessions): every write
    # checks it again in its own transaction. None for the shell operator and single sign-on.
    session: str | None = field(default=None, compare=False, repr=False)

    def may(self, action: Action, town_code: str | None = None) -> bool:
        if self.role == "admin":
            return True
        if action == "read":
            return True
        if action in ("submit", "answer"):  # a town's own figures, its own 督办事项
            return self.role == "town" and town_code is not None and town_code == self.town_code
        return False

    @property
    def submits(self) -> bool:
        """Whether this user may submit figures for at least one town."""
        return self.role == "admin" or (self.role == "town" and self.town_code is not None)


DEFAULT_SESSION_HOURS = 10.0  # a working day
MAX_SESSION_HOURS = 24.0 * 30

SYSTEM = User("cli", "admin")  # the operator at the server's shell, who owns the home directory
ANONYMOUS = User("anonymous", "viewer")


def require(user: User, action: Action, town_code: str | None = None) -> None:
    if not user.may(action, town_code):
        raise Forbidden(_REFUSALS.get(action, "没有权限进行此操作"))


def account_key(name: str) -> str:
    """An account's name as accounts are looked up: any letter case, blanks around it ignored."""
    return (name or "").strip().casefold()


def require_submitter(user: User) -> None:
    """Refuse a user who may not submit for any town (a viewer) before reading the file."""
    if not user.submits:
        raise Forbidden("只读账号不能报送数据")


_REFUSALS = {
    "submit": "本账号只能报送本镇街的数据",
    "publish": "只有市安委办管理员可以发布《每日工作动态》",
    "change_rules": "只有市安委办管理员可以修改排名规则",
    "manage_accounts": "只有管理员可以管理账号",
    "read_audit": "只有管理员可以查看操作日志",
    "answer": "本账号只能答复本镇街的督办事项",
    "supervise": "只有市安委办管理员可以立项、销号、退回或撤销督办事项",
}


# ---------------------------------------------------------------- [access] in rules.toml


@dataclass(frozen=True)
class AccessSettings:
    """Which single-sign-on identities hold which role, and whether anyone may read signed out.

    Identities are e-mail addresses or OIDC `sub` values, compared without case. An entry
    starting with `@` matches a whole e-mail domain (`"@ajb.example.cn"`); `"*"` in
    `viewers` lets every signed-in identity read.
    """

    admins: tuple[str, ...] = ()
    viewers: tuple[str, ...] = ()
    towns: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (town code, identities)
    anonymous_read: bool = False
    session_hours: float = DEFAULT_SESSION_HOURS  # how long signing in lasts in one browser
    # The balancers whose X-Forwarded-For names the client (sanse.access.forwarded); nobody else's.
    trusted_proxies: tuple[Network, ...] = networks(LOOPBACK)

    def role_of(self, identities: list[str]) -> tuple[Role, str | None] | None:
        """(role, town code) for the first list that names one of `identities`; admins first."""
        identities = [i for i in identities if i and i.strip()]
        if not identities:
            return None
        if _listed(self.admins, identities):
            return "admin", None
        for code, members in self.towns:
            if _listed(members, identities):
                return "town", code
        if "*" in self.viewers or _listed(self.viewers, identities):
            return "viewer", None
        return None


def access_settings(settings: Settings, towns: list[Town] | None = None) -> AccessSettings:
    """Read `[access]` (kept in `Settings.extra`) and `campaign.anonymous_read`.

    ```toml
    [access]
    admins = ["zhang@ajb.example.cn"]
    viewers = ["@ajb.example.cn"]        # or ["*"]: any signed-in identity may read
    session_hours = 10                   # signing in lasts this long in a browser
    trusted_proxies = ["127.0.0.1", "::1"]   # the balancers (default: this machine's HAProxy)
    [access.towns]
    T01 = ["li@yunxiu.example.cn"]       # code, name or alias when `towns` is given
    ```
    """
    raw = settings.extra.get("access", {}) or {}
    if not isinstance(raw, dict):
        raise ConfigError("rules.toml 的 [access] 应为一个表")
    lookup = town_lookup(towns) if towns else None
    town_entries = []
    for spelling, members in (raw.get("towns", {}) or {}).items():
        code = str(spelling)
        if lookup is not None:
            town = lookup.get(normalize_spelling(code))
            if town is None:
                raise ConfigError(f"rules.toml [access.towns] 中的“{code}”不是 towns.csv 里的镇街")
            code = town.code
        town_entries.append((code, _identities(members, f"[access.towns] {spelling}", anyone=False)))
    return AccessSettings(
        admins=_identities(raw.get("admins", []), "[access] admins", anyone=False),
        viewers=_identities(raw.get("viewers", []), "[access] viewers", anyone=True),
        towns=tuple(town_entries),
        anonymous_read=settings.campaign.anonymous_read,
        session_hours=_session_hours(raw.get("session_hours", DEFAULT_SESSION_HOURS)),
        trusted_proxies=_trusted_proxies(raw.get("trusted_proxies", LOOPBACK)),
    )


def _trusted_proxies(value) -> tuple[Network, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError('rules.toml [access] trusted_proxies 应为地址列表，例如 ["127.0.0.1", "10.0.0.0/24"]')
    try:
        return networks(value)
    except ValueError as exc:
        raise ConfigError(f"rules.toml [access] trusted_proxies 中的“{exc}”不是网络地址或网段") from None


def _session_hours(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_SESSION_HOURS:
        raise ConfigError(f"rules.toml [access] session_hours 应为 0 到 {MAX_SESSION_HOURS:g} 之间的小时数，例如 10")
    return float(value)


def _identities(value, where: str, *, anyone: bool) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError(f'rules.toml {where} 应为字符串列表，例如 ["a@example.cn"]')
    members = tuple(str(v).strip().casefold() for v in value if str(v).strip())
    if "*" in members and not anyone:
        raise ConfigError(f"rules.toml {where} 不能写“*”：只有 viewers 可以对所有登录用户开放")
    return members


def _listed(members: tuple[str, ...], identities: list[str]) -> bool:
    for identity in identities:
        identity = identity.strip().casefold()
        if not identity:
            continue
        for member in members:
            if member == identity:
                return True
            if member.startswith("@") and "@" in identity and identity.endswith(member):
                return True
    return False
