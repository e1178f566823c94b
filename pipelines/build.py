"""Build the warehouse from the submission log: staging -> marts -> rankings -> checks.

The warehouse is derived. It is built into a fresh file beside the live one and swapped in
only when every check passes, so readers always see the last good build and a killed build
leaves nothing half-done. When only new days have arrived since the last build (same towns,
rules and code, every earlier log file still there and nothing in the new files on or before
the last day built), the last build is copied and extended by those days alone; anything
else rebuilds from scratch. Both ways give the same tables.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.grid import DailyGrid, daily_grid, window_frame
from pipelines.submissions import log_files
from sanse.config import Settings, Town, read_settings, read_towns
from sanse.home import Home
from sanse.ranking import add_movement, rank_blocks
from sanse.warehouse import install_build

SQL = Path(__file__).parent / "sql"
# Changing any of these changes what a build produces, so a previous build made with other
# code is never extended.
_CODE = (Path(__file__), Path(__file__).parent / "grid.py", Path(__file__).parents[1] / "sanse" / "ranking.py",
         Path(__file__).parents[1] / "sanse" / "config.py")


class CheckFailed(RuntimeError):
    """A data rule in sql/checks returned rows; the message lists them."""


@dataclass(frozen=True)
class BuildResult:
    days: int
    towns: int
    path: Path
    incremental: bool = False  # True when the last build was extended by new days only


@dataclass(frozen=True)
class Fingerprint:
    """What a build was made from: towns, rules and code (one hash) and the log files."""

    inputs: str
    log: tuple[str, ...]


def sql_steps(stage: str) -> list[tuple[str, str]]:
    """(table name, select) for each NN_name.sql of a stage, in order."""
    return [
        (path.stem.split("_", 1)[1], path.read_text(encoding="utf-8"))
        for path in sorted((SQL / stage).glob("*.sql"))
    ]


def build_tables(con: duckdb.DuckDBPyConnection, towns: list[Town], settings: Settings, files: list[str]) -> None:
    """Every table of a warehouse in `con`, from scratch, from the log files `files`."""
    run_models(con, towns, settings, files)
    ranked = rank_grid(daily_grid(con), settings)
    _store_rankings(con, add_movement(ranked, _red_alert_streak(settings), ordered=False), append=False)


def run_models(con: duckdb.DuckDBPyConnection, towns: list[Town], settings: Settings, files: list[str],
               after: date | None = None) -> None:
    """The staging and mart tables in `con` from the log files `files`: every day, or when
    `after` is given, the days after it appended to the tables of a copied build."""
    con.register("towns_source", towns_frame(towns))
    con.execute("set variable log_files = ?", [files])
    con.execute("set variable campaign_start = ?", [settings.campaign.start])
    con.execute("set variable after = cast(? as date)", [after])
    for stage in ("staging", "marts"):
        for name, select in sql_steps(stage):
            if name == "current_reports":
                # read by the checks, never by a page: it is not kept in the warehouse
                select = select if files else _EMPTY_REPORTS
                con.execute(f"create or replace temp table current_reports as {select}")
            elif after is None:
                con.execute(f"create or replace table {name} as {select}")
            elif name != "towns":  # unchanged: the towns are part of the fingerprint
                con.execute(f"insert into {name} by name {select}")


def run_checks(con: duckdb.DuckDBPyConnection) -> None:
    failures = []
    for path in sorted((SQL / "checks").glob("*.sql")):
        rows = con.execute(path.read_text(encoding="utf-8")).df()
        if len(rows):
            failures.append(f"{path.stem}: {len(rows)} 行\n{rows.head(10).to_string(index=False)}")
    if failures:
        raise CheckFailed("数据检查未通过：\n" + "\n".join(failures))


# ---------------------------------------------------------------- rankings

def rank_grid(grid: DailyGrid, settings: Settings, after: date | None = None) -> pd.DataFrame:
    """Score, rank and tier every day of `grid` (those after `after`) under the rules
    version in force that day, over that version's window; the rows in day order."""
    days = [day.item() for day in grid.days]
    ranked = np.array([after is None or day > after for day in days], dtype=bool)
    version_of_day = np.array([settings.versions.index(settings.rules_on(day)) for day in days], dtype=np.int64)
    parts = []
    for index, version in enumerate(settings.versions):
        chosen = ranked & (version_of_day == index)
        if chosen.any():
            frame = window_frame(grid, version.window, chosen)
            parts.append(rank_blocks(frame, version).assign(rules_effective=version.effective))
    if not parts:  # nothing reported yet: an empty table that still has every column
        first = settings.versions[0]
        empty = window_frame(grid, first.window, np.zeros(len(days), dtype=bool))
        parts.append(rank_blocks(empty, first).assign(rules_effective=None))
    return pd.concat(parts, ignore_index=True)


