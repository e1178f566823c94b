"""The durable record: an append-only log of submissions, plus every original file.

Each accepted submission is one immutable Parquet file, written to a temporary name and
renamed into place, so concurrent writers never collide and a killed import leaves either
the whole file or nothing. Nothing in the log is ever changed or deleted; the current figure
for a town and date is simply its latest version.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sanse.config import COUNT_COLUMNS
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


@dataclass(frozen=True)
class Submission:
    submission_id: str | None  # None when every row equalled the current figure
    written: int
    unchanged: int


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


def append_submission(home: Home, rows: pd.DataFrame, *, by: str, source_name: str, source_sha256: str) -> Submission:
    """Append the rows that differ from the current figures as one immutable log file."""
    home.ensure()
    current = current_reports(home)
    fresh = _changed_rows(rows, current)
    if fresh.empty:
        return Submission(None, 0, len(rows))
    now = datetime.now(timezone.utc)
    submission_id = f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    table = pd.DataFrame({
        "submission_id": submission_id,
        "submitted_at": now,
        "submitted_by": by,
        "source_name": source_name,
        "source_sha256": source_sha256,
        "row_number": fresh["row_number"].astype("int32"),
        "date": pd.to_datetime(fresh["date"]).dt.date,
        "town_code": fresh["town_code"].astype(str),
        **{c: fresh[c] for c in COUNT_COLUMNS},
    })
    arrow = pa.Table.from_pandas(table, schema=LOG_SCHEMA, preserve_index=False)
    path = home.submissions / f"{submission_id}.parquet"
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(arrow, tmp)
    _fsync_and_rename(tmp, path)
    return Submission(submission_id, len(fresh), len(rows) - len(fresh))


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


def history(home: Home, town_code: str | None = None) -> pd.DataFrame:
    """Every version ever submitted, newest first, optionally for one town."""
    files = log_files(home)
    if not files:
        return pd.DataFrame(columns=[f.name for f in LOG_SCHEMA])
    con = duckdb.connect()
    frame = con.execute(
        """
        select * from read_parquet(?)
        where ? is null or town_code = ?
        order by submitted_at desc, submission_id desc, date desc, town_code
        """,
        [files, town_code, town_code],
    ).df()
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame


def _changed_rows(rows: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    if current.empty:
        return rows
    keyed = current.set_index(["town_code", "date"])[list(COUNT_COLUMNS)]
    keep = []
    for row in rows.itertuples(index=False):
        key = (row.town_code, row.date)
        if key not in keyed.index:
            keep.append(True)
            continue
        before = keyed.loc[key]
        keep.append(any(
            abs(float(getattr(row, c)) - float(before[c])) > 1e-9 for c in COUNT_COLUMNS
        ))
    return rows[keep]


def _atomic_write(path: Path, content: bytes) -> None:
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(content)
    _fsync_and_rename(tmp, path)


def _fsync_and_rename(tmp: Path, path: Path) -> None:
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
