"""The daily counts of record-level data: each batch's counts of the town-days it counted
differently, kept in the store as one zstd Parquet table (not a report version per town-day),
and the current figures a build ranks: each town-day's newest report version or batch count.

A batch's count of a town-day stands over the report versions stored before the batch (those
numbered up to its `after_version`) and under those stored after it, and a later batch's count
over an earlier one's: the order in which they landed, as when both were report versions.
"""

from __future__ import annotations

import io
import uuid
from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sanse.deployment.config import COUNT_COLUMNS
from sanse.facts import clock
from sanse.store.database import Store
from sanse.store.records import batch_counts, last_counted
from sanse.store.reports import MAX_AUDITED_CORRECTIONS, Submission, current_reports

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
    """The current figure of each town-day, as `current_reports` gives the report versions (its
    `seq` is the version, or for a batch's count the last version before it), with the newest
    batch that stored counts. With `since_seq` or `since_batch`, only the town-days of report
    versions after the one or counts of batches after the other."""
    newest = last_counted(store)
    if not since_seq and not since_batch:
        return _newest(current_reports(store), stored_counts(store)), newest
    reports = current_reports(store, since_seq=since_seq)
    counts = stored_counts(store, after_batch=since_batch) if newest > since_batch else _empty()
    if reports.empty and not counts.num_rows:
        return reports, newest
    days = [*reports["date"], *counts.column("date").to_pylist()]
    first, last = min(days), max(days)
    # over the town-days that changed: the figures of every report and batch of their days
    touched = pd.concat(
        [reports[["town_code", "date"]], counts.select(["town_code", "date"]).to_pandas()], ignore_index=True
    )
    all_reports = current_reports(store, first=first, last=last) if counts.num_rows else reports
    all_counts = stored_counts(store, first=first, last=last) if newest else counts
    return _newest(all_reports, all_counts, touched), newest


def figures_on(store: Store, first: date, last: date) -> pd.DataFrame:
    """The current figure of every town-day from `first` to `last`."""
    return _newest(current_reports(store, first=first, last=last), stored_counts(store, first=first, last=last))


def compared(
    store: Store, con: duckdb.DuckDBPyConnection, daily: pa.Table, *, first: bool
) -> tuple[pa.Table, Submission]:
    """The town-days of `daily` whose counts differ from the current figures (all of them
    when nothing was stored before, as in a first import), and what that submission is."""
    if not daily.num_rows:
        return daily, Submission(None, 0, 0)
    if first:
        fresh, corrected = daily, ()
    else:
        days = daily.column("date")
        con.register("counted", daily)
        con.register("current", figures_on(store, days[0].as_py(), days[-1].as_py()))
        same = " and ".join(
            f"abs(c.{col} - n.{col}) <= 1e-9" if col == "fines_wan" else f"c.{col} = n.{col}" for col in COUNT_COLUMNS
        )
        fresh = con.sql(
            f"""
            select n.*, c.town_code is not null as corrected from counted as n
            left join current as c on c.town_code = n.town_code and c.date = n.date
            where c.town_code is null or not ({same})
            order by n.date, n.town_code
            """
        ).to_arrow_table()
        marked = fresh.filter(fresh.column("corrected"))
        corrected = tuple(
            sorted(zip(marked.column("town_code").to_pylist(), marked.column("date").cast(pa.date32()).to_pylist()))
        )
        fresh = fresh.drop_columns(["corrected"])
    if not fresh.num_rows:
        return fresh, Submission(None, 0, daily.num_rows)
    now = clock.now_utc()
    submission_id = f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    return fresh, Submission(submission_id, fresh.num_rows, daily.num_rows - fresh.num_rows, corrected)


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


def _newest(reports: pd.DataFrame, counts: pa.Table, touched: pd.DataFrame | None = None) -> pd.DataFrame:
    """Of each town-day (of `touched`, if given), the report version or batch count that landed
    last."""
    if not counts.num_rows:
        return reports
    con = duckdb.connect()
    try:
        con.register("counts", counts)
        if reports.empty and touched is None:  # record-level data alone: the newest batch's count
            query = f"""
                select town_code, date, after_version as seq, {", ".join(COUNT_COLUMNS)} from counts
                qualify row_number() over (partition by town_code, date order by batch_seq desc) = 1
                order by date, town_code
            """
        else:
            con.register("reports", reports.assign(date=pd.to_datetime(reports["date"])))
            within = ""
            if touched is not None:
                con.register("touched", touched.assign(date=pd.to_datetime(touched["date"])))
                within = "semi join touched using (town_code, date)"
            counted = ", ".join(COUNT_COLUMNS)
            query = f"""
                select town_code, date, seq, {counted} from (
                    select town_code, cast(date as date) as date, seq, 2 * seq as landed, 0 as batch_seq, {counted}
                    from reports
                    union all by name
                    select town_code, date, after_version as seq, 2 * after_version + 1 as landed, batch_seq,
                        {counted}
                    from counts
                ) as figures
                {within}
                qualify row_number() over (partition by town_code, date order by landed desc, batch_seq desc) = 1
                order by date, town_code
            """
        frame = con.sql(query).df()
    finally:
        con.close()
    frame["date"] = frame["date"].dt.date
    frame["seq"] = frame["seq"].astype("int64")
    return frame


def _empty() -> pa.Table:
    return pa.table(
        {
            "date": pa.array([], pa.date32()),
            "town_code": pa.array([], pa.string()),
            **{c: pa.array([], pa.float64() if c == "fines_wan" else pa.int64()) for c in COUNT_COLUMNS},
            "batch_seq": pa.array([], pa.int64()),
            "after_version": pa.array([], pa.int64()),
        }
    )
