"""The send log (`notify log`, the 发送记录 section): every attempt, newest first, and the
messages that expired or were dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from sanse.deployment.home import Home
from sanse.facts import clock
from sanse.sending.queue import LIFETIME
from sanse.store import schema

RESULT_LABELS = {"sent": "已送达", "failed": "失败", None: "发送中断"}
STATUS_LABELS = {"queued": "排队中", "sending": "发送中", "sent": "已送达", "failed": "已过期", "dropped": "已取消"}
SHOWN = 200


@dataclass(frozen=True)
class Entry:
    at: datetime
    channel: str
    title: str
    result: str  # 已送达, 失败, 发送中断, 已过期, 已取消
    detail: str
    message_id: int
    status: str  # the message's own state now

    @property
    def line(self) -> str:
        detail = f"\t{self.detail}" if self.detail else ""
        return f"{clock.stamp(self.at)}\t{self.channel}\t{self.title}\t{self.result}{detail}"


def entries(home: Home, *, failed_only: bool = False, limit: int = SHOWN) -> list[Entry]:
    outbox, attempts = schema.outbox, schema.outbox_attempts
    tried = (
        sa.select(attempts.c.started_at, attempts.c.channel, outbox.c.title, attempts.c.result, attempts.c.detail)
        .add_columns(outbox.c.id, outbox.c.status)
        .join(outbox, outbox.c.id == attempts.c.message_id)
        .order_by(attempts.c.seq.desc())
        .limit(limit)
    )
    if failed_only:
        tried = tried.where(attempts.c.result == "failed")
    ended = (
        sa.select(outbox.c.created_at, outbox.c.channel, outbox.c.title, outbox.c.status, outbox.c.error, outbox.c.id)
        .where(outbox.c.status.in_(("failed",) if failed_only else ("failed", "dropped")))
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    with home.store.reading() as conn:
        found = [
            Entry(r.started_at, r.channel, r.title, RESULT_LABELS.get(r.result, "失败"), r.detail, r.id, r.status)
            for r in conn.execute(tried)
        ]
        found += [
            Entry(r.created_at, r.channel, r.title, STATUS_LABELS[r.status], r.error, r.id, r.status)
            for r in conn.execute(ended)
        ]
    return sorted(found, key=lambda e: e.at, reverse=True)[:limit]


def delivery_log(home: Home, *, failed_only: bool = False) -> list[str]:
    return [entry.line for entry in entries(home, failed_only=failed_only)]


def retry(home: Home, message_id: int) -> bool:
    """Send a failed or expired message again at the next round (a fresh 24 h); False when it
    is not waiting or failed."""
    outbox = schema.outbox
    now = clock.now()
    with home.store.writing() as conn:
        return bool(
            conn.execute(
                sa.update(outbox)
                .where(outbox.c.id == message_id, outbox.c.status.in_(("queued", "failed")))
                .values(status="queued", next_try_at=now, expires_at=now + LIFETIME)
            ).rowcount
        )
