"""Record-level data (design §3.2): inspections, hazards and enforcement actions from an
inspection system, validated by DuckDB, kept in the store as received, and counted into daily
town reports of the 3.1 form.

An import that brings records new or changed (by id and content) against every record received
before is one batch: each of its files with such records is kept as one object (zstd Parquet,
addressed by the SHA-256 of the bytes received). It recounts only the town-days those records
change (for a changed record, also the days its earlier version counted on) from every record
of those days, and stores the batch with those counts (one compact table, pipelines/records/
counts.py) in one transaction. Both look-ups read the objects received before with DuckDB
(pipelines/records/objects.py), only those whose ids or days can match, so an import costs what
it brings, not what was received before it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from sanse.deployment.home import Home
from sanse.deployment.towns import Town, normalize_spelling, read_towns
from sanse.facts import clock
from sanse.facts.report import MAX_COUNT, MAX_FINES_WAN
from sanse.pipelines.records import changes as record_changes
from sanse.pipelines.records import counts as record_counts
from sanse.pipelines.records import objects as record_objects
from sanse.pipelines.records.demo import write_records
from sanse.pipelines.records.objects import Received
from sanse.pipelines.records.tables import (
    KINDS,
    LEVELS,
    RECORD_DAY_MACRO,
    RECORD_TABLES,
    REQUIRED_COLUMNS,
    TABLE_LABELS,
    TABLES,
    RecordCounts,
    id_column,
    typed_columns,
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

SQL = Path(__file__).parent / "sql"
LISTED_PER_RULE = 20  # a million bad rows are one mistake: list a few, count the rest
ID_BITMAP_BITS = 1 << 30  # ids spread wider than this (a 128 MB bitmap) are grouped to find repeats
ATTEMPTS = 3  # another server storing a batch meanwhile: compare again with it
log = logging.getLogger(__name__)


def write_demo_records(towns: list[Town], out_dir: Path, *, days: int, seed: int, start: date) -> RecordCounts:
    """Synthetic record tables for the demo and the benchmark (see pipelines/records/demo.py)."""
    return write_records(towns, Path(out_dir), days=days, seed=seed, start=start)


# ---------------------------------------------------------------- import


@dataclass(frozen=True)
class RecordProblem:
    table: str
    row: int | None  # CSV: the line number; Parquet: the record number (1 = first record)
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else ""
        column = f"“{self.column}”列" if self.column else ""
        return f"{TABLE_LABELS.get(self.table, self.table)}（{self.table}）{where}{column}：{self.message}"


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
    files, errors = _find_tables(folder)
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
            outcome = _validate(con, files, towns, settings.campaign.start, today or clock.today())
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
            daily = record_changes.recount(con, before, changes)
            versions = last_version(home.store)
            counted = record_counts.compared(home.store, con, daily, first=not before.batch_seq and not versions)
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
        if source.suffix == ".parquet" and _in_zstd(source):
            shutil.copyfile(source, target)
        else:
            relation = f"{table}_text" if source.suffix == ".csv" else f"read_parquet(getvariable('{table}_file'))"
            con.execute(f"copy (select * from {relation}) to '{_escaped(target)}' (format parquet, compression zstd)")
        kept[-1] = (_described(con, table, digests.files[table], source, target), target)


def _described(con: duckdb.DuckDBPyConnection, table: str, key: str, source: Path, kept: Path) -> KeptObject:
    spec = RECORD_TABLES[table]
    integer = record_changes.integer_or_text(con, table, spec.id) == "BIGINT"
    ids = f"min(cast({spec.id} as bigint)), max(cast({spec.id} as bigint))" if integer else "null, null"
    first = f"least({', '.join(f'min({d})' for d in spec.days)})"
    last = f"greatest({', '.join(f'max({d})' for d in spec.days)})"
    rows, low, high, first_day, last_day = con.execute(
        f"select count(*), {ids}, {first}, {last} from {table}_rows"
    ).fetchone()
    return KeptObject(
        key,
        table,
        source.suffix.lstrip("."),
        rows,
        kept.stat().st_size,
        _sha256(kept),
        low,
        high,
        first_day,
        last_day,
    )


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


def _validate(
    con: duckdb.DuckDBPyConnection, files: dict[str, Path], towns: list[Town], campaign_start: date | None, today: date
) -> list[RecordProblem] | RecordCounts:
    """Every problem of the tables, or how many records each has when there is none; the
    tables stay in `con` as the views `<table>_rows`, their towns as `town_codes`."""
    con.execute("set variable today = ?", [today])
    con.execute("set variable campaign_start = ?", [campaign_start])
    con.execute("set variable max_count = ?", [MAX_COUNT])
    con.execute("set variable max_fines_wan = ?", [int(MAX_FINES_WAN)])
    con.execute(RECORD_DAY_MACRO)
    errors: list[RecordProblem] = []
    for table, path in files.items():
        errors += _stage(con, table, path)
    if errors:
        return errors
    con.execute(f"create temp table spelled_towns as {_sql('spelled_towns')}")
    _register_towns(con, towns)
    for table in TABLES:
        errors += _listed_problems(con, table, _checks(con, table))
        errors += _duplicate_ids(con, table)
    if errors:
        return errors
    totals = dict(con.execute("select record_table, sum(records) from spelled_towns group by all").fetchall())
    counts = RecordCounts(*(int(totals.get(table) or 0) for table in TABLES))
    if not counts.total:
        return [RecordProblem("inspections", None, "", "三个表中都没有记录")]
    return counts


def _sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")


def _find_tables(folder: Path) -> tuple[dict[str, Path], list[RecordProblem]]:
    if not folder.is_dir():
        return {}, [RecordProblem("inspections", None, "", f"找不到文件夹 {folder}")]
    files, errors = {}, []
    for table in TABLES:
        found = [
            folder / f"{table}{suffix}" for suffix in (".parquet", ".csv") if (folder / f"{table}{suffix}").is_file()
        ]
        if not found:
            errors.append(RecordProblem(table, None, "", f"缺少 {table}.parquet 或 {table}.csv"))
        elif len(found) > 1:
            errors.append(RecordProblem(table, None, "", f"{table}.parquet 和 {table}.csv 只能有一个"))
        else:
            files[table] = found[0]
    return files, errors


def _stage(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> list[RecordProblem]:
    """Expose `path` as the view `<table>_rows`: canonical typed columns plus `source_row`.

    Only identifiers from this module's constants are formatted into the SQL; the file path
    goes in as a variable.
    """
    con.execute(f"set variable {table}_file = ?", [str(path)])
    try:
        if path.suffix == ".parquet":
            con.execute(
                f"create or replace temp view {table}_source as select *, file_row_number + 1 as source_row "
                f"from read_parquet(getvariable('{table}_file'), file_row_number = true)"
            )
        else:
            # CSV keeps file order in a table, so rowid + 2 is the line number (after the header)
            con.execute(
                f"create or replace temp table {table}_text as select * "
                f"from read_csv(getvariable('{table}_file'), header = true, all_varchar = true)"
            )
            con.execute(
                f"create or replace temp view {table}_source as select *, rowid + 2 as source_row from {table}_text"
            )
        described = con.execute(f"describe {table}_source").fetchall()
    except duckdb.Error as exc:
        return [
            RecordProblem(table, None, "", f"无法读取 {path.name}：{_first_line(exc)}（CSV 请用 UTF-8 编码并带表头）")
        ]
    types = {name: kind for name, kind, *_ in described}
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in types]
    if missing:
        have = "、".join(n for n in types if n != "source_row")
        return [RecordProblem(table, 1, c, f"缺少必填列“{c}”（文件中的列：{have}）") for c in missing]
    columns = ", ".join(typed_columns(table, types, given=True))
    con.execute(f"create or replace temp view {table}_rows as select source_row, {columns} from {table}_source")
    return []


def _register_towns(con: duckdb.DuckDBPyConnection, towns: list[Town]) -> None:
    """`town_codes` (spelling -> code) and `town_problems` (spelling -> why it is refused)."""
    active = {normalize_spelling(s): t.code for t in towns if t.active for s in (t.code, t.name, *t.aliases)}
    inactive = {normalize_spelling(s) for t in towns if not t.active for s in (t.code, t.name, *t.aliases)}
    spellings = [row[0] for row in con.execute(_sql("town_spellings")).fetchall()]
    codes, problems = [], []
    for spelled in spellings:
        key = normalize_spelling(spelled)
        if key in active:
            codes.append((spelled, active[key]))
        elif not key:
            problems.append((spelled, "镇街不能为空"))
        elif key in inactive:
            problems.append((spelled, f"“{spelled}”已停用，不参加排名"))
        else:
            problems.append((spelled, f"未知镇街“{spelled}”：请使用名称、代码或 towns.csv 中登记的别名"))
    con.register("town_codes", pd.DataFrame(codes, columns=["town", "town_code"], dtype=str))
    con.register("town_problems", pd.DataFrame(problems, columns=["town", "message"], dtype=str))


def _listed_problems(con: duckdb.DuckDBPyConnection, table: str, checks: str) -> list[RecordProblem]:
    """The first LISTED_PER_RULE rows breaking each rule, and how many there are in all."""
    rows = con.execute(
        f"""
        with problems as ({checks}),
        numbered as (
            select *,
                count(*) over (partition by rule) as total,
                row_number() over (partition by rule order by source_row) as nth
            from problems
        )
        select rule, source_row, "column", message, total from numbered
        where nth <= ?
        order by rule, source_row
        """,
        [LISTED_PER_RULE],
    ).fetchall()
    found: list[RecordProblem] = []
    for index, (rule, row, column, message, total) in enumerate(rows):
        found.append(RecordProblem(table, int(row), column, message))
        last_of_rule = index + 1 == len(rows) or rows[index + 1][0] != rule
        if last_of_rule and total > LISTED_PER_RULE:
            found.append(
                RecordProblem(table, None, column, f"同类问题共 {total:,} 行，以上只列出前 {LISTED_PER_RULE} 行")
            )
    return found


def _checks(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The rule checks of `table`: the shared ones (over the view `record_common`, pointed at
    this table here) and the table's own, in one query."""
    id_label, day, day_label, day_rule = _RECORD_COMMON[table]
    con.execute(
        f"create or replace temp view record_common as select source_row, town, "
        f"{id_column(table)} as id, '{id_column(table)}' as id_column, '{id_label}' as id_label, "
        f"{day} as day, {day}_given as day_given, '{day}' as day_column, '{day_label}' as day_label, "
        f"'{day_rule}' as day_rule from {table}_rows"
    )
    checks = f"select * from ({_sql('checks_common')})"
    if (SQL / f"checks_{table}.sql").is_file():
        checks += f" union all select * from ({_sql(f'checks_{table}')})"
    return checks


