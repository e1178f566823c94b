"""A town clerk answers a 督办事项 on a phone (390 px) in a real headless Chromium: follows a
link to its town page, signs in, sees its open items and their deadlines, goes on to the
ledger and sends its 整改报告, which the store keeps as the item's answer."""

from __future__ import annotations

import sys

import pytest
from test_browser import PASSWORD, PHONE, SHOTS, browser_demo, open_page, serving
from test_browser_form import phone, settle  # noqa: F401  (the phone is a fixture)

from sanse.accounts import add_user
from sanse.home import Home
from sanse.supervision import history, list_items

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

CLERK = "clerk"


@pytest.fixture(scope="module")
def home(demo_home_readonly, tmp_path_factory) -> Home:
    home = browser_demo(demo_home_readonly, tmp_path_factory, "browser-supervision")
    add_user(home, CLERK, role="town", town=list_items(home)[0].town_code, password=PASSWORD)
    return home


@pytest.fixture(scope="module")
def server(home):
    yield from serving(home.root, [sys.executable, "-m", "streamlit", "run", "app.py"])


def test_a_town_clerk_answers_its_item_on_a_phone(home, server, phone):  # noqa: F811
    item = list_items(home)[0]  # the town's first: overdue ones come first
    page = open_page(None, server, "supervision", PHONE, "请先登录", context=phone)  # a link sent to the clerk
    form = page.locator("[data-testid='stMain']")
    form.get_by_label("账号").fill(CLERK)
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    report = page.get_by_label("整改报告")
    report.wait_for(timeout=30_000)
    settle(page)
    assert page.locator("[data-testid='stMarkdownContainer']", has_text=item.reason).first.is_visible()
    report.fill("已约谈企业负责人，5处隐患全部整改并复查。")
    report.press("Tab")
    settle(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "supervision-answer-390.png"), full_page=True)
    page.get_by_role("button", name="提交整改报告").click()
    page.get_by_text(f"已保存：督办事项 {item.id} 已报告", exact=False).wait_for(timeout=30_000)
    settle(page)
    answered = history(home, item.id)[-1]
    assert (answered.action, answered.who, answered.text) == (
        "answered",
        CLERK,
        "已约谈企业负责人，5处隐患全部整改并复查。",
    )

    # its town page, still signed in, lists what is left to do and says this one is reported
    page = open_page(None, server, "town", PHONE, "项未销号", context=phone)
    page.get_by_text(f"整改期限 {item.deadline}", exact=False).first.wait_for(timeout=30_000)
    assert page.get_by_text("已报告", exact=False).count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
    page.screenshot(path=str(SHOTS / "town-items-390.png"), full_page=True)
