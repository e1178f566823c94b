"""DingTalk custom robot: a markdown message, signed (加签) when the channel has a secret;
a 催报 @-mentions the channel's `at_mobiles`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse

from sanse.sending.channels import Channel
from sanse.sending.delivery import Outgoing, dumps, post_json, robot_reply

LIMIT_BYTES = 4000  # DingTalk takes markdown of a few kB
MARKDOWN = True


def sign(secret: str, timestamp_ms: int) -> str:
    """URL-encoded base64 of HMAC-SHA256(key = secret, message = timestamp + "\\n" + secret)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    timestamp_ms = timestamp_ms or int(time.time() * 1000)
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


def deliver(channel: Channel, message: Outgoing) -> None:
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": message.title, "text": f"### {message.title}\n\n{message.text}"},
    }
    if message.kind == "remind" and channel.at_mobiles:
        payload["at"] = {"atMobiles": list(channel.at_mobiles), "isAtAll": False}
    robot_reply(post_json(signed_url(channel.address(), channel.secret()), dumps(payload)))
