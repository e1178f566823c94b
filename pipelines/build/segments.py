"""The warehouse's segments: Parquet files of daily counts, rankings and carried sums, one per day
of the last month and one per month before it, written beside the live ones and read back
by the days they cover."""

from __future__ import annotations

import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
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


class SegmentWriter:
    """Writes a build's segments beside the live ones, two at a time (encoding and syncing a
    file leave the interpreter free), and names each at once; `wait` returns when every file
    is on disk, or raises the first failure. `written` lists every name given, for removal if
    the build fails."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[str] = []
        self._pool = ThreadPoolExecutor(max_workers=2)
        self._pending: list[Future] = []

    def segment(self, stem: str, table: pa.Table) -> str:
        name = f"{SEGMENTS}/{stem}-{uuid.uuid4().hex[:12]}.parquet"
        self.written.append(name)
        self._pending.append(self._pool.submit(_write, self.folder / name, table))
        return name

    def day_or_month(
        self, active: pd.DataFrame, key: str, daily: pa.Table, rankings: pa.Table, carry: np.ndarray | None
    ) -> dict[str, str]:
        """The files of the segment `key` (a day, a month, or NO_MONTH)."""
        stem = key or "empty"
        files = {
            "daily_counts": self.segment(f"daily_counts-{stem}", daily),
            "rankings": self.segment(f"rankings-{stem}", rankings),
        }
        if carry is not None:
            files["carry"] = self.segment(f"carry-{stem}", carry_table(active, carry))
        return files

    def wait(self) -> None:
        try:
            for future in self._pending:
                future.result()
        finally:
            self._pool.shutdown(wait=True)

    def abandon(self) -> None:
        """Let the writes under way finish, whatever becomes of them (the build failed: the
        caller removes every file written)."""
        self._pool.shutdown(wait=True)


def _write(path: Path, table: pa.Table) -> None:
    tmp = path.with_suffix(".tmp")
    try:
        pq.write_table(table, tmp, use_dictionary=_text_columns(table))
        fsync_and_rename(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind


def _text_columns(table: pa.Table) -> list[str]:
    """The columns a segment encodes by dictionary: its text (towns, groups, tiers repeat on
    every day). Numbers are left plain, which writes a build's segments in two thirds the time."""
    return [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]


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


class DayOrdered:
    """A table in day order, its rows of some days taken as one slice (found by binary search,
    not by filtering every row for each segment)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.days = table["date"].to_numpy()

    def on_days(self, first: date, last: date) -> pa.Table:
        """The rows of the days `first` to `last`."""
        start = np.searchsorted(self.days, np.datetime64(first, "D"), side="left")
        stop = np.searchsorted(self.days, np.datetime64(last, "D"), side="right")
        return self.table.slice(start, stop - start)


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
