"""What clerks and leaders see, in a real headless Chromium at 1366 px and on a 390 px phone:
no Streamlit English in the Chinese UI as rendered, touch targets a finger can hit, a labelled
menu button, table toolbars that cover nothing, and a ledger that shows a step at once."""

from __future__ import annotations

import re
import sys
from datetime import date

import pytest
from test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PASSWORD,
    PHONE,
    PHONE_AGENT,
    SHOTS,
    browser_demo,
    serving,
    settled,
)

from sanse.access.accounts import add_user
from sanse.access.roles import SYSTEM
from sanse.pipelines.build.warehouse import build
from sanse.publishing.publish import publish_bulletin

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

# Words Streamlit's frontend writes by itself in English (widget chrome, menus, placeholders,
# empty states); none may be rendered on a page in Chinese mode.
STREAMLIT_ENGLISH = (
    "Upload",
    "per file",
    "Browse files",
    "Drag and drop",
    "Select all",
    "Choose an option",
    "No options",
    "No results",
    "yyyy",
    "None",
    "Skip to main content",
    "Rerun",
    "Settings",
    "Print",
    "About",
    "Deploy",
    "Press Enter",
    "Clear all",
    "Page not found",
    "Running",
    "Stop",
)
# The text a person sees: text nodes under a visible, non-zero-sized style, icons' ligature
# names (rendered as pictures) left out, plus what CSS writes in ::after and what inputs show
# (their value, or their placeholder while empty).
RENDERED_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('[data-testid="stIconMaterial"], script, style, noscript')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility !== 'visible' || parseFloat(style.fontSize) === 0) continue;
    if (!el.getClientRects().length) continue;
    out.push(node.textContent);
  }
  for (const el of document.querySelectorAll('*')) {
    const after = getComputedStyle(el, '::after').content;
    if (after && after !== 'none' && after !== 'normal') out.push(after);
  }
  for (const input of document.querySelectorAll('input')) out.push(input.value || input.placeholder || '');
  return out.join('\\n');
}"""
MAIN_PAGES = {  # path -> a text the page shows when it is drawn
    "": "三色榜",
    "ranking": "综合得分",
    "periods": "周期排名",
    "town": "怎样升一级",
    "bulletin": "第1期",
    "rules": "排名规则",
    "confidence": "漏斗图",
    "submit": "报送记录",
    "status": "报送情况",
    "supervision": "督办台账",
    "audit": "操作日志",
}


@pytest.fixture(scope="module")
def screens_home(demo_home_readonly, tmp_path_factory):
    home = browser_demo(demo_home_readonly, tmp_path_factory, "screens")
    publish_bulletin(home, date(2026, 10, 30), by=SYSTEM)
    add_user(home, "office", role="admin", password=PASSWORD)
    return home.root


@pytest.fixture(scope="module")
def server(screens_home):
    yield from serving(screens_home, [sys.executable, "-m", "streamlit", "run", "app.py"])


@pytest.fixture(scope="module")
def browser(server):
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def office(browser, server, viewport: dict):
    """A signed-in office tab (a phone when the viewport is a phone's)."""
    phone = viewport["width"] < 500
    options = {"user_agent": PHONE_AGENT, "is_mobile": True, "has_touch": True} if phone else {}
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    page.goto(f"{server}/submit")
    form = page.locator("[data-testid='stMain']")
    form.get_by_label("账号").fill("office")
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    page.get_by_text("已登录：office", exact=False).wait_for(timeout=30_000)
    settled(page)
    return context, page


def visit(page, server, path: str) -> None:
    page.goto(f"{server}/{path}")
    page.get_by_text(MAIN_PAGES[path], exact=False).first.wait_for(timeout=60_000)
    settled(page)
    page.locator("[data-testid='stSkeleton']").first.wait_for(state="detached", timeout=60_000)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_streamlit_english_is_rendered_on_any_main_page_in_chinese(browser, server, viewport):
    context, page = office(browser, server, viewport)
    found = {}
    for path in MAIN_PAGES:
        visit(page, server, path)
        if path == "supervision":  # the uploader of a 整改报告 and the status filter's list
            page.locator("[data-testid='stMultiSelect'] input").first.click()
            page.get_by_role("option").first.wait_for(timeout=10_000)
        if path == "submit":
            page.get_by_role("tab", name="上传文件").click()
            page.get_by_text("下载报送模板").wait_for(timeout=30_000)
        text = page.evaluate(RENDERED_TEXT)
        words = [w for w in STREAMLIT_ENGLISH if re.search(rf"(?<![A-Za-z]){w}(?![a-z])", text)]
        if words:
            found[path or "overview"] = words
        if path == "submit":
            assert "选择文件" in text and "单个文件不超过 20MB" in text
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"screens-audit-{viewport['width']}.png"))
    context.close()
    assert found == {}


