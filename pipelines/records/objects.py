"""The records received, as DuckDB reads them: the objects the store's batches list, each
fetched once into this server's copy (home.record_objects, derived and private like the
warehouse), and SQL that reads a table's records from them.

A question about some ids or some days reads only the objects whose ranges (in the manifest)
can hold them, and in those DuckDB reads only the row groups whose statistics can: an inspection
system numbers its records as it makes them, so a day's new records fall past every object and
a hazard rectified today in the row groups of the weeks it was found in. What an import costs
follows what it brings, not what was received before it.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from sanse.deployment.home import Home
from sanse.pipelines.records.tables import RECORD_DAY_MACRO, RECORD_TABLES, TABLES, typed_columns
from sanse.store.records import Batch, KeptObject, batches, read_object

ASIDE_SECONDS = 24 * 3600  # a file aside this long belongs to no running import: a killed one left it
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listed:
    """An object as one batch lists it."""

    batch: int
    kept: KeptObject
    towns: dict[str, str] | None


class Received:
    """Every record received, per table, as the objects of the store's batches in the order
    they were committed; read through the DuckDB connection `con`."""

    def __init__(self, home: Home, con: duckdb.DuckDBPyConnection, listed: list[Batch]) -> None:
        self.home = home
        self.con = con
        self.batch_seq = listed[-1].seq if listed else 0
        self.objects: dict[str, list[Listed]] = {table: [] for table in TABLES}
        for batch in listed:
            for kept in batch.objects:
                self.objects[kept.table].append(Listed(batch.seq, kept, batch.towns))
        self._towns_registered: set[int] = set()
        con.execute(RECORD_DAY_MACRO)

    @classmethod
    def of(cls, home: Home, con: duckdb.DuckDBPyConnection) -> Received:
        return cls(home, con, batches(home.store))

    # ------------------------------------------------------------ what is held

    def rows(self, table: str) -> int:
        """How many record versions `table` holds (an upper bound on its records)."""
        return sum(listed.kept.rows for listed in self.objects[table])

    def text_ids(self, table: str) -> bool:
        """Whether some record of `table` has an id that is not an integer."""
        return any(listed.kept.id_lo is None and listed.kept.rows for listed in self.objects[table])

    def newest(self, table: str) -> Listed | None:
        return self.objects[table][-1] if self.objects[table] else None

    # ------------------------------------------------------------ reading

    def holding_ids(self, table: str, low, high) -> list[Listed]:
        """The objects of `table` whose ids can lie in [low, high] (None: any id)."""
        return [
            listed
            for listed in self.objects[table]
            if low is None or listed.kept.id_lo is None or (listed.kept.id_lo <= high and listed.kept.id_hi >= low)
        ]

    def holding_days(self, table: str, first: date, last: date) -> list[Listed]:
        """The objects of `table` with records that can count on a day in [first, last]."""
        return [
            listed
            for listed in self.objects[table]
            if listed.kept.first_day is not None and listed.kept.first_day <= last and listed.kept.last_day >= first
        ]

    def records(self, table: str, listed: Listed, key: str, where: str = "true") -> str:
        """SQL for the records of one object in the kept form — `batch`, `id` (as `key`), town
        code, days, fields, unit — those matching `where` (over that form)."""
        spec = RECORD_TABLES[table]
        path = _quoted(self.path(listed.kept))
        fields = "".join(f", cast({name} as {kind}) as {name}" for name, kind in spec.fields)
        unit = ", unit_id" if spec.unit else ""
        days = "".join(f", {d}" for d in spec.days)
        # `where` reads only the id and the days: it filters the records before their towns are
        # looked up, and DuckDB skips the row groups whose statistics it rules out
        if listed.kept.received_as == "coded":  # revision 0004: kept with town codes
            return (
                f"select {listed.batch} as batch, * from (select cast(id as {key}) as id, town_code{days}{fields}{unit} "
                f"from read_parquet({path})) where {where}"
            )
        self._register_towns(listed)
        types = dict(
            self.con.execute(
                f"select column_name, column_type from (describe select * from read_parquet({path}))"
            ).fetchall()
        )
        typed = ", ".join(typed_columns(table, types))
        return (
            f"select {listed.batch} as batch, r.id, codes.town_code{days}{fields}{unit} "
            f"from (select * from (select cast({spec.id} as {key}) as id, * exclude ({spec.id}) "
            f"from (select {typed} from read_parquet({path}))) where {where}) as r "
            f"join record_towns_{listed.batch} as codes on codes.town = r.town"
        )

    def path(self, kept: KeptObject) -> Path:
        """This server's copy of an object, fetched from the store the first time."""
        path = self.home.record_objects / f"{kept.key}.parquet"
        if not path.exists():
            fetch(self.home, kept)
        return path

    def _register_towns(self, listed: Listed) -> None:
        if listed.batch in self._towns_registered:
            return
        towns = listed.towns or {}
        self.con.execute(  # handed over as two lists, not row by row
            f"create or replace temp table record_towns_{listed.batch} as "
            "select unnest(cast(? as varchar[])) as town, unnest(cast(? as varchar[])) as town_code",
            [list(towns), list(towns.values())],
        )
        self._towns_registered.add(listed.batch)


def fetch(home: Home, kept: KeptObject) -> Path:
    """Copy one object from the store to this server (written aside, then renamed: a copy is
    whole or absent)."""
    folder = home.record_objects
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kept.key}.parquet"
    aside = folder / f".{kept.key}-{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(aside, "wb") as writer:
            for piece in read_object(home.store, kept.key):
                writer.write(piece)
        os.replace(aside, path)
    finally:
        aside.unlink(missing_ok=True)
    return path


def aside(home: Home, table: str) -> Path:
    """Where an import writes the object it is about to keep, until the store has it."""
    folder = home.record_objects
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f".{table}-{uuid.uuid4().hex}.tmp"


def catch_up(home: Home) -> int:
    """Fetch every object of the store this server has no copy of yet (`sanse build` does, so
    that the next import finds them here), and remove what killed imports left aside. Returns
    how many were fetched."""
    if home.record_objects.is_dir():
        stale = time.time() - ASIDE_SECONDS
        for left in home.record_objects.glob(".*.tmp"):
            if left.stat().st_mtime < stale:
                left.unlink(missing_ok=True)
    fetched = 0
    for kept in _listed(home):
        if not (home.record_objects / f"{kept.key}.parquet").exists():
            fetch(home, kept)
            fetched += 1
    return fetched


def _listed(home: Home) -> Iterator[KeptObject]:
    seen = set()
    for batch in batches(home.store):
        for kept in batch.objects:
            if kept.key not in seen:
                seen.add(kept.key)
                yield kept


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
