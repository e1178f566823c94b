"""Queuing messages in the outbox, inside the transaction of what caused them: a message for a
channel is split to the channel's size limit and stored once per channel (queuing it again,
as two senders may, changes nothing)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sanse.deployment.towns import Town, read_towns
from sanse.facts import clock
from sanse.sending.channels import Channel, Channels, ChannelsError, read_channels
from sanse.sending.kinds import KINDS
from sanse.sending.messages import Escape, Message, as_written, item_message, items_digest, markdown_escape, split
from sanse.store import schema

LIFETIME = timedelta(hours=24)  # a message not delivered by then expires
log = logging.getLogger(__name__)


def configured(root: Path, towns: list[Town] | None = None) -> Channels:
    """The channels configured now; none when channels.toml is malformed (logged: `notify`
    says what is wrong, and what caused the message is not held up by it)."""
    try:
        return read_channels(root, towns if towns is not None else read_towns(Path(root) / "towns.csv"))
    except ChannelsError as exc:
        log.warning("channels.toml cannot be used, nothing queued: %s", exc)
        return Channels()


def escape_for(channel: Channel) -> Escape:
    return markdown_escape if KINDS[channel.kind].markdown else as_written


def rendered(channels: list[Channel], render: Callable[[Escape], Message]) -> Iterable[tuple[Channel, Message]]:
    """`render` once for Markdown channels and once for plain ones, paired with each channel."""
    made: dict[bool, Message] = {}
    for channel in channels:
        markdown = KINDS[channel.kind].markdown
        if markdown not in made:
            made[markdown] = render(escape_for(channel))
        yield channel, made[markdown]


def queue(
    conn: Connection,
    deliveries: Iterable[tuple[Channel, Message]],
    *,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> int:
    """Store each (channel, message) in the outbox, split to the channel's limit. Returns the
    number of rows offered (those already queued for their channel are left as they are)."""
    now = now or clock.now_utc()
    expires_at = expires_at or now + LIFETIME
    rows, kinds = [], {}
    for channel, message in deliveries:
        kinds[channel.name] = channel.kind
        for part in split(message, KINDS[channel.kind].limit_bytes):
            rows.append(
                {
                    "channel": channel.name,
                    "key": part.key,
                    "kind": part.kind,
                    "title": part.title,
                    "text": part.text,
                    "data": json.dumps(part.data, ensure_ascii=False, default=str),
                    "town_code": part.town_code,
                    "created_at": now,
                    "expires_at": expires_at,
                    "status": "queued",
                    "tries": 0,
                    "next_try_at": now,
                    "error": "",
                }
            )
    if rows:
        _insert_new(conn, schema.outbox_channels, [{"name": n, "kind": k} for n, k in kinds.items()])
        _insert_new(conn, schema.outbox, rows)
    return len(rows)


def _insert_new(conn: Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert the rows whose key is not taken yet (one statement, on either database)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


def queue_new_items(conn: Connection, root: Path, items: list[dict], digest_key: str) -> int:
    """New 督办 items ({id, code, town, measure, reason, deadline}): each to its town's channels,
    and to office channels as one digest."""
    if not items:
        return 0
    channels = configured(root)
    public = channels.public_url
    deliveries = []
    for item in items:
        wanting = channels.wanting("items", item["code"])
        deliveries += rendered(wanting, lambda esc, item=item: item_message(item, public, esc))
    office = channels.office("items")
    deliveries += rendered(office, lambda esc: items_digest(items, f"items:{digest_key}", public, esc))
    return queue(conn, deliveries)
