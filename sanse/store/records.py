"""Record-level data as received (SPEC 3.2), in the store: one batch per import holding only
the records that were new or changed, as zstd Parquet parts; never changed in place.

The newest version of a record is the one in the latest batch that holds its id. Everything
else about records (which ids exist, the records of a town-day) is derived from the batches
by each server (pipelines/record_index.py), which reads a batch once, in seq order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.store import schema
from sanse.store.database import Store

TURN = "records"  # importers of records take turns: a batch is checked against every batch before it


@dataclass(frozen=True)
class Batch:
    seq: int
    received_at: datetime
    parts: tuple[tuple[str, int, int], ...] = ()  # (table, part, rows) in the order to read them


@dataclass(frozen=True)
class Part:
    table: str
    rows: int
    content: bytes  # one zstd Parquet file


def last_batch(conn: Connection) -> Batch | None:
    """The newest batch (None before the first)."""
    row = conn.execute(
        sa.select(schema.record_batches.c.seq, schema.record_batches.c.received_at)
        .order_by(schema.record_batches.c.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else Batch(row.seq, row.received_at)


def batch_received_at(store: Store, seq: int) -> datetime | None:
    with store.reading() as conn:
        return conn.execute(
            sa.select(schema.record_batches.c.received_at).where(schema.record_batches.c.seq == seq)
        ).scalar_one_or_none()


def write_batch(
    conn: Connection,
    parts: Iterable[Part],
    *,
    by: str,
    source_name: str,
    source_sha256: str,
    new: int,
    changed: int,
    unchanged: int,
    submission_seq: int | None,
) -> Batch:
    """Store one batch inside the caller's transaction (which holds the turn TURN)."""
    now = datetime.now(UTC)
    seq = conn.execute(
        sa.insert(schema.record_batches).values(
            received_at=now,
            received_by=by,
            source_name=source_name,
            source_sha256=source_sha256,
            submission_seq=submission_seq,
            new_records=new,
            changed_records=changed,
            unchanged_records=unchanged,
        )
    ).inserted_primary_key[0]
    numbered: dict[str, int] = {}
    listed = []
    for part in parts:
        number = numbered.get(part.table, 0)
        numbered[part.table] = number + 1
        # one part a statement: a part is up to tens of MB, and a list of them would all be in memory at once
        conn.execute(
            sa.insert(schema.record_parts).values(
                batch_seq=seq,
                table_name=part.table,
                part=number,
                rows=part.rows,
                content=part.content,
            )
        )
        listed.append((part.table, number, part.rows))
    return Batch(seq, now, tuple(listed))


def batches_after(store: Store, seq: int) -> list[Batch]:
    """The batches newer than `seq`, oldest first, with their parts listed (not read)."""
    batches, parts = schema.record_batches, schema.record_parts
    with store.reading() as conn:
        found = conn.execute(
            sa.select(batches.c.seq, batches.c.received_at).where(batches.c.seq > seq).order_by(batches.c.seq)
        ).all()
        listed = conn.execute(
            sa.select(parts.c.batch_seq, parts.c.table_name, parts.c.part, parts.c.rows)
            .where(parts.c.batch_seq > seq)
            .order_by(parts.c.batch_seq, parts.c.table_name, parts.c.part)
        ).all()
    by_batch: dict[int, list[tuple[str, int, int]]] = {}
    for row in listed:
        by_batch.setdefault(row.batch_seq, []).append((row.table_name, row.part, row.rows))
    return [Batch(row.seq, row.received_at, tuple(by_batch.get(row.seq, ()))) for row in found]


def read_part(store: Store, batch_seq: int, table: str, part: int) -> bytes:
    """One part of a batch, as stored."""
    parts = schema.record_parts
    with store.reading() as conn:
        return conn.execute(
            sa.select(parts.c.content).where(
                parts.c.batch_seq == batch_seq, parts.c.table_name == table, parts.c.part == part
            )
        ).scalar_one()
