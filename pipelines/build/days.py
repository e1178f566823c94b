"""The days one build recomputes: staged and counted by the SQL models, summed on the grid, then
scored, ranked and tiered, with movement and streaks carried on from the day before."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from sanse.deployment.settings import Settings
from sanse.deployment.towns import Town
from sanse.facts.report import COUNT_COLUMNS, COUNTS
from sanse.pipelines.build.grid import LEAD_DAYS, DailyGrid, daily_grid, in_millionths, window_frame
from sanse.pipelines.build.models import sql_steps, towns_table
from sanse.ranking.movement import add_movement
from sanse.ranking.rank import rank_blocks
from sanse.ranking.warehouse import WINDOW_SUMS


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
    moved = add_movement(pd.concat([carried, fresh], ignore_index=True), red_alert_streak(settings), ordered=False)
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
    threshold = red_alert_streak(settings)
    if callable(threshold):
        threshold = out["date"].map(threshold)
    out["red_alert"] = out["tier"].eq("red") & (out["tier_streak"] >= threshold)
    return out


def red_alert_streak(settings: Settings) -> int | Callable[[object], int]:
    """The 约谈 threshold: one number when every rules version agrees (vectorised), else per day."""
    thresholds = {v.red_alert_streak for v in settings.versions}
    if len(thresholds) == 1:
        return thresholds.pop()
    return lambda day: settings.rules_on(pd.Timestamp(day).date()).red_alert_streak


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
    built = no_rows() if built is None else built
    con.register("built_daily_counts", built)
    con.register("changed_reports", changes.assign(date=pd.to_datetime(changes["date"])))
    con.register("towns_source", towns_table(towns))
    con.execute("set variable first_built = ?::date", [first_built])
    con.execute("set variable last_day = ?::date", [last_day])
    for stage in ("staging", "marts"):
        for name, select in sql_steps(stage):
            con.execute(f"create or replace temp table {name} as {select}")
    active = con.sql('select town_code, town, "group" from towns order by town_code').df()
    new_daily = counted_frame(con.sql("select * from daily_counts"))
    if new_daily.empty:
        first_built = first_day = date.max
    lead_from = max(first_day, first_built - timedelta(days=LEAD_DAYS))
    older = built[built["date"] < pd.Timestamp(first_built)]
    lead = older[older["date"] >= pd.Timestamp(lead_from)]
    before = (zeros(active) if carried is None else carried) + town_sums(
        older[older["date"] < pd.Timestamp(lead_from)], active
    )
    grid = daily_grid(pd.concat([lead, new_daily], ignore_index=True) if len(lead) else new_daily, active, before)
    previous = first_built - timedelta(days=1)
    ranked = rank_grid(grid, settings, after=previous)
    if day_before is not None and len(day_before):
        ranked = continue_movement(ranked, day_before, previous, settings)
    else:
        ranked = add_movement(ranked, red_alert_streak(settings), ordered=False)
    rankings = arrow(ranked)
    con.register("rankings", rankings)
    con.execute(f"create or replace temp view window_sums as {WINDOW_SUMS}")
    return Computed(older, new_daily, active, grid, rankings)


def build_tables(con: duckdb.DuckDBPyConnection, towns: list[Town], settings: Settings, changes: pd.DataFrame) -> None:
    """Every table of a build from scratch in `con` (for a look at what a build computes)."""
    first_day = settings.campaign.start or (changes["date"].min() if len(changes) else None)
    last_day = changes["date"].max() if len(changes) else None
    compute_days(con, towns, settings, changes, first_day=first_day, first_built=first_day, last_day=last_day)


def zeros(active: pd.DataFrame) -> np.ndarray:
    return np.zeros((len(COUNT_COLUMNS), len(active)), dtype=np.int64)


def town_sums(daily: pd.DataFrame, active: pd.DataFrame) -> np.ndarray:
    """Each active town's sums of `daily` (COUNT_COLUMNS, towns), fines in millionths."""
    if daily.empty:
        return zeros(active)
    summed = (
        pd.DataFrame({c: in_millionths(daily, c) for c in COUNT_COLUMNS}).groupby(daily["town_code"].to_numpy()).sum()
    )
    summed = summed.reindex(active["town_code"], fill_value=0)
    return np.stack([summed[c].to_numpy(dtype=np.int64) for c in COUNT_COLUMNS])


def no_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.Series([], dtype="datetime64[ns]"),
            "town_code": pd.Series([], dtype=str),
            "not_reported": pd.Series([], dtype=bool),
            **{c.key: pd.Series([], dtype=c.dtype) for c in COUNTS},
        }
    )


def dated(frame: pd.DataFrame) -> pd.DataFrame:
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def counted_frame(relation: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """Daily counts from DuckDB as pandas, as `.df()` gives them (dates as datetime64[us]),
    through Arrow: a year of a province's town-days converts in a quarter of the time."""
    frame = relation.to_arrow_table().to_pandas(date_as_object=False)
    frame["date"] = frame["date"].astype("datetime64[us]")
    return frame


def arrow(frame: pd.DataFrame) -> pa.Table:
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