def continue_movement(ranked: pd.DataFrame, previous: pd.DataFrame, after: date, settings: Settings) -> pd.DataFrame:
    """`add_movement` for new days only, carrying on from the rankings of day `after`.

    `previous` holds that day's code, group, rank, tier and tier_streak. A streak that runs
    on from `after` continues its count there; everything else is exactly add_movement's.
    """
    slim = ["date", "group", "code", "rank", "tier"]
    carried = previous[slim].assign(_row=-1)
    fresh = ranked[slim].assign(_row=np.arange(len(ranked)))
    moved = add_movement(pd.concat([carried, fresh], ignore_index=True), _red_alert_streak(settings), ordered=False)
    moved = moved[moved["_row"] >= 0].sort_values("_row")
    streak = moved["tier_streak"].to_numpy()
    since = (pd.to_datetime(moved["date"]) - pd.Timestamp(after)).dt.days.to_numpy()
    before = moved.merge(previous[["code", "group", "tier_streak"]], on=["code", "group"], how="left",
                         suffixes=("", "_before"))["tier_streak_before"].to_numpy()
    runs_on = (streak == since + 1) & ~np.isnan(before.astype(float))
    streak = np.where(runs_on, streak + np.nan_to_num(before.astype(float)).astype(int) - 1, streak)
    out = ranked.copy()
    out["rank_change"] = moved["rank_change"].to_numpy()
    out["tier_streak"] = streak
    threshold = _red_alert_streak(settings)
    if callable(threshold):
        threshold = out["date"].map(threshold)
    out["red_alert"] = out["tier"].eq("red") & (out["tier_streak"] >= threshold)
    return out.sort_values(["date", "group", "rank", "code"], kind="stable").reset_index(drop=True)


def _red_alert_streak(settings: Settings) -> int | Callable[[object], int]:
    """The 约谈 threshold: one number when every rules version agrees (vectorised), else per day."""
    thresholds = {v.red_alert_streak for v in settings.versions}
    if len(thresholds) == 1:
        return thresholds.pop()
    return lambda day: settings.rules_on(pd.Timestamp(day).date()).red_alert_streak


def _store_rankings(con: duckdb.DuckDBPyConnection, ranked: pd.DataFrame, *, append: bool) -> None:
    """Store `ranked` in day order, so that a page reading one day reads few row groups."""
    arrow = pa.Table.from_pandas(ranked, preserve_index=False)  # DuckDB reads Arrow faster than pandas
    con.register("ranked", arrow)
    # The window sums come in day order and ranking keeps it: sorting again would cost more
    # than the rest of storing.
    days = ranked["date"].to_numpy()
    order = "" if np.all(days[1:] >= days[:-1]) else 'order by date, "group", rank, code'
    # rules_effective is empty for the first version: keep it a date column all the same
    typed = (
        "select * replace (cast(date as date) as date, cast(rules_effective as date) as rules_effective) "
        f"from ranked {order}"
    )
    if append:
        con.execute(f"insert into rankings by name {typed}")
    else:
        con.execute(f"create table rankings as {typed}")
        con.execute(f"create view window_sums as {_sql('views/window_sums')}")
    con.unregister("ranked")


# ---------------------------------------------------------------- build

