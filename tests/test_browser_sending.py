"""The office publishes in a real headless Chromium; the sender (running as `notify --watch`
does) delivers that town's own message to its fake robot, and the 发送记录 on 每日工作动态 shows
the delivery."""

from __future__ import annotations

import sys
import threading

import pytest
from robots import Robot, start
from test_browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PASSWORD, browser_demo, open_page, serving, settled, sign_in

from sanse.access.accounts import add_user
from sanse.deployment.home import Home
from sanse.publishing.issue import list_issues
from sanse.sending.sender import Sender, load_channels

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def robots():
    office, town = start(Robot("dingtalk")), start(Robot("wecom"))
    yield office, town
    office.server.shutdown()
    town.server.shutdown()


@pytest.fixture(scope="module")
def home(demo_home_readonly, tmp_path_factory, robots) -> Home:
    office, town = robots
    home = browser_demo(demo_home_readonly, tmp_path_factory, "browser-sending")
    add_user(home, "office", role="admin", password=PASSWORD)
    (home.root / "channels.toml").write_text(
        f'[[channels]]\nname = "市安委办工作群"\nkind = "dingtalk"\nurl = "{office.url}"\n\n'
        f'[[channels]]\nname = "T05安监群"\nkind = "wecom"\nurl = "{town.url}"\ntown = "T05"\n',
        encoding="utf-8",
    )
    return home


@pytest.fixture(scope="module")
def sender(home):
    stop = threading.Event()
    watcher = threading.Thread(target=Sender(home, load_channels(home)).watch, args=(stop,), kwargs={"poll": 0.2})
    watcher.start()
    yield
    stop.set()
    watcher.join()


@pytest.fixture(scope="module")
def server(home):
    yield from serving(home.root, [sys.executable, "-m", "streamlit", "run", "app.py"])


def test_the_office_publishes_and_the_towns_robot_gets_its_own_message(home, server, sender, robots):
    office, town = robots
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = open_page(chromium, server, "submit", DESKTOP, "请先登录")  # a page for signed-in users
        sign_in(page)
        page.goto(f"{server}/bulletin")
        page.get_by_text("我已核对排名，确认发布").wait_for(timeout=30_000)
        settled(page)
        page.get_by_text("我已核对排名，确认发布").click()
        settled(page)
        page.get_by_role("button", name="的《每日工作动态》").click()
        page.get_by_text("已发布《每日工作动态》第1期", exact=False).first.wait_for(timeout=60_000)
        (issue,) = list_issues(home)
        row = next(r for r in issue.ranking if r["code"] == "T05")
        deadline = threading.Event()
        for _ in range(300):  # the watching sender polls every 0.2 s
            if town.received:
                break
            deadline.wait(0.1)
        (message,) = town.texts()
        assert f"{row['town']}在《每日工作动态》{issue.label}" in message
        assert f"名次：第{row['rank']}名 / 共{row['group_size']}个镇街" in message
        page.reload()
        settled(page)
        page.get_by_text("发送记录").first.click()
        log = page.locator("[data-testid='stExpander']", has_text="发送记录")
        log.get_by_text(f"最近送达：T05安监群 · 【本镇街】{row['town']}", exact=False).first.wait_for(timeout=30_000)
        assert page.get_by_text("发送进程没有运行").count() == 0  # the sender beats its heart
        chromium.close()
