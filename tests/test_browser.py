"""The main paths once in a real headless Chromium (Debian's package) against the running app:
every page at desktop and phone width, signing in, and the bulletin's XLSX download."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sanse.access import SYSTEM
from sanse.accounts import add_user
from sanse.bulletin import publish_bulletin
from sanse.tiers import TIER_COLOURS, TIER_WORDS

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).parents[1]
SHOTS = ROOT / "screenshots"
CHROMIUM = shutil.which("chromium")
PASSWORD = "correct horse battery"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PAGES = {  # url path -> a text the page must show (the overview is the default page, at /)
    "": "三色榜",
    "ranking": "综合得分",
    "town": "怎样升一级",
    "bulletin": "第1期",
    "rules": "排名规则",
    "confidence": "漏斗图",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_home_readonly, tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: `make test` installs Debian's package")
    root = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(demo_home_readonly.root, root)
    from sanse.home import Home

    home = Home(root)
    publish_bulletin(home, date(2026, 10, 30), by=SYSTEM)
    add_user(home, "office", role="admin", password=PASSWORD)
    port = free_port()
    env = {**os.environ, "SANSE_HOME": str(root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # the server answers its health check once it is ready
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
                if answer.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("streamlit did not start")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(server):
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str, path: str, viewport: dict, expected: str):
    page = browser.new_page(viewport=viewport, accept_downloads=True)
    page.goto(f"{url}/{path}")
    page.get_by_text(expected, exact=False).first.wait_for(timeout=30_000)
    # finished when Streamlit no longer shows its running indicator
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=30_000)
    return page


def test_the_first_visit_after_a_start_may_be_a_link_to_any_page(browser, server):
    # first in this file: no page of this server has run yet (the fixture only polls its health)
    page = open_page(browser, server, "ranking", DESKTOP, PAGES["ranking"])
    assert page.get_by_text("Page not found").count() == 0
    page.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_opens_in_chromium(browser, server, path, viewport):
    page = open_page(browser, server, path, viewport, PAGES[path])
    assert page.locator("[data-testid='stException']").count() == 0
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{path or 'overview'}-{viewport['width']}.png"), full_page=True)
    page.close()


def test_overview_board_shows_town_names_with_tier_words_on_a_phone(browser, server):
    page = open_page(browser, server, "", PHONE, "三色榜")
    tiles = page.locator(".sanse-tile")
    tiles.first.wait_for(timeout=30_000)
    assert tiles.count() == 23
    first = tiles.first
    assert first.inner_text().split("\n")[1].startswith(TIER_WORDS["blue"])
    colour = first.evaluate("element => getComputedStyle(element).backgroundColor")
    assert colour == "rgb(0, 112, 192)"  # #0070C0
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "no sideways scrolling on a phone"
    page.close()


def test_bulletin_xlsx_download_has_coloured_tier_cells(browser, server, tmp_path):
    page = open_page(browser, server, "bulletin", DESKTOP, "第1期")
    with page.expect_download() as download:
        page.get_by_role("button", name="XLSX").click()
    target = tmp_path / "bulletin.xlsx"
    download.value.save_as(target)
    sheet = load_workbook(target)["排名"]
    header = [c.value for c in sheet[2]]
    tier_column = header.index("等级") + 1
    words = {word: tier for tier, word in TIER_WORDS.items()}
    rows = list(sheet.iter_rows(min_row=3))
    assert len(rows) == 23
    for row in rows:
        cell = row[tier_column - 1]
        assert cell.fill.fgColor.rgb[-6:] == TIER_COLOURS[words[cell.value]].lstrip("#")
    page.close()


def signed_in_submission_page(browser, server):
    page = open_page(browser, server, "", DESKTOP, "三色榜")
    page.locator("[data-testid='stExpander'] summary").first.click()
    page.get_by_label("账号").fill("office")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("已登录：office", exact=False).wait_for(timeout=30_000)
    page.get_by_role("link", name="数据报送").click()
    page.get_by_text("下载报送模板").wait_for(timeout=30_000)
    return page


def test_admin_signs_in_and_sees_the_submission_page(browser, server):
    page = signed_in_submission_page(browser, server)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "submit-signed-in.png"), full_page=True)
    page.close()


def test_an_upload_reaches_the_server_process_that_holds_the_session(browser, server):
    # `make run` serves several processes behind one front: the file goes over HTTP, the session
    # lives on one process, and only that process can read the file back for the page.
    page = signed_in_submission_page(browser, server)
    page.locator("input[type='file']").set_input_files(str(ROOT / "tests" / "fixtures" / "daily_bad.csv"))
    page.get_by_text("未导入任何数据", exact=False).wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()
