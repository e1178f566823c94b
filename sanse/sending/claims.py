"""Claiming the outbox's due messages for one sender. A claim locks the channels it takes
messages of (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so a second sender takes other channels
meanwhile; SQLite: one writer at a time) and marks the messages with its token by a conditional
UPDATE; a channel at its robot's pace waits, a reminder in the quiet hours waits, and a reminder
whose towns have all reported since is dropped. A claim older than its lease belongs to a
sender that stopped: its messages are due again."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from sanse.deployment.home import Home
from sanse.ranking.rulebook import settings_in_force
from sanse.reporting.status import reporting_settings
from sanse.store import schema
from sanse.store.sent import sent_on

CLAIM_ROWS = 500  # due messages looked at per claim
PER_CHANNEL = 5  # messages of one channel claimed at once (sent in order)


@dataclass(frozen=True)
class Claimed:
    """A message this sender holds, and the attempt it is making."""

    row: sa.Row
    attempt: int

    def __getattr__(self, name: str):
        return getattr(self.row, name)


def claimable(now: datetime):
    """A message is due: queued and its time has come, or held by a sender whose lease ran out."""
    outbox = schema.outbox
    return sa.or_(
        sa.and_(outbox.c.status == "queued", outbox.c.next_try_at <= now),
        sa.and_(outbox.c.status == "sending", outbox.c.lease_until < now),
    )


def claim(
    home: Home, sender: str, now: datetime, *, rate: int, window: timedelta, lease: timedelta, only: set[int] | None
) -> tuple[list[Claimed], float | None, int]:
    """Claim due messages of channels not at their pace for `sender`: (claimed rows, seconds
    until a paced channel may take another (None when nothing waits on pace), reminders dropped
    because their towns have reported)."""
    outbox, attempts, channels = schema.outbox, schema.outbox_attempts, schema.outbox_channels
    if not any_message(home, sa.and_(claimable(now), outbox.c.expires_at > now), only):
        return [], None, 0  # an idle sender only reads: it never keeps a writer waiting
    with home.store.writing() as conn:
        query = sa.select(outbox.c.id, outbox.c.channel, outbox.c.kind, outbox.c.town_code, outbox.c.data)
        query = query.where(claimable(now), outbox.c.expires_at > now)
        if only is not None:
            query = query.where(outbox.c.id.in_(only))
        due = conn.execute(
            query.order_by(outbox.c.id).limit(CLAIM_ROWS).with_for_update(skip_locked=True, of=outbox)
        ).all()
        if not due:
            return [], None, 0
        names = sorted({row.channel for row in due})
        free = set(
            conn.execute(
                sa.select(channels.c.name).where(channels.c.name.in_(names)).with_for_update(skip_locked=True)
            ).scalars()
        )
        since = now - window
        recent = dict(
            conn.execute(
                sa.select(attempts.c.channel, sa.func.count())
                .where(attempts.c.channel.in_(free), attempts.c.started_at > since)
                .group_by(attempts.c.channel)
            ).all()
        )
        quiet = _quiet(home, now)
        taken, wait_for = [], []
        room = {name: min(rate - recent.get(name, 0), PER_CHANNEL) for name in free}
        for row in due:
            if row.channel not in free or (row.kind == "remind" and quiet):
                continue
            if room[row.channel] <= 0:
                wait_for.append(row.channel)
                continue
            room[row.channel] -= 1
            taken.append(row)
        wait = _pace_wait(conn, set(wait_for), now, window) if wait_for and not taken else None
        if not taken:
            return [], wait, 0
        dropped = _reported_reminders(conn, taken)
        if dropped:
            mark(conn, dropped, status="dropped", error="镇街已报送，催报取消")
            taken = [row for row in taken if row.id not in dropped]
        token = uuid.uuid4().hex
        ids = [row.id for row in taken]
        claimed = conn.execute(
            sa.update(outbox)
            .where(outbox.c.id.in_(ids), claimable(now))
            .values(status="sending", claim=token, lease_until=now + lease)
        ).rowcount
        if claimed != len(ids):  # another sender took some since they were read: keep only ours
            ids = list(conn.execute(sa.select(outbox.c.id).where(outbox.c.claim == token)).scalars())
        if not ids:
            return [], None, len(dropped)
        started = {}
        for row in taken:
            if row.id in ids:
                attempt = sa.insert(attempts).values(
                    message_id=row.id, channel=row.channel, sender=sender, started_at=now
                )
                started[row.id] = conn.execute(attempt).inserted_primary_key[0]
        rows = conn.execute(sa.select(outbox).where(outbox.c.claim == token).order_by(outbox.c.id)).all()
    return [Claimed(row, started[row.id]) for row in rows], None, len(dropped)


def any_message(home: Home, condition, only: set[int] | None = None) -> bool:
    """Whether a message meets `condition` (among `only`), read without taking the writer."""
    outbox = schema.outbox
    query = sa.select(outbox.c.id).where(condition)
    if only is not None:
        query = query.where(outbox.c.id.in_(only))
    with home.store.reading() as conn:
        return conn.execute(query.limit(1)).first() is not None


def _pace_wait(conn, names: set[str], now: datetime, window: timedelta) -> float:
    """Seconds until the first of `names` may take another message."""
    attempts = schema.outbox_attempts
    oldest = conn.execute(
        sa.select(attempts.c.channel, sa.func.min(attempts.c.started_at))
        .where(attempts.c.channel.in_(names), attempts.c.started_at > now - window)
        .group_by(attempts.c.channel)
    ).all()
    if not oldest:
        return 0.0
    first = min(at for _, at in oldest)
    return max((first + window - now).total_seconds(), 0.0) + 0.01


def _quiet(home: Home, now: datetime) -> bool:
    return reporting_settings(settings_in_force(home)).quiet(now)


def _reported_reminders(conn, rows) -> set[int]:
    """The reminders among `rows` whose towns have all reported since (a report, or the
    counts of a batch of records): dropped."""
    dropped = set()
    for row in rows:
        if row.kind != "remind":
            continue
        data = json.loads(row.data)
        codes = {t["code"] for t in data.get("towns", [])}
        day = datetime.fromisoformat(data["day"]).date()
        if codes and codes <= {sent.town_code for sent in sent_on(conn, day, sorted(codes))}:
            dropped.add(row.id)
    return dropped


def mark(conn, ids: set[int], *, status: str, error: str) -> None:
    """Give messages a final status (failed, dropped) and release any claim on them."""
    outbox = schema.outbox
    conn.execute(
        sa.update(outbox).where(outbox.c.id.in_(ids)).values(status=status, error=error, claim=None, lease_until=None)
    )
