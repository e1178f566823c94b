"""The submission history a user may see (数据报送): every version of the daily figures ever
sent, and every town-day a batch of records counted, newest first, with when, by whom and from
which file or folder (a batch's rows name it, batch_seq); the office sees every town's, a town
account its own town's."""

from __future__ import annotations

import pandas as pd

from sanse.access.roles import User
from sanse.deployment.home import Home
from sanse.store.records import counted_latest
from sanse.store.reports import history

AS_SUBMITTED = {"received_at": "submitted_at", "received_by": "submitted_by"}


def submission_history(home: Home, user: User, *, limit: int | None = None) -> pd.DataFrame:
    """The versions and the batches' town-days `user` may see, newest first, at most `limit`
    rows. The batches are read only as far back as the rows shown can reach: when the newest
    `limit` versions fill the table, none received before the oldest of them."""
    town = None if user.role == "admin" else user.town_code
    versions = history(home.store, town, limit=limit)
    since = versions["submitted_at"].min().to_pydatetime() if limit and len(versions) >= limit else None
    counted = counted_latest(home.store, town, limit=limit, since=since)
    if counted.empty:
        return versions
    counted = counted.rename(columns=AS_SUBMITTED).assign(reason="")
    merged = pd.concat([versions, counted], ignore_index=True) if len(versions) else counted
    newest = merged.sort_values("submitted_at", ascending=False, kind="stable", ignore_index=True)
    return newest if limit is None else newest.head(limit)
