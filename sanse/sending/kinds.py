"""The channel kinds, registered in one place: a new kind is one module and one line here."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import NamedTuple

from sanse.sending import dingtalk, email, webhook, wecom
from sanse.sending.channels import Channel
from sanse.sending.delivery import Outgoing


class Kind(NamedTuple):
    deliver: Callable[[Channel, Outgoing], None]
    limit_bytes: int  # the longest text (with its title) the service takes in one message
    markdown: bool  # names are escaped for Markdown


def _kind(module: ModuleType) -> Kind:
    return Kind(module.deliver, module.LIMIT_BYTES, module.MARKDOWN)


KINDS: dict[str, Kind] = {
    "dingtalk": _kind(dingtalk),
    "wecom": _kind(wecom),
    "email": _kind(email),
    "webhook": _kind(webhook),
}
