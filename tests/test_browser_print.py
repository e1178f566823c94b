"""The 打印版 in a real headless Chromium, on a desktop (1366 px) and a phone (390 px): the
bulletin page links to a page of its own that shows the 公文, its button calls the browser's
print, and what prints is the document alone on A4 — no menu, no buttons — with the 附件 and
the 版记 on its last page."""

from __future__ import annotations

import io
import sys
import unicodedata
from datetime import date

import pytest
from pypdf import PdfReader
from test_browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, SHOTS, browser_demo, serving, settled

from sanse.access.roles import SYSTEM
from sanse.deployment.home import Home
from sanse.publishing.publish import publish_bulletin

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

DAY = date(2026, 10, 30)


@pytest.fixture(scope="module")
def home(demo_home_readonly, tmp_path_factory) -> Home:
    home = browser_demo(demo_home_readonly, tmp_path_factory, "browser-print")
    publish_bulletin(home, DAY, by=SYSTEM)  # the demo's readers may read without signing in
    return home


@pytest.fixture(scope="module")
def server(home):
    yield from serving(home.root, [sys.executable, "-m", "streamlit", "run", "app.py"])


@pytest.fixture(scope="module")
def browser(server):
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_print_view_is_a_page_that_prints_the_公文_on_a4(browser, server, viewport):
    page = browser.new_page(viewport=viewport)
    page.add_init_script("window.print = () => { window.printed = (window.printed || 0) + 1; };")
    page.goto(f"{server}/bulletin")
    page.get_by_text("第1期").first.wait_for(timeout=30_000)
    settled(page)
    link = page.get_by_role("link", name="打印版（A4）")
    assert link.get_attribute("href") == "print?series=day&issue=2026-10-30&version=1"  # a page, not a file
    link.click()
    page.get_by_text("各镇街排名（2026年10月30日）").first.wait_for(timeout=30_000)
    settled(page)
    assert page.url.endswith("/print?series=day&issue=2026-10-30&version=1")
    name = "desktop" if viewport is DESKTOP else "phone"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"print-{name}.png"))
    button = page.get_by_role("button", name="打印（A4）")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= viewport["width"]  # a thumb reaches it
    button.click()
    page.wait_for_function("window.printed === 1")

    printed = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))  # what print media lays out
    assert {(round(p.mediabox.width), round(p.mediabox.height)) for p in printed.pages} == {(595, 842)}
    # Chromium's CJK text extracts with Kangxi radicals (⽇ for 日): NFKC folds them back
    texts = [unicodedata.normalize("NFKC", p.extract_text()) for p in printed.pages]
    everything = "\n".join(texts)
    lines = [line.replace(" ", "") for line in texts[0].splitlines() if "—" not in line]
    assert lines[0] == "每日工作动态"  # the masthead first: no menu or button above it
    for chrome in ("打印（A4）", "返回通报", "每日排名", "语言"):
        assert chrome not in everything
    assert unicodedata.normalize("NFKC", "附件：各镇街排名（2026年10月30日）") in everything
    assert "印发" in texts[-1] and "注:" in texts[-1]  # the 版记 under the table's note, never alone
    assert "— 1 —" in texts[0]


def test_a_print_address_naming_no_published_issue_says_so(browser, server):
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{server}/print?series=day&issue=2026-10-29")
    page.get_by_text("没有找到要打印的通报").wait_for(timeout=30_000)
    page.get_by_role("link", name="返回通报").wait_for(timeout=30_000)
