"""A town clerk fills in the day's report on a phone (390 px) in a real headless Chromium:
follows a link to 数据报送, signs in, types the figures, is told at once when 重大隐患数 exceeds
发现隐患数, and sends."""

from __future__ import annotations

import sys
from datetime import date

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, PHONE, PHONE_AGENT, SHOTS, browser_demo, open_page, serving

from sanse.access.accounts import add_user
from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns
from sanse.pipelines.reports.read import HEADERS
from sanse.store.reports import history

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

CLERK, TOWN = "clerk", "T03"


@pytest.fixture(scope="module")
def home(demo_home_readonly, tmp_path_factory) -> Home:
    home = browser_demo(demo_home_readonly, tmp_path_factory, "browser-form")
    add_user(home, CLERK, role="town", town=TOWN, password=PASSWORD)
    return home


@pytest.fixture(scope="module")
def server(home):
    yield from serving(home.root, [sys.executable, "-m", "streamlit", "run", "app.py"])


@pytest.fixture
def phone(server):
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport=PHONE, user_agent=PHONE_AGENT, is_mobile=True, has_touch=True)
        yield context
        chromium.close()


def settle(page) -> None:
    """Until Streamlit has finished the run a change started."""
    page.wait_for_timeout(300)  # the run indicator appears a moment after the change is sent
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=30_000)


def submit_page(phone, server: str):
    """The clerk follows a link to 数据报送 on the phone and signs in there."""
    page = open_page(None, server, "submit", PHONE, "请先登录", context=phone)
    form = page.locator("[data-testid='stMain']")
    form.get_by_label("账号").fill(CLERK)
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    page.get_by_role("tab", name="在线填报").wait_for(timeout=30_000)
    return page


def test_a_clerk_fills_in_the_days_report_on_a_phone(home, server, phone):
    name = next(t.name for t in read_towns(home.towns_csv) if t.code == TOWN)
    page = submit_page(phone, server)
    fields = page.locator("[data-testid='stNumberInput'] input")
    fields.nth(7).wait_for(timeout=30_000)
    settle(page)
    assert fields.count() == 8
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "form-390.png"))
    for index, value in enumerate(["15", "2", "3", "2", "1", "1", "", "0.12345"]):  # 重大 3 > 发现 2
        if not value:
            continue
        fields.nth(index).fill(value)
        fields.nth(index).press("Tab")
        settle(page)
    page.get_by_text("重大隐患数（3）不能大于发现隐患数（2）").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="确认报送").is_disabled()
    page.screenshot(path=str(SHOTS / "form-error-390.png"))

    fields.nth(2).fill("1")
    fields.nth(2).press("Tab")
    settle(page)
    page.get_by_text("不能大于发现隐患数").wait_for(state="detached", timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
    page.get_by_role("button", name="确认报送").click()
    sent = page.get_by_text(f"{name} ", exact=False).filter(has_text="已报送，排名已更新")
    sent.first.wait_for(timeout=60_000)
    settle(page)
    assert sent.first.is_visible() and sent.first.bounding_box()["y"] < PHONE["height"], "said where the clerk looks"
    page.screenshot(path=str(SHOTS / "form-sent-390.png"))
    newest = history(home.store, TOWN, limit=1).iloc[0]
    assert (
        newest["inspections"],
        newest["hazards"],
        newest["major_hazards"],
        newest["fines_wan"],
        newest["submitted_by"],
    ) == (15, 2, 1, 0.12345, CLERK)


def test_a_confirmed_upload_leaves_the_screen_and_says_what_was_imported(home, server, phone):
    page = submit_page(phone, server)
    page.get_by_role("tab", name="上传文件").click()
    name = next(t.name for t in read_towns(home.towns_csv) if t.code == TOWN)
    rows = [",".join(HEADERS.values()), f"2026-11-30,{name},14,4,1,4,0,1,0,0"]
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": "日报.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}]
    )
    confirm = page.get_by_role("button", name="确认导入")
    confirm.wait_for(timeout=30_000)
    listed = page.locator("[data-testid='stFileChip']")
    assert listed.count() == 1
    confirm.click()
    done = page.get_by_text("已导入：新增或更正 1 行", exact=False)
    done.wait_for(timeout=60_000)
    settle(page)
    assert confirm.count() == 0 and page.get_by_text("预览（1 行）").count() == 0
    page.screenshot(path=str(SHOTS / "upload-done-390.png"))
    assert listed.count() == 0, "the uploader is empty again"
    assert history(home.store, TOWN, limit=1).iloc[0]["date"] == date(2026, 11, 30)
