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
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sanse.deployment import rules_file
from sanse.deployment import settings as settings_module
from sanse.deployment import towns as towns_module
from sanse.deployment.home import Home
from sanse.deployment.settings import Settings
from sanse.deployment.towns import Town, read_towns
from sanse.durable import fsync_and_rename, fsync_directory, write_text_atomically
from sanse.facts import clock, report
from sanse.facts.report import COUNT_COLUMNS, COUNTS, with_counts
from sanse.pipelines.build.grid import LEAD_DAYS, DailyGrid, daily_grid, day_end_sums, in_millionths, window_frame
from sanse.pipelines.records.counts import current_figures
from sanse.ranking import rank, warehouse
from sanse.ranking.rank import add_movement, rank_blocks
from sanse.ranking.rulebook import settings_in_force
from sanse.ranking.warehouse import WINDOW_SUMS, Manifest, ranking_inputs, segment_span
from sanse.store.records import last_counted
from sanse.store.reports import last_version

SQL = Path(__file__).parent / "sql"
log = logging.getLogger(__name__)
SEGMENTS = "segments"
NO_MONTH = ""  # the key of the empty segments of a build without a day
# Changing any of these changes what a build produces, so a build made with other code is
# never extended.
_CODE = (
    *sorted(Path(__file__).parent.glob("*.py")),
    *sorted(SQL.glob("*/*.sql")),
    *(Path(module.__file__) for module in (rank, rules_file, settings_module, towns_module, report, warehouse)),
)


class CheckFailed(RuntimeError):
    """A data rule in sql/checks returned rows; the message lists them."""


class DamagedSegment(RuntimeError):
    """A segment of the last build cannot be read; the message names it."""


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


def sql_steps(stage: str) -> list[tuple[str, str]]:
    """(table name, select) for each NN_name.sql of a stage, in order."""
    return [(path.stem.split("_", 1)[1], sql_text(path)) for path in sorted((SQL / stage).glob("*.sql"))]


def run_checks(con: duckdb.DuckDBPyConnection) -> None:
    failures = []
    for path in sorted((SQL / "checks").glob("*.sql")):
        rows = con.execute(sql_text(path)).df()
        if len(rows):
            failures.append(f"{path.stem}: {len(rows)} 行\n{rows.head(10).to_string(index=False)}")
    if failures:
        raise CheckFailed("数据检查未通过：\n" + "\n".join(failures))


# ---------------------------------------------------------------- rankings


def rank_grid(grid: DailyGrid, settings: Settings, after: date | None = None) -> pd.DataFrame:
    """Score, rank and tier every day of `grid` (those after `after`) under the rules
    version in force that day, over that version's window; the rows in day order.

    A day on which no town reported is not ranked, whatever the window (design §2): it has no
    rows, so it shows no colours, and the day after it has no movement."""
    days = [day.item() for day in grid.days]
    ranked = np.array([after is None or day > after for day in days], dtype=bool) & grid.reported.any(axis=1)
    version_of_day = np.array([settings.versions.index(settings.rules_on(day)) for day in days], dtype=np.int64)
    parts = []
    for index, version in enumerate(settings.versions):
        chosen = ranked & (version_of_day == index)
        if chosen.any():
            frame = window_frame(grid, version.window, chosen)
            parts.append(rank_blocks(frame, version).assign(rules_effective=version.effective))
    if not parts:  # nothing to rank: an empty table that still has every column
        first = settings.versions[0]
        empty = window_frame(grid, first.window, np.zeros(len(days), dtype=bool))
        parts.append(rank_blocks(empty, first).assign(rules_effective=None))
    ranked_days = pd.concat(parts, ignore_index=True)
    return ranked_days.sort_values(["date", "group", "rank", "code"], kind="stable", ignore_index=True)


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
    before = moved.merge(
        previous[["code", "group", "tier_streak"]], on=["code", "group"], how="left", suffixes=("", "_before")
    )["tier_streak_before"].to_numpy()
    runs_on = (streak == since + 1) & ~np.isnan(before.astype(float))
    streak = np.where(runs_on, streak + np.nan_to_num(before.astype(float)).astype(int) - 1, streak)
    out = ranked.copy()
    out["rank_change"] = moved["rank_change"].astype("Int64").array  # none after a day nobody reported
    out["tier_streak"] = streak
    threshold = _red_alert_streak(settings)
    if callable(threshold):
        threshold = out["date"].map(threshold)
    out["red_alert"] = out["tier"].eq("red") & (out["tier_streak"] >= threshold)
    return out


