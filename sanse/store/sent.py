"""Who has figures for a day, from which source and when (报送情况, 催报): each report version
of the day, and each batch of records whose counts hold the day (since revision 0010 a batch
keeps its counts as one table, record_counts, not as report versions)."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.store.records import counts_content
from sanse.store.schema import UtcDateTime

SQL = Path(__file__).parent / "sql"
Source = Literal["report", "records"]


def _query(name: str) -> sa.TextClause:
    text = sa.text((SQL / f"{name}.sql").read_text(encoding="utf-8"))
    return text.bindparams(sa.bindparam("day", type_=sa.Date)).columns(sent_at=UtcDateTime)


VERSIONS_SENT = _query("versions_sent").bindparams(sa.bindparam("towns", expanding=True))
BATCHES_COUNTING = _query("batches_counting")


@dataclass(frozen=True)
class Sent:
    """One town's figures of the day as they arrived: a report version, or a batch's count."""

    town_code: str
    at: datetime  # UTC
    by: str
    source: Source
    source_name: str  # the file sent
    batch_seq: int | None = None  # the batch of records, for source "records"


def sent_on(conn: Connection, day: date, towns: Sequence[str]) -> list[Sent]:
    """Every figure of these towns' `day` that arrived, oldest first: the report versions (an
    upload's, a form's, or a batch's of before revision 0010) and the counts of the batches of
    records that counted the day. A town with none has not reported the day."""
    if not towns:
        return []
    wanted = sorted(set(towns))
    found = [
        Sent(row.town_code, row.sent_at, row.sent_by, _source(row.batch_seq), row.source_name, row.batch_seq)
        for row in conn.execute(VERSIONS_SENT, {"day": day, "towns": wanted})
    ]
    for row in conn.execute(BATCHES_COUNTING, {"day": day}).all():
        found += [
            Sent(code, row.sent_at, row.sent_by, "records", row.source_name, row.batch_seq)
            for code in _counted_on(conn, row.batch_seq, row.sent_at, day)
            if code in wanted
        ]
    return sorted(found, key=lambda sent: sent.at)


def _counted_on(conn: Connection, batch_seq: int, received_at: datetime, day: date) -> tuple[str, ...]:
    """The towns a batch's counts hold on `day`, remembered per process, batch and day (a
    batch never changes)."""
    key = (conn.engine.url.render_as_string(hide_password=True), batch_seq, received_at, day)
    with _COUNTED_LOCK:
        if key in _COUNTED:
            return _COUNTED[key]
    content = counts_content(conn, batch_seq, received_at)
    codes = pq.read_table(io.BytesIO(content), columns=["town_code"], filters=[("date", "=", day)])
    with _COUNTED_LOCK:
        while len(_COUNTED) >= _COUNTED_DAYS:
            del _COUNTED[next(iter(_COUNTED))]
        _COUNTED[key] = tuple(codes.column("town_code").to_pylist())
        return _COUNTED[key]


_COUNTED_DAYS = 512  # batch-days remembered; the first remembered is forgotten first
_COUNTED: dict[tuple, tuple[str, ...]] = {}
_COUNTED_LOCK = threading.Lock()


def _source(batch_seq: int | None) -> Source:
    return "report" if batch_seq is None else "records"