# table -> (id label, the column holding the record's day, its label, the rule-name prefix)
_RECORD_COMMON = {
    "inspections": ("检查编号", "date", "日期", "date"),
    "hazards": ("隐患编号", "found_date", "发现日期", "found"),
    "enforcement": ("执法编号", "date", "日期", "date"),
}


def _duplicate_ids(con: duckdb.DuckDBPyConnection, table: str) -> list[RecordProblem]:
    column = id_column(table)
    con.execute(
        f"create or replace temp view record_ids as select source_row, {column} as id, '{column}' as id_column "
        f"from {table}_rows"
    )
    if _ids_all_different(con):
        return []
    return _listed_problems(con, table, _sql("duplicate_ids"))


def _ids_all_different(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the ids of `record_ids` are shown all different without grouping them.

    Integer ids are marked in a bitmap of their range as DuckDB reads the id column: as many
    bits set as there are ids means none came twice. Text ids, or ids spread too thin for a
    bitmap, return False and are grouped by duplicate_ids.sql instead.
    """
    kind = con.execute("select column_type from (describe record_ids) where column_name = 'id'").fetchall()[0][0]
    if kind not in _INTEGER_TYPES:
        return False
    low, high = con.execute("select min(id), max(id) from record_ids").fetchall()[0]
    if low is None:
        return True
    if high - low + 1 > ID_BITMAP_BITS:
        return False
    ids, different = con.execute(_sql("different_ids"), [low, high]).fetchall()[0]
    return ids == different


_INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}


@dataclass(frozen=True)
class _Digests:
    files: dict[str, str]  # table -> SHA-256 of its file: the key of its object
    combined: str  # one SHA-256 over the three tables as received, names and bytes


def _digests(files: dict[str, Path]) -> _Digests:
    combined, each = hashlib.sha256(), {}
    for table in TABLES:
        source = files[table]
        combined.update(source.name.encode())
        digest = hashlib.sha256()
        with open(source, "rb") as reader:
            while chunk := reader.read(1 << 22):
                digest.update(chunk)
                combined.update(chunk)
        each[table] = digest.hexdigest()
    return _Digests(each, combined.hexdigest())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as reader:
        while chunk := reader.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _escaped(path: Path) -> str:
    return str(path).replace("'", "''")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
