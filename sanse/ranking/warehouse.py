"""Typed reads from the built warehouse: the one place that queries DuckDB for the app and CLI.

The warehouse is derived from the store and private to each server: a folder of immutable
Parquet segments — daily counts, rankings, and the cumulative sums carried out of the span —
one set per day of the current month and one per month before it, and `manifest.json`, which
names the segments of the current build and is replaced atomically. A reader takes one
manifest and keeps a consistent view while newer builds land; a build writes only the
segments from its earliest changed day.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from sanse.deployment.home import Home
from sanse.deployment.settings import Settings
from sanse.deployment.towns import Town
from sanse.facts.report import COUNT_COLUMNS, with_counts

SEGMENT_TABLES = ("daily_counts", "rankings")
WINDOW_SUMS = with_counts((Path(__file__).parent / "sql" / "window_sums.sql").read_text(encoding="utf-8"))


class NotBuilt(RuntimeError):
    """No warehouse yet: run `sanse build` (or `sanse init --demo`)."""


@dataclass(frozen=True)
class Manifest:
    """What one build is made of; the file `manifest.json` in the warehouse folder."""

    inputs: str  # ranking_inputs(): the towns and rules it ranked by
    code: str  # the build code it was made with
    built_seq: int  # the newest report version it has seen
    first_day: date | None
    last_day: date | None
    towns: str  # segment file of the active towns
    # "2026-10" (a month) or "2026-11-03" (a day) -> {"daily_counts": file, "rankings": file, "carry": file}
    segments: dict[str, dict[str, str]]
    kind: str = "full"  # or "incremental"
    built_at: str = ""
    records_seq: int = 0  # the newest batch of records whose counts it has seen

    def to_json(self) -> str:
        data = {**self.__dict__, "first_day": _iso(self.first_day), "last_day": _iso(self.last_day)}
        return json.dumps(data, ensure_ascii=False, indent=1)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("first_day", "last_day"):
            data[key] = date.fromisoformat(data[key]) if data[key] else None
        return cls(**data)

    def files(self) -> set[str]:
        return {self.towns} | {name for segment in self.segments.values() for name in segment.values()}


@dataclass
class Warehouse:
    path: Path  # manifest.json
    con: duckdb.DuckDBPyConnection
    identity: tuple[int, int]
    manifest: Manifest

    @classmethod
    def open(cls, home: Home) -> Warehouse:
        try:
            identity = _identity(home.warehouse)
            manifest = Manifest.read(home.warehouse)
        except (FileNotFoundError, json.JSONDecodeError, TypeError, KeyError):
            raise NotBuilt(f"还没有生成数据仓库：请先运行 sanse --home {home.root} build") from None
        return cls(home.warehouse, connect(home.warehouse.parent, manifest), identity, manifest)

    def fresh(self) -> bool:
        """False once a newer build has been swapped in (time to reopen)."""
        try:
            return _identity(self.path) == self.identity
        except FileNotFoundError:
            return False

    def close(self) -> None:
        self.con.close()

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        frame = self.con.cursor().execute(sql, params or []).df()
        if "date" in frame.columns:
            frame["date"] = pd.to_datetime(frame["date"]).dt.date
        return frame

    def built_from(self) -> str:
        """What this build ranked by (`ranking_inputs`): compare before publishing."""
        return self.manifest.inputs

    # ------------------------------------------------------------ rankings

    def dates(self) -> list[date]:
        return list(self.query("select distinct date from rankings order by date")["date"])

    def spans(self, day: date) -> bool:
        """`day` lies between the campaign's first day and the last day with data."""
        first, last = self.manifest.first_day, self.manifest.last_day
        return first is not None and last is not None and first <= day <= last

    def why_unranked(self, day: date) -> str:
        """Why `day` has no ranking, in plain Chinese: no town reported that day (design §2), or
        it lies outside the days with data."""
        if self.spans(day):
            return f"{day} 没有任何镇街报送数据，当日不排名、不评定等级"
        days = self.dates()
        span = f"{days[0]} 至 {days[-1]}" if days else "无"
        return f"{day} 没有排名：有排名的日期为 {span}"

    def groups(self) -> list[str]:
        return list(self.query('select distinct "group" from rankings order by "group"')["group"])

    def ranking(self, day: date, group: str | None = None) -> pd.DataFrame:
        """The ranking of one day, best first, one group or all groups."""
        return self.query(
            """
            select * from rankings
            where date = ? and (? is null or "group" = ?)
            order by "group", rank, code
            """,
            [day, group, group],
        )

    def rankings_between(self, first: date, last: date, group: str | None = None) -> pd.DataFrame:
        return self.query(
            """
            select * from rankings
            where date between ? and ? and (? is null or "group" = ?)
            order by date, "group", rank, code
            """,
            [first, last, group, group],
        )

    def town_rankings(self, code: str) -> pd.DataFrame:
        """One town's ranking row on every day."""
        return self.query("select * from rankings where code = ? order by date", [code])

    # ------------------------------------------------------------ counts

    def window_sums(self, day: date, window: str, group: str | None = None) -> pd.DataFrame:
        """The window sums behind a day's ranking (input of `what_it_takes`)."""
        frame = self.query(
            """
            select * from window_sums
            where date = ? and "window" = ? and (? is null or "group" = ?)
            order by town_code
            """,
            [day, window, group, group],
        )
        return frame.rename(columns={"town_code": "code"})

    def totals(self, day: date, group: str | None = None) -> dict[str, dict[str, float]]:
        """Headline totals: that day's and the campaign's up to that day."""
        sums = ", ".join(f"sum({c}) as {c}" for c in COUNT_COLUMNS)
        frame = self.query(
            f"""
            select 'day' as span, {sums}, count(*) filter (where not not_reported) as reporting
            from daily_counts where date = ? and (? is null or "group" = ?)
            union all
            select 'cumulative' as span, {sums}, count(*) filter (where not not_reported) as reporting
            from daily_counts where date <= ? and (? is null or "group" = ?)
            """,
            [day, group, group, day, group, group],
        )
        return {
            row["span"]: {k: float(v or 0) for k, v in row.items() if k != "span"} for row in frame.to_dict("records")
        }

    def daily_counts(self, first: date, last: date) -> pd.DataFrame:
        """Every town's own figures (zeros where it did not report) for each day in a span."""
        return self.query(
            "select * from daily_counts where date between ? and ? order by date, town_code",
            [first, last],
        )