def _red_alert_streak(settings: Settings) -> int | Callable[[object], int]:
    """The 约谈 threshold: one number when every rules version agrees (vectorised), else per day."""
    thresholds = {v.red_alert_streak for v in settings.versions}
    if len(thresholds) == 1:
        return thresholds.pop()
    return lambda day: settings.rules_on(pd.Timestamp(day).date()).red_alert_streak


# ---------------------------------------------------------------- build


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
    written: list[str] = []
    con = duckdb.connect()
    try:
        segments = _build_segments(con, plan, towns, settings, folder, written)
        towns_file = (
            plan.previous.towns
            if plan.previous
            else _write_segment(
                folder, "towns", con.sql("select * from towns order by town_code").to_arrow_table(), written
            )
        )
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
        for name in written:
            (folder / name).unlink(missing_ok=True)
        raise
    finally:
        con.close()
    _remove_unused(folder, new, manifest)
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


@dataclass(frozen=True)
class Computed:
    """The days one build recomputed."""

    older: pd.DataFrame  # daily counts already built before the first day recomputed, in its month or the one before
    daily: pd.DataFrame  # daily counts of the days recomputed
    towns: pd.DataFrame  # the active towns: town_code, town, group
    grid: DailyGrid  # from the lead days before the first day recomputed
    rankings: pa.Table  # the rankings of the days recomputed


def compute_days(
    con: duckdb.DuckDBPyConnection,
    towns: list[Town],
    settings: Settings,
    changes: pd.DataFrame,
    *,
    first_day: date | None,
    first_built: date | None,
    last_day: date | None,
    built: pd.DataFrame | None = None,
    carried: np.ndarray | None = None,
    day_before: pd.DataFrame | None = None,
) -> Computed:
    """Stage, count and rank the days from `first_built` to `last_day` in `con`, where its
    tables (current_reports, towns, calendar, daily_counts, rankings) then hold those days.

    `changes` are the current figures not yet built; `built` the daily counts already built
    from the first day of the month before `first_built` or the one before that (for the
    figures that did not change, the lead days and the sums carried in), `carried` the
    cumulative sums carried out of the month before those, `day_before` the rankings of the
    day before `first_built`. Without them, the campaign starts at `first_built`. With no
    day to build, the tables are empty.
    """
    built = _no_rows() if built is None else built
    con.register("built_daily_counts", built)
    con.register("changed_reports", changes.assign(date=pd.to_datetime(changes["date"])))
    con.register("towns_source", towns_table(towns))
    con.execute("set variable first_built = ?::date", [first_built])
    con.execute("set variable last_day = ?::date", [last_day])
    for stage in ("staging", "marts"):
        for name, select in sql_steps(stage):
            con.execute(f"create or replace temp table {name} as {select}")
    active = con.sql('select town_code, town, "group" from towns order by town_code').df()
    new_daily = _dated(con.sql("select * from daily_counts").df())
    if new_daily.empty:
        first_built = first_day = date.max
    lead_from = max(first_day, first_built - timedelta(days=LEAD_DAYS))
    older = built[built["date"] < pd.Timestamp(first_built)]
    lead = older[older["date"] >= pd.Timestamp(lead_from)]
    before = (_zeros(active) if carried is None else carried) + _sums(
        older[older["date"] < pd.Timestamp(lead_from)], active
    )
    grid = daily_grid(pd.concat([lead, new_daily], ignore_index=True) if len(lead) else new_daily, active, before)
    previous = first_built - timedelta(days=1)
    ranked = rank_grid(grid, settings, after=previous)
    if day_before is not None and len(day_before):
        ranked = continue_movement(ranked, day_before, previous, settings)
    else:
        ranked = add_movement(ranked, _red_alert_streak(settings), ordered=False)
    rankings = _arrow(ranked)
    con.register("rankings", rankings)
    con.execute(f"create or replace temp view window_sums as {WINDOW_SUMS}")
    return Computed(older, new_daily, active, grid, rankings)


def build_tables(con: duckdb.DuckDBPyConnection, towns: list[Town], settings: Settings, changes: pd.DataFrame) -> None:
    """Every table of a build from scratch in `con` (for a look at what a build computes)."""
    first_day = settings.campaign.start or (changes["date"].min() if len(changes) else None)
    last_day = changes["date"].max() if len(changes) else None
    compute_days(con, towns, settings, changes, first_day=first_day, first_built=first_day, last_day=last_day)


