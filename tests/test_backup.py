"""Backups (design §13): `sanse backup` while reports arrive writes one consistent state of the
store; `sanse restore` fills an empty home on the other database with the same ranking,
bulletins, 督办事项 and accounts; sessions are not carried; a home or store that is not empty
is refused."""

from __future__ import annotations

import json
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from conftest import copy_home, stored
from test_two_servers import HEADER, last_day

from sanse.access.accounts import add_user, list_users
from sanse.access.roles import SYSTEM
from sanse.access.sessions import start_session
from sanse.access.signin import authenticate
from sanse.cli.main import main
from sanse.deployment.home import Home
from sanse.pipelines.reports.ingest import ingest_file
from sanse.publishing.issue import list_issues
from sanse.publishing.publish import publish_bulletin
from sanse.store import DATABASE_URL_ENV, schema
from sanse.supervision.ledger import list_items

PASSWORD = "correct horse battery"


def what_readers_see(home: Home, capsys) -> dict:
    day = last_day(home)
    capsys.readouterr()
    assert main(["--home", str(home.root), "rank", "--date", str(day), "--format", "csv"]) == 0
    ranking = capsys.readouterr().out
    return {
        "ranking": ranking,
        "issues": [(i.day, i.version, i.number, i.title) for i in list_issues(home)],
        "items": [(i.id, i.town_code, i.measure, i.status, i.deadline) for i in list_items(home)],
        "accounts": [(a.name, a.role, a.town_code, a.active) for a in list_users(home)],
    }


def sessions_of(home: Home) -> int:
    with home.store.reading() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(schema.sessions)).scalar_one()


def test_a_backup_restored_on_the_other_database_and_back_reads_the_same(
    demo_home_readonly, tmp_path, monkeypatch, new_postgres_database, capsys
):
    source = copy_home(demo_home_readonly, tmp_path / "sqlite-home")
    publish_bulletin(source, last_day(source), by=SYSTEM)
    add_user(source, "office", role="admin", password=PASSWORD)
    start_session(source, authenticate(source, "office", PASSWORD))
    seen = what_readers_see(source, capsys)
    assert seen["items"] and seen["issues"] and sessions_of(source) == 1

    archive = tmp_path / "backup.zip"
    assert main(["--home", str(source.root), "backup", "--out", str(archive)]) == 0
    monkeypatch.setenv(DATABASE_URL_ENV, new_postgres_database)
    on_postgres = Home(tmp_path / "postgres-home")
    assert main(["--home", str(on_postgres.root), "restore", str(archive)]) == 0
    assert what_readers_see(on_postgres, capsys) == seen
    assert sessions_of(on_postgres) == 0  # everyone signs in again
    authenticate(on_postgres, "office", PASSWORD)  # with the same password
    # new rows are numbered after the restored ones
    publish_bulletin(on_postgres, last_day(on_postgres) - timedelta(days=1), by=SYSTEM)

    # and back, from PostgreSQL to SQLite
    again = tmp_path / "again.zip"
    assert main(["--home", str(on_postgres.root), "backup", "--out", str(again)]) == 0
    now_seen = what_readers_see(on_postgres, capsys)
    monkeypatch.delenv(DATABASE_URL_ENV)
    on_sqlite = Home(tmp_path / "sqlite-again")
    assert main(["--home", str(on_sqlite.root), "restore", str(again)]) == 0
    assert what_readers_see(on_sqlite, capsys) == now_seen != seen  # with the new issue


def test_restore_refuses_a_home_or_store_that_is_not_empty(demo_home_readonly, tmp_path, capsys):
    source = copy_home(demo_home_readonly, tmp_path / "home")
    archive = tmp_path / "backup.zip"
    assert main(["--home", str(source.root), "backup", "--out", str(archive)]) == 0
    before = stored(source)
    assert main(["--home", str(source.root), "restore", str(archive)]) == 1
    assert "只能恢复到空的目录" in capsys.readouterr().err
    assert stored(source) == before

    not_a_backup = tmp_path / "x.zip"
    not_a_backup.write_bytes(b"PK nothing")
    assert main(["--home", str(tmp_path / "empty"), "restore", str(not_a_backup)]) == 1
    assert not (tmp_path / "empty" / "sanse.db").exists()


def test_a_backup_taken_while_reports_arrive_is_one_state_of_the_store(
    demo_home_readonly, tmp_path, store_url, monkeypatch
):
    monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    home = Home(tmp_path / "busy")
    assert main(["--home", str(home.root), "init", "--demo"]) == 0
    day = last_day(home)
    stop, written = threading.Event(), []

    def clerk() -> None:  # one report after another, each a new figure for 云岫街道
        n = 100
        while not stop.is_set():
            n += 1
            content = f"{HEADER}{day},云岫街道,{n},10,2,5,1,1,0,0\n".encode()
            assert ingest_file(home, content, f"fix-{n}.csv", by=SYSTEM).ok
            written.append(n)

    writer = threading.Thread(target=clerk)
    writer.start()
    try:
        archives = []
        while len(archives) < 4 or len(written) < 4:
            archives.append(tmp_path / f"backup-{len(archives)}.zip")
            main(["--home", str(home.root), "backup", "--out", str(archives[-1])])
    finally:
        stop.set()
        writer.join()

    for archive in archives:
        tables = read_archive(archive)
        submissions = {row["seq"] for row in tables["submissions"]}
        versions = tables["report_versions"]
        assert {v["submission_seq"] for v in versions} <= submissions
        latest = {}
        for version in versions:  # the current figures are the latest version of each town-day
            key = (version["town_code"], version["date"])
            if version["seq"] > latest.get(key, {"seq": -1})["seq"]:
                latest[key] = version
        current = {(r["town_code"], r["date"]): r for r in tables["current_reports"]}
        assert current.keys() == latest.keys()
        assert all(current[key]["inspections"] == latest[key]["inspections"] for key in current)
        files = {row["sha256"] for row in tables["files"]}
        assert {row["source_sha256"] for row in tables["submissions"]} <= files


def read_archive(path: Path) -> dict[str, list[dict]]:

    with zipfile.ZipFile(path) as archive:
        return {
            name[len("store/") : -len(".jsonl")]: [json.loads(line) for line in archive.read(name).splitlines()]
            for name in archive.namelist()
            if name.startswith("store/")
        }