def test_on_a_phone_every_control_is_a_finger_wide_and_the_menu_button_says_so(browser, server):
    context, page = office(browser, server, PHONE)
    visit(page, server, "submit")  # the 在线填报 form: numbers with − / +
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "screens-form-390.png"))
    for selector in (
        "[data-testid='stNumberInputStepDown']",
        "[data-testid='stNumberInputStepUp']",
        "[data-testid='stNumberInputField']",
        "[data-testid='stMain'] [data-testid='stBaseButton-primary']",
    ):
        box = page.locator(selector).first.bounding_box()
        assert box["height"] >= 44, selector
        if "Step" in selector:
            assert box["width"] >= 44, selector
    menu = page.locator("[data-testid='stExpandSidebarButton']")
    assert "菜单" in menu.evaluate("element => getComputedStyle(element, '::after').content")
    assert menu.bounding_box()["height"] >= 44
    assert page.get_by_text("左侧菜单").count() == 0
    context.close()


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize(
    ("path", "above"), [("ranking", "[data-testid='stTextInput']"), ("status", "[data-testid='stMetric']")]
)
def test_on_a_phone_the_table_toolbar_covers_nothing_above_the_table(browser, server, path, above):
    context, page = office(browser, server, PHONE)
    visit(page, server, path)
    table = page.locator("[data-testid='stDataFrame']").first
    table.scroll_into_view_if_needed()
    table.tap()  # a touch shows the toolbar
    toolbar = page.locator("[data-testid='stElementToolbar']").first
    toolbar.wait_for(timeout=10_000)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"screens-toolbar-{path}-390.png"))
    bar = toolbar.bounding_box()
    for element in page.locator(above).all():
        assert not boxes_overlap(bar, element.bounding_box()), path
    context.close()


def test_a_rectification_report_shows_in_the_item_picker_at_once(browser, server):
    context, page = office(browser, server, DESKTOP)
    visit(page, server, "supervision")
    pick = page.locator("[data-testid='stSelectbox']").filter(has_text="查看督办事项").locator("input")
    assert pick.input_value().endswith("待整改")
    page.get_by_label("整改报告").fill("已整改完毕，附照片")
    page.get_by_role("button", name="提交整改报告").click()
    page.get_by_text("已保存", exact=False).first.wait_for(timeout=30_000)
    playwright.expect(pick).to_have_value(re.compile("已报告$"), timeout=10_000)
    context.close()


@pytest.fixture(scope="module")
def county_server(demo_home_readonly, tmp_path_factory):
    """The demo city as two county groups (T01–T12 东县, T13–T23 西县), with the office account."""
    home = browser_demo(demo_home_readonly, tmp_path_factory, "counties")
    lines = home.towns_csv.read_text(encoding="utf-8").splitlines()
    rows = [lines[0]] + [
        ",".join([*line.split(",")[:3], "东县" if int(line[1:3]) <= 12 else "西县", *line.split(",")[4:]])
        for line in lines[1:]
    ]
    home.towns_csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    build(home)
    add_user(home, "office", role="admin", password=PASSWORD)
    yield from serving(home.root, [sys.executable, "-m", "streamlit", "run", "app.py"])


def test_choosing_a_county_in_the_group_view_opens_its_towns(browser, county_server):
    context, page = office(browser, county_server, DESKTOP)
    page.goto(f"{county_server}/groups")
    page.get_by_text("分组排名", exact=False).first.wait_for(timeout=60_000)
    # the table's rows exist once the grid has its data (on a busy machine, after the heading)
    cells = page.locator("[data-testid='stDataFrame'] [role='gridcell']", has_text="西县")
    cells.first.wait_for(state="attached", timeout=60_000)
    settled(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "screens-groups-1366.png"))
    table = page.locator("[data-testid='stDataFrame']").first.bounding_box()
    page.mouse.click(table["x"] + 14, table["y"] + 35 + 35 + 17)  # the second county's selection box
    page.wait_for_url(f"{county_server}/ranking", timeout=30_000)
    page.get_by_text("综合得分").first.wait_for(timeout=30_000)
    settled(page)
    group = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").last.locator("input")
    assert group.input_value() == "西县"  # the second of the two (东县 scores 100, 西县 72.8), not the default 东县
    context.close()


@pytest.fixture(scope="module")
def logged_server(demo_home_readonly, tmp_path_factory):
    """A server of its own whose log the test reads."""
    home = browser_demo(demo_home_readonly, tmp_path_factory, "logged")
    publish_bulletin(home, date(2026, 10, 30), by=SYSTEM)
    add_user(home, "office", role="admin", password=PASSWORD)
    log_path = home.root.parent / "server.log"
    with log_path.open("w") as log:
        for url in serving(home.root, [sys.executable, "-m", "streamlit", "run", "app.py"], log):
            yield url, log_path


def test_an_import_and_downloads_leave_no_warning_in_the_server_log(browser, logged_server, tmp_path):
    server, log_path = logged_server
    context, page = office(browser, server, DESKTOP)
    page.get_by_role("tab", name="上传文件").click()
    report = "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）\n"
    report += "2026-10-30,云岫街道,41,10,2,5,1,1,0,12.5\n"
    (tmp_path / "日报.csv").write_text(report, encoding="utf-8")
    page.locator("input[type='file']").set_input_files(str(tmp_path / "日报.csv"))
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("已导入", exact=False).first.wait_for(timeout=60_000)
    settled(page)
    for path, tab in (("bulletin", "已发布各期"), ("periods", None)):  # a published issue, a period
        page.goto(f"{server}/{path}")
        page.get_by_text("Excel（XLSX）" if tab is None else tab).first.wait_for(timeout=60_000)
        settled(page)
        if tab:
            page.get_by_role("tab", name=tab).click()
        with page.expect_download() as download:
            page.get_by_role("button", name="Excel（XLSX）").click()
        assert download.value.path().stat().st_size > 0
    context.close()
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "created with a default value but also had its value set" not in log
    assert "missing ScriptRunContext" not in log
