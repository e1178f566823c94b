"""What one import of records changes: which records are new or changed against the records
received before (the kept objects), which town-days they count differently on, and the counts
of those town-days: a batch's count with the changes added, or counted again from every record
of the town-day. Everything is a relation in the import's
DuckDB connection, where the validated tables are the views `<table>_rows` and the towns
`town_codes`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from sanse.facts.report import COUNTS
from sanse.pipelines.records.objects import Received
from sanse.pipelines.records.tables import RECORD_TABLES, TABLES, RecordCounts

SQL = Path(__file__).parent / "sql"
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}


@dataclass(frozen=True)
class Changes:
    """The records of an import that were not received before as they are, per table: the
    relations `diff_<table>` (with `old_batch`, the batch of the version they replace, null for
    a new record), and the versions they replace, `replaced_<table>`."""

    new: RecordCounts
    changed: RecordCounts
    first: bool  # nothing was received before: every town-day counted is the import's alone
    keys: dict[str, str]  # per table, the type its ids are compared as: BIGINT, or VARCHAR for text ids

    @property
    def records(self) -> int:
        return self.new.total + self.changed.total

    def rows(self, table: str) -> int:
        return getattr(self.new, table) + getattr(self.changed, table)


def compare(con: duckdb.DuckDBPyConnection, received: Received, counts: RecordCounts) -> Changes:
    """Find the new and changed records of each table: an id never received, or received last
    with another content (town, days, level or kind, persons, amount, unit). Only the objects, and in them the row groups, whose ids can match
    are read."""
    first = not any(received.objects[table] for table in TABLES)
    new, changed, keys = {}, {}, {}
    for table in TABLES:
        spec = RECORD_TABLES[table]
        keys[table] = key = _key(con, received, table)
        _incoming(con, table, key)
        old = ", ".join(f"cast(null as {_type(table, c)}) as old_{c}" for c in spec.counted)
        holding = []
        if received.objects[table] and getattr(counts, table):
            low, high = _range(con, table, key)
            holding = received.holding_ids(table, low, high)
        if not holding:
            con.execute(
                f"create or replace temp view diff_{table} as "
                f"select *, cast(null as integer) as old_batch, {old} from incoming_{table}"
            )
            new[table], changed[table] = getattr(counts, table), 0
        else:
            # the range of the ids alone (an integer range) when one object holds them: the join
            # below drops the others, and a semi-join first costs as much again
            within = f"id in (select id from incoming_{table})"
            if low is not None:
                within = f"id between {int(low)} and {int(high)}" + (f" and {within}" if len(holding) > 1 else "")
            held = " union all ".join(received.records(table, listed, key, within) for listed in holding)
            newest = "qualify row_number() over (partition by id order by batch desc) = 1" if len(holding) > 1 else ""
            counted = ", ".join(f"held.{c} as old_{c}" for c in spec.counted)
            differs = _differs(con, table, f"select * from ({held}) {newest}")
            con.execute(  # one pass over the objects: the version a changed record replaces comes along
                f"""
                create or replace temp table diff_{table} as
                with held as (select * from ({held}) {newest})
                select incoming.*, held.batch as old_batch, {counted}
                from incoming_{table} as incoming
                left join held on held.id = incoming.id
                where held.id is null or {differs}
                """
            )
            total, changed[table] = con.execute(f"select count(*), count(old_batch) from diff_{table}").fetchone()
            new[table] = total - changed[table]
        columns = ", ".join(f"old_{c} as {c}" for c in spec.counted)
        con.execute(
            f"create or replace temp view replaced_{table} as "
            f"select id, {columns} from diff_{table} where old_batch is not null"
        )
    return Changes(RecordCounts(**new), RecordCounts(**changed), first, keys)


def recount(
    con: duckdb.DuckDBPyConnection, received: Received, changes: Changes, standing: Callable[[date, date], pd.DataFrame]
) -> pa.Table:
    """The daily counts (the 3.1 form) of the town-days `changes` count differently on, as
    counting every record of those town-days gives them: the newest versions received before,
    less those replaced, and the new ones.

    `standing(first, last)` gives the current figures of those days (as
    `pipelines.records.counts.standing` does). A changed town-day whose figure is a batch's count
    (which holds every record received before) gets the changes added to it, and none of its
    records is read again; the others (a report's figure, or none yet) are counted from every
    record of them."""
    if changes.first:  # every town-day counted is in the import alone
        return _first_counts(con)
    con.execute(f"create or replace temp table count_changes as {_sql('count_changes')}")
    first, last = con.execute("select min(date), max(date) from count_changes").fetchall()[0]
    from_counts = ""
    if first is None:  # the changes count nothing
        con.execute("create or replace temp table affected as select town_code, date from count_changes")
    else:  # the town-days whose count follows from their batch's (moved), and the others (affected)
        con.register("standing", standing(first, last))
        con.execute(f"create or replace temp table moved as {_sql('moved_counts')}")
        con.execute(
            "create or replace temp table affected as select town_code, date from moved where counted_before is null"
        )
        first, last = con.execute("select min(date), max(date) from affected").fetchall()[0]
        from_counts = "union all by name select * exclude (counted_before) from moved where counted_before"
    con.execute("create or replace temp table affected_days as select distinct date as day from affected")
    for table in TABLES:
        counted = ", ".join(RECORD_TABLES[table].counted)
        held = _held_on_days(con, received, table, changes.keys[table], first, last) if first is not None else []
        current = " union all ".join([f"select {counted} from diff_{table}", *held])
        # held once in a table: town_day_counts.sql reads the hazards twice
        con.execute(f"create or replace temp table counted_{table} as {current}")
        con.execute(f"create or replace temp view current_{table} as select * from counted_{table}")
    con.execute(f"create or replace temp view town_day_counts as {_sql('town_day_counts')}")
    return con.sql(f"select * from ({_sql('affected_counts')}) {from_counts} order by date, town_code").to_arrow_table()


def _first_counts(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The daily counts of a first import: counted by the towns as spelled, then each spelling
    given its town's code (and two spellings of one town summed), in the order of the store's
    keys, where its indexes grow at their ends."""
    for table in TABLES:
        counted = ", ".join("town as town_code" if c == "town_code" else c for c in RECORD_TABLES[table].counted)
        con.execute(f"create or replace temp view current_{table} as select {counted} from {table}_rows")
    ((one_each,),) = con.execute("select count(*) = count(distinct town_code) from town_codes").fetchall()
    if one_each:  # each town spelled one way: its counts only take its code
        counts = ", ".join(f"cast(counted.{c.key} as {c.sql_type}) as {c.key}" for c in COUNTS)
        grouped = ""
    else:
        counts = ", ".join(f"cast(sum(counted.{c.key}) as {c.sql_type}) as {c.key}" for c in COUNTS)
        grouped = "group by counted.date, codes.town_code"
    return con.sql(
        f"""
        select cast(null as integer) as row_number, counted.date, codes.town_code, {counts}
        from ({_sql("town_day_counts")}) as counted
        join town_codes as codes on codes.town = counted.town_code
        {grouped}
        order by counted.date, codes.town_code
        """
    ).to_arrow_table()


def _held_on_days(con: duckdb.DuckDBPyConnection, received: Received, table: str, key: str, first, last) -> list[str]:
    """SQL for the newest versions received before of the records of `table` that count on the
    affected days, less those the import replaces: the records of the objects holding those days
    whose id no later object holds."""
    spec = RECORD_TABLES[table]
    holding = received.holding_days(table, first, last)
    if not holding:
        return []
    # One query per day column, each filtered on that column alone, so that DuckDB reads only the
    # row groups whose statistics for it can hold the days; a record counting on affected days
    # by two columns (a hazard found and rectified in them) comes from the first.
    candidates = " union all ".join(
        received.records(
            table,
            listed,
            key,
            " and ".join(
                [
                    f"{d} between date '{first}' and date '{last}' and {d} in (select day from affected_days)",
                    *(f"{e} not in (select day from affected_days)" for e in spec.days[:n]),
                ]
            ),
        )
        for listed in holding
        for n, d in enumerate(spec.days)
    )
    held = (
        f"select batch, id, {', '.join(spec.counted)} from ({candidates}) where id not in (select id from diff_{table})"
    )
    if not any(listed.batch > min(h.batch for h in holding) for listed in received.objects[table]):
        return [f"select {', '.join(spec.counted)} from ({held})"]  # no later batch can hold a newer version
    con.execute(f"create or replace temp table held_{table} as {held}")
    earliest, low, high = con.execute(f"select min(batch), min(id), max(id) from held_{table}").fetchone()
    if earliest is None:
        return []
    if key != "BIGINT":
        low = high = None
    later = [listed for listed in received.holding_ids(table, low, high) if listed.batch > earliest]
    counted = ", ".join(f"held.{c}" for c in spec.counted)
    if not later:
        return [f"select {counted} from held_{table} as held"]
    within = f"id in (select id from held_{table})"
    if low is not None:
        within = f"id between {int(low)} and {int(high)} and {within}"
    newer = " union all ".join(
        f"select batch, id from ({received.records(table, listed, key, within)})" for listed in later
    )
    con.execute(f"create or replace temp table newer_{table} as {newer}")
    return [
        f"select {counted} from held_{table} as held where not exists "
        f"(select 1 from newer_{table} as newer where newer.id = held.id and newer.batch > held.batch)"
    ]


def _differs(con: duckdb.DuckDBPyConnection, table: str, held: str) -> str:
    """SQL that is true when the `held` version of a record says something else than the
    `incoming` one, column by column (no hash to compute); a unit typed differently on the two
    sides (a number in one file, text in another) is compared as text."""
    spec = RECORD_TABLES[table]
    held_types = dict(con.execute(f"select column_name, column_type from (describe {held})").fetchall())
    incoming_types = dict(con.execute(f"select column_name, column_type from (describe incoming_{table})").fetchall())
    compared = []
    for column in spec.content:
        if held_types[column] == incoming_types[column]:
            compared.append(f"held.{column} is distinct from incoming.{column}")
        else:
            compared.append(f"cast(held.{column} as varchar) is distinct from cast(incoming.{column} as varchar)")
    return "(" + " or ".join(compared) + ")"


def _incoming(con: duckdb.DuckDBPyConnection, table: str, key: str) -> None:
    """`incoming_<table>`: the validated records in the kept form, a view read where it is
    compared with what was received before (a table written first costs more than it saves)."""
    spec = RECORD_TABLES[table]
    fields = "".join(f", cast(r.{name} as {kind}) as {name}" for name, kind in spec.fields)
    unit = ", r.unit_id" if spec.unit else ""
    days = "".join(f", r.{d}" for d in spec.days)
    con.execute(
        f"""
        create or replace temp view incoming_{table} as
        select cast(r.{spec.id} as {key}) as id, codes.town_code{days}{fields}{unit}
        from {table}_rows as r
        join town_codes as codes on codes.town = r.town
        """
    )


def _key(con: duckdb.DuckDBPyConnection, received: Received, table: str) -> str:
    """BIGINT when every id of the table, in the import and received before, is an integer;
    else VARCHAR, as which the integers are their decimal text."""
    if received.text_ids(table):
        return "VARCHAR"
    return integer_or_text(con, table, RECORD_TABLES[table].id)


def _range(con: duckdb.DuckDBPyConnection, table: str, key: str) -> tuple[int | None, int | None]:
    """The range of the import's ids of `table` (integers), straight from its file."""
    if key != "BIGINT":
        return None, None
    column = RECORD_TABLES[table].id
    return con.execute(
        f"select min(cast({column} as bigint)), max(cast({column} as bigint)) from {table}_rows"
    ).fetchone()


def integer_or_text(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
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


def _type(table: str, column: str) -> str:
    if column == "town_code":
        return "varchar"
    if column in RECORD_TABLES[table].days:
        return "date"
    return dict(RECORD_TABLES[table].fields)[column]


def _sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")
