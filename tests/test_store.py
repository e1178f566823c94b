"""The store on a real SQLite file and a real PostgreSQL server: its schema comes from the
migrations, versions are kept and looked up by town-day, concurrent writers all land, and a
broken database is a plain error."""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sanse.facts.report import COUNT_COLUMNS
from sanse.store import StoreError, close_all, open_store, schema
from sanse.store.migrate import MIGRATIONS, SCHEMA_REVISION, current_revision
from sanse.store.reports import append_submission, current_reports, history, last_version

D1, D2, D3 = date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)


def rows(*figures: tuple) -> pd.DataFrame:
    """Rows of (town code, day, inspections, major hazards); the other counts 0."""
    frame = pd.DataFrame(
        {
            "row_number": range(2, len(figures) + 2),
            "town_code": [f[0] for f in figures],
            "date": [f[1] for f in figures],
            **{c: 0 for c in COUNT_COLUMNS},
        }
    )
    frame["inspections"] = [f[2] for f in figures]
    frame["major_hazards"] = [f[3] for f in figures]
    frame["hazards"] = frame["major_hazards"]
    frame["fines_wan"] = 0.0
    return frame


def submit(store, *figures: tuple, by: str = "tester", name: str = "a.csv"):
    return append_submission(store, rows(*figures), by=by, source_name=name, source_sha256="0" * 64)


# ---------------------------------------------------------------- schema


def test_the_newest_revision_is_the_one_the_store_expects():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_the_migrations_build_exactly_the_schema(store_url):
    store = open_store(store_url)
    assert current_revision(store.engine) == SCHEMA_REVISION
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), schema.metadata) == []


def at_revision(url: str, revision: str) -> sa.Engine:
    """A store migrated only up to `revision`, as an older release left it."""
    from alembic import command

    if url.startswith("sqlite"):
        Path(sa.engine.make_url(url).database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    command.upgrade(config, revision)
    return engine


def test_a_store_keyed_by_town_is_rekeyed_by_day_and_keeps_every_figure(store_url):
    engine = at_revision(store_url, "0004")  # current figures keyed (town, day)
    engine.dispose()
    close_all()
    store = open_store(store_url)  # upgraded on opening
    assert current_revision(store.engine) == SCHEMA_REVISION
    submit(store, ("A", D1, 10, 1), ("B", D1, 5, 0), ("A", D2, 8, 0))
    submit(store, ("A", D1, 10, 3), name="fix.csv")
    inspector = sa.inspect(store.engine)
    assert inspector.get_pk_constraint("current_reports")["constrained_columns"] == ["date", "town_code"]
    current = current_reports(store).set_index(["town_code", "date"])
    assert current.loc[("A", D1), "major_hazards"] == 3 and len(current) == 3
    assert len(history(store)) == 4


def test_rekeying_keeps_the_figures_stored_before_it(store_url):
    engine = at_revision(store_url, "0004")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into submissions (submission_id, submitted_at, submitted_by, source_name, source_sha256,"
                " reason, rows, unchanged, corrected) values ('s1', '2026-10-01 10:00:00', 'x', 'a.csv', 'h', '', 2, 0, 0)"
            )
        )
        for seq, town, fines in ((1, "A", 0.0), (2, "B", 0.5)):
            counts = f"10, 1, 1, 0, 0, 0, 0, {fines}"
            conn.execute(sa.text(f"insert into report_versions values ({seq}, 1, 2, '2026-10-01', '{town}', {counts})"))
            conn.execute(sa.text(f"insert into current_reports values ('{town}', '2026-10-01', {seq}, {counts})"))
    engine.dispose()
    close_all()
    store = open_store(store_url)
    current = current_reports(store)
    assert sorted(zip(current["town_code"], current["fines_wan"])) == [("A", 0.0), ("B", 0.5)]
    # the next upload of that day finds them by the new key: unchanged figures store nothing
    again = submit(store, ("A", D1, 10, 1))
    assert again.written == 0 and again.unchanged == 1


def test_opening_an_up_to_date_store_again_changes_nothing(store_url):
    open_store(store_url)
    close_all()
    assert current_revision(open_store(store_url).engine) == SCHEMA_REVISION


def test_record_bytes_are_stored_on_postgresql_without_compressing_them_again(new_postgres_database):
    store = open_store(new_postgres_database)
    with store.reading() as conn:
        storage = dict(
            conn.execute(
                sa.text(
                    "select attrelid::regclass::text, attstorage from pg_attribute "
                    "where attname = 'content' and attrelid in ('record_object_chunks'::regclass, 'record_counts'::regclass)"
                )
            ).all()
        )
    assert storage == {"record_object_chunks": "e", "record_counts": "e"}  # external: stored as they are


# ---------------------------------------------------------------- versions


