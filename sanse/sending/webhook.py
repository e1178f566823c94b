"""A generic JSON webhook for OA and 政务钉钉 integrations: the message's kind, title, text
and data, signed `X-Sanse-Signature: sha256=<HMAC-SHA256 of the body>` when it has a secret."""

from __future__ import annotations

import hashlib
import hmac

from sanse.sending.channels import Channel
from sanse.sending.delivery import DeliveryFailed, Outgoing, dumps, post_json

LIMIT_BYTES = 60_000
MARKDOWN = True
SIGNATURE_HEADER = "X-Sanse-Signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(channel: Channel, message: Outgoing) -> None:
    body = dumps({"kind": message.kind, "title": message.title, "text": message.text, "data": message.data})
    secret = channel.secret()
    reply = post_json(channel.address(), body, {SIGNATURE_HEADER: signature(secret, body)} if secret else {})
    if reply.get("ok") is False:
        raise DeliveryFailed(f"对方拒收：{str(reply.get('error', ''))[:200]}")
