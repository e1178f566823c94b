"""The submission history (报送记录) lists the town-days a batch of records counted beside the
report versions, newest first, on SQLite and on PostgreSQL: the office every town's, a town
account its own, at most `limit` rows, the batches read from the end of their counts."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from test_records import COUNTS, D1, D2, D3, TODAY, any_home, records  # noqa: F401  (any_home is a fixture)

import sanse.pipelines.records.counts
from sanse.access.roles import User
from sanse.facts import clock
from sanse.pipelines.records.ingest import ingest_records
from sanse.reporting.history import submission_history
from sanse.store.records import counted_latest
from sanse.store.reports import append_submission

OFFICE = User("office", "admin")
CLERK_B = User("clerk", "town", "B")
SHOWN = ["submitted_by", "source_name", "batch_seq", "town_code", "date", "inspections"]


@pytest.fixture
def sent(any_home, tmp_path, monkeypatch):  # noqa: F811
    """乙 (B) sends D1 by file an hour before a batch of records counts five town-days of 甲 (A)
    and 乙, and D3 by file an hour after; the batch's counts are stored two town-days a row
    group, so that reading them from the end crosses row groups."""
    monkeypatch.setattr(sanse.pipelines.records.counts, "ROW_GROUP", 2)
    now = clock.now_utc()
    report(any_home, D1, 5, "日报.csv", at=now - timedelta(hours=1))
    assert ingest_records(any_home, records(tmp_path / "base"), by="tester", today=TODAY).ok
    report(any_home, D3, 7, "补报.csv", at=now + timedelta(hours=1))
    return any_home


def report(home, day, inspections: int, name: str, *, at) -> None:
    row = {
        "row_number": [2],
        "date": [day],
        "town_code": ["B"],
        **{c: [0] for c in COUNTS},
        "inspections": [inspections],
    }
    append_submission(home.store, pd.DataFrame(row), by="clerk", source_name=name, source_sha256=name, at=at)


def shown(history: pd.DataFrame) -> list[tuple]:
    return [
        (by, source, None if pd.isna(batch) else int(batch), town, day, int(inspections))
        for by, source, batch, town, day, inspections in history[SHOWN].itertuples(index=False)
    ]


BATCH = "base（记录级数据）"
#           by         source      batch town  day  inspections
LATER = ("clerk", "补报.csv", None, "B", D3, 7)
A3, B2, A2, B1, A1 = (
    ("tester", BATCH, 1, town, day, n)
    for town, day, n in [("A", D3, 0), ("B", D2, 0), ("A", D2, 2), ("B", D1, 1), ("A", D1, 3)]
)  # the batch's town-days, its latest day first
EARLIER = ("clerk", "日报.csv", None, "B", D1, 5)


def test_the_office_sees_every_town_day_the_batch_counted_between_the_files_by_time(sent):
    history = submission_history(sent, OFFICE)
    assert shown(history) == [LATER, A3, B2, A2, B1, A1, EARLIER]
    assert history["submitted_at"].is_monotonic_decreasing
    assert list(history["reason"]) == [""] * 7


def test_a_town_account_sees_only_its_own_town_days(sent):
    assert shown(submission_history(sent, CLERK_B)) == [LATER, B2, B1, EARLIER]


def test_the_limit_holds_and_only_the_newest_rows_are_read(sent):
    assert shown(submission_history(sent, OFFICE, limit=3)) == [LATER, A3, B2]
    assert shown(submission_history(sent, CLERK_B, limit=2)) == [LATER, B2]
    assert shown(submission_history(sent, OFFICE, limit=1)) == [LATER]
    assert shown(counted_latest(sent.store, "B", limit=1).rename(columns={"received_by": "submitted_by"})) == [B2]
    later = clock.now_utc() + timedelta(minutes=30)  # the batch was received before: nothing of it is read
    assert counted_latest(sent.store, limit=5, since=later).empty
