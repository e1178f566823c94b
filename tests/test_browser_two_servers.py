"""Two real dashboard servers (`streamlit run app.py`, each with its own home and warehouse) on
one PostgreSQL store, seen in headless Chromium: a report stored through the first shows on the
second server's 总览 at the next reload, without a restart or a build by hand."""

from __future__ import annotations

import sys

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PASSWORD, open_page, serving, settled
from test_two_servers import HEADER, last_day, servers  # noqa: F401  (servers is a fixture)

from sanse.access.accounts import add_user
from sanse.access.roles import SYSTEM
from sanse.pipelines.reports.ingest import ingest_file
from sanse.ranking.warehouse import Warehouse

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")


def day_inspections(home, day) -> tuple[int, int]:
    """(the city's inspections on `day`, 云岫街道's) in `home`'s warehouse."""
    warehouse = Warehouse.open(home)
    try:
        counts = warehouse.daily_counts(day, day)
    finally:
        warehouse.close()
    return int(counts["inspections"].sum()), int(counts.loc[counts["town_code"] == "T01", "inspections"].iloc[0])


@pytest.fixture
def second_server(servers):  # noqa: F811
    """The second home served as `streamlit run app.py` does, on the shared store."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: `make test` installs Debian's package")
    yield from serving(servers[1].root, [sys.executable, "-m", "streamlit", "run", "app.py"])


def test_a_report_stored_through_one_server_shows_on_the_other_after_a_reload(servers, second_server):  # noqa: F811
    first, _ = servers
    add_user(first, "office", role="admin", password=PASSWORD)  # accounts are in the shared store
    day = last_day(first)
    city, own = day_inspections(first, day)
    expected = f"{city - own + 888:,}"
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = open_page(chromium, second_server, "audit", DESKTOP, "请先登录")
        form = page.locator("[data-testid='stMain']")
        form.get_by_label("账号").fill("office")
        form.get_by_label("密码").fill(PASSWORD)
        form.get_by_role("button", name="登录").click()
        page.get_by_role("heading", name="操作日志").wait_for(timeout=30_000)
        page.wait_for_function("document.cookie.includes('sanse_session=')", timeout=30_000)
        page.goto(second_server)
        page.get_by_text("三色榜").wait_for(timeout=30_000)
        settled(page)
        assert page.get_by_text(expected).count() == 0

        fix = f"{HEADER}{day},云岫街道,888,10,2,5,1,1,0,0\n".encode()
        assert ingest_file(first, fix, "fix.csv", by=SYSTEM).ok  # stored through the first server

        page.reload()
        page.get_by_text(expected).first.wait_for(timeout=30_000)  # the day's 检查企业数 on the second
        chromium.close()
