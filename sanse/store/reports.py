"""The durable record of daily reports, in the store: every version of every town-day with
who sent it, when, from which file and why; never changed in place.

An upload looks up only the town-days it touches (by primary key, or by the days of a large
import) and writes, in one transaction, its submission, the versions that differ from
the current figures and the new current figures. So its cost follows the new data, not the
history, and a killed upload leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.facts import clock
from sanse.facts.report import COUNT_COLUMNS, COUNT_OF
from sanse.store import schema
from sanse.store.database import Store
from sanse.store.events import record_event
from sanse.store.records import counted_figures

LOOKUP_BY_KEY = 500  # up to this many town-days are looked up one by one; more, by their days
BATCH = 20_000  # rows per insert statement batch
MAX_AUDITED_CORRECTIONS = 100  # the audit event names this many corrected town-days, counts the rest


@dataclass(frozen=True)
class Submission:
    submission_id: str | None  # None when every row equalled the current figure
    written: int
    unchanged: int
    corrected: tuple[tuple[str, date], ...] = ()  # (town code, date) that already had a figure
    seq: int | None = None  # the store's number of this submission


def save_original(store: Store, content: bytes, source_name: str) -> str:
    """Keep the uploaded file as received, under its SHA-256 (once per content)."""
    sha = hashlib.sha256(content).hexdigest()
    with store.writing() as conn:
        keep_file(conn, sha, source_name, content)
    return sha


def keep_file(conn: Connection, sha: str, name: str, content: bytes) -> None:
    exists = conn.execute(sa.select(schema.files.c.sha256).where(schema.files.c.sha256 == sha)).first()
    if exists is None:
        conn.execute(
            sa.insert(schema.files).values(
                sha256=sha,
                name=name,
                size=len(content),
                content=content,
                received_at=clock.now_utc(),
            )
        )


def append_submission(
    store: Store,
    rows: pd.DataFrame | pa.Table,
    *,
    by: str,
    source_name: str,
    source_sha256: str,
    reason: str = "",
    original: bytes | None = None,
    audit_detail: dict | None = None,
    at: datetime | None = None,
) -> Submission:
    """Store the rows that differ from the current figures as one submission, all or nothing.

    `rows` has `row_number` (may be null for aggregated records), `date`, `town_code` and the
    counts. `original`, when given, is the uploaded file; it and the audit event (with
    `audit_detail`) are kept in the same transaction. `at` is when it was received: now,
    unless a submission made earlier is being carried in.
    """
    with store.writing("reports") as conn:
        return write_submission(
            conn,
            rows,
            by=by,
            source_name=source_name,
            source_sha256=source_sha256,
            reason=reason,
            original=original,
            audit_detail=audit_detail,
            at=at,
        )


def write_submission(
    conn: Connection,
    rows: pd.DataFrame | pa.Table,
    *,
    by: str,
    source_name: str,
    source_sha256: str,
    reason: str = "",
    original: bytes | None = None,
    audit_detail: dict | None = None,
    at: datetime | None = None,
) -> Submission:
    """`append_submission` inside the caller's transaction, which holds the turn "reports":
    for writes that must land together with the submission or not at all (a batch of records)."""
    incoming = version_rows(rows)
    if original is not None:
        keep_file(conn, source_sha256, source_name, original)
    keys = {(r.town_code, r.date) for r in incoming}
    reports = _reports_for(conn, keys)
    current = reports | counted_figures(conn, keys - reports.keys())
    fresh, corrected = [], []
    for row in incoming:
        now_figures = current.get((row.town_code, row.date))
        if now_figures is None or not _same(now_figures, row.counts):
            fresh.append(row)
            corrected.append(now_figures is not None)
    if not fresh:
        return Submission(None, 0, len(incoming))
    now = at or clock.now_utc()
    submission_id = f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    corrected_keys = tuple(sorted((r.town_code, r.date) for r, c in zip(fresh, corrected) if c))
    seq = conn.execute(
        sa.insert(schema.submissions).values(
            submission_id=submission_id,
            submitted_at=now,
            submitted_by=by,
            source_name=source_name,
            source_sha256=source_sha256,
            reason=reason,
            rows=len(fresh),
            unchanged=len(incoming) - len(fresh),
            corrected=len(corrected_keys),
        )
    ).inserted_primary_key[0]
    write_versions(conn, seq, fresh, [(r.town_code, r.date) in reports for r in fresh])
    corrections = [f"{code} {day}" for code, day in corrected_keys]
    record_event(
        conn,
        by,
        "correction" if corrections else "submission",
        **(audit_detail or {}),
        submission_id=submission_id,
        rows=len(fresh),
        unchanged=len(incoming) - len(fresh),
        corrected=len(corrections),
        corrections=corrections[:MAX_AUDITED_CORRECTIONS],
        reason=reason or None,
    )
    return Submission(submission_id, len(fresh), len(incoming) - len(fresh), corrected_keys, seq)


class VersionRow(NamedTuple):
    row_number: int | None
    date: date
    town_code: str
    counts: tuple  # COUNT_COLUMNS, money as a float


def version_rows(rows: pd.DataFrame | pa.Table) -> list[VersionRow]:
    """The rows of an upload as plain values (a one-row upload pays no per-frame cost)."""
    if isinstance(rows, pa.Table):  # counted by DuckDB, typed already: a province's year takes no pandas detour
        columns = [
            rows.column("row_number").to_pylist() if "row_number" in rows.column_names else [None] * rows.num_rows,
            rows.column("date").cast(pa.date32()).to_pylist(),
            rows.column("town_code").cast(pa.string()).to_pylist(),
            zip(*(rows.column(c).cast(pa.from_numpy_dtype(COUNT_OF[c].dtype)).to_pylist() for c in COUNT_COLUMNS)),
        ]
        return list(map(VersionRow._make, zip(*columns)))
    frame = rows
    n = len(frame)
    numbers = (
        pd.array(frame["row_number"], dtype="Int64") if "row_number" in frame else pd.array([None] * n, dtype="Int64")
    )
    numbers = [None if pd.isna(v) else int(v) for v in numbers]
    days = pd.to_datetime(frame["date"]).dt.date.tolist()
    codes = frame["town_code"].astype(str).tolist()
    counts = zip(*(frame[c].to_numpy(dtype=COUNT_OF[c].dtype).tolist() for c in COUNT_COLUMNS))
    return [VersionRow(*fields) for fields in zip(numbers, days, codes, counts)]


def current_for(conn: Connection, keys: set[tuple[str, date]]) -> dict[tuple[str, date], tuple]:
    """The current figure of each town-day of `keys` (town code, day) that has one: its current
    report, else the count of the newest batch of records that counted it. The figures in
    COUNT_COLUMNS order."""
    reports = _reports_for(conn, keys)
    return reports | counted_figures(conn, keys - reports.keys())


def _reports_for(conn: Connection, keys: set[tuple[str, date]]) -> dict[tuple[str, date], tuple]:
    """The current reports of the town-days of `keys` (indexed look-ups only)."""
    table = schema.current_reports
    columns = [table.c.town_code, table.c.date, *(table.c[c] for c in COUNT_COLUMNS)]
    days = table.c.date.in_(sorted({day for _, day in keys}))
    if len(keys) <= LOOKUP_BY_KEY:  # by days and towns: SQLite scans the table for a list of pairs
        query = sa.select(*columns).where(days, table.c.town_code.in_(sorted({code for code, _ in keys})))
    else:  # by day: a day's import and a correction of a day long ago read only those days
        query = sa.select(*columns).where(days)
    found = ((code, day, figures) for code, day, *figures in conn.execute(query))
    return {(code, day): tuple(figures) for code, day, figures in found if (code, day) in keys}


def _same(now: tuple, new: tuple) -> bool:
    return now[:-1] == new[:-1] and abs(now[-1] - new[-1]) <= 1e-9


def write_versions(conn: Connection, submission_seq: int, fresh: list[VersionRow], replacing: list[bool]) -> None:
    """Append the versions and point the current figures at them: a new current report, or
    (`replacing`) the town-day's current report replaced."""
    first = conn.execute(sa.select(sa.func.coalesce(sa.func.max(schema.report_versions.c.seq), 0))).scalar_one() + 1
    # Numbered here rather than by the database, so that the current figures can name their
    # version without reading every version back; writers of reports take turns, so no other
    # transaction numbers versions meanwhile.
    # SQLite keeps a date as its ISO text: spelled once a day, not once a row
    spelled = {d: d.isoformat() for d in {r.date for r in fresh}} if conn.dialect.name == "sqlite" else None
    _append(
        conn,
        schema.report_versions,
        ("seq", "submission_seq", "row_number", "date", "town_code", *COUNT_COLUMNS),
        [
            (
                first + i,
                submission_seq,
                r.row_number,
                spelled[r.date] if spelled is not None else r.date,
                r.town_code,
                *r.counts,
            )
            for i, r in enumerate(fresh)
        ],
    )
    table = schema.current_reports
    _append(
        conn,
        table,
        ("town_code", "date", "seq", *COUNT_COLUMNS),
        [
            (r.town_code, spelled[r.date] if spelled is not None else r.date, first + i, *r.counts)
            for i, (r, c) in enumerate(zip(fresh, replacing))
            if not c
        ],
    )
    updates = [
        (first + i, *r.counts, r.town_code, spelled[r.date] if spelled is not None else r.date)
        for i, (r, c) in enumerate(zip(fresh, replacing))
        if c
    ]
    if updates:
        mark = "?" if spelled is not None else "%s"
        figures = ", ".join(f"{c} = {mark}" for c in ("seq", *COUNT_COLUMNS))
        conn.exec_driver_sql(f"update {table.name} set {figures} where town_code = {mark} and date = {mark}", updates)


def _append(conn: Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert many rows through the driver, in the caller's transaction: PostgreSQL's COPY, or
    SQLite's executemany of plain tuples. For a province's year of town-days (half a million
    rows) SQLAlchemy's processing of each row's parameters costs more than the writing."""
    names = ", ".join(columns)
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        with conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"copy {table.name} ({names}) from stdin") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    for start in range(0, len(rows), BATCH):
        conn.exec_driver_sql(
            f"insert into {table.name} ({names}) values ({', '.join('?' * len(columns))})", rows[start : start + BATCH]
        )


def current_reports(
    store: Store,
    *,
    towns: list[str] | None = None,
    first: date | None = None,
    last: date | None = None,
    since_seq: int = 0,
) -> pd.DataFrame:
    """The current figure of each town-day, optionally only some towns, days, or those
    changed after version `since_seq` (what a build has not seen yet)."""
    table = schema.current_reports
    query = sa.select(table.c.town_code, table.c.date, table.c.seq, *(table.c[c] for c in COUNT_COLUMNS))
    if towns is not None:
        query = query.where(table.c.town_code.in_(towns))
    if first is not None:
        query = query.where(table.c.date >= first)
    if last is not None:
        query = query.where(table.c.date <= last)
    if since_seq:
        query = query.where(table.c.seq > since_seq)
    with store.reading() as conn:
        found = conn.execute(query).all()
    columns = list(zip(*found)) or [()] * (3 + len(COUNT_COLUMNS))
    return pd.DataFrame(
        {
            "town_code": pd.Series(columns[0], dtype=object),
            "date": pd.Series(columns[1], dtype=object),
            "seq": np.array(columns[2], dtype=np.int64),
            **{c: np.array(columns[3 + i], dtype=COUNT_OF[c].dtype) for i, c in enumerate(COUNT_COLUMNS)},
        }
    )


def last_version(store: Store) -> int:
    """The number of the newest version stored (0 when there is none)."""
    with store.reading() as conn:
        return conn.execute(sa.select(sa.func.coalesce(sa.func.max(schema.report_versions.c.seq), 0))).scalar_one()


def history(store: Store, town_code: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Every version ever submitted, newest first, optionally for one town, at most `limit` rows;
    one a batch of records wrote (before revision 0010) names the batch (batch_seq)."""
    versions, submissions, batches = schema.report_versions, schema.submissions, schema.record_batches
    query = (
        sa.select(
            submissions.c.submission_id,
            submissions.c.submitted_at,
            submissions.c.submitted_by,
            submissions.c.source_name,
            submissions.c.source_sha256,
            submissions.c.reason,
            batches.c.seq.label("batch_seq"),
            versions.c.row_number,
            versions.c.date,
            versions.c.town_code,
            *(versions.c[c] for c in COUNT_COLUMNS),
        )
        .join(submissions, submissions.c.seq == versions.c.submission_seq)
        .outerjoin(batches, batches.c.submission_seq == submissions.c.seq)
        .order_by(versions.c.seq.desc())
    )
    if town_code is not None:
        query = query.where(versions.c.town_code == town_code)
    if limit is not None:
        query = query.limit(limit)
    with store.reading() as conn:
        result = conn.execute(query)
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    return _dated(frame)


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    if len(frame):
        frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame
