"""Shared fixtures: a demo home built once per session, copied for tests that write."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from unittest import mock

import pyarrow as pa
import pytest
import sqlalchemy as sa
from postgres import throwaway_cluster

from sanse.cli.main import main
from sanse.deployment.home import Home
from sanse.facts import clock
from sanse.facts.report import COUNTS
from sanse.pipelines.records.counts import encoded
from sanse.store import close_all, database_url, schema
from sanse.store.database import Store, with_driver
from sanse.store.records import write_batch

# The demo the tests rely on, pinned: by default it ends yesterday.
DEMO_FIRST, DEMO_END = date(2026, 9, 1), date(2026, 10, 30)


def copy_home(source: Home, root: Path) -> Home:
    """A private copy of a home and its SQLite store (connections closed first, so the copy
    holds every committed write)."""
    close_all()
    shutil.copytree(source.root, root)
    return Home(root)


def fixture_city(tmp_path: Path) -> Home:
    """A home with the small fixture city (tests/fixtures/towns.csv and rules.toml), nothing stored."""
    root = tmp_path / "home"
    root.mkdir()
    for name in ("towns.csv", "rules.toml"):
        shutil.copy(Path(__file__).parent / "fixtures" / name, root / name)
    return Home(root)


def stored(home: Home) -> dict[str, int]:
    """How many rows each table of the store holds: what a refused write must leave alone. (Reading
    the rules stores a new rules.toml, so the rules versions are not counted; nor is the store's
    identity, written when its home is first opened.)"""
    with home.store.reading() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in schema.metadata.sorted_tables
            if t.name not in ("turns", "rules_versions", "store_identity")
        }


def count_by_records(store: Store, day: date, codes: list[str], *, at: datetime, by: str = "importer") -> None:
    """A batch of records received at `at` that counted `codes` on `day` (one inspection each),
    stored as `sanse ingest-records` stores one: its counts in record_counts, no report version."""
    daily = pa.table(
        {
            "date": pa.array([day] * len(codes), pa.date32()),
            "town_code": pa.array(sorted(codes)),
            **{
                c.key: pa.array([1 if c.key == "inspections" else 0] * len(codes), pa.from_numpy_dtype(c.dtype))
                for c in COUNTS
            },
        }
    )
    with mock.patch.object(clock, "now_utc", lambda: at), store.writing("records", "reports") as conn:
        write_batch(
            conn,
            (),
            by=by,
            source_name="记录.zip",
            source_sha256="1" * 64,
            new=len(codes),
            changed=0,
            unchanged=0,
            towns={},
            counts=encoded(daily),
        )


@pytest.fixture(scope="session")
def demo_home_readonly(tmp_path_factory) -> Home:
    """The demo city, initialised and built once. Do not write to it: use `demo_home`."""
    root = tmp_path_factory.mktemp("demo-home")
    assert main(["--home", str(root), "init", "--demo", "--end", str(DEMO_END)]) == 0
    return Home(root)


@pytest.fixture
def demo_home(demo_home_readonly: Home, tmp_path: Path) -> Home:
    """A private copy of the built demo city."""
    return copy_home(demo_home_readonly, tmp_path / "home")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for this test session (see tests/postgres.py)."""
    with throwaway_cluster() as url:
        yield url


@pytest.fixture
def new_postgres_database(postgres_url) -> Iterator[str]:
    """The URL of a new, empty database on the test session's PostgreSQL server."""
    database = f"n{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(with_driver(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"create database {database}"))
    yield postgres_url.rsplit("/", 1)[0] + f"/{database}"
    close_all()
    with admin.connect() as conn:
        conn.execute(sa.text(f"drop database {database} with (force)"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> Iterator[str]:
    """An empty store on each database the store runs on."""
    if request.param == "sqlite":
        yield database_url(tmp_path / "home")
        return
    server = request.getfixturevalue("postgres_url")
    database = f"t{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(with_driver(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"create database {database}"))
    yield with_driver(server.rsplit("/", 1)[0] + f"/{database}")
    close_all()
    with admin.connect() as conn:
        conn.execute(sa.text(f"drop database {database} with (force)"))
    admin.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the PostgreSQL server `postgres`, so `make test-fast` can leave
    them out: those asking for `postgres_url`, the PostgreSQL side of `store_url`, and those that
    start a cluster of their own (marked by hand)."""
    for item in items:
        params = getattr(item, "callspec", None)
        on_postgresql = params is not None and params.params.get("store_url") == "postgresql"
        if on_postgresql or "postgres_url" in item.fixturenames or "new_postgres_database" in item.fixturenames:
            item.add_marker(pytest.mark.postgres)