def test_new_figures_are_stored_and_the_same_figures_again_are_not(store_url):
    store = open_store(store_url)
    first = submit(store, ("A", D1, 10, 1), ("B", D1, 5, 0))
    assert (first.written, first.unchanged, first.corrected) == (2, 0, ())
    again = submit(store, ("A", D1, 10, 1), ("B", D1, 5, 0), name="copy.csv")
    assert (again.submission_id, again.written, again.unchanged) == (None, 0, 2)
    assert len(history(store)) == 2


def test_a_correction_becomes_current_and_every_version_is_kept(store_url):
    store = open_store(store_url)
    submit(store, ("A", D1, 10, 1), ("A", D2, 8, 0))
    fixed = submit(store, ("A", D1, 10, 3), ("A", D2, 8, 0), by="改正者", name="fix.csv")
    assert (fixed.written, fixed.unchanged, fixed.corrected) == (1, 1, (("A", D1),))
    current = current_reports(store).set_index(["town_code", "date"])
    assert current.loc[("A", D1), "major_hazards"] == 3 and current.loc[("A", D2), "major_hazards"] == 0
    versions = history(store, "A")
    assert list(versions["major_hazards"]) == [3, 0, 1]  # newest first
    assert list(versions["submitted_by"]) == ["改正者", "tester", "tester"]


def test_a_build_asks_only_for_what_changed_since_the_version_it_saw(store_url):
    store = open_store(store_url)
    submit(store, ("A", D1, 10, 1), ("B", D1, 5, 0))
    seen = last_version(store)
    submit(store, ("B", D1, 6, 0), ("C", D2, 7, 2))
    changed = current_reports(store, since_seq=seen)
    assert sorted(zip(changed["town_code"], changed["date"])) == [("B", D1), ("C", D2)]
    assert changed["seq"].min() > seen and last_version(store) == changed["seq"].max()


def test_a_large_import_is_compared_with_the_current_figures_of_its_days(store_url):
    store = open_store(store_url)
    towns = [f"T{k:04d}" for k in range(700)]
    submit(store, *[(t, D1, 1, 0) for t in towns])
    second = submit(store, *[(t, D1, 1 if k % 2 else 2, 0) for k, t in enumerate(towns)], (towns[0], D3, 4, 1))
    assert (second.written, second.unchanged, len(second.corrected)) == (351, 350, 350)
    assert len(current_reports(store)) == 701


def test_the_current_figures_of_some_towns_and_days_are_looked_up_alone(store_url):
    store = open_store(store_url)
    submit(store, ("A", D1, 1, 0), ("A", D2, 2, 0), ("B", D2, 3, 0), ("A", D3, 4, 0))
    some = current_reports(store, towns=["A"], first=D2, last=D3)
    assert list(some["inspections"]) == [2, 4]


# ---------------------------------------------------------------- writers at once


def _upload_at_once(url: str, start, town: str, day: date, inspections: int) -> None:
    start.wait(60)
    submit(open_store(url), (town, day, inspections, 0), by=town, name=f"{town}.csv")


def test_fifty_uploads_from_separate_processes_at_the_same_moment_all_land(store_url):
    open_store(store_url)
    close_all()  # the children open their own connections
    context = multiprocessing.get_context("fork")
    start = context.Barrier(50)
    jobs = [(f"T{k:02d}", D1, k) for k in range(40)] + [("T00", D1, 100 + k) for k in range(10)]
    children = [context.Process(target=_upload_at_once, args=(store_url, start, *job)) for job in jobs]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [child.exitcode for child in children] == [0] * 50
    store = open_store(store_url)
    assert len(history(store)) == 50
    assert len(current_reports(store)) == 40
    versions = history(store)
    last_t00 = versions[versions["town_code"] == "T00"].iloc[0]["inspections"]
    assert current_reports(store, towns=["T00"])["inspections"].tolist() == [last_t00]


# ---------------------------------------------------------------- a broken database


def test_a_corrupt_database_file_is_a_plain_error(tmp_path):
    path = tmp_path / "sanse.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="无法读写数据库") as failure:
        open_store(f"sqlite:///{path}")
    assert "sanse.db" not in str(failure.value)  # where it is goes to the log and the shell only
    assert "sanse.db" in failure.value.detail


def test_an_unreachable_server_is_a_plain_error():
    with pytest.raises(StoreError, match="无法读写数据库"):
        open_store("postgresql+psycopg://postgres@127.0.0.1:9/none")


def _open_new(url: str, start) -> None:
    start.wait(60)
    open_store(url)


def test_processes_opening_a_new_sqlite_store_at_once_all_open_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'sanse.db'}"
    context = multiprocessing.get_context("fork")
    start = context.Barrier(6)
    children = [context.Process(target=_open_new, args=(url, start)) for _ in range(6)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [child.exitcode for child in children] == [0] * 6
