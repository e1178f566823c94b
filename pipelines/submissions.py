"""The durable record: an append-only log of submissions, plus every original file.

Each accepted submission is one immutable Parquet file, written to a temporary name and
renamed into place, so concurrent writers never collide and a killed import leaves either
the whole file or nothing. Nothing in the log is ever changed or deleted; the current figure
for a town and date is simply its latest version.
"""

from __future__ import annotations

import fcntl
import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sanse.config import COUNT_COLUMNS
from sanse.durable import fsync_and_rename
from sanse.home import Home

LOG_SCHEMA = pa.schema([
    ("submission_id", pa.string()),
    ("submitted_at", pa.timestamp("us", tz="UTC")),
    ("submitted_by", pa.string()),
    ("source_name", pa.string()),
    ("source_sha256", pa.string()),
    ("row_number", pa.int32()),
    ("date", pa.date32()),
    ("town_code", pa.string()),
    *[(c, pa.float64() if c == "fines_wan" else pa.int64()) for c in COUNT_COLUMNS],
])
CURRENT_SQL = Path(__file__).parent / "sql" / "staging" / "01_current_reports.sql"
CHANGED_SQL = Path(__file__).parent / "sql" / "log" / "changed_rows.sql"
LOG_ROW_GROUP = 1 << 16  # a province-year submission in several row groups: DuckDB reads them in parallel


@dataclass(frozen=True)
class Submission:
    submission_id: str | None  # None when every row equalled the current figure
    written: int
    unchanged: int
    corrected: tuple[tuple[str, date], ...] = ()  # (town code, date) that already had a figure


def log_files(home: Home) -> list[str]:
    if not home.submissions.exists():
        return []
    return sorted(str(p) for p in home.submissions.glob("*.parquet"))


def save_original(home: Home, content: bytes, source_name: str) -> Path:
    """Keep the uploaded file as received, under its SHA-256 (idempotent)."""
    sha = hashlib.sha256(content).hexdigest()
    path = home.originals / f"{sha}{Path(source_name).suffix.lower()}"
    if not path.exists():
        _atomic_write(path, content)
    return path


def append_submission(home: Home, rows: pd.DataFrame | pa.Table, *, by: str, source_name: str, source_sha256: str) -> Submission:
    """Append the rows that differ from the current figures as one immutable log file.

    `rows` has `row_number` (may be null for aggregated records), `date`, `town_code` and the
    counts. The comparison with the current figures is one anti-join in DuckDB, so a
    province-year of rows costs a second, not an hour of Python.
    """
    home.ensure()
    # One writer at a time, so "differs from the current figure" holds when two uploads race.
    with open(home.submissions.parent / ".submissions.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _append(home, rows, by=by, source_name=source_name, source_sha256=source_sha256)


def _append(home: Home, rows: pd.DataFrame | pa.Table, *, by: str, source_name: str, source_sha256: str) -> Submission:
    con = duckdb.connect()
    _current_reports_view(con, log_files(home))
    con.register("new_rows", rows)
    fresh = con.sql(CHANGED_SQL.read_text(encoding="utf-8")).to_arrow_table()
    if fresh.num_rows == 0:
        return Submission(None, 0, len(rows))
    corrected_rows = fresh.filter(fresh["corrected"]).select(["town_code", "date"]).to_pylist()
    corrected = tuple(sorted((r["town_code"], r["date"]) for r in corrected_rows))
    now = datetime.now(timezone.utc)
    submission_id = f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    n = fresh.num_rows
    submission = {"submission_id": submission_id, "submitted_at": now, "submitted_by": by,
                  "source_name": source_name, "source_sha256": source_sha256}
    arrow = pa.Table.from_arrays(
        [_same_for_every_row(submission[f.name], f.type, n) if f.name in submission else fresh[f.name].cast(f.type)
         for f in LOG_SCHEMA],
        names=LOG_SCHEMA.names,
    )
    path = home.submissions / f"{submission_id}.parquet"
    tmp = path.with_suffix(".parquet.tmp")
    # Without the Arrow schema in the file, the one-entry dictionaries read back as LOG_SCHEMA's strings.
    pq.write_table(arrow, tmp, row_group_size=LOG_ROW_GROUP, store_schema=False)
    fsync_and_rename(tmp, path)
    return Submission(submission_id, n, len(rows) - n, corrected)


def _same_for_every_row(value: object, kind: pa.DataType, n: int) -> pa.Array:
    """A column holding `value` n times; text as a one-entry dictionary, so that a province-year
    submission does not spell out its 64-character hash half a million times."""
    if kind == pa.string():
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([value], kind))
    return pa.repeat(pa.scalar(value, kind), n)


def _current_reports_view(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """`current_reports` in `con`: the latest figure of every town and date (empty without a log)."""
    if files:
        con.execute("set variable log_files = ?", [files])
        con.execute(f"create or replace temp view current_reports as {CURRENT_SQL.read_text(encoding='utf-8')}")
    else:
        con.register("current_reports", LOG_SCHEMA.empty_table())


def current_reports(home: Home, con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """The latest version of every (town, date) in the log."""
    files = log_files(home)
    if not files:
        return pd.DataFrame(columns=[f.name for f in LOG_SCHEMA])
    con = con or duckdb.connect()
    con.execute("set variable log_files = ?", [files])
    frame = con.execute(CURRENT_SQL.read_text(encoding="utf-8")).df()
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame


def history(home: Home, town_code: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Every version ever submitted, newest first, optionally for one town, at most `limit` rows."""
    files = log_files(home)
    if not files:
        return pd.DataFrame(columns=[f.name for f in LOG_SCHEMA])
    con = duckdb.connect()
    frame = con.execute(
        """
        select * from read_parquet(?)
        where ? is null or town_code = ?
        order by submitted_at desc, submission_id desc, date desc, town_code
        limit ?
        """,
        [files, town_code, town_code, limit if limit is not None else 2**62],
    ).df()
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame


def _atomic_write(path: Path, content: bytes) -> None:
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(content)
    fsync_and_rename(tmp, path)