def _build_segments(
    con: duckdb.DuckDBPyConnection, plan: Plan, towns: list[Town], settings: Settings, folder: Path, written: list[str]
) -> dict[str, dict[str, str]]:
    """Recompute the days from `plan.first_built` in `con` and write their segments: one per
    day of the last month, one per month before it. Of the build being extended it reads only
    the segments from the last carried sums before the lead days on."""
    first_built, previous = plan.first_built, plan.previous
    rows = partial(_segment_rows, con, folder, previous)
    built_daily = day_before = carried = None
    if previous is not None and first_built is not None:
        lead_from = max(plan.first_day, first_built - timedelta(days=LEAD_DAYS))
        carried, carried_to = _carried(previous, folder, lead_from, _active(towns))
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
    write = partial(_write_segments, folder, written, computed.towns)
    if first_built is None:  # no day yet: empty segments, so that readers still find every column
        return {NO_MONTH: write(NO_MONTH, _arrow(computed.daily), computed.rankings, None)}

    carries = day_end_sums(computed.grid)
    daily, rankings = _arrow(computed.daily), computed.rankings
    last_month = f"{plan.last_day:%Y-%m}"
    segments = {}
    for month in plan.months:
        first, last = segment_span(month)
        if month == last_month:
            for day in _days(max(first, first_built), plan.last_day):
                segments[day.isoformat()] = write(
                    day.isoformat(), _on(daily, day, day), _on(rankings, day, day), carries[day]
                )
        else:  # a month that has ended: one segment, with the days before the change as they were
            kept_until = first_built - timedelta(days=1)
            segments[month] = write(
                month,
                _concat(_arrow(rows("daily_counts", first, kept_until)), _on(daily, first, last)),
                _concat(_arrow(rows("rankings", first, kept_until)), _on(rankings, first, last)),
                carries[min(last, plan.last_day)],
            )
    # A month that has ended since the last build, its days unchanged, becomes one segment.
    for month in sorted({key[:7] for key in (previous.segments if previous else {}) if len(key) == 10}):
        if month < last_month and month not in segments:
            first, last = segment_span(month)
            days = sorted(key for key in previous.segments if key.startswith(month))
            segments[month] = {
                "daily_counts": _write_segment(
                    folder, f"daily_counts-{month}", _arrow(rows("daily_counts", first, last)), written
                ),
                "rankings": _write_segment(folder, f"rankings-{month}", _arrow(rows("rankings", first, last)), written),
                "carry": previous.segments[days[-1]]["carry"],  # segments never change: the last day's is the month's
            }
    return segments


def _write_segments(
    folder: Path,
    written: list[str],
    active: pd.DataFrame,
    key: str,
    daily: pa.Table,
    rankings: pa.Table,
    carry: np.ndarray | None,
) -> dict[str, str]:
    stem = key or "empty"
    segment = {
        "daily_counts": _write_segment(folder, f"daily_counts-{stem}", daily, written),
        "rankings": _write_segment(folder, f"rankings-{stem}", rankings, written),
    }
    if carry is not None:
        segment["carry"] = _write_segment(folder, f"carry-{stem}", _carry_table(active, carry), written)
    return segment


def _on(table: pa.Table, first: date, last: date) -> pa.Table:
    """The rows of `table` of the days `first` to `last`."""
    days = table["date"]
    return table.filter(
        pc.and_(
            pc.greater_equal(days, pa.scalar(first, pa.date32())), pc.less_equal(days, pa.scalar(last, pa.date32()))
        )
    )


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def _active(towns: list[Town]) -> pd.DataFrame:
    """The active towns in code order, as the staged `towns` table lists them."""
    return pd.DataFrame({"town_code": sorted(t.code for t in towns if t.active)})


def _zeros(active: pd.DataFrame) -> np.ndarray:
    return np.zeros((len(COUNT_COLUMNS), len(active)), dtype=np.int64)


def _segment_rows(
    con: duckdb.DuckDBPyConnection, folder: Path, manifest: Manifest | None, table: str, first: date, last: date
) -> pd.DataFrame:
    """The rows of `table` of the days `first` to `last` in the build `manifest`, read from
    the segments of those days alone; daily counts in day and town order, as the grid wants."""
    keys = [
        key
        for key in (manifest.segments if manifest else {})
        if key and segment_span(key)[0] <= last and segment_span(key)[1] >= first
    ]
    if first > last or not keys:
        return _no_rows()
    files = [str(folder / manifest.segments[key][table]) for key in sorted(keys)]
    order = "date, town_code" if table == "daily_counts" else 'date, "group", rank, code'
    try:
        return _dated(
            con.execute(
                f"select * from read_parquet(?, union_by_name = true) where date between ? and ? order by {order}",
                [files, first, last],
            ).df()
        )
    except duckdb.Error as exc:
        raise DamagedSegment(
            f"数据仓库文件无法读取（{'、'.join(files)}）：{_first_line(exc)}；已从数据库重新生成全部日期"
        ) from exc


