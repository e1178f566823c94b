"""Two dashboard servers (each with its own home and warehouse) on one PostgreSQL store: what
one stores, the other shows on its next page run; they never publish one day twice."""

from __future__ import annotations

import multiprocessing
import os
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import DEMO_FIRST
from streamlit.testing.v1 import AppTest

from sanse.access.roles import SYSTEM
from sanse.deployment.demo import demo_reports, demo_settings, demo_towns
from sanse.deployment.home import Home
from sanse.deployment.rules_file import write_settings
from sanse.deployment.towns import write_towns
from sanse.pipelines.build.warehouse import build, build_if_behind
from sanse.pipelines.reports.ingest import ingest_file
from sanse.publishing.issue import BulletinError, list_issues
from sanse.publishing.publish import publish_bulletin
from sanse.ranking.warehouse import Warehouse
from sanse.store import DATABASE_URL_ENV, close_all
from sanse.store.database import with_driver

APP = str(Path(__file__).parents[1] / "app.py")
DAYS = 5
HEADER = "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）\n"


def server_home(root: Path) -> Home:
    home = Home(root).ensure()
    write_towns(demo_towns(), home.towns_csv)
    write_settings(demo_settings(DEMO_FIRST), home.rules_toml)
    return home


@pytest.fixture
def servers(postgres_url, tmp_path, monkeypatch) -> tuple[Home, Home]:
    """Two servers' homes on one fresh PostgreSQL database, the demo's first days stored."""
    database = f"two_{tmp_path.name[-20:].lower().replace('-', '_')}"
    admin = sa.create_engine(with_driver(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{database}"'))
    monkeypatch.setenv(DATABASE_URL_ENV, postgres_url.rsplit("/", 1)[0] + f"/{database}")
    first, second = server_home(tmp_path / "a"), server_home(tmp_path / "b")
    content = demo_reports(demo_towns(), days=DAYS, start=DEMO_FIRST).to_csv(index=False).encode("utf-8")
    assert ingest_file(first, content, "demo.csv", by=SYSTEM).ok
    build(first)
    yield first, second
    close_all()
    with admin.connect() as conn:
        conn.execute(sa.text(f'drop database "{database}" with (force)'))
    admin.dispose()


def last_day(home: Home) -> date:
    warehouse = Warehouse.open(home)
    try:
        return warehouse.dates()[-1]
    finally:
        warehouse.close()


def inspections(home: Home, code: str, day: date) -> int:
    warehouse = Warehouse.open(home)
    try:
        counts = warehouse.daily_counts(day, day)
    finally:
        warehouse.close()
    return int(counts.loc[counts["town_code"] == code, "inspections"].iloc[0])


def test_the_second_server_builds_what_the_first_stored(servers):
    first, second = servers
    assert build_if_behind(second) is not None  # never built: builds from the store
    day = last_day(first)
    assert build_if_behind(second) is None
    fix = f"{HEADER}{day},云岫街道,777,10,2,5,1,1,0,0\n".encode()
    assert ingest_file(first, fix, "fix.csv", by=SYSTEM).ok
    result = build_if_behind(second)
    assert result.incremental and result.first_rebuilt == day
    assert inspections(second, "T01", day) == 777


def test_an_upload_on_one_server_shows_on_the_others_next_page_run(servers, monkeypatch):
    first, second = servers
    monkeypatch.setenv("SANSE_HOME", str(second.root))
    day = last_day(first)
    page = AppTest.from_file(APP, default_timeout=60)
    page.run()
    assert not page.exception
    fix = f"{HEADER}{day},云岫街道,888,10,2,5,1,1,0,0\n".encode()
    assert ingest_file(first, fix, "fix.csv", by=SYSTEM).ok
    page.run()
    assert not page.exception
    assert inspections(second, "T01", day) == 888


def _publish(url: str, root: str, day: date, start, results) -> None:
    os.environ[DATABASE_URL_ENV] = url
    home = Home(root)
    start.wait(60)
    try:
        results.put(publish_bulletin(home, day, by=SYSTEM).number)
    except BulletinError as refusal:
        results.put(str(refusal))


def test_two_servers_publishing_the_same_new_day_at_once_make_one_issue(servers):
    first, second = servers
    build(second)
    day = last_day(first)
    close_all()
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(2), context.Queue()
    url = os.environ[DATABASE_URL_ENV]
    children = [context.Process(target=_publish, args=(url, str(h.root), day, start, results)) for h in servers]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    outcomes = [results.get(timeout=5) for _ in children]
    assert sorted(outcomes, key=str)[0] == 1 and "没有变化" in str(sorted(outcomes, key=str)[1])
    assert [(i.number, i.version) for i in list_issues(first)] == [(1, 1)]
