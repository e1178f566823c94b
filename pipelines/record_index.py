"""The record index: which records this server holds, by id and content hash, and the
records of given days, derived from the store's record batches and private to each server
(like the warehouse).

A DuckDB file (home.record_index) holds, for each table, the newest version of every record
received (its id, a hash of its content, the columns the counts read) in segments of at most
one row group, and a directory of the segments with each one's range of ids and of days.
A look-up of an import's ids, or of the records of some days, reads only the segments whose
ranges hold them: an inspection system numbers its records as it makes them, so a day's new
records fall past every segment and a changed record in the segments of its own days, and the
cost follows the import, not the campaign. The index notes the last batch it holds. Behind the
store (another server imported, or a process was killed after the store committed), it reads
the batches it lacks, in order; missing, made by another DuckDB, or ahead of the store (a store
restored from a backup), it is rebuilt from every batch.
"""

from __future__ import annotations

import fcntl
import io
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipelines.record_tables import RECORD_TABLES, TABLES
from sanse.home import Home
from sanse.store.records import Batch, batch_received_at, batches_after, last_batch, read_part

FORMAT = f"sanse record index 1, duckdb {duckdb.__version__}"  # another one is rebuilt
SEGMENT_ROWS = 122_880  # one DuckDB row group: a segment's zone map is its own
WHOLE_INDEX_SHARE = 4  # ids of more than a quarter of a table are matched against all of it
log = logging.getLogger(__name__)