def connect(folder: Path, manifest: Manifest) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose views read the segments `manifest` names in `folder`."""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    con.execute("set parquet_metadata_cache = true")  # a segment never changes: read its footer once
    con.execute(f"create view towns as select * from read_parquet('{_path(folder, manifest.towns)}')")
    for table in SEGMENT_TABLES:
        files = [_path(folder, segment[table]) for _, segment in sorted(manifest.segments.items())]
        if files:
            listed = ", ".join(f"'{f}'" for f in files)
            con.execute(f"create view {table} as select * from read_parquet([{listed}], union_by_name = true)")
        else:  # a build of no day: empty tables with the columns of the towns
            con.execute(f"create view {table} as select *, null::date as date from towns where false")
    first, last = manifest.first_day, manifest.last_day
    if first and last:
        con.execute(
            f"create view calendar as select cast(unnest(generate_series(date '{first}', date '{last}', "
            "interval 1 day)) as date) as date"
        )
    else:
        con.execute("create view calendar as select null::date as date where false")
    con.execute(f"create view window_sums as {WINDOW_SUMS}")
    return con


def segment_span(key: str) -> tuple[date, date] | None:
    """The days a segment key covers: one day ("2026-11-03"), a month ("2026-10"), or none ("")."""
    if len(key) == 10:
        day = date.fromisoformat(key)
        return day, day
    if len(key) == 7:
        first = date.fromisoformat(f"{key}-01")
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first, following - timedelta(days=1)
    return None


def ranking_inputs(settings: Settings, towns: list[Town]) -> str:
    """One hash of what the rankings follow from besides the reports: the towns, the campaign
    start and the rules versions. The title, numbering and other settings change no ranking."""
    return hashlib.sha256(repr((settings.campaign.start, settings.versions, towns)).encode()).hexdigest()


def _path(folder: Path, name: str) -> str:
    path = str(folder / name)
    if "'" in path:
        raise ValueError(f"仓库路径不能含单引号：{path}")
    return path


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _identity(path: Path) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_ino, stat.st_mtime_ns