def _no_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.Series([], dtype="datetime64[ns]"),
            "town_code": pd.Series([], dtype=str),
            "not_reported": pd.Series([], dtype=bool),
            **{c.key: pd.Series([], dtype=c.dtype) for c in COUNTS},
        }
    )


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _carried(manifest: Manifest, folder: Path, before: date, active: pd.DataFrame) -> tuple[np.ndarray, date]:
    """The cumulative sums of the latest segment that ends before the day `before`, and the
    day they run to (zeros and the day before the first day when there is none)."""
    ends = [
        (segment_span(key)[1], key)
        for key, segment in manifest.segments.items()
        if key and "carry" in segment and segment_span(key)[1] < before
    ]
    if not ends:
        return _zeros(active), manifest.first_day - timedelta(days=1)
    end, key = max(ends)
    path = folder / manifest.segments[key]["carry"]
    try:
        carry = pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise DamagedSegment(f"数据仓库文件无法读取（{path}）：{_first_line(exc)}；已从数据库重新生成全部日期") from exc
    carry = active[["town_code"]].merge(carry, on="town_code", how="left").fillna(0)
    return np.stack([carry[c].to_numpy(dtype=np.int64) for c in COUNT_COLUMNS]), end


def _sums(daily: pd.DataFrame, active: pd.DataFrame) -> np.ndarray:
    """Each active town's sums of `daily` (COUNT_COLUMNS, towns), fines in millionths."""
    if daily.empty:
        return _zeros(active)
    summed = (
        pd.DataFrame({c: in_millionths(daily, c) for c in COUNT_COLUMNS}).groupby(daily["town_code"].to_numpy()).sum()
    )
    summed = summed.reindex(active["town_code"], fill_value=0)
    return np.stack([summed[c].to_numpy(dtype=np.int64) for c in COUNT_COLUMNS])


def _carry_table(active: pd.DataFrame, sums: np.ndarray) -> pa.Table:
    """The cumulative sums at a month's end, fines in millionths of 万元."""
    return pa.table({"town_code": active["town_code"].astype(str), **{c: sums[i] for i, c in enumerate(COUNT_COLUMNS)}})


def _concat(kept: pa.Table, fresh: pa.Table) -> pa.Table:
    if kept.num_rows == 0:
        return fresh
    return pa.concat_tables([kept, fresh], promote_options="permissive")


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A frame as Arrow with plain text and date columns, the same in every segment."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    columns = []
    for field, column in zip(table.schema, table.columns):
        if pa.types.is_dictionary(field.type):
            column = column.cast(field.type.value_type)
        if field.name in ("date", "rules_effective"):
            column = (
                column.cast(pa.timestamp("us")).cast(pa.date32())
                if pa.types.is_timestamp(column.type)
                else column.cast(pa.date32())
            )
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _write_segment(folder: Path, stem: str, table: pa.Table, written: list[str]) -> str:
    name = f"{SEGMENTS}/{stem}-{uuid.uuid4().hex[:12]}.parquet"
    path = folder / name
    tmp = path.with_suffix(".tmp")
    written.append(name)
    try:
        pq.write_table(table, tmp)
        fsync_and_rename(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
    return name


def _remove_unused(folder: Path, current: Manifest, previous: Manifest | None) -> None:
    """Delete segments that neither the new build nor the one before it uses (a reader may
    still hold the one before)."""
    keep = current.files() | (previous.files() if previous else set())
    for path in (folder / SEGMENTS).iterdir():
        if f"{SEGMENTS}/{path.name}" not in keep:
            path.unlink(missing_ok=True)
    fsync_directory(folder / SEGMENTS)


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


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _sql(name: str) -> str:
    return sql_text(SQL / f"{name}.sql")


def sql_text(path: Path) -> str:
    """A .sql file, its `{counts}` written out."""
    return with_counts(path.read_text(encoding="utf-8"))


def towns_table(towns: list[Town]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": [t.code for t in towns],
            "name": [t.name for t in towns],
            "kind": [t.kind for t in towns],
            "group": [t.group for t in towns],
            "active": [t.active for t in towns],
        }
    )
