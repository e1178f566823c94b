"""The submission history a user may see (数据报送): every version of the daily figures ever
sent, newest first, with when, by whom and from which file; the office sees every town's, a
town account its own town's."""

from __future__ import annotations

import pandas as pd

from sanse.access.roles import User
from sanse.deployment.home import Home
from sanse.store.reports import history


def submission_history(home: Home, user: User, *, limit: int | None = None) -> pd.DataFrame:
    """The versions `user` may see, newest first, at most `limit` rows."""
    return history(home.store, None if user.role == "admin" else user.town_code, limit=limit)
