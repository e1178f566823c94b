"""`HOME/channels.toml` (design §12): where messages go. Each channel has a unique name (its
identity in the store), a kind, what it is sent, and for a town's or a group's work group
which towns it speaks for. Secrets and robot URLs may come from environment variables
(`secret_env`, `url_env`); they are read when a message is sent and never shown."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sanse.deployment.errors import ConfigError
from sanse.deployment.towns import Town, normalize_spelling, town_lookup

FILE = "channels.toml"
CHANNEL_KINDS = ("dingtalk", "wecom", "email", "webhook")
MESSAGE_KINDS = ("bulletin", "town", "items", "overdue", "remind")
OFFICE_SENDS = ("bulletin", "items", "overdue", "remind")
TOWN_SENDS = ("town", "items", "overdue", "remind")
SMTP_HOST_ENV = "SANSE_SMTP_HOST"
KEYS = {"name", "kind", "url", "url_env", "secret_env", "sends", "town", "group", "to", "at_mobiles"}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(r"(access_token|key|token|sign|secret)=[^&\s]+", re.IGNORECASE)


class ChannelsError(ConfigError):
    """A channels.toml that cannot be used, or a variable it names that is not set; the
    message is for the user and names no secret."""


@dataclass(frozen=True)
class Channel:
    name: str
    kind: str
    sends: tuple[str, ...]
    towns: frozenset[str] = frozenset()  # town codes a town's or group's channel speaks for
    scope: str = ""  # the town or group as written, shown in the send log
    url: str = ""
    url_env: str = ""
    secret_env: str = ""
    to: tuple[str, ...] = ()
    at_mobiles: tuple[str, ...] = ()

    @property
    def office(self) -> bool:
        """An office channel: not a town's or a group's."""
        return not self.scope

    def wants(self, kind: str, town_code: str | None = None) -> bool:
        """Whether this channel is sent messages of `kind` (about `town_code`, for town messages)."""
        if kind not in self.sends:
            return False
        if town_code is None:
            return True
        return not self.office and town_code in self.towns

    def address(self) -> str:
        """The robot's or webhook's URL, from the file or its variable (it carries the token)."""
        return os.environ.get(self.url_env, "").strip() if self.url_env else self.url

    def secret(self) -> str:
        return os.environ.get(self.secret_env, "").strip() if self.secret_env else ""

    def secrets(self) -> tuple[str, ...]:
        """Everything no page, log or message may show: the secret and the whole URL."""
        return tuple(s for s in (self.secret(), self.address()) if s)


@dataclass(frozen=True)
class Channels:
    public_url: str = ""
    channels: tuple[Channel, ...] = ()
    by_name: dict[str, Channel] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update({c.name: c for c in self.channels})

    def wanting(self, kind: str, town_code: str | None = None) -> list[Channel]:
        return [c for c in self.channels if c.wants(kind, town_code)]

    def office(self, kind: str) -> list[Channel]:
        return [c for c in self.channels if c.office and kind in c.sends]


def read_channels(root: Path, towns: list[Town]) -> Channels:
    """The channels of the home at `root` (none without the file); a malformed file raises
    ChannelsError. Variables are checked by `check_environment`, when sending."""
    path = Path(root) / FILE
    if not path.exists():
        return Channels()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ChannelsError(f"{FILE} 格式不正确：{exc}") from None
    return parse_channels(data, towns)


def parse_channels(data: dict, towns: list[Town]) -> Channels:
    unknown = sorted(set(data) - {"server", "channels"})
    if unknown:
        raise ChannelsError(f"{FILE}：不认识的设置 {'、'.join(unknown)}（可用 [server] 和 [[channels]]）")
    server = data.get("server", {})
    if not isinstance(server, dict) or set(server) - {"public_url"}:
        raise ChannelsError(f'{FILE} [server] 只能有 public_url，例如 public_url = "https://sanse.example.gov.cn"')
    public_url = server.get("public_url", "")
    if not isinstance(public_url, str) or (public_url and not re.match(r"https?://", public_url)):
        raise ChannelsError(f"{FILE} [server] public_url 应为以 http:// 或 https:// 开头的网址")
    raw = data.get("channels", [])
    if not isinstance(raw, list):
        raise ChannelsError(f"{FILE}：每个渠道写成一个 [[channels]] 表")
    lookup = town_lookup(towns)
    groups = {t.group for t in towns if t.group}
    channels, seen = [], set()
    for number, entry in enumerate(raw, start=1):
        channel = _channel(entry, number, lookup, groups, towns)
        if channel.name in seen:
            raise ChannelsError(f"{FILE}：渠道名称“{channel.name}”重复；每个渠道的名称必须唯一")
        seen.add(channel.name)
        channels.append(channel)
    return Channels(public_url.rstrip("/"), tuple(channels))


def _channel(entry, number: int, lookup: dict[str, Town], groups: set[str], towns: list[Town]) -> Channel:
    where = f"{FILE} 第{number}个渠道"
    if not isinstance(entry, dict):
        raise ChannelsError(f"{where}应为一个表")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ChannelsError(f"{where}：缺少名称 name")
    name = name.strip()
    where = f"{FILE} 渠道“{name}”"
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ChannelsError(f"{where}：不认识的设置 {'、'.join(unknown)}")
    kind = entry.get("kind")
    if kind not in CHANNEL_KINDS:
        raise ChannelsError(f"{where}：kind 应为 {'、'.join(CHANNEL_KINDS)} 之一")
    if "town" in entry and "group" in entry:
        raise ChannelsError(f"{where}：town 和 group 只能写一个")
    codes: frozenset[str] = frozenset()
    scope = ""
    if "town" in entry:
        town = lookup.get(normalize_spelling(str(entry["town"])))
        if town is None:
            raise ChannelsError(f"{where}：town“{entry['town']}”不是 towns.csv 里的镇街")
        codes, scope = frozenset({town.code}), town.name
    elif "group" in entry:
        group = str(entry["group"]).strip()
        if group not in groups:
            raise ChannelsError(f"{where}：group“{group}”不是 towns.csv 里的分组")
        codes, scope = frozenset(t.code for t in towns if t.group == group), group
    sends = _strings(entry.get("sends", list(TOWN_SENDS if scope else OFFICE_SENDS)), "sends", where)
    wrong = [s for s in sends if s not in MESSAGE_KINDS]
    if wrong or not sends:
        raise ChannelsError(f"{where}：sends 应从 {'、'.join(MESSAGE_KINDS)} 中选，而不是“{'、'.join(wrong)}”")
    if "town" in sends and not scope:
        raise ChannelsError(f"{where}：本镇街消息（town）只发往写了 town 或 group 的渠道")
    url, url_env, secret_env = (_text(entry, key, where) for key in ("url", "url_env", "secret_env"))
    for key, value in (("url_env", url_env), ("secret_env", secret_env)):
        if value and not _ENV_NAME.fullmatch(value):
            raise ChannelsError(f"{where}：{key} 应为一个环境变量名，例如 SANSE_DINGTALK_SECRET")
    to = _strings(entry.get("to", []), "to", where)
    if kind == "email":
        if not to or any("@" not in address for address in to):
            raise ChannelsError(f'{where}：邮件渠道的 to 应为收件地址列表，例如 to = ["leader@example.gov.cn"]')
        if url or url_env:
            raise ChannelsError(f"{where}：邮件渠道不用 url，发信服务器由 SANSE_SMTP_HOST 等环境变量设定")
    else:
        if bool(url) == bool(url_env):
            raise ChannelsError(f"{where}：url 和 url_env 写且只写一个（机器人地址或存放它的环境变量名）")
        if url and not re.match(r"https?://", url):
            raise ChannelsError(f"{where}：url 应以 http:// 或 https:// 开头")
        if to:
            raise ChannelsError(f"{where}：只有邮件渠道有收件人 to")
    mobiles = _strings(entry.get("at_mobiles", []), "at_mobiles", where)
    if mobiles and kind != "dingtalk":
        raise ChannelsError(f"{where}：at_mobiles 只用于钉钉机器人")
    if any(not m.isdigit() for m in mobiles):
        raise ChannelsError(f"{where}：at_mobiles 应为手机号码列表")
    if secret_env and kind in ("wecom", "email"):
        raise ChannelsError(f"{where}：{kind} 渠道没有 secret_env（钉钉加签或 webhook 签名才用）")
    return Channel(name, kind, tuple(sends), codes, scope, url, url_env, secret_env, tuple(to), tuple(mobiles))


def _text(entry: dict, key: str, where: str) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise ChannelsError(f"{where}：{key} 应为文字")
    return value.strip()


def _strings(value, key: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ChannelsError(f'{where}：{key} 应为文字列表，例如 {key} = ["..."]')
    return [v.strip() for v in value]


def check_environment(channels: Channels) -> None:
    """Refuse (naming the variable, never its value) a channel whose variable is not set."""
    for channel in channels.channels:
        for key in ("url_env", "secret_env"):
            variable = getattr(channel, key)
            if variable and not os.environ.get(variable, "").strip():
                raise ChannelsError(f"渠道“{channel.name}”的 {key} 指定的环境变量 {variable} 没有设置")
        if channel.kind == "email" and not os.environ.get(SMTP_HOST_ENV, "").strip():
            raise ChannelsError(f"渠道“{channel.name}”是邮件渠道，但环境变量 {SMTP_HOST_ENV} 没有设置")


def redact(text: str, channels: Channels | None = None, extra: tuple[str, ...] = ()) -> str:
    """`text` without any secret or robot URL of `channels`, and without any token in a URL."""
    hidden = [*extra]
    for channel in channels.channels if channels else ():
        hidden += channel.secrets()
    for secret in sorted(set(hidden), key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return _TOKEN.sub(lambda m: f"{m.group(1)}=***", text)
