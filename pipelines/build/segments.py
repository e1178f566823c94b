"""The warehouse's segments: Parquet files of daily counts, rankings and carried sums, one per day
of the last month and one per month before it, written beside the live ones and read back
by the days they cover."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sanse.deployment.towns import Town
from sanse.durable import fsync_and_rename, fsync_directory
from sanse.facts.report import COUNT_COLUMNS
from sanse.pipelines.build.days import dated, no_rows, zeros
from sanse.ranking.warehouse import Manifest, segment_span

SEGMENTS = "segments"
NO_MONTH = ""  # the key of the empty segments of a build without a day


class DamagedSegment(RuntimeError):
    """A segment of the last build cannot be read; the message names it."""


def write_segments(
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
        "daily_counts": write_segment(folder, f"daily_counts-{stem}", daily, written),
        "rankings": write_segment(folder, f"rankings-{stem}", rankings, written),
    }
    if carry is not None:
        segment["carry"] = write_segment(folder, f"carry-{stem}", carry_table(active, carry), written)
    return segment


def write_segment(folder: Path, stem: str, table: pa.Table, written: list[str]) -> str:
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


def segment_rows(
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
        return no_rows()
    files = [str(folder / manifest.segments[key][table]) for key in sorted(keys)]
    order = "date, town_code" if table == "daily_counts" else 'date, "group", rank, code'
    try:
        return dated(
            con.execute(
                f"select * from read_parquet(?, union_by_name = true) where date between ? and ? order by {order}",
                [files, first, last],
            ).df()
        )
    except duckdb.Error as exc:
        raise DamagedSegment(
            f"数据仓库文件无法读取（{'、'.join(files)}）：{first_line(exc)}；已从数据库重新生成全部日期"
        ) from exc


def carried_sums(manifest: Manifest, folder: Path, before: date, active: pd.DataFrame) -> tuple[np.ndarray, date]:
    """The cumulative sums of the latest segment that ends before the day `before`, and the
    day they run to (zeros and the day before the first day when there is none)."""
    ends = [
        (segment_span(key)[1], key)
        for key, segment in manifest.segments.items()
        if key and "carry" in segment and segment_span(key)[1] < before
    ]
    if not ends:
        return zeros(active), manifest.first_day - timedelta(days=1)
    end, key = max(ends)
    path = folder / manifest.segments[key]["carry"]
    try:
        carry = pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise DamagedSegment(f"数据仓库文件无法读取（{path}）：{first_line(exc)}；已从数据库重新生成全部日期") from exc
    carry = active[["town_code"]].merge(carry, on="town_code", how="left").fillna(0)
    return np.stack([carry[c].to_numpy(dtype=np.int64) for c in COUNT_COLUMNS]), end


def carry_table(active: pd.DataFrame, sums: np.ndarray) -> pa.Table:
    """The cumulative sums at a month's end, fines in millionths of 万元."""
    return pa.table({"town_code": active["town_code"].astype(str), **{c: sums[i] for i, c in enumerate(COUNT_COLUMNS)}})


def on_days(table: pa.Table, first: date, last: date) -> pa.Table:
    """The rows of `table` of the days `first` to `last`."""
    days = table["date"]
    return table.filter(
        pc.and_(
            pc.greater_equal(days, pa.scalar(first, pa.date32())), pc.less_equal(days, pa.scalar(last, pa.date32()))
        )
    )


def days_from(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def active_towns(towns: list[Town]) -> pd.DataFrame:
    """The active towns in code order, as the staged `towns` table lists them."""
    return pd.DataFrame({"town_code": sorted(t.code for t in towns if t.active)})


def concat(kept: pa.Table, fresh: pa.Table) -> pa.Table:
    if kept.num_rows == 0:
        return fresh
    return pa.concat_tables([kept, fresh], promote_options="permissive")


def remove_unused(folder: Path, current: Manifest, previous: Manifest | None) -> None:
    """Delete segments that neither the new build nor the one before it uses (a reader may
    still hold the one before)."""
    keep = current.files() | (previous.files() if previous else set())
    for path in (folder / SEGMENTS).iterdir():
        if f"{SEGMENTS}/{path.name}" not in keep:
            path.unlink(missing_ok=True)
    fsync_directory(folder / SEGMENTS)


def first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
