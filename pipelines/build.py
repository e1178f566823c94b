"""Build the warehouse from the submission log: staging -> marts -> rankings -> checks.

The warehouse is derived. It is built into a fresh file beside the live one and renamed over
it only when every check passes, so readers always see the last good build and a killed
build leaves nothing half-done.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.submissions import log_files
from sanse.config import Settings, Town, read_settings, read_towns
from sanse.home import Home
from sanse.ranking import add_movement, rank_blocks

SQL = Path(__file__).parent / "sql"


class CheckFailed(RuntimeError):
    """A data rule in sql/checks returned rows; the message lists them."""


@dataclass(frozen=True)
class BuildResult:
    days: int
    towns: int
    path: Path


def sql_steps(stage: str) -> list[tuple[str, str]]:
    """(table name, select) for each NN_name.sql of a stage, in order."""
    return [
        (path.stem.split("_", 1)[1], path.read_text(encoding="utf-8"))
        for path in sorted((SQL / stage).glob("*.sql"))
    ]


def run_models(con: duckdb.DuckDBPyConnection, towns: list[Town], settings: Settings, files: list[str]) -> None:
    """Create every staging and mart table in `con` from the log files."""
    con.register("towns_source", towns_frame(towns))
    con.execute("set variable log_files = ?", [files])
    con.execute("set variable campaign_start = ?", [settings.campaign.start])
    for stage in ("staging", "marts"):
        for name, select in sql_steps(stage):
            if name == "current_reports" and not files:
                select = _EMPTY_REPORTS
            con.execute(f"create or replace table {name} as {select}")


def run_checks(con: duckdb.DuckDBPyConnection) -> None:
    failures = []
    for path in sorted((SQL / "checks").glob("*.sql")):
        rows = con.execute(path.read_text(encoding="utf-8")).df()
        if len(rows):
            failures.append(f"{path.stem}: {len(rows)} 行\n{rows.head(10).to_string(index=False)}")
    if failures:
        raise CheckFailed("数据检查未通过：\n" + "\n".join(failures))


def rankings(window_sums: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Rank every day under the rules version in force that day, then add movement."""
    window_sums = window_sums.rename(columns={"town_code": "code"})
    days = sorted(window_sums["date"].unique())
    parts = []
    for version in settings.versions:
        in_force = [d for d in days if settings.rules_on(d) is version]
        if not in_force:
            continue
        frame = window_sums[(window_sums["window"] == version.window) & window_sums["date"].isin(in_force)]
        ranked = rank_blocks(frame, version)
        ranked["rules_effective"] = version.effective
        parts.append(ranked)
    if not parts:  # nothing reported yet: an empty table that still has every column
        parts.append(rank_blocks(window_sums, settings.versions[0]).assign(rules_effective=None))
    ranked = pd.concat(parts, ignore_index=True)
    threshold = {d: settings.rules_on(d).red_alert_streak for d in days}
    return add_movement(ranked, threshold.__getitem__)


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
    tmp = home.warehouse.with_name(f".build-{uuid.uuid4().hex[:8]}.duckdb")
    try:
        con = duckdb.connect(str(tmp))
        run_models(con, towns, settings, log_files(home))
        window_sums = con.execute("select * from window_sums").df()
        window_sums["date"] = pd.to_datetime(window_sums["date"]).dt.date
        ranked = rankings(window_sums, settings)
        con.execute("create table rankings as select * from ranked")
        run_checks(con)
        days = con.execute("select count(*) from calendar").fetchone()[0]
        con.execute("checkpoint")
        con.close()
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, home.warehouse)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return BuildResult(days=days, towns=sum(t.active for t in towns), path=home.warehouse)


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
