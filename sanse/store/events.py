"""Writing one audit event inside the transaction of the write it tells of."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.facts import clock
from sanse.store import schema


def record_event(conn: Connection, who: str, action: str, *, at: datetime | None = None, **detail) -> None:
    """Store one event inside the caller's transaction: it commits with the write it tells of."""
    conn.execute(
        sa.insert(schema.audit_events).values(
            at=at or clock.now_utc(),
            who=who,
            action=action,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )
