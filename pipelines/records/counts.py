"""The daily counts of record-level data: each batch's counts of the town-days it counted
differently, kept in the store as one zstd Parquet table (not a report version per town-day),
and the current figures a build ranks: each town-day's newest report or batch count.

What landed last counts, as when both were report versions: a batch that counts a town-day
differently from its current report takes that report's current figure away (the version stays
in the log), so a report's current figure is always newer than any count of its town-day; a
later batch's count stands over an earlier one's.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sanse.facts import clock
from sanse.facts.report import COUNT_COLUMNS, COUNTS
from sanse.store.database import Store
from sanse.store.records import batch_counts, last_counted
from sanse.store.reports import MAX_AUDITED_CORRECTIONS, Submission, current_reports

SQL = Path(__file__).parent / "sql"
ROW_GROUP = 1 << 16  # town-days per row group: a day's look-up reads one of a year's eight
_COLUMNS = ("date", "town_code", *COUNT_COLUMNS)


def encoded(daily: pa.Table) -> tuple[bytes, int, date, date] | None:
    """A batch's daily counts (date, town_code and COUNT_COLUMNS, in day and town order) as
    stored: zstd Parquet bytes, rows, first and last day. None when there are none."""
    if not daily.num_rows:
        return None
    table = daily.select(list(_COLUMNS))
    table = table.set_column(0, "date", table.column("date").cast(pa.date32()))
    table = table.set_column(1, "town_code", table.column("town_code").cast(pa.string()))
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", row_group_size=ROW_GROUP)
    days = table.column("date")
    return sink.getvalue(), table.num_rows, days[0].as_py(), days[-1].as_py()


def stored_counts(
    store: Store, *, after_batch: int = 0, first: date | None = None, last: date | None = None
) -> pa.Table:
    """The counts the batches stored (those after `after_batch`, or those of the days `first`
    to `last`), with each row's batch_seq and after_version."""
    parts = []
    bounded = first is not None and last is not None
    for counted in batch_counts(store, after_batch=after_batch, first=first, last=last):
        filters = [("date", ">=", first), ("date", "<=", last)] if bounded else None
        table = pq.read_table(io.BytesIO(counted.content), filters=filters)
        parts.append(
            table.append_column("batch_seq", pa.array([counted.batch_seq] * table.num_rows, pa.int64())).append_column(
                "after_version", pa.array([counted.after_version] * table.num_rows, pa.int64())
            )
        )
    if not parts:
        return _empty()
    return pa.concat_tables(parts)


def current_figures(store: Store, *, since_seq: int = 0, since_batch: int = 0) -> tuple[pd.DataFrame, int]:
    """The current figure of each town-day, as `current_reports` gives the reports (a count's
    `seq` is the newest report version when its batch landed), with the newest batch that
    stored counts. With `since_seq` or `since_batch`, only the town-days of reports after the
    one or of the counts of batches after the other."""
    newest = last_counted(store)
    if not since_seq and not since_batch:
        return _newest(current_reports(store), stored_counts(store)), newest
    reports = current_reports(store, since_seq=since_seq)
    if newest <= since_batch:
        return reports, newest
    counts = stored_counts(store, after_batch=since_batch)
    days = counts.column("date")
    # a report of the new counts' town-days is newer than them, whenever it landed
    on_days = current_reports(store, first=pc.min(days).as_py(), last=pc.max(days).as_py())
    reports = pd.concat([reports, on_days[on_days["seq"] <= since_seq]], ignore_index=True)
    return _newest(reports, counts), newest


@dataclass(frozen=True)
class Compared:
    """What a batch's recount changes: the town-days whose counts differ from the current
    figures, the submission they make, and those of them whose current figure is a report's
    (the batch's count stands over it from now on)."""

    fresh: pa.Table
    submission: Submission
    over_reports: list[tuple[str, date]]


def compared(
    con: duckdb.DuckDBPyConnection, daily: pa.Table, standing: Callable[[date, date], pd.DataFrame], *, first: bool
) -> Compared:
    """`daily` against the current figures of its town-days, as `standing(first_day, last_day)`
    gives them (nothing stored before, as in a first import: all of it is new)."""
    if not daily.num_rows:
        return Compared(daily, Submission(None, 0, 0), [])
    fresh, corrected, over_reports = daily, (), []
    if not first:
        days = daily.column("date")
        first_day, last_day = days[0].as_py(), days[-1].as_py()
        con.register("counted", daily)
        con.register("current", standing(first_day, last_day))
        fresh = con.sql(_sql("changed_counts")).to_arrow_table()
        corrected = tuple(sorted(_keys(fresh.filter(fresh.column("corrected")))))
        over_reports = _keys(fresh.filter(fresh.column("reported")))
        fresh = fresh.drop_columns(["corrected", "reported"])
    if not fresh.num_rows:
        return Compared(fresh, Submission(None, 0, daily.num_rows), [])
    now = clock.now_utc()
    submission_id = f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    submission = Submission(submission_id, fresh.num_rows, daily.num_rows - fresh.num_rows, corrected)
    return Compared(fresh, submission, over_reports)


def current_between(
    store: Store, first: date, last: date, *, towns: list[str] | None = None, reported: bool = False
) -> pd.DataFrame:
    """The current figure of each town-day from `first` to `last` (of `towns`) that has one, as
    `current_reports` gives the reports: its report, else the newest count of a batch; with
    `reported`, which it is."""
    counts = stored_counts(store, first=first, last=last)
    if towns is not None and counts.num_rows:
        counts = counts.filter(pc.is_in(counts.column("town_code"), pa.array(towns, pa.string())))
    return _newest(current_reports(store, towns=towns, first=first, last=last), counts, reported=reported)


def standing(store: Store, first: date, last: date) -> pd.DataFrame:
    """The current figure of each town-day from `first` to `last` that has one, and whether it
    is a report's (`reported`) or a batch's count."""
    return current_between(store, first, last, reported=True)


def _keys(table: pa.Table) -> list[tuple[str, date]]:
    return list(zip(table.column("town_code").to_pylist(), table.column("date").cast(pa.date32()).to_pylist()))


def audited(submission: Submission, detail: dict) -> tuple[str, dict]:
    """The audit event of a batch: its submission of counts, or (none changed) the records."""
    if submission.submission_id is None:
        return "records", detail
    corrections = [f"{code} {day}" for code, day in submission.corrected]
    kind = "correction" if corrections else "submission"
    return kind, {
        **detail,
        "submission_id": submission.submission_id,
        "rows": submission.written,
        "unchanged": submission.unchanged,
        "corrected": len(corrections),
        "corrections": corrections[:MAX_AUDITED_CORRECTIONS],
        "reason": None,
    }


def _newest(reports: pd.DataFrame, counts: pa.Table, *, reported: bool = False) -> pd.DataFrame:
    """Each town-day's current report, else its newest count; with `reported`, which it is."""
    if not counts.num_rows and not reported:
        return reports
    if reports.empty and pc.count_distinct(counts.column("batch_seq")).as_py() == 1:  # one batch's counts alone
        alone = _frame(counts.rename_columns([*counts.column_names[:-1], "seq"]))
        return alone.assign(reported=False) if reported else alone
    con = duckdb.connect()
    try:
        con.register("counts", counts)
        con.register("reports", reports.assign(date=pd.to_datetime(reports["date"])))
        return _frame(con.sql(_sql("current_figures")).to_arrow_table(), reported)
    finally:
        con.close()


def _frame(figures: pa.Table, reported: bool = False) -> pd.DataFrame:
    """Figures as `current_reports` gives them: town_code, date (as dates), seq, the counts
    (and with `reported`, whether each is a report's)."""
    frame = figures.select(
        ["town_code", "date", "seq", *COUNT_COLUMNS, *(["reported"] if reported else [])]
    ).to_pandas()
    frame["seq"] = frame["seq"].astype("int64")
    return frame


def _sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")


def _empty() -> pa.Table:
    return pa.table(
        {
            "date": pa.array([], pa.date32()),
            "town_code": pa.array([], pa.string()),
            **{c.key: pa.array([], pa.from_numpy_dtype(c.dtype)) for c in COUNTS},
            "batch_seq": pa.array([], pa.int64()),
            "after_version": pa.array([], pa.int64()),
        }
    )
