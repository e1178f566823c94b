"""Typed reads from the built warehouse: the one place that queries DuckDB for the app and CLI.

Each build is its own file, `warehouse-<stamp>.duckdb`; `warehouse.duckdb` is a symlink to
the current one, swapped atomically. A reader opens the file the link points to, read-only,
and keeps a consistent view while newer builds land; `identity` tells builds apart. Distinct
file names also keep DuckDB from handing a reader its cached instance of an
older build under the same path.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from sanse.config import COUNT_COLUMNS
from sanse.durable import fsync_directory
from sanse.home import Home


class NotBuilt(RuntimeError):
    """No warehouse yet: run `sanse build` (or `sanse init --demo`)."""


@dataclass
class Warehouse:
    path: Path
    con: duckdb.DuckDBPyConnection
    identity: tuple[int, int]

    @classmethod
    def open(cls, home: Home) -> "Warehouse":
        for _ in range(3):  # a build may retire the file between resolving and opening it
            try:
                path = home.warehouse.resolve(strict=True)
                con = duckdb.connect(str(path), read_only=True)
                return cls(home.warehouse, con, _identity(path))
            except (FileNotFoundError, duckdb.IOException):
                continue
        raise NotBuilt(f"还没有生成数据仓库：请先运行 sanse --home {home.root} build")

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

    def built_from(self) -> str | None:
        """The hash of towns, rules and code this build was made from (pipelines.build.inputs_hash)."""
        try:
            rows = self.con.cursor().execute("select inputs from build_info").fetchall()
        except duckdb.Error:
            return None
        return rows[0][0] if rows else None

    # ------------------------------------------------------------ rankings

    def dates(self) -> list[date]:
        return list(self.query("select distinct date from rankings order by date")["date"])

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
        return {row["span"]: {k: float(v or 0) for k, v in row.items() if k != "span"} for row in frame.to_dict("records")}

    def daily_counts(self, first: date, last: date) -> pd.DataFrame:
        """Every town's own figures (zeros where it did not report) for each day in a span."""
        return self.query(
            "select * from daily_counts where date between ? and ? order by date, town_code",
            [first, last],
        )


def install_build(home: Home, built: Path) -> Path:
    """Make the finished build file `built` the current warehouse, atomically.

    The file is renamed to a unique name and the `warehouse.duckdb` symlink is replaced to
    point at it; builds older than the previous one are removed (a reader that still has one
    open keeps reading it until it closes).
    """
    final = home.root / f"warehouse-{time.time_ns():020d}.duckdb"
    os.replace(built, final)
    link = home.root / f".warehouse-{final.stem}.link"
    os.symlink(final.name, link)
    os.replace(link, home.warehouse)
    fsync_directory(home.root)
    for old in sorted(home.root.glob("warehouse-*.duckdb"))[:-2]:
        old.unlink(missing_ok=True)
    return final


def _identity(path: Path) -> tuple[int, int]:
    stat = os.stat(path)  # follows the link: the current build file
    return stat.st_ino, stat.st_mtime_ns

