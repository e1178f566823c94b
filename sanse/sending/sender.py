"""The sender (`sanse notify`): delivers what is due in the outbox, once per channel, keeping
each robot under its pace, and records every attempt.

Senders claim before they send. A claim locks the channels it takes messages of (PostgreSQL:
`FOR UPDATE SKIP LOCKED`, so a second sender takes other channels meanwhile; SQLite: one
writer at a time) and marks the messages with its token by a conditional UPDATE; a result is
recorded only by the holder of the claim. A sender killed between a robot's reply and its
record leaves that one message claimed: after the lease another sender delivers it again.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns
from sanse.facts import clock
from sanse.facts.clock import BEIJING
from sanse.sending.attachments import attachments_of
from sanse.sending.channels import Channels, ChannelsError, check_environment, read_channels, redact
from sanse.sending.claims import Claimed, any_message, claim, claimable, mark
from sanse.sending.delivery import DeliveryFailed, Outgoing
from sanse.sending.kinds import KINDS
from sanse.sending.messages import test_message
from sanse.sending.notices import queue_due
from sanse.sending.queue import queue
from sanse.store import schema

RATE_ENV = "SANSE_ROBOT_RATE"  # messages a robot takes per minute (default 20)
DEFAULT_RATE = 20
PACE_WINDOW = timedelta(seconds=60)
LEASE = timedelta(minutes=5)  # a claim older than this belongs to a sender that stopped
FIRST_BACKOFF = timedelta(seconds=30)
LONGEST_BACKOFF = timedelta(hours=1)
HEARTBEAT_EVERY = 5.0  # seconds
NOTICES_EVERY = 20.0  # seconds between looks for due 催报 and 逾期 notices in --watch
RUNNING_WITHIN = timedelta(seconds=30)  # a heartbeat older than this: the sender is not running
WORKERS = 16  # channels delivered to at once
log = logging.getLogger(__name__)


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    expired: int = 0
    dropped: int = 0
    waited: float = 0.0  # seconds spent waiting for a robot's pace
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # channel, title, why

    @property
    def ok(self) -> bool:
        return self.failed == 0


def robot_rate() -> int:
    text = os.environ.get(RATE_ENV, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_RATE


def utcnow() -> datetime:
    return clock.now_utc()


class Sender:
    """One sender process (or thread): `run_once` for `notify`, `watch` for `notify --watch`."""

    def __init__(
        self,
        home: Home,
        channels: Channels | None = None,
        *,
        rate: int | None = None,
        window: timedelta = PACE_WINDOW,
        lease: timedelta = LEASE,
        workers: int = WORKERS,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.home = home
        self.channels = channels if channels is not None else load_channels(home)
        self.rate = rate or robot_rate()
        self.window, self.lease, self.workers = window, lease, workers
        self.now, self.sleep = now, sleep
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:64]
        self.outcome = Outcome()
        self._lock = threading.Lock()

    # ------------------------------------------------------------ one run

    def run_once(self, *, retry: bool = False, wait_for_pace: bool = True, only: set[int] | None = None) -> Outcome:
        """Queue what has fallen due, then deliver everything due (waiting for a robot's pace
        when it must); failures stay queued with back-off."""
        self.outcome = Outcome()
        if only is None:
            queue_due(self.home, self.channels, self.now())
        self._expire_and_drop()
        if retry:
            self._retry_now()
        while True:
            claimed, wait = self._claim(only)
            if claimed:
                self._deliver_all(claimed)
                continue
            if wait is None or not wait_for_pace:
                return self.outcome
            self.outcome.waited += wait
            self.sleep(wait)

    def due(self) -> list[dict]:
        """What `run_once` would send now (for --dry-run): nothing is claimed or changed."""
        outbox = schema.outbox
        with self.home.store.reading() as conn:
            rows = conn.execute(
                sa.select(outbox.c.id, outbox.c.channel, outbox.c.title)
                .where(claimable(self.now()))
                .order_by(outbox.c.id)
            ).all()
        return [row._asdict() for row in rows]

    # ------------------------------------------------------------ claiming

    def _claim(self, only: set[int] | None) -> tuple[list[Claimed], float | None]:
        """Claim due messages (see sanse.sending.claims): (claimed rows, seconds until a paced
        channel may take another; None when nothing waits on pace)."""
        claimed, wait, dropped = claim(
            self.home, self.name, self.now(), rate=self.rate, window=self.window, lease=self.lease, only=only
        )
        self.outcome.dropped += dropped
        return claimed, wait

    # ------------------------------------------------------------ delivering

    def _deliver_all(self, rows) -> None:
        by_channel: dict[str, list] = {}
        for row in rows:
            by_channel.setdefault(row.channel, []).append(row)
        if len(by_channel) == 1:
            self._deliver_channel(next(iter(by_channel.values())))
            return
        with ThreadPoolExecutor(min(self.workers, len(by_channel))) as pool:
            list(pool.map(self._deliver_channel, by_channel.values()))

    def _deliver_channel(self, rows) -> None:
        for row in rows:  # in order: the parts of a long message arrive as numbered
            self._deliver(row)

    def _deliver(self, row) -> None:
        channel = self.channels.by_name.get(row.channel)
        try:
            if channel is None:
                raise DeliveryFailed("渠道已不在 channels.toml 中")
            outgoing = Outgoing(
                row.kind, row.title, row.text, json.loads(row.data), self._attachments(row, channel.kind)
            )
            KINDS[channel.kind].deliver(channel, outgoing)
        except DeliveryFailed as exc:
            self._failed(row, redact(str(exc), self.channels))
        except Exception as exc:  # a fault of ours must not stop the other channels
            log.error("delivery %s to %s failed: %s", row.id, row.channel, redact(repr(exc), self.channels))
            self._failed(row, f"发送出错：{type(exc).__name__}")
        else:
            self._sent(row)

    def _attachments(self, row, kind: str) -> tuple[tuple[str, str, bytes], ...]:
        if kind != "email":
            return ()
        return attachments_of(self.home, row.kind, json.loads(row.data))

    def _sent(self, row) -> None:
        outbox, attempts = schema.outbox, schema.outbox_attempts
        now = self.now()
        with self.home.store.writing() as conn:
            conn.execute(
                sa.update(outbox)
                .where(outbox.c.id == row.id, outbox.c.claim == row.claim)
                .values(status="sent", sent_at=now, claim=None, lease_until=None, tries=outbox.c.tries + 1, error="")
            )
            conn.execute(
                sa.update(attempts).where(attempts.c.seq == row.attempt).values(finished_at=now, result="sent")
            )
        with self._lock:
            self.outcome.sent += 1

    def _failed(self, row, error: str) -> None:
        outbox, attempts = schema.outbox, schema.outbox_attempts
        now = self.now()
        backoff = min(FIRST_BACKOFF * 2**row.tries, LONGEST_BACKOFF)
        with self.home.store.writing() as conn:
            conn.execute(
                sa.update(outbox)
                .where(outbox.c.id == row.id, outbox.c.claim == row.claim)
                .values(
                    status="queued",
                    claim=None,
                    lease_until=None,
                    tries=outbox.c.tries + 1,
                    next_try_at=now + backoff,
                    error=error,
                )
            )
            conn.execute(
                sa.update(attempts)
                .where(attempts.c.seq == row.attempt)
                .values(finished_at=now, result="failed", detail=error)
            )
        log.warning("delivery to %s failed (%s): %s", row.channel, row.title, error)
        with self._lock:
            self.outcome.failed += 1
            self.outcome.failures.append((row.channel, row.title, error))

    # ------------------------------------------------------------ housekeeping

    def _expire_and_drop(self) -> None:
        """Messages past their time (24 h, or a reminder's deadline) fail for good, logged."""
        outbox = schema.outbox
        now = self.now()
        if not any_message(self.home, sa.and_(outbox.c.status.in_(("queued", "sending")), outbox.c.expires_at <= now)):
            return
        with self.home.store.writing() as conn:
            expired = conn.execute(
                sa.select(outbox.c.id, outbox.c.channel, outbox.c.title, outbox.c.kind).where(
                    outbox.c.status.in_(("queued", "sending")), outbox.c.expires_at <= now
                )
            ).all()
            for row in expired:
                reason = "截止时间已过，催报不再发送" if row.kind == "remind" else "24 小时内未能送达，已过期"
                mark(conn, {row.id}, status="failed", error=reason)
                log.warning("message to %s expired: %s (%s)", row.channel, row.title, reason)
        self.outcome.expired += len(expired)

    def _retry_now(self) -> None:
        outbox = schema.outbox
        with self.home.store.writing() as conn:
            conn.execute(sa.update(outbox).where(outbox.c.status == "queued").values(next_try_at=self.now()))

    # ------------------------------------------------------------ --watch

    def watch(self, stop: threading.Event, *, poll: float = 1.0) -> None:
        """Deliver what falls due until `stop` is set: the outbox every `poll` seconds, due
        reminders and overdue notices every NOTICES_EVERY, a heartbeat every HEARTBEAT_EVERY."""
        started = self.now()
        last_beat = last_notices = 0.0
        while not stop.is_set():
            clock_now = time.monotonic()
            if clock_now - last_beat >= HEARTBEAT_EVERY:
                self._heartbeat(started)
                last_beat = clock_now
            try:
                if clock_now - last_notices >= NOTICES_EVERY:
                    queue_due(self.home, self.channels, self.now())
                    last_notices = clock_now
                self._expire_and_drop()
                while True:
                    claimed, _ = self._claim(None)
                    if not claimed or stop.is_set():
                        break
                    self._deliver_all(claimed)
            except Exception:  # the store away for a moment: try again at the next poll
                log.exception("sender round failed")
            stop.wait(poll)
        self._heartbeat(started, leaving=True)

    def _heartbeat(self, started: datetime, *, leaving: bool = False) -> None:
        beats = schema.sender_heartbeats
        with self.home.store.writing() as conn:
            conn.execute(sa.delete(beats).where(beats.c.sender == self.name))
            if not leaving:
                conn.execute(sa.insert(beats).values(sender=self.name, started_at=started, seen_at=self.now()))


def load_channels(home: Home) -> Channels:
    """channels.toml with every variable it names set; ChannelsError (exit 2) otherwise."""
    channels = read_channels(home.root, read_towns(home.towns_csv))
    check_environment(channels)
    return channels


def sender_running(home: Home, now: datetime | None = None) -> bool:
    """Whether a `notify --watch` has beaten its heart lately."""
    beats = schema.sender_heartbeats
    now = now or utcnow()
    with home.store.reading() as conn:
        latest = conn.execute(sa.select(sa.func.max(beats.c.seen_at))).scalar_one_or_none()
    if latest is None:
        return False
    if latest.tzinfo is None:
        latest = latest.replace(tzinfo=UTC)
    return now - latest < RUNNING_WITHIN


def send_test(home: Home, name: str, *, by: str) -> str:
    """Queue a test message to channel `name` and deliver it now: "" when it arrived, else why not."""
    channels = read_channels(home.root, read_towns(home.towns_csv))
    channel = channels.by_name.get(name)
    if channel is None:
        return f"channels.toml 中没有渠道“{name}”"
    try:
        check_environment(Channels(channels.public_url, (channel,)))
    except ChannelsError as exc:
        return str(exc)
    now = utcnow()
    message = test_message(name, now.astimezone(BEIJING), by)
    with home.store.writing() as conn:
        queue(conn, [(channel, message)], now=now)
        outbox = schema.outbox
        message_id = conn.execute(
            sa.select(outbox.c.id).where(outbox.c.channel == name, outbox.c.key == message.key)
        ).scalar_one()
    sender = Sender(home, channels)
    outcome = sender.run_once(only={message_id}, wait_for_pace=False)
    if outcome.sent:
        return ""
    return outcome.failures[0][2] if outcome.failures else "该渠道本分钟发送已达上限，稍后由发送进程送出"
