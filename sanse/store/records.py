"""Record-level data as received (design §3.2), in the store: each import that brings new or
changed records is one batch, holding each file of the import as one object; never changed.

An object is a file as received, addressed by the SHA-256 of the bytes received, kept as zstd
Parquet in chunks of the store. It counts only once a batch lists it, and a batch is written in
the import's transaction, with the daily counts of the town-days it counts differently (one
compact table, record_counts): a killed import leaves nothing that counts. The newest version of
a record is the one in the latest batch whose objects hold its id; which ids exist and the
records of a town-day are read from the objects themselves (pipelines/records/objects.py).
The town-days the newest batches counted, with when and by whom each arrived, are read from
the end of their counts for the submission history (`counted_latest`).
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sanse.facts import clock
from sanse.facts.report import COUNT_COLUMNS
from sanse.store import schema
from sanse.store.database import Store, StoreError

TURN = "records"  # importers of records take turns: a batch is checked against every batch before it
# an object is stored in pieces of this size, one statement each, never all in memory: PostgreSQL
# stores 4 MB pieces a third faster than 16 MB ones
CHUNK_BYTES = 4 << 20
# the columns of `counted_latest`: a batch, then one town-day it counted
COUNTED = (
    "batch_seq",
    "received_at",
    "received_by",
    "source_name",
    "source_sha256",
    "date",
    "town_code",
    *COUNT_COLUMNS,
)


@dataclass(frozen=True)
class KeptObject:
    """One object as the manifest describes it."""

    key: str  # SHA-256 of the bytes received
    table: str
    received_as: str  # parquet or csv; coded: a part of revision 0004, its towns as codes
    rows: int
    size: int
    content_sha256: str  # of the bytes kept
    id_lo: int | None  # the range of its ids when all are integers
    id_hi: int | None
    first_day: date | None  # the range of the days its records count on
    last_day: date | None


@dataclass(frozen=True)
class Batch:
    seq: int
    received_at: datetime
    source_sha256: str = ""  # one SHA-256 over the files of the import
    towns: dict[str, str] | None = None  # each spelling of a town in its files -> the code
    objects: tuple[KeptObject, ...] = ()


@dataclass(frozen=True)
class BatchCounts:
    """The daily counts a batch stored: a zstd Parquet table of date, town_code and the counts,
    standing over the report versions numbered up to `after_version`."""

    batch_seq: int
    after_version: int
    content: bytes


def last_batch(conn: Connection) -> Batch | None:
    """The newest batch (None before the first)."""
    b = schema.record_batches
    row = conn.execute(sa.select(b.c.seq, b.c.received_at, b.c.source_sha256).order_by(b.c.seq.desc()).limit(1)).first()
    return None if row is None else Batch(row.seq, row.received_at, row.source_sha256)


def write_batch(
    conn: Connection,
    objects: Iterable[tuple[KeptObject, Path]],
    *,
    by: str,
    source_name: str,
    source_sha256: str,
    new: int,
    changed: int,
    unchanged: int,
    towns: dict[str, str],
    counts: tuple[bytes, int, date, date] | None = None,
    over_reports: Iterable[tuple[str, date]] = (),
) -> Batch:
    """Store one batch and its objects (each from the file holding its bytes as kept) inside the
    caller's transaction, which holds the turns TURN and "reports". With `counts`, the daily
    counts of the town-days the batch counts differently (Parquet bytes, rows, first and last
    day); they stand from now on over the current figures of the reports of `over_reports`
    (taken away; their versions stay). The objects are stored as `store_objects` stores them (one
    the store holds already, the same file received again after others changed its records, is
    listed, not stored again)."""
    now = clock.now_utc()
    seq = conn.execute(
        sa.insert(schema.record_batches).values(
            received_at=now,
            received_by=by,
            source_name=source_name,
            source_sha256=source_sha256,
            new_records=new,
            changed_records=changed,
            unchanged_records=unchanged,
            towns=json.dumps(towns, ensure_ascii=False, sort_keys=True),
        )
    ).inserted_primary_key[0]
    listed = store_objects(conn, objects)
    for kept in listed:
        conn.execute(sa.insert(schema.record_batch_objects).values(batch_seq=seq, key=kept.key))
    taken = [{"code": code, "day": day} for code, day in over_reports]
    if taken:
        current = schema.current_reports
        conn.execute(
            sa.delete(current).where(
                current.c.town_code == sa.bindparam("code"), current.c.date == sa.bindparam("day")
            ),
            taken,
        )
    if counts is not None:
        content, rows, first_day, last_day = counts
        after = newest_version(conn)
        conn.execute(
            sa.insert(schema.record_counts).values(
                batch_seq=seq, after_version=after, rows=rows, first_day=first_day, last_day=last_day, content=content
            )
        )
    return Batch(seq, now, source_sha256, towns, tuple(listed))


def store_objects(conn: Connection, objects: Iterable[tuple[KeptObject, Path]]) -> list[KeptObject]:
    """Store each object the store does not hold yet (from the file holding its bytes as kept)
    inside the caller's transaction; until a batch lists it, an object counts for nothing."""
    stored = []
    for kept, path in objects:
        if not _holds(conn, kept.key):
            conn.execute(sa.insert(schema.record_objects).values(**_row(kept)))
            with open(path, "rb") as reader:
                _write_chunks(conn, kept.key, iter(lambda: reader.read(CHUNK_BYTES), b""))
        stored.append(kept)
    return stored


