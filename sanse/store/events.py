"""Writing one audit event inside the transaction of the write it tells of."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.store import schema


def record_event(conn: Connection, who: str, action: str, *, at: datetime | None = None, **detail) -> None:
    """Store one event inside the caller's transaction: it commits with the write it tells of."""
    conn.execute(
        sa.insert(schema.audit_events).values(
            at=at or datetime.now(UTC),
            who=who,
            action=action,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )
