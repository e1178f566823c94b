"""A home made by release 0.1 (tests/fixtures/home-0.1.tar.gz: the demo city, a clerk's
correction, two accounts, a failed sign-in, three published issue versions) carried into the
store, by `sanse upgrade` and by itself, with nothing lost."""

from __future__ import annotations

import json
import tarfile
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import stored

from sanse.access.accounts import list_users
from sanse.access.audit import read_audit
from sanse.access.signin import authenticate
from sanse.cli.main import main
from sanse.deployment.home import Home
from sanse.publishing.issue import list_issues, load_issue
from sanse.store import close_all, database_url, open_store, schema
from sanse.store.reports import current_reports, history
from sanse.store.upgrade import carry_in

OLD_HOME = Path(__file__).parent / "fixtures" / "home-0.1.tar.gz"


@pytest.fixture
def old_home(tmp_path) -> Home:
    with tarfile.open(OLD_HOME) as archive:
        archive.extractall(tmp_path, filter="data")
    return Home(tmp_path / "oldhome")


def old_versions(home: Home) -> pd.DataFrame:
    return pd.concat(
        [pq.read_table(p).to_pandas() for p in sorted((home.root / "log" / "submissions").glob("*.parquet"))]
    )


def test_sanse_upgrade_carries_every_version_account_event_and_issue(old_home, capsys):
    versions = old_versions(old_home)
    audit_lines = sum(
        len(p.read_text(encoding="utf-8").splitlines()) for p in (old_home.root / "log" / "audit").glob("*")
    )
    assert main(["--home", str(old_home.root), "upgrade"]) == 0
    assert "已迁入数据库" in capsys.readouterr().out

    kept = history(old_home.store)
    assert len(kept) == len(versions) == 1365
    assert set(kept["submission_id"]) == set(versions["submission_id"])
    correction = kept[(kept["town_code"] == "T01") & (kept["date"] == date(2026, 10, 30))]
    assert list(correction["submitted_by"]) == ["clerk", "demo"] and list(correction["inspections"])[0] == 40
    assert len(current_reports(old_home.store)) == 1364

    assert sorted(a.name for a in list_users(old_home)) == ["clerk", "office"]
    assert authenticate(old_home, "office", "correct-horse-1").role == "admin"  # the old hash still signs in

    events = read_audit(old_home)
    assert len(events) == audit_lines + 1 and events.iloc[0]["action"] == "upgrade"

    assert sorted((i.day, i.version, i.number) for i in list_issues(old_home)) == [
        (date(2026, 10, 29), 1, 1),
        (date(2026, 10, 30), 1, 2),
        (date(2026, 10, 30), 2, 2),
    ]
    old_issue = json.loads((old_home.root / "bulletins" / "2026-10-30_v2_no2.json").read_text(encoding="utf-8"))
    assert load_issue(old_home, date(2026, 10, 30)).ranking == tuple(old_issue["ranking"])


def test_the_original_files_are_carried_in_as_received(old_home):
    originals = {p.name.split(".")[0]: p.read_bytes() for p in (old_home.root / "log" / "originals").iterdir()}
    carry_in(open_store(database_url(old_home.root)), old_home.root)
    with old_home.store.reading() as conn:
        files = dict(conn.execute(sa.select(schema.files.c.sha256, schema.files.c.content)).all())
    assert files == originals


def test_an_old_home_is_carried_in_once_by_itself_and_ranks_as_before(old_home, capsys):
    assert main(["--home", str(old_home.root), "build"]) == 0
    assert main(["--home", str(old_home.root), "rank", "--date", "2026-10-30", "--format", "json"]) == 0
    ranked = json.loads(capsys.readouterr().out)
    assert next(r for r in ranked if r["code"] == "T01")["inspections"] > 0
    before = stored(old_home)
    close_all()
    assert main(["--home", str(old_home.root), "upgrade"]) == 0
    assert "没有需要迁入的旧版数据" in capsys.readouterr().out
    assert stored(old_home) == before


def test_an_upgrade_that_fails_half_way_carries_nothing(old_home, monkeypatch):
    def broken(conn, legacy):
        raise OSError("disk gone")

    monkeypatch.setattr("sanse.store.upgrade._issues", broken)
    store = open_store(database_url(old_home.root))  # not home.store, which would carry it in again
    with pytest.raises(OSError):
        carry_in(store, old_home.root)
    with store.reading() as conn:
        counts = [
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in schema.metadata.sorted_tables
            if t.name != "turns"
        ]
    assert counts == [0] * len(counts)
