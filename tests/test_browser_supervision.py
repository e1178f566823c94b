"""A town clerk answers a 督办事项 on a phone (390 px) in a real headless Chromium: follows a
link to its town page, signs in, sees its open items and their deadlines, goes on to the
ledger and sends its 整改报告, which the store keeps as the item's answer. The office sees a
photo named like a Markdown image by its name, and the browser fetches nothing from it."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest
from test_browser import DESKTOP, PASSWORD, PHONE, SHOTS, browser_demo, open_page, serving, sign_in
from test_browser_form import phone, settle  # noqa: F401  (the phone is a fixture)

from sanse.access.accounts import add_user
from sanse.access.roles import SYSTEM, User
from sanse.deployment.home import Home
from sanse.deployment.rules_file import read_settings
from sanse.sending.queue import queue_new_items
from sanse.supervision.ledger import history, list_items
from sanse.supervision.lifecycle import add_item, answer, withdraw

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

CLERK = "clerk"


@pytest.fixture(scope="module")
def home(demo_home_readonly, tmp_path_factory) -> Home:
    home = browser_demo(demo_home_readonly, tmp_path_factory, "browser-supervision")
    add_user(home, CLERK, role="town", town=list_items(home)[0].town_code, password=PASSWORD)
    add_user(home, "office", role="admin", password=PASSWORD)
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
    assert page.locator("[data-testid='stText']", has_text=item.reason).first.is_visible()
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


def test_the_office_sees_a_photo_named_like_an_image_by_its_name_and_fetches_nothing(home, server, phone):  # noqa: F811
    name = "![p](https:127.0.0.1:9?x)整改照片.png"  # Chromium would ask https://127.0.0.1:9/?x for it
    start = read_settings(home.rules_toml).campaign.start
    code = list_items(home)[-1].town_code
    # overdue since the campaign's second day: the ledger's first item, the one it opens on
    item = add_item(
        home,
        code,
        measure="通报批评",
        reason="照片核查",
        deadline=start + timedelta(days=1),
        occurred_on=start,
        by=SYSTEM,
        announce=queue_new_items,
    )
    answer(home, item.id, "已整改", by=User("clerk2", "town", code), files=[(name, b"\x89PNG")])
    desk = phone.browser.new_context(viewport=DESKTOP)
    asked = []
    desk.on("request", lambda request: asked.append(request.url))
    try:
        page = open_page(None, server, "supervision", DESKTOP, "请先登录", context=desk)
        sign_in(page)
        page.get_by_role("button", name="附件：").wait_for(timeout=30_000)
        settle(page)
        assert not [url for url in asked if "127.0.0.1:9/" in url], "the browser asked that host for an image"
        assert page.locator("[data-testid='stMain'] img").count() == 0
        assert page.get_by_role("button", name=f"附件：{name}", exact=True).is_visible()
    finally:
        desk.close()
        withdraw(home, item.id, by=SYSTEM, note="核查结束")  # out of the way of the clerk's first item
