"""One store per home (design §13): the home and its store share an id from the moment the home
is made; a home never makes a new store beside the one it has, nor opens another deployment's;
and a store that cannot be reached is a plain message, its address and the driver's words kept
for the log."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import fixture_city, stored
from postgres import throwaway_cluster
from streamlit.testing.v1 import AppTest

from sanse.cli.main import main
from sanse.store import DATABASE_URL_ENV, close_all, open_store, schema
from sanse.store.database import with_driver
from sanse.store.identity import ID_FILE, NO_URL, OTHER_STORE, OtherStore

APP = str(Path(__file__).parents[1] / "app.py")


def store_id(url: str) -> str | None:
    with open_store(url).reading() as conn:
        return conn.execute(sa.select(schema.store_identity.c.id)).scalar()


def test_a_new_home_and_its_store_share_one_id(tmp_path):
    home = fixture_city(tmp_path)
    assert main(["--home", str(home.root), "build"]) == 0
    written = (home.root / ID_FILE).read_text().strip()
    assert len(written) == 36 and store_id(f"sqlite:///{home.root / 'sanse.db'}") == written


def test_a_postgresql_home_run_without_its_url_refuses_and_makes_no_store(tmp_path, monkeypatch, postgres_url, capsys):
    monkeypatch.setenv(DATABASE_URL_ENV, postgres_url)
    home = fixture_city(tmp_path)
    assert main(["--home", str(home.root), "build"]) == 0
    before = stored(home)

    monkeypatch.delenv(DATABASE_URL_ENV)
    close_all()
    assert main(["--home", str(home.root), "user", "list"]) == 1
    assert NO_URL in capsys.readouterr().err
    assert not (home.root / "sanse.db").exists()
    monkeypatch.setenv(DATABASE_URL_ENV, postgres_url)
    assert stored(home) == before


def test_a_home_pointed_at_another_deployments_store_refuses_and_writes_nothing(tmp_path, monkeypatch, store_url):
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    ours = fixture_city(tmp_path / "ours")
    assert main(["--home", str(ours.root), "build"]) == 0  # on its own SQLite store
    theirs = fixture_city(tmp_path / "theirs")
    monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    assert main(["--home", str(theirs.root), "build"]) == 0  # the other deployment's store
    before = stored(theirs)

    close_all()
    with pytest.raises(OtherStore, match=OTHER_STORE):
        ours.store  # noqa: B018 - opening is the act refused
    assert main(["--home", str(ours.root), "user", "list"]) == 1
    assert stored(theirs) == before


def test_a_second_servers_new_home_joins_the_shared_store(tmp_path, monkeypatch, postgres_url):
    monkeypatch.setenv(DATABASE_URL_ENV, postgres_url)
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first, second = fixture_city(tmp_path / "first"), fixture_city(tmp_path / "second")
    assert main(["--home", str(first.root), "build"]) == 0
    assert main(["--home", str(second.root), "build"]) == 0
    assert (second.root / ID_FILE).read_text() == (first.root / ID_FILE).read_text()


@pytest.mark.postgres
def test_pages_say_plainly_that_a_stopped_database_cannot_be_reached(tmp_path, monkeypatch):
    home = fixture_city(tmp_path)
    with throwaway_cluster() as url:
        monkeypatch.setenv(DATABASE_URL_ENV, url)
        monkeypatch.setenv("SANSE_HOME", str(home.root))
        assert main(["--home", str(home.root), "build"]) == 0
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert not at.error
    # the cluster is stopped now
    at = AppTest.from_file(APP, default_timeout=60).run()
    shown = "\n".join(e.value for e in at.error)
    assert shown.startswith("暂时无法读写数据库")
    host_port = with_driver(url).split("@", 1)[1].split("/", 1)[0]
    for secret in (host_port, "postgres", "psycopg", "connection", str(tmp_path)):
        assert secret not in shown
    assert not at.exception