def newest_version(conn: Connection) -> int:
    """The number of the newest report version (0 when there is none)."""
    versions = schema.report_versions
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(versions.c.seq), 0))).scalar_one()


def batch_counts(
    store: Store, *, after_batch: int = 0, first: date | None = None, last: date | None = None
) -> list[BatchCounts]:
    """The counts of the batches after `after_batch`, or of those that count on a day between
    `first` and `last`; oldest first."""
    b, counts = schema.record_batches, schema.record_counts
    query = (
        sa.select(counts.c.batch_seq, counts.c.after_version, b.c.received_at)
        .join(b, b.c.seq == counts.c.batch_seq)
        .order_by(counts.c.batch_seq)
    )
    if after_batch:
        query = query.where(counts.c.batch_seq > after_batch)
    if first is not None and last is not None:
        query = query.where(counts.c.first_day <= last, counts.c.last_day >= first)
    with store.reading() as conn:
        listed = conn.execute(query).all()
        contents = counts_contents(conn, [(seq, received_at) for seq, _, received_at in listed])
    return [BatchCounts(seq, after, content) for (seq, after, _), content in zip(listed, contents)]


def counted_latest(
    store: Store, town_code: str | None = None, *, limit: int | None = None, since: datetime | None = None
) -> pd.DataFrame:
    """The town-days the batches counted, newest batch first and in each its latest day first,
    each with its batch: its seq, when it was received, by whom, and from which folder
    (source_name, source_sha256); optionally of one town, of the batches received at `since` or
    after, at most `limit` rows. Only the newest batches needed are read, each from its end."""
    b, counts = schema.record_batches, schema.record_counts
    query = (
        sa.select(b.c.seq.label("batch_seq"), b.c.received_at, b.c.received_by, b.c.source_name, b.c.source_sha256)
        .join(counts, counts.c.batch_seq == b.c.seq)
        .order_by(b.c.seq.desc())
    )
    if since is not None:
        query = query.where(b.c.received_at >= since)
    parts: list[pd.DataFrame] = []
    found = 0
    with store.reading() as conn:
        for batch in conn.execute(query).all():
            if limit is not None and found >= limit:
                break
            content = counts_content(conn, batch.batch_seq, batch.received_at)
            rows = _latest_first(content, town_code, None if limit is None else limit - found)
            if rows.num_rows:
                parts.append(rows.to_pandas().assign(**batch._asdict()))
                found += rows.num_rows
    return pd.concat(parts, ignore_index=True)[list(COUNTED)] if parts else pd.DataFrame(columns=list(COUNTED))


