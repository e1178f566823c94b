"""What every channel kind shares: the message as a channel receives it, the one way a
delivery fails, and a JSON POST to a robot or webhook (loopback http:// allowed)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field

TIMEOUT_SECONDS = 10


class DeliveryFailed(RuntimeError):
    """The service refused or could not be reached; the message names no secret."""


@dataclass(frozen=True)
class Outgoing:
    kind: str
    title: str
    text: str
    data: dict = field(default_factory=dict)
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (file name, MIME type, content)


def post_json(url: str, body: bytes, headers: dict[str, str] | None = None) -> dict:
    """POST `body` (JSON) and return the JSON reply ({} when the reply is not JSON)."""
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            reply = response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}") from None
    except ValueError:  # a malformed address: its text may hold the token, so it is not repeated
        raise DeliveryFailed("机器人地址格式不正确") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryFailed(f"无法连接：{type(reason).__name__}") from None
    try:
        return json.loads(reply or b"{}")
    except ValueError:
        return {}


def robot_reply(reply: dict) -> None:
    """DingTalk and WeCom answer HTTP 200 with an `errcode`: anything but 0 is a failure."""
    code = reply.get("errcode", 0)
    if code != 0:
        raise DeliveryFailed(f"errcode {code}：{str(reply.get('errmsg', ''))[:200]}")


def dumps(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")
