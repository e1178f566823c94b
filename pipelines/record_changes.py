"""What one import of records changes: which records are new or changed against the record
index, which town-days they count differently on, and those town-days counted again from
every record of them. Everything is a relation in the import's DuckDB connection, where the
validated tables are the views `<table>_rows` and the towns `town_codes`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.record_index import RecordIndex, in_segments, quoted
from pipelines.record_tables import RECORD_TABLES, TABLES, RecordCounts
from sanse.store.records import Part

SQL = Path(__file__).parent / "sql" / "records"
PART_BYTES = "32MB"  # a batch's records are stored in Parquet parts of about this size
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}


@dataclass(frozen=True)
class Changes:
    """The records of an import that the index did not hold as they are, per table; they are
    the relations `diff_<table>` (with `old_seg`, the segment of the version they replace, null
    for a new record), and the versions they replace `replaced_<table>`."""

    new: RecordCounts
    changed: RecordCounts
    first: bool  # the index held no record at all: every town-day counted is the import's alone
    replaced: dict[str, list[int]]  # per table, the index's segments holding the versions replaced

    @property
    def records(self) -> int:
        return self.new.total + self.changed.total

    def rows(self, table: str) -> int:
        return getattr(self.new, table) + getattr(self.changed, table)


def compare(con: duckdb.DuckDBPyConnection, index: RecordIndex, received: RecordCounts) -> Changes:
    """Find the new and changed records of each table: an id the index lacks, or holds with
    another content hash. Only the index's segments whose ids could match are read."""
    first = index.empty()
    new, changed, replaced = {}, {}, {}
    for table in TABLES:
        spec = RECORD_TABLES[table]
        _incoming(con, index, table)
        replaced_columns = ", ".join(("id", *spec.counted))
        if first or not index.rows(table):
            con.execute(
                f"create or replace temp view diff_{table} as "
                f"select *, cast(null as integer) as old_seg from incoming_{table}"
            )
            con.execute(
                f"create or replace temp view replaced_{table} as "
                f"select {replaced_columns} from incoming_{table} where false"
            )
            new[table], changed[table], replaced[table] = getattr(received, table), 0, []
            continue
        segments = index.segments_holding(table, f"select id from incoming_{table}", getattr(received, table))
        counted = ", ".join(spec.counted)
        held = ", ".join(f"held.{column} as old_{column}" for column in spec.counted)
        con.execute(  # one pass over the segments: the version a changed record replaces comes along
            f"""
            create or replace temp table diff_{table} as
            select incoming.*, held.seg as old_seg, {held}
            from incoming_{table} as incoming
            left join (select seg, id, h, {counted} from idx.{table} where {in_segments(segments)}) as held
                on held.id = incoming.id
            where held.id is null or held.h <> incoming.h
            """
        )
        old = ", ".join(f"old_{column} as {column}" for column in spec.counted)
        con.execute(
            f"create or replace temp view replaced_{table} as "
            f"select id, {old} from diff_{table} where old_seg is not null"
        )
        total, changed[table] = con.execute(f"select count(*), count(old_seg) from diff_{table}").fetchone()
        new[table] = total - changed[table]
        replaced[table] = [
            row[0]
            for row in con.execute(
                f"select distinct old_seg from diff_{table} where old_seg is not null order by 1"
            ).fetchall()
        ]
    return Changes(RecordCounts(**new), RecordCounts(**changed), first, replaced)


def recount(con: duckdb.DuckDBPyConnection, index: RecordIndex, changes: Changes) -> pa.Table:
    """The daily counts (the 3.1 form) of the town-days `changes` count differently on, from
    every record of those town-days: the index's, less the versions replaced, and the new ones."""
    if changes.first:  # every town-day counted is in the import alone
        for table in TABLES:
            con.execute(
                f"create or replace temp view current_{table} as "
                f"select {', '.join(RECORD_TABLES[table].counted)} from diff_{table}"
            )
        return con.sql(
            f"select cast(null as integer) as row_number, * from ({_sql('town_day_counts')})"
        ).to_arrow_table()
    con.execute(f"create or replace temp table affected as {_sql('affected_town_days')}")
    con.execute("create or replace temp table affected_days as select distinct date as day from affected")
    for table in TABLES:
        spec = RECORD_TABLES[table]
        counted = ", ".join(spec.counted)
        current = [f"select {counted} from diff_{table}"]
        if index.rows(table):
            segments = index.segments_of_days(table, "select day from affected_days")
            on_days = " or ".join(f"{d} in (select day from affected_days)" for d in spec.days)
            current.append(
                f"select {counted} from idx.{table} where {in_segments(segments)} and ({on_days}) "
                f"and id not in (select id from replaced_{table})"
            )
        con.execute(f"create or replace temp view current_{table} as {' union all '.join(current)}")
    con.execute(f"create or replace temp view town_day_counts as {_sql('town_day_counts')}")
    return con.sql(_sql("affected_counts")).to_arrow_table()


def write_parts(con: duckdb.DuckDBPyConnection, changes: Changes, folder: Path) -> dict[str, list[Path]]:
    """Write the new and changed records as the store keeps them: zstd Parquet parts of each
    table in `folder`. The records are read from the export once: `diff_<table>` reads the
    parts from here on."""
    written = {}
    for table in TABLES:
        if not changes.rows(table):
            continue
        target = folder / table
        kept = ", ".join(RECORD_TABLES[table].kept)
        con.execute(
            f"copy (select {kept} from diff_{table}) to {quoted(target)} "
            f"(format parquet, compression zstd, file_size_bytes '{PART_BYTES}')"
        )
        written[table] = sorted(target.glob("*.parquet"), key=lambda path: int(path.stem.rsplit("_", 1)[-1]))
        if changes.first:  # diff_<table> was the export itself
            files = ", ".join(quoted(path) for path in written[table])
            con.execute(
                f"create or replace temp view diff_{table} as "
                f"select *, cast(null as integer) as old_seg from read_parquet([{files}])"
            )
    return written


def parts(con: duckdb.DuckDBPyConnection, written: dict[str, list[Path]]) -> Iterator[Part]:
    """The parts `write_parts` wrote, read one at a time."""
    for table, paths in written.items():
        for path in paths:
            rows = con.execute(f"select count(*) from read_parquet({quoted(path)})").fetchone()[0]
            yield Part(table, rows, path.read_bytes())


def _incoming(con: duckdb.DuckDBPyConnection, index: RecordIndex, table: str) -> None:
    """`incoming_<table>`: the validated records in the kept form, with their content hash.
    Ids are BIGINT when every id of the table, here and in the index, is an integer."""
    spec = RECORD_TABLES[table]
    key = _integer_or_text(con, table, spec.id)
    if key == "VARCHAR" and index.key_type(table) == "BIGINT":
        index.widen(table)
    if index.key_type(table) == "VARCHAR":
        key = "VARCHAR"
    fields = "".join(f", cast(r.{name} as {kind}) as {name}" for name, kind in spec.fields)
    unit = f", cast(r.unit_id as {_integer_or_text(con, table, 'unit_id')}) as unit_id" if spec.unit else ""
    days = "".join(f", r.{d}" for d in spec.days)
    con.execute(
        f"""
        create or replace temp view incoming_{table} as
        select *, {spec.content_hash()} as h
        from (
            select cast(r.{spec.id} as {key}) as id, codes.town_code{days}{fields}{unit}
            from {table}_rows as r
            join town_codes as codes on codes.town = r.town
        )
        """
    )


def _integer_or_text(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    """BIGINT when every value of `column` in the validated `table` is an integer (text
    written the way an integer is, as a CSV gives it), else VARCHAR."""
    kind = con.execute(f"select column_type from (describe {table}_rows) where column_name = ?", [column]).fetchone()[0]
    if kind in _INTEGER_TYPES:
        return "BIGINT"
    if kind != "VARCHAR":
        return "VARCHAR"
    integers = con.execute(
        f"select bool_and(cast(try_cast({column} as bigint) as varchar) is not distinct from {column}) from {table}_rows"
    ).fetchone()[0]
    return "VARCHAR" if integers is False else "BIGINT"


def _sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")
