"""The deployment of several servers on one PostgreSQL store, in headless Chromium through
HAProxy: a clerk signs in, uploads a file (its HTTP request reaches the process that holds the
session), reloads and stays on that process; when that process is killed, the browser
reconnects to the other one and is still signed in."""

from __future__ import annotations

import os
import signal

import pytest
from deployment import COOKIE, deployment
from test_browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PASSWORD, ROOT, open_page, settled, sign_in

from sanse.access.accounts import add_user
from sanse.cli.main import main
from sanse.deployment.home import Home
from sanse.store import DATABASE_URL_ENV, close_all

pytestmark = [pytest.mark.browser, pytest.mark.deploy]
playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def on_postgres(tmp_path, new_postgres_database, monkeypatch):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: `make test` installs Debian's package")
    monkeypatch.setenv(DATABASE_URL_ENV, new_postgres_database)
    home = Home(tmp_path / "home")
    assert main(["--home", str(home.root), "init", "--demo", "--publish-days", "1"]) == 0
    add_user(home, "office", role="admin", password=PASSWORD)
    close_all()
    with deployment(home.root, database_url=new_postgres_database) as running:
        yield running


def process_of(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == COOKIE)


def test_a_signed_in_browser_stays_on_its_process_and_moves_when_it_dies(on_postgres):
    running = on_postgres
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport=DESKTOP)
        page = open_page(chromium, running.url, "", DESKTOP, "三色榜", context=context)
        page.locator("[data-testid='stSidebar'] [data-testid='stExpander'] summary").click()
        sign_in(page, "[data-testid='stSidebar']")
        first = process_of(context)

        page.get_by_role("link", name="数据报送").click()
        page.get_by_role("tab", name="上传文件").click()
        page.locator("input[type='file']").set_input_files(str(ROOT / "tests" / "fixtures" / "daily_bad.csv"))
        page.get_by_text("未导入任何数据", exact=False).wait_for(timeout=30_000)  # read back by its process
        assert page.locator("[data-testid='stException']").count() == 0

        page.reload()
        page.get_by_text("已登录：office", exact=False).wait_for(timeout=30_000)
        settled(page)
        assert process_of(context) == first

        killed = running.pid(first)
        os.kill(killed, signal.SIGKILL)
        # The next page goes over a new websocket, to the other process. A click made before the
        # page has noticed its socket died is lost with it, so the clerk clicks again.
        for attempt in range(3):
            page.get_by_role("link", name="每日排名").click()
            try:
                page.get_by_text("综合得分").first.wait_for(timeout=20_000)
                break
            except playwright.TimeoutError:
                if attempt == 2:
                    raise
        page.reload()
        page.get_by_text("已登录：office", exact=False).wait_for(timeout=30_000)
        settled(page)
        # On another process now: the other one, or the killed one's successor, which supervisord
        # starts at once and HAProxy takes back once its health check passes.
        assert process_of(context) != first or running.pid(first) not in (killed, 0)
        context.close()
        chromium.close()
