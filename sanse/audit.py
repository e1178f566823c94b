"""The audit log: one JSON line per write (submission, correction, publication, rule or
account change), appended under a lock so concurrent writers never interleave."""

from __future__ import annotations

import fcntl
import json
import os
from datetime import datetime, timezone

import pandas as pd

from sanse.home import Home


def record(home: Home, who: str, action: str, **detail) -> None:
    home.audit.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    line = json.dumps(
        {"at": now.isoformat(timespec="microseconds"), "who": who, "action": action, **detail},
        ensure_ascii=False, default=str,
    ) + "\n"
    path = home.audit / f"{now:%Y-%m}.jsonl"
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
        fcntl.flock(handle, fcntl.LOCK_UN)


def read_audit(home: Home) -> pd.DataFrame:
    """Every audit event, newest first."""
    rows = []
    for path in sorted(home.audit.glob("*.jsonl")) if home.audit.exists() else []:
        with open(path, encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    frame = pd.DataFrame(rows, columns=None if rows else ["at", "who", "action"])
    return frame.sort_values("at", ascending=False, ignore_index=True) if rows else frame
