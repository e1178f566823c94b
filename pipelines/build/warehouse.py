"""Build the warehouse from the store: staging -> marts -> rankings -> checks.

The warehouse is derived and private to each server (see sanse/ranking/warehouse.py). A build asks
the store only for the report versions it has not seen (by their sequence number), and
recomputes from the earliest day they touch: the segments before it are kept, the sums
carried out of the last one before the lead days stand in for all earlier days, and the day
before gives movement and streaks. So the daily cost follows the new data, not the
campaign's length: a new day writes that day's segments, and once a month the days of the
month just ended are joined into one.
Anything else that changes the rankings (towns, rules, the build's own code) rebuilds every
day; both ways give the same tables. New segments and then a new manifest are written beside
the live ones, so readers keep the last good build and a killed build leaves nothing half-done.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from sanse.deployment import rules_file
from sanse.deployment import settings as settings_module
from sanse.deployment import towns as towns_module
from sanse.deployment.home import Home
from sanse.deployment.settings import Settings
from sanse.deployment.towns import Town, read_towns
from sanse.durable import write_text_atomically
from sanse.facts import clock, report
from sanse.pipelines.build.days import arrow, compute_days
from sanse.pipelines.build.grid import LEAD_DAYS, day_end_sums
from sanse.pipelines.build.models import SQL, run_checks
from sanse.pipelines.build.segments import (
    NO_MONTH,
    SEGMENTS,
    DamagedSegment,
    DayOrdered,
    SegmentWriter,
    active_towns,
    carried_sums,
    concat,
    days_from,
    remove_unused,
    segment_rows,
)
from sanse.pipelines.records.counts import current_figures
from sanse.ranking import movement, rank, warehouse
from sanse.ranking.rulebook import settings_in_force
from sanse.ranking.warehouse import Manifest, ranking_inputs, segment_span
from sanse.store.records import last_counted
from sanse.store.reports import last_version

log = logging.getLogger(__name__)
# Changing any of these changes what a build produces, so a build made with other code is
# never extended.
_CODE = (
    *sorted(Path(__file__).parent.glob("*.py")),
    *sorted(SQL.glob("*/*.sql")),
    *(
        Path(module.__file__)
        for module in (rank, movement, rules_file, settings_module, towns_module, report, warehouse)
    ),
)


@dataclass(frozen=True)
class BuildResult:
    days: int
    towns: int
    path: Path
    incremental: bool = False  # True when only the days from the earliest change were recomputed
    first_rebuilt: date | None = None  # the earliest day recomputed (None: nothing changed)
    repaired: str = ""  # why every day was rebuilt although the last build could be extended


@dataclass(frozen=True)
class Plan:
    """What one build recomputes."""

    inputs: str  # ranking_inputs() of the towns and rules it ranks by
    previous: Manifest | None  # the build it extends; None for a build of every day
    changes: pd.DataFrame  # the current figures it has not seen
    first_day: date | None  # the campaign's first ranking day
    last_day: date | None
    first_built: date | None  # the earliest day recomputed
    records_seq: int = 0  # the newest batch of records whose counts `changes` holds

    @property
    def months(self) -> list[str]:
        if self.first_built is None:
            return []
        return [str(m) for m in np.arange(np.datetime64(self.first_built, "M"), np.datetime64(self.last_day, "M") + 1)]


def build(home: Home) -> BuildResult:
    folder = home.warehouse.parent
    (folder / SEGMENTS).mkdir(parents=True, exist_ok=True)
    # One build at a time on this server: a slow build must not install an older result
    # over a newer one.
    with open(folder / ".build.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(home)


def build_if_behind(home: Home, settings: Settings | None = None) -> BuildResult | None:
    """Bring this server's warehouse up to the store when it is behind it: reports stored (by
    any server) or counts of records since its build, or other towns, rules or code. None when it
    is current.
    `settings`: the rules in force, when the caller has them (the dashboard keeps them by the
    rules' generation); else they are read."""
    manifest = _read_manifest(home)
    if (
        manifest is not None
        and manifest.code == code_hash()
        and manifest.built_seq >= last_version(home.store)
        and manifest.records_seq >= last_counted(home.store)
        and manifest.inputs == ranking_inputs(settings or settings_in_force(home), read_towns(home.towns_csv))
    ):
        return None
    return build(home)


def _build(home: Home) -> BuildResult:
    towns = read_towns(home.towns_csv)
    settings = settings_in_force(home)
    active = sum(t.active for t in towns)
    manifest = _read_manifest(home)
    plan = _plan(home, manifest, ranking_inputs(settings, towns), settings)
    if plan.previous is not None and plan.changes.empty:
        return BuildResult(days=_day_count(manifest), towns=active, path=home.warehouse, incremental=True)
    try:
        return _build_plan(home, plan, manifest, towns, settings)
    except DamagedSegment as damage:
        # The warehouse is derived: build it again from the store, and say what was wrong.
        log.warning("%s", damage)
        result = _build_plan(home, _plan(home, None, plan.inputs, settings), manifest, towns, settings)
        return replace(result, repaired=str(damage))


def _build_plan(
    home: Home, plan: Plan, manifest: Manifest | None, towns: list[Town], settings: Settings
) -> BuildResult:
    active = sum(t.active for t in towns)
    folder = home.warehouse.parent
    writer = SegmentWriter(folder)
    con = duckdb.connect()
    try:
        segments = _build_segments(con, plan, towns, settings, writer)
        towns_file = (
            plan.previous.towns
            if plan.previous
            else writer.segment("towns", con.sql("select * from towns order by town_code").to_arrow_table())
        )
        writer.wait()
        kept = (
            {
                key: files
                for key, files in plan.previous.segments.items()
                if key and segment_span(key)[1] < plan.first_built and key[:7] not in segments
            }
            if plan.previous
            else {}
        )
        new = Manifest(
            inputs=plan.inputs,
            code=code_hash(),
            built_seq=int(plan.changes["seq"].max()) if len(plan.changes) else 0,
            first_day=plan.first_day,
            last_day=plan.last_day,
            towns=towns_file,
            segments=kept | segments,
            kind="incremental" if plan.previous else "full",
            built_at=clock.now_utc().isoformat(timespec="seconds"),
            records_seq=plan.records_seq,
        )
        write_text_atomically(home.warehouse, new.to_json())
    except BaseException:
        writer.abandon()
        for name in writer.written:
            (folder / name).unlink(missing_ok=True)
        raise
    finally:
        con.close()
    remove_unused(folder, new, manifest)
    return BuildResult(
        days=_day_count(new),
        towns=active,
        path=home.warehouse,
        incremental=plan.previous is not None,
        first_rebuilt=plan.first_built,
    )


def _plan(home: Home, manifest: Manifest | None, inputs: str, settings: Settings) -> Plan:
    """Extend `manifest` by what changed since it, or (anything else having changed) build all."""
    start = settings.campaign.start
    extend = manifest is not None and manifest.inputs == inputs and manifest.code == code_hash()
    # the figures of report versions, and the counts of batches of records, not built yet
    changes, records_seq = current_figures(
        home.store, since_seq=manifest.built_seq if extend else 0, since_batch=manifest.records_seq if extend else 0
    )
    if extend and len(changes) and (manifest.last_day is None or changes["date"].min() < manifest.first_day):
        extend = False  # the first data, or data before the first day
        changes, records_seq = current_figures(home.store)
    if extend:
        if changes.empty:
            return Plan(inputs, manifest, changes, manifest.first_day, manifest.last_day, None, records_seq)
        last_day = max(manifest.last_day, changes["date"].max())
        first_built = min(changes["date"].min(), manifest.last_day + timedelta(days=1))
        return Plan(inputs, manifest, changes, manifest.first_day, last_day, first_built, records_seq)
    if changes.empty:
        return Plan(inputs, None, changes, start, None, None, records_seq)
    first_day = start or changes["date"].min()
    return Plan(inputs, None, changes, first_day, changes["date"].max(), first_day, records_seq)


def _build_segments(
    con: duckdb.DuckDBPyConnection, plan: Plan, towns: list[Town], settings: Settings, writer: SegmentWriter
) -> dict[str, dict[str, str]]:
    """Recompute the days from `plan.first_built` in `con` and write their segments: one per
    day of the last month, one per month before it. Of the build being extended it reads only
    the segments from the last carried sums before the lead days on."""
    first_built, previous = plan.first_built, plan.previous
    folder = writer.folder
    rows = partial(segment_rows, con, folder, previous)
    built_daily = day_before = carried = None
    if previous is not None and first_built is not None:
        lead_from = max(plan.first_day, first_built - timedelta(days=LEAD_DAYS))
        carried, carried_to = carried_sums(previous, folder, lead_from, active_towns(towns))
        built_daily = rows("daily_counts", carried_to + timedelta(days=1), previous.last_day)
        day_before = rows("rankings", first_built - timedelta(days=1), first_built - timedelta(days=1))
    computed = compute_days(
        con,
        towns,
        settings,
        plan.changes,
        first_day=plan.first_day,
        first_built=first_built,
        last_day=plan.last_day,
        built=built_daily,
        carried=carried,
        day_before=day_before,
    )
    run_checks(con)
    write = partial(writer.day_or_month, computed.towns)
    if first_built is None:  # no day yet: empty segments, so that readers still find every column
        return {NO_MONTH: write(NO_MONTH, arrow(computed.daily), computed.rankings, None)}

    def month_rows(table: str, fresh: DayOrdered, first: date, last: date) -> pa.Table:
        """A month's rows: those built before of its days before `first_built`, then the new."""
        if first_built <= first:  # the whole month computed again
            return fresh.on_days(first, last)
        return concat(arrow(rows(table, first, first_built - timedelta(days=1))), fresh.on_days(first, last))

    carries = day_end_sums(computed.grid)
    daily, rankings = DayOrdered(arrow(computed.daily)), DayOrdered(computed.rankings)
    last_month = f"{plan.last_day:%Y-%m}"
    segments = {}
    for month in plan.months:
        first, last = segment_span(month)
        if month == last_month:
            for day in days_from(max(first, first_built), plan.last_day):
                segments[day.isoformat()] = write(
                    day.isoformat(), daily.on_days(day, day), rankings.on_days(day, day), carries[day]
                )
        else:  # a month that has ended: one segment, with the days before the change as they were
            segments[month] = write(
                month,
                month_rows("daily_counts", daily, first, last),
                month_rows("rankings", rankings, first, last),
                carries[min(last, plan.last_day)],
            )
    # A month that has ended since the last build, its days unchanged, becomes one segment.
    for month in sorted({key[:7] for key in (previous.segments if previous else {}) if len(key) == 10}):
        if month < last_month and month not in segments:
            first, last = segment_span(month)
            days = sorted(key for key in previous.segments if key.startswith(month))
            segments[month] = {
                "daily_counts": writer.segment(f"daily_counts-{month}", arrow(rows("daily_counts", first, last))),
                "rankings": writer.segment(f"rankings-{month}", arrow(rows("rankings", first, last))),
                "carry": previous.segments[days[-1]]["carry"],  # segments never change: the last day's is the month's
            }
    return segments


def _read_manifest(home: Home) -> Manifest | None:
    try:
        return Manifest.read(home.warehouse)
    except (FileNotFoundError, ValueError, TypeError, KeyError):
        return None


def _day_count(manifest: Manifest | None) -> int:
    if manifest is None or manifest.first_day is None or manifest.last_day is None:
        return 0
    return (manifest.last_day - manifest.first_day).days + 1


@functools.cache
def code_hash() -> str:
    """One hash of the code and SQL a build runs: a build made by other code is not extended."""
    digest = hashlib.sha256()
    for path in _CODE:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