class RecordIndex:
    """This server's index, attached to a DuckDB connection as the catalog `idx`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.con = con
        self.path = path
        self._key_types: dict[str, str | None] = {}  # what the catalog says, asked once a table

    # ------------------------------------------------------------ state

    @property
    def batch_seq(self) -> int:
        """The last batch this index holds (0: none)."""
        return self.con.execute("select batch_seq from idx.meta").fetchone()[0]

    def rows(self, table: str, before_batch: int | None = None) -> int:
        """How many record versions were written to `table` (an upper bound on its records),
        or by the batches before `before_batch`."""
        if self.key_type(table) is None:
            return 0
        return self.con.execute(
            f"select coalesce(sum(rows), 0) from idx.{table}_segments where batch_seq < ?", [before_batch or 2**62]
        ).fetchone()[0]

    def empty(self) -> bool:
        return not any(self.rows(table) for table in TABLES)

    def key_type(self, table: str) -> str | None:
        """BIGINT or VARCHAR: the type of `table`'s ids (None: no record yet)."""
        if table not in self._key_types:
            found = self.con.execute(
                "select data_type from duckdb_columns() where database_name = 'idx' and table_name = ? "
                "and column_name = 'id'",
                [table],
            ).fetchall()
            self._key_types[table] = found[0][0] if found else None
        return self._key_types[table]

    def widen(self, table: str) -> None:
        """Make `table`'s ids text, for an import whose ids are not all integers; the integers
        already held become their decimal text, as an import's integer ids do."""
        self._key_types.pop(table, None)
        for name, column in ((table, "id"), (f"{table}_segments", "lo"), (f"{table}_segments", "hi")):
            self.con.execute(f"alter table idx.{name} alter {column} type varchar")
        self.con.execute(
            f"""
            update idx.{table}_segments as segments set lo = held.lo, hi = held.hi
            from (select seg, min(id) as lo, max(id) as hi from idx.{table} group by seg) as held
            where segments.seg = held.seg
            """
        )

    # ------------------------------------------------------------ look-ups

    def segments_holding(self, table: str, ids: str, count: int, before_batch: int | None = None) -> list[int] | None:
        """The segments of `table` (of the batches before `before_batch`) whose id range holds
        any id of the query `ids` (a column `id` of `count` rows); None means all of them."""
        if count * WHOLE_INDEX_SHARE > self.rows(table, before_batch):
            return None
        found = self.con.execute(
            f"""
            select distinct segments.seg
            from idx.{table}_segments as segments
            join ({ids}) as probe on probe.id between segments.lo and segments.hi
            where segments.batch_seq < ?
            order by 1
            """,
            [before_batch or 2**62],
        ).fetchall()
        return [row[0] for row in found]

    def segments_of_days(self, table: str, days: str) -> list[int]:
        """The segments of `table` holding records that count on any day of the query `days`
        (a column `day`)."""
        overlaps = " or ".join(
            f"probe.day between segments.{d}_first and segments.{d}_last" for d in RECORD_TABLES[table].days
        )
        found = self.con.execute(
            f"select distinct segments.seg from idx.{table}_segments as segments join ({days}) as probe on {overlaps} "
            "order by 1"
        ).fetchall()
        return [row[0] for row in found]

    # ------------------------------------------------------------ writing

    def apply(
        self, batch: Batch, sources: Iterable[tuple[str, str]], replaced: dict[str, list[int]] | None = None
    ) -> None:
        """Hold the records of `batch`, which `sources` name as (table, relation with the kept
        columns), in place of their earlier versions; all or nothing. `replaced` names the
        segments holding those versions when the caller knows them (an import that has just
        compared); otherwise they are looked up."""
        self.con.execute("begin transaction")
        try:
            for table, relation in sources:
                self._upsert(table, relation, batch.seq, (replaced or {}).get(table))
            self.con.execute(
                "update idx.meta set batch_seq = ?, received_at = ?", [batch.seq, batch.received_at.isoformat()]
            )
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            self._key_types.clear()  # a table made or widened in it is gone again
            raise

    def catch_up(self, store) -> int:
        """Read the batches the store has and this index lacks, in order; rebuild when the
        index is not a copy of this store's past. Returns how many batches were read."""
        held = self.batch_seq
        if held:
            received_at = self.con.execute("select received_at from idx.meta").fetchone()[0]
            stored = batch_received_at(store, held)
            if stored is None or stored.isoformat() != received_at:
                log.warning("record index %s does not match the store: rebuilt", self.path)
                self._reset()
                held = 0
        batches = batches_after(store, held)
        for batch in batches:
            self.apply(batch, self._stored_parts(store, batch))
        return len(batches)

    def _stored_parts(self, store, batch: Batch) -> Iterator[tuple[str, str]]:
        for table, part, _rows in batch.parts:
            records = pq.read_table(io.BytesIO(read_part(store, batch.seq, table, part)))
            self.con.register("stored_part", records)
            try:
                yield table, "stored_part"
            finally:
                self.con.unregister("stored_part")

    def _upsert(self, table: str, relation: str, batch_seq: int, replaced: list[int] | None) -> None:
        spec = RECORD_TABLES[table]
        given = self.con.execute(f"select column_type from (describe {relation}) where column_name = 'id'").fetchone()[
            0
        ]
        given = "BIGINT" if given == "BIGINT" else "VARCHAR"
        held = self.key_type(table)
        if held is None:
            self._create(table, given)
        elif held == "BIGINT" and given == "VARCHAR":
            self.widen(table)
        key = "id" if self.key_type(table) == given else "cast(id as varchar)"
        first = self.con.execute(f"select coalesce(max(seg), 0) + 1 from idx.{table}_segments").fetchone()[0]
        if replaced is None and self.rows(table, batch_seq):  # in earlier batches (ids are unique in one)
            count = self.con.execute(f"select count(*) from {relation}").fetchone()[0]
            replaced = self.segments_holding(table, f"select {key} as id from {relation}", count, batch_seq)
        if replaced is None or replaced:
            self.con.execute(
                f"delete from idx.{table} where {in_segments(replaced)} and seg < {first} "
                f"and id in (select {key} from {relation})"
            )
        counted = ", ".join(spec.counted)
        self.con.execute(
            f"""
            insert into idx.{table}
            select {first} + (row_number() over () - 1) // {SEGMENT_ROWS}, {key}, {spec.content_hash()}, {counted}
            from {relation}
            """
        )
        ranges = ", ".join(f"min({d}), max({d})" for d in spec.days)
        self.con.execute(
            f"""
            insert into idx.{table}_segments
            select seg, {int(batch_seq)}, count(*), min(id), max(id), {ranges}
            from idx.{table} where seg >= {first} group by seg
            """
        )

    def _create(self, table: str, key: str) -> None:
        self._key_types.pop(table, None)
        spec = RECORD_TABLES[table]
        days = ", ".join(f"{d} date" for d in spec.days)
        fields = "".join(f", {name} {kind}" for name, kind in spec.fields)
        self.con.execute(
            f"create table idx.{table} (seg integer, id {key}, h ubigint, town_code varchar, {days}{fields})"
        )
        ranges = ", ".join(f"{d}_first date, {d}_last date" for d in spec.days)
        self.con.execute(
            f"create table idx.{table}_segments (seg integer, batch_seq bigint, rows bigint, "
            f"lo {key}, hi {key}, {ranges})"
        )

    # ------------------------------------------------------------ the file

    def attach(self) -> None:
        try:
            self._attach()
        except duckdb.Error:
            log.warning("record index %s unreadable: rebuilt", self.path, exc_info=True)
            self._remove()
            self._attach()

    def _attach(self) -> None:
        # A changed record leaves its old version deleted in its row group. DuckDB would compact
        # every such row group at each checkpoint, rewriting weeks of records a day; left alone,
        # deleted versions cost a little space and are skipped by every scan.
        self.con.execute("set max_vacuum_tasks = 0")
        self.con.execute(f"attach {quoted(self.path)} as idx")
        made = self.con.execute("select count(*) from duckdb_tables() where database_name = 'idx'").fetchone()[0]
        if made:
            has_meta = self.con.execute(
                "select count(*) from duckdb_tables() where database_name = 'idx' and table_name = 'meta'"
            ).fetchone()[0]
            if has_meta and self.con.execute("select format from idx.meta").fetchall() == [(FORMAT,)]:
                return
            self.con.execute("detach idx")  # another format, another DuckDB, or never finished: start again
            self._remove()
            self.con.execute(f"attach {quoted(self.path)} as idx")
        self.con.execute("begin transaction")
        self.con.execute("create table idx.meta (format varchar, batch_seq bigint, received_at varchar)")
        self.con.execute("insert into idx.meta values (?, 0, null)", [FORMAT])
        self.con.execute("commit")

    def detach(self) -> None:
        self.con.execute("detach idx")

    def _reset(self) -> None:
        self._key_types.clear()
        self.detach()
        self._remove()
        self._attach()

    def _remove(self) -> None:
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            path.unlink(missing_ok=True)


@contextmanager
def held(home: Home, con: duckdb.DuckDBPyConnection) -> Iterator[RecordIndex]:
    """This server's record index, attached to `con`; one process at a time on this server
    (a process holds it from before it takes its turn in the store until the index has its batch)."""
    path = home.record_index
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        index = RecordIndex(con, path)
        index.attach()
        try:
            yield index
        finally:
            index.detach()


def catch_up(home: Home) -> int:
    """Bring this server's record index up to the store (`sanse build` does, as an import
    would); nothing when no record was ever imported. Returns how many batches were read."""
    with home.store.reading() as conn:
        if last_batch(conn) is None and not home.record_index.exists():
            return 0
    con = duckdb.connect()
    try:
        with held(home, con) as index:
            return index.catch_up(home.store)
    finally:
        con.close()


def in_segments(segments: list[int] | None) -> str:
    """A filter on `seg` for the segments listed (None: every segment)."""
    if segments is None:
        return "true"
    if not segments:
        return "false"
    return f"seg in ({', '.join(str(int(s)) for s in segments)})"


def quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