def build(home: Home) -> BuildResult:
    home.ensure()
    # One build at a time: a slow build that read the log earlier must not rename its older
    # result over a newer one. Under the lock, any .build-* file is left by a killed build.
    with open(home.root / ".build.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for leftover in home.root.glob(".build-*.duckdb*"):
            leftover.unlink(missing_ok=True)
        return _build(home)


def _build(home: Home) -> BuildResult:
    towns = read_towns(home.towns_csv)
    settings = read_settings(home.rules_toml)
    files = log_files(home)
    fingerprint = Fingerprint(inputs_hash(home), tuple(Path(f).name for f in files))
    active = sum(t.active for t in towns)
    previous = _previous_build(home)
    if previous is not None and previous[0] == fingerprint:
        return BuildResult(days=previous[2], towns=active, path=home.warehouse, incremental=True)
    plan = _increment(previous, fingerprint, files)

    tmp = home.warehouse.with_name(f".build-{uuid.uuid4().hex[:8]}.duckdb")
    try:
        if plan is None:
            con = duckdb.connect(str(tmp))
            build_tables(con, towns, settings, files)
        else:
            after, new_files = plan
            shutil.copyfile(home.warehouse.resolve(), tmp)
            # start writing the copy to disk while the new days are computed
            flushing = threading.Thread(target=_fsync, args=(tmp,))
            flushing.start()
            con = duckdb.connect(str(tmp))
            run_models(con, towns, settings, new_files, after)
            ranked = rank_grid(daily_grid(con, after), settings, after)
            previous_day = con.execute(
                'select date, "group", code, rank, tier, tier_streak from rankings where date = ?', [after]
            ).df()
            _store_rankings(con, continue_movement(ranked, previous_day, after, settings), append=True)
            flushing.join()
        run_checks(con)
        days = con.execute("select count(*) from calendar").fetchall()[0][0]
        last_day = con.execute("select max(date) from calendar").fetchall()[0][0]
        con.execute(
            "create or replace table build_info as select ? as inputs, ?::varchar[] as log_files, "
            "?::date as last_day, ? as kind, ?::timestamptz as built_at",
            [fingerprint.inputs, list(fingerprint.log), last_day, "full" if plan is None else "incremental",
             datetime.now(timezone.utc)],
        )
        con.execute("checkpoint")
        con.close()
        _fsync(tmp)
        install_build(home, tmp)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return BuildResult(days=days, towns=active, path=home.warehouse, incremental=plan is not None)


def _previous_build(home: Home) -> tuple[Fingerprint, date | None, int] | None:
    """The fingerprint, last day and day count of the current warehouse, if it has them."""
    try:
        path = home.warehouse.resolve(strict=True)
        con = duckdb.connect(str(path), read_only=True)
    except (FileNotFoundError, duckdb.Error):
        return None
    try:
        rows = con.execute(
            "select inputs, log_files, last_day, (select count(*) from calendar) from build_info"
        ).fetchall()
    except duckdb.Error:  # built before build_info existed
        return None
    finally:
        con.close()
    if len(rows) != 1:
        return None
    inputs, log, last_day, days = rows[0]
    return Fingerprint(inputs, tuple(log)), last_day, days


def _increment(previous, fingerprint: Fingerprint, files: list[str]) -> tuple[date, list[str]] | None:
    """(last day built, new log files) when the last build can be extended; else None."""
    if previous is None:
        return None
    before, last_day, _ = previous
    if last_day is None or before.inputs != fingerprint.inputs or not set(before.log) <= set(fingerprint.log):
        return None
    new_files = [f for f in files if Path(f).name not in set(before.log)]
    earliest = duckdb.connect().execute("select min(date) from read_parquet(?)", [new_files]).fetchall()[0][0]
    if earliest is None or earliest <= last_day:
        return None  # a correction of a day already built: rebuild everything
    return last_day, new_files


def inputs_hash(home: Home) -> str:
    """One hash of what a build's tables follow from besides the log (stored in each warehouse
    as build_info.inputs): towns.csv, the campaign start and rules versions of rules.toml, and
    the code and SQL that build them. Its other settings (the bulletin's title and numbering,
    anonymous reading, confidence) change no table, so changing them rebuilds nothing."""
    settings = read_settings(home.rules_toml)
    digest = hashlib.sha256(repr((settings.campaign.start, settings.versions)).encode())
    for path in [home.towns_csv, *_CODE, *sorted(SQL.glob("*/*.sql"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"<none>")
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")


def towns_frame(towns: list[Town]) -> pd.DataFrame:
    return pd.DataFrame({
        "code": [t.code for t in towns],
        "name": [t.name for t in towns],
        "kind": [t.kind for t in towns],
        "group": [t.group for t in towns],
        "active": [t.active for t in towns],
    })


_EMPTY_REPORTS = """
select
    '' as submission_id, now() as submitted_at, '' as submitted_by, '' as source_name,
    cast(null as date) as date, '' as town_code,
    0 as inspections, 0 as hazards, 0 as major_hazards, 0 as rectified,
    0 as halted, 0 as cases, 0 as detentions, 0.0 as fines_wan
where false
"""
