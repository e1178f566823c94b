"""Record-level data (design §3.2): inspections, hazards and enforcement actions from an
inspection system, validated by DuckDB, kept in the store as received, and counted into daily
town reports of the 3.1 form.

An import that brings records new or changed (by id and content) against every record received
before is one batch: each of its files with such records is kept as one object (zstd Parquet,
addressed by the SHA-256 of the bytes received). It counts again only the town-days those
records change (for a changed record, also the days its earlier version counted on): a batch's
count with the changes added, or every record of the town-day counted (pipelines/records/
changes.py), and stores the batch with those counts (one compact table, pipelines/records/
counts.py) in one transaction. Both look-ups read the objects received before with DuckDB
(pipelines/records/objects.py), only those whose ids or days can match, so an import costs what
it brings, not what was received before it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from sanse.deployment.home import Home
from sanse.deployment.towns import Town, read_towns
from sanse.facts import clock
from sanse.pipelines.records import changes as record_changes
from sanse.pipelines.records import counts as record_counts
from sanse.pipelines.records import objects as record_objects
from sanse.pipelines.records.checks import RecordProblem, find_tables, validate
from sanse.pipelines.records.demo import write_records
from sanse.pipelines.records.objects import Received
from sanse.pipelines.records.tables import (
    KINDS,
    LEVELS,
    RECORD_TABLES,
    TABLES,
    RecordCounts,
    id_column,
)
from sanse.ranking.rulebook import settings_in_force
from sanse.store import StoreError
from sanse.store.events import record_event
from sanse.store.records import TURN, KeptObject, last_batch, newest_version, write_batch
from sanse.store.reports import Submission, last_version

__all__ = [
    "KINDS",
    "LEVELS",
    "TABLES",
    "RecordCounts",
    "RecordsIngested",
    "id_column",
    "ingest_records",
    "write_demo_records",
]

ATTEMPTS = 3  # another server storing a batch meanwhile: compare again with it
log = logging.getLogger(__name__)


def write_demo_records(towns: list[Town], out_dir: Path, *, days: int, seed: int, start: date) -> RecordCounts:
    """Synthetic record tables for the demo and the benchmark (see pipelines/records/demo.py)."""
    return write_records(towns, Path(out_dir), days=days, seed=seed, start=start)


# ---------------------------------------------------------------- import


@dataclass
class RecordsIngested:
    ok: bool
    errors: list[RecordProblem] = field(default_factory=list)
    summary: str = ""
    submission: Submission | None = None
    records: RecordCounts | None = None  # the records of the export
    town_days: int = 0  # the town-days counted again
    new: RecordCounts | None = None  # records never received before
    changed: RecordCounts | None = None  # records received before with another content
    batch_seq: int | None = None  # the store's batch of the new and changed records (None: there were none)


class _Behind(Exception):
    """Another server stored a batch after this import compared its records."""


def ingest_records(home: Home, folder: Path, *, by: str, today: date | None = None) -> RecordsIngested:
    """Validate the three record tables in `folder`; keep the files with records that are new
    or changed as one batch, with the daily town counts of the town-days they change, in one
    transaction; all or nothing.

    Each table is `<name>.parquet` or `<name>.csv` (UTF-8, header row). The export may hold
    the whole campaign or only what is new: records received before as they are now are
    skipped, so importing the same records again stores nothing.
    """
    folder = Path(folder)
    towns = read_towns(home.towns_csv)
    settings = settings_in_force(home)
    files, errors = find_tables(folder)
    if errors:
        return RecordsIngested(False, errors)
    with home.store.reading() as conn:
        latest = last_batch(conn)
    spill = home.root / ".records-spill"
    con = duckdb.connect(config={"temp_directory": str(spill)})  # a CSV bigger than memory spills here
    try:
        if latest is not None:  # the same files as the last batch: nothing can be new
            digests = _digests(files)
            if digests.combined == latest.source_sha256:
                return _unchanged(con, files)
        # Hashing the tables is mostly waiting on the disk: it runs beside DuckDB's scans.
        with ThreadPoolExecutor(max_workers=1) as background:
            hashing = background.submit(_digests, files) if latest is None else None
            outcome = validate(con, files, towns, settings.campaign.start, today or clock.today())
            if isinstance(outcome, list):
                return RecordsIngested(False, outcome)
            if hashing is not None:
                digests = hashing.result()
        return _store(home, con, files, folder, outcome, by=by, digests=digests)
    finally:
        con.close()


def _store(
    home: Home,
    con: duckdb.DuckDBPyConnection,
    files: dict[str, Path],
    folder: Path,
    received: RecordCounts,
    *,
    by: str,
    digests: _Digests,
) -> RecordsIngested:
    """Compare the validated records with those received before, then store what is new."""
    source = f"{folder.name}（记录级数据）"
    for _attempt in range(ATTEMPTS):
        before = Received.of(home, con)
        changes = record_changes.compare(con, before, received)
        if not changes.records:
            return _result(received, changes, Submission(None, 0, 0), 0, None)
        detail = {
            "folder": str(folder),
            "records": received.__dict__,
            "new_records": changes.new.__dict__,
            "changed_records": changes.changed.__dict__,
        }
        kept: list[tuple[KeptObject, Path]] = []
        try:
            _keep(home, con, files, digests, [t for t in TABLES if changes.rows(t)], kept)
            # the current figures of the days changed: read once, for the recount and the comparison
            standing = functools.cache(functools.partial(record_counts.standing, home.store))
            daily = record_changes.recount(con, before, changes, standing)
            versions = last_version(home.store)
            counted = record_counts.compared(con, daily, standing, first=not before.batch_seq and not versions)
            submission = counted.submission
            towns = dict(con.execute("select town, town_code from town_codes order by town").fetchall())
            with home.store.writing(TURN, "reports") as conn:
                latest = last_batch(conn)
                if (latest.seq if latest else 0) != before.batch_seq or newest_version(conn) != versions:
                    raise _Behind
                action, audited = record_counts.audited(submission, detail)
                record_event(conn, by, action, **audited)
                batch = write_batch(
                    conn,
                    kept,
                    by=by,
                    source_name=source,
                    source_sha256=digests.combined,
                    new=changes.new.total,
                    changed=changes.changed.total,
                    unchanged=received.total - changes.records,
                    towns=towns,
                    counts=record_counts.encoded(counted.fresh),
                    over_reports=counted.over_reports,
                )
            _hold_copies(home, kept)
        except _Behind:
            continue
        finally:
            for _object, path in kept:
                path.unlink(missing_ok=True)
        return _result(received, changes, submission, daily.num_rows, batch.seq)
    raise StoreError("其他服务器正在导入记录级数据，请稍后再试")


def _hold_copies(home: Home, kept: list[tuple[KeptObject, Path]]) -> None:
    """The store has the objects: the files just written become this server's copies of them.
    (A process killed before this leaves only files aside, which count for nothing; the copies
    are then fetched from the store when first read.)"""
    for object_, path in kept:
        try:
            os.replace(path, home.record_objects / f"{object_.key}.parquet")
        except OSError:  # the import has landed all the same: the copy is fetched when first read
            log.exception("record object %s not copied to this server", object_.key)


def _keep(
    home: Home,
    con: duckdb.DuckDBPyConnection,
    files: dict[str, Path],
    digests: _Digests,
    tables: list[str],
    kept: list[tuple[KeptObject | None, Path]],
) -> None:
    """Write each file of `tables` as it will be kept, beside this server's copies, into `kept`:
    a Parquet file in zstd as sent, anything else converted once to zstd Parquet (a CSV from
    its text as received). Each is described for the manifest: rows, ids and days."""
    for table in tables:
        source, target = files[table], record_objects.aside(home, table)
        kept.append((None, target))  # removed if anything fails from here on
        received = digests.files[table]
        if source.suffix == ".parquet" and _in_zstd(source):
            shutil.copyfile(source, target)
            content = received  # the bytes as received
        else:
            relation = f"{table}_text" if source.suffix == ".csv" else f"read_parquet(getvariable('{table}_file'))"
            con.execute(f"copy (select * from {relation}) to '{_escaped(target)}' (format parquet, compression zstd)")
            content = _sha256(target)
        kept[-1] = (_described(con, table, received, content, source, target), target)


def _described(
    con: duckdb.DuckDBPyConnection, table: str, key: str, content: str, source: Path, kept: Path
) -> KeptObject:
    spec = RECORD_TABLES[table]
    described = _from_footer(kept, table)
    if described is None:
        integer = record_changes.integer_or_text(con, table, spec.id) == "BIGINT"
        ids = f"min(cast({spec.id} as bigint)), max(cast({spec.id} as bigint))" if integer else "null, null"
        first = f"least({', '.join(f'min({d})' for d in spec.days)})"
        last = f"greatest({', '.join(f'max({d})' for d in spec.days)})"
        described = con.execute(f"select count(*), {ids}, {first}, {last} from {table}_rows").fetchall()[0]
    rows, low, high, first_day, last_day = described
    return KeptObject(
        key,
        table,
        source.suffix.lstrip("."),
        rows,
        kept.stat().st_size,
        content,
        low,
        high,
        first_day,
        last_day,
    )


def _from_footer(path: Path, table: str) -> tuple | None:
    """Rows, id range and day range of a Parquet file of `table` from its footer, without reading
    its records: when its id is an integer column and its days are dates, with their range in
    every row group that has any. None otherwise (they are then read from the records)."""
    spec = RECORD_TABLES[table]
    parquet = pq.ParquetFile(path)
    schema, metadata = parquet.schema_arrow, parquet.metadata
    columns = (spec.id, *spec.days)
    if any(name not in schema.names for name in columns) or schema.field(spec.id).type not in _INTEGER_IDS:
        return None
    if not all(pa.types.is_date32(schema.field(day).type) for day in spec.days):
        return None
    where = {metadata.schema.column(i).path: i for i in range(metadata.num_columns)}
    ranges: dict[str, list] = {name: [] for name in columns}
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for name in columns:
            statistics = row_group.column(where[name]).statistics
            if statistics is not None and statistics.has_min_max:
                ranges[name] += [statistics.min, statistics.max]
            elif statistics is None or statistics.null_count != row_group.num_rows:
                return None  # values without their range
    days = [day for name in spec.days for day in ranges[name]]
    ids = ranges[spec.id]
    return (
        metadata.num_rows,
        min(ids) if ids else None,
        max(ids) if ids else None,
        min(days) if days else None,
        max(days) if days else None,
    )


_INTEGER_IDS = (pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32())


def _in_zstd(path: Path) -> bool:
    """Whether every column of a Parquet file is compressed with zstd (it is then kept as sent)."""
    metadata = pq.ParquetFile(path).metadata
    return all(
        metadata.row_group(g).column(c).compression == "ZSTD"
        for g in range(metadata.num_row_groups)
        for c in range(metadata.num_columns)
    )


def _unchanged(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> RecordsIngested:
    """The result of importing the files the last batch came from again: every record as received."""
    counts = {}
    for table, path in files.items():
        reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
        counts[table] = con.execute(f"select count(*) from {reader}('{_escaped(path)}')").fetchone()[0]
    received = RecordCounts(**counts)
    nothing = RecordCounts(0, 0, 0)
    changes = record_changes.Changes(nothing, nothing, False, {})
    return _result(received, changes, Submission(None, 0, 0), 0, None)


def _result(
    received: RecordCounts,
    changes: record_changes.Changes,
    submission: Submission,
    town_days: int,
    batch_seq: int | None,
) -> RecordsIngested:
    new, changed = changes.new.total, changes.changed.total
    summary = (
        f"记录级数据：检查 {received.inspections:,} 条，隐患 {received.hazards:,} 条，执法 {received.enforcement:,} 条，"
        f"其中新记录 {new:,} 条，更改 {changed:,} 条，未变 {received.total - new - changed:,} 条（只保存带来新记录或更改的文件）；"
        f"汇总为 {town_days:,} 个镇街日；新增 {submission.written - len(submission.corrected):,} 行，"
        f"更正 {len(submission.corrected):,} 行，未变 {submission.unchanged:,} 行"
    )
    return RecordsIngested(True, [], summary, submission, received, town_days, changes.new, changes.changed, batch_seq)


@dataclass(frozen=True)
class _Digests:
    files: dict[str, str]  # table -> SHA-256 of its file: the key of its object
    combined: str  # one SHA-256 over the three tables as received: each one's name and SHA-256


def _digests(files: dict[str, Path]) -> _Digests:
    each = {table: _sha256(files[table]) for table in TABLES}
    combined = hashlib.sha256()
    for table in TABLES:
        combined.update(f"{files[table].name}\0{each[table]}\n".encode())
    return _Digests(each, combined.hexdigest())


def _sha256(path: Path) -> str:
    with open(path, "rb") as reader:
        return hashlib.file_digest(reader, "sha256").hexdigest()


def _escaped(path: Path) -> str:
    return str(path).replace("'", "''")