def counted_figures(conn: Connection, keys: set[tuple[str, date]]) -> dict[tuple[str, date], tuple]:
    """The count of the newest batch that counted each town-day of `keys` (town code, day), for
    those a batch counted: the figures in COUNT_COLUMNS order, as `current_reports` gives a
    report's. (A build reads every count at once: pipelines/records/sql/current_figures.sql.)"""
    if not keys:
        return {}
    b, counts = schema.record_batches, schema.record_counts
    days, codes = sorted({day for _, day in keys}), sorted({code for code, _ in keys})
    holding = conn.execute(
        sa.select(b.c.seq, b.c.received_at)
        .join(counts, counts.c.batch_seq == b.c.seq)
        .where(counts.c.first_day <= days[-1], counts.c.last_day >= days[0])
        .order_by(b.c.seq.desc())
    ).all()
    found: dict[tuple[str, date], tuple] = {}
    for batch_seq, received_at in holding:
        table = pq.read_table(
            io.BytesIO(counts_content(conn, batch_seq, received_at)),
            columns=["town_code", "date", *COUNT_COLUMNS],
            filters=[("date", "in", days), ("town_code", "in", codes)],
        )
        for code, day, *figures in zip(*(table.column(c).to_pylist() for c in table.column_names)):
            if (code, day) in keys and (code, day) not in found:
                found[(code, day)] = tuple(figures)
        if len(found) == len(keys):
            break
    return found


def counts_content(conn: Connection, batch_seq: int, received_at: datetime) -> bytes:
    """A batch's counts as stored (zstd Parquet), as `counts_contents` keeps them."""
    return counts_contents(conn, [(batch_seq, received_at)])[0]


def counts_contents(conn: Connection, listed: list[tuple[int, datetime]]) -> list[bytes]:
    """The counts of the batches `listed` (seq, when received) as stored (zstd Parquet), in that
    order; those not kept in this process read in one query. A batch never changes: the newest
    few read are kept (a year's counts are megabytes, and the submission history, 报送情况, the
    催报 and the form ask on every run), keyed by the store and the batch as received."""
    store = conn.engine.url.render_as_string(hide_password=True)
    keys = [(store, seq, received_at) for seq, received_at in listed]
    with _CONTENT_LOCK:
        found = {key: _CONTENT[key] for key in keys if key in _CONTENT}
        for key in found:
            _CONTENT.move_to_end(key)
    missing = sorted({key[1] for key in keys if key not in found})  # by batch seq
    if missing:
        counts = schema.record_counts
        read = dict(
            conn.execute(sa.select(counts.c.batch_seq, counts.c.content).where(counts.c.batch_seq.in_(missing))).all()
        )
        with _CONTENT_LOCK:
            for key in keys:
                if key not in found:
                    found[key] = _CONTENT[key] = read[key[1]]
            while len(_CONTENT) > _CONTENT_KEPT:
                _CONTENT.popitem(last=False)
    return [found[key] for key in keys]


_CONTENT_KEPT = 8  # batches' counts kept; the one read longest ago goes first
_CONTENT: OrderedDict[tuple, bytes] = OrderedDict()
_CONTENT_LOCK = threading.Lock()


def _latest_first(content: bytes, town_code: str | None, limit: int | None) -> pa.Table:
    """A batch's counts (stored in day and town order) from the end: of one town or every
    town, at most `limit` rows, read a row group at a time until they are found."""
    counted = pq.ParquetFile(io.BytesIO(content))
    parts, found = [], 0
    for group in reversed(range(counted.num_row_groups)):
        rows = counted.read_row_group(group)
        if town_code is not None:
            rows = rows.filter(pc.equal(rows.column("town_code"), town_code))
        parts.append(rows.take(pa.array(range(rows.num_rows - 1, -1, -1), pa.int64())))
        found += rows.num_rows
        if limit is not None and found >= limit:
            break
    latest = pa.concat_tables(parts) if parts else counted.schema_arrow.empty_table()
    return latest if limit is None else latest.slice(0, limit)


def last_counted(store: Store) -> int:
    """The newest batch that stored counts (0 before the first)."""
    counts = schema.record_counts
    with store.reading() as conn:
        return conn.execute(sa.select(sa.func.coalesce(sa.func.max(counts.c.batch_seq), 0))).scalar_one()


def batches(store: Store) -> list[Batch]:
    """Every batch, oldest first, with the objects it lists (described, not read)."""
    b, o, m = schema.record_batches, schema.record_objects, schema.record_batch_objects
    with store.reading() as conn:
        found = conn.execute(sa.select(b.c.seq, b.c.received_at, b.c.source_sha256, b.c.towns).order_by(b.c.seq)).all()
        listed = conn.execute(
            sa.select(m.c.batch_seq, *o.c).join(o, o.c.key == m.c.key).order_by(m.c.batch_seq, o.c.table_name, o.c.key)
        ).all()
    by_batch: dict[int, list[KeptObject]] = {}
    for row in listed:
        by_batch.setdefault(row.batch_seq, []).append(_kept(row))
    return [
        Batch(
            row.seq,
            row.received_at,
            row.source_sha256,
            json.loads(row.towns) if row.towns else None,
            tuple(by_batch.get(row.seq, ())),
        )
        for row in found
    ]


def read_object(store: Store, key: str) -> Iterator[bytes]:
    """The bytes of one object as kept, chunk by chunk, checked against the manifest's SHA-256."""
    with store.reading() as conn:
        expected = conn.execute(
            sa.select(schema.record_objects.c.content_sha256).where(schema.record_objects.c.key == key)
        ).scalar_one()
        yield from _checked(conn, key, expected)


def kept_objects(engine: Engine) -> Iterator[tuple[str, bytes]]:
    """Every object the store keeps, as (key, bytes kept), for a backup that keeps them as
    files; `restore_object` puts one back."""
    objects = schema.record_objects
    with engine.connect() as conn:
        listed = conn.execute(sa.select(objects.c.key, objects.c.content_sha256).order_by(objects.c.key)).all()
        for key, expected in listed:
            yield key, b"".join(_checked(conn, key, expected))


def restore_object(engine: Engine, key: str, content: bytes) -> None:
    """Put back the bytes of an object whose manifest row (record_objects) the store holds, as
    `kept_objects` gave them; refused when they are not the bytes the manifest names."""
    objects, chunks = schema.record_objects, schema.record_object_chunks
    with engine.begin() as conn:
        expected = conn.execute(sa.select(objects.c.content_sha256).where(objects.c.key == key)).scalar_one_or_none()
        if expected is None or hashlib.sha256(content).hexdigest() != expected:
            raise StoreError(f"记录文件 {key[:12]} 与存储中的登记不符，未恢复")
        conn.execute(sa.delete(chunks).where(chunks.c.key == key))
        _write_chunks(conn, key, (content[i : i + CHUNK_BYTES] for i in range(0, len(content), CHUNK_BYTES)))


def _write_chunks(conn: Connection, key: str, pieces: Iterable[bytes]) -> None:
    for number, piece in enumerate(pieces):
        conn.execute(sa.insert(schema.record_object_chunks).values(key=key, chunk=number, content=piece))


def _checked(conn: Connection, key: str, expected: str) -> Iterator[bytes]:
    chunks = schema.record_object_chunks
    numbers = conn.execute(sa.select(chunks.c.chunk).where(chunks.c.key == key).order_by(chunks.c.chunk)).scalars()
    digest = hashlib.sha256()
    for number in list(numbers):
        piece = conn.execute(
            sa.select(chunks.c.content).where(chunks.c.key == key, chunks.c.chunk == number)
        ).scalar_one()
        digest.update(piece)
        yield piece
    if digest.hexdigest() != expected:
        raise StoreError(f"存储中的记录文件 {key[:12]} 已损坏，请从备份恢复")


def _holds(conn: Connection, key: str) -> bool:
    objects = schema.record_objects
    return conn.execute(sa.select(objects.c.key).where(objects.c.key == key)).first() is not None


def _row(kept: KeptObject) -> dict:
    return {
        "key": kept.key,
        "table_name": kept.table,
        "received_as": kept.received_as,
        "rows": kept.rows,
        "size": kept.size,
        "content_sha256": kept.content_sha256,
        "id_lo": kept.id_lo,
        "id_hi": kept.id_hi,
        "first_day": kept.first_day,
        "last_day": kept.last_day,
    }


def _kept(row) -> KeptObject:
    return KeptObject(
        row.key,
        row.table_name,
        row.received_as,
        row.rows,
        row.size,
        row.content_sha256,
        row.id_lo,
        row.id_hi,
        row.first_day,
        row.last_day,
    )
