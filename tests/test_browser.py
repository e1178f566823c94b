"""The main paths once in a real headless Chromium (Debian's package) against the app started
as `streamlit run app.py`: every page at desktop and phone width, signing in and staying signed
in, links straight to a page, the phone's menu, and the bulletin's XLSX download."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from deployment import deployment
from openpyxl import load_workbook
from ports import free_port

from sanse.access.accounts import add_user
from sanse.access.roles import SYSTEM
from sanse.deployment.home import Home
from sanse.facts.tiers import TIER_COLOURS, TIER_WORDS
from sanse.publishing.publish import publish_bulletin

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).parents[1]
SHOTS = ROOT / "screenshots"
CHROMIUM = shutil.which("chromium")
PASSWORD = "correct horse battery"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Streamlit folds its menu away after a page is chosen on a device that says it is a phone.
PHONE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/15.0 Mobile/15E148 Safari/604.1"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = {  # url path -> a text the page must show (the overview is the default page, at /)
    "": "三色榜",
    "ranking": "综合得分",
    "town": "怎样升一级",
    "bulletin": "第1期",
    "rules": "排名规则",
    "confidence": "漏斗图",
}


def browser_demo(demo_home_readonly: Home, tmp_path_factory, name: str) -> Home:
    """A private copy of the demo city for a browser test; the test is skipped without Chromium."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: `make test` installs Debian's package")
    root = tmp_path_factory.mktemp(name) / "home"
    shutil.copytree(demo_home_readonly.root, root)
    return Home(root)


@pytest.fixture(scope="module")
def browser_home(demo_home_readonly, tmp_path_factory) -> Path:
    home = browser_demo(demo_home_readonly, tmp_path_factory, "browser")
    root = home.root
    publish_bulletin(home, date(2026, 10, 30), by=SYSTEM)
    add_user(home, "office", role="admin", password=PASSWORD)
    return root


@pytest.fixture(scope="module")
def server(browser_home):
    """The dashboard as `make run` serves it: two server processes behind HAProxy (deploy/)."""
    with deployment(browser_home) as running:
        yield running.url


@pytest.fixture(scope="module")
def plain_server(browser_home):
    """The dashboard as `streamlit run app.py` serves it, fresh: no visit before the test's."""
    yield from serving(browser_home, [sys.executable, "-m", "streamlit", "run", "app.py"])


def serving(root: Path, command: list[str], log=subprocess.DEVNULL):
    """Start the dashboard on `root` (its output to `log`, an open file, if given)."""
    port = free_port()
    env = {**os.environ, "SANSE_HOME": str(root)}
    process = subprocess.Popen(
        [
            *command,
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:  # the server answers its health check once it is ready
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
                if answer.status == 200:
                    break
        except OSError as failure:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the dashboard did not start") from failure
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(server):
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str, path: str, viewport: dict, expected: str, context=None):
    page = (context or browser).new_page(**({} if context else {"viewport": viewport, "accept_downloads": True}))
    page.goto(f"{url}/{path}")
    page.get_by_text(expected, exact=False).first.wait_for(timeout=30_000)
    settled(page)
    return page


def settled(page) -> None:
    """Finished when Streamlit no longer shows its running indicator."""
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=30_000)


def sign_in(page, where: str = "[data-testid='stMain']") -> None:
    form = page.locator(where)
    form.get_by_label("账号").fill("office")
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    page.get_by_text("已登录：office", exact=False).wait_for(timeout=30_000)
    settled(page)


def test_the_first_visit_after_a_start_may_be_a_link_to_any_page(browser, plain_server):
    # first in this file: no page of `streamlit run app.py` has run yet (the fixture only polls its health)
    page = open_page(browser, plain_server, "ranking", DESKTOP, PAGES["ranking"])
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
    page.get_by_role("tab", name="在线填报").wait_for(timeout=30_000)
    page.get_by_role("tab", name="上传文件").click()
    page.get_by_text("下载报送模板").wait_for(timeout=30_000)
    return page


def test_admin_signs_in_and_sees_the_submission_page(browser, server):
    page = signed_in_submission_page(browser, server)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "submit-signed-in.png"), full_page=True)
    page.close()


def test_signing_in_lasts_across_a_reload_and_a_new_tab(browser, server):
    context = browser.new_context(viewport=DESKTOP)
    page = open_page(browser, server, "", DESKTOP, "三色榜", context=context)
    page.locator("[data-testid='stSidebar'] [data-testid='stExpander'] summary").click()
    sign_in(page, "[data-testid='stSidebar']")
    assert [c["name"] for c in context.cookies() if c["name"] == "sanse_session"]
    cookie = next(c for c in context.cookies() if c["name"] == "sanse_session")
    assert cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    page.reload()  # F5
    page.get_by_text("已登录：office", exact=False).wait_for(timeout=30_000)
    settled(page)
    assert page.get_by_role("link", name="数据报送").count() == 1
    tab = context.new_page()
    tab.goto(f"{server}/audit")  # a bookmark, in a new tab
    tab.get_by_text("已登录：office", exact=False).wait_for(timeout=30_000)
    tab.get_by_role("heading", name="操作日志").wait_for(timeout=30_000)
    # signing out ends the session in every tab: a reload asks for the password again
    tab.get_by_role("button", name="退出登录").click()
    tab.get_by_text("未登录（只读）").wait_for(timeout=30_000)
    page.reload()
    page.get_by_text("未登录（只读）").wait_for(timeout=30_000)
    context.close()


def test_a_link_to_a_page_asks_for_sign_in_then_opens_that_page(browser, plain_server):
    context = browser.new_context(viewport=DESKTOP)  # a browser that has never been here, the server's first
    page = open_page(browser, plain_server, "submit", DESKTOP, "请先登录后使用“数据报送”", context=context)
    assert page.get_by_text("Page not found").count() == 0
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "signin-deep-link-1366.png"), full_page=True)
    sign_in(page)
    page.get_by_role("tab", name="在线填报").wait_for(timeout=30_000)
    assert page.url.endswith("/submit")
    context.close()


def test_on_a_phone_choosing_a_page_closes_the_menu(browser, server):
    context = browser.new_context(viewport=PHONE, user_agent=PHONE_AGENT, is_mobile=True, has_touch=True)
    page = open_page(browser, server, "", PHONE, "三色榜", context=context)
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.bounding_box()["x"] < 0, "the menu starts folded away"
    page.locator("[data-testid='stExpandSidebarButton']").click()
    page.wait_for_function(
        "document.querySelector(\"[data-testid='stSidebar']\").getBoundingClientRect().left >= 0", timeout=10_000
    )
    page.wait_for_timeout(500)  # the slide-in animation ends
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "menu-390.png"))
    page.get_by_role("link", name="每日排名").click()
    page.get_by_text("综合得分").first.wait_for(timeout=30_000)
    settled(page)
    page.wait_for_function(
        "document.querySelector(\"[data-testid='stSidebar']\").getBoundingClientRect().right <= 0", timeout=10_000
    )
    page.screenshot(path=str(SHOTS / "ranking-after-menu-390.png"))
    context.close()


def test_an_upload_reaches_the_server_process_that_holds_the_session(browser, server):
    # `make run` serves several processes behind HAProxy: the file goes over HTTP, the session
    # lives on one process, and only that process can read the file back for the page.
    page = signed_in_submission_page(browser, server)
    page.locator("input[type='file']").set_input_files(str(ROOT / "tests" / "fixtures" / "daily_bad.csv"))
    page.get_by_text("未导入任何数据", exact=False).wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()
