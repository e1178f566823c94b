"""The 操作日志 as the office reads it: the audit log's events, each action by its Chinese label."""

from __future__ import annotations

from datetime import date

import pandas as pd

from sanse.access.audit import ACTION_LABELS, read_audit
from sanse.access.roles import require
from sanse.ui import data
from sanse.ui.session import viewer


def audit_events(
    *, who: str | None = None, action: str | None = None, since: date | None = None, until: date | None = None
) -> pd.DataFrame:
    """The events, newest first; Forbidden for a user who may not read the log."""
    require(viewer(), "read_audit")
    return read_audit(data.home(), who=who, action=action, since=since, until=until)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)
