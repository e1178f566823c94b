"""Every page under Streamlit's AppTest: runs without exception, key widgets are there, and what
is on screen matches the ranking in the warehouse."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from conftest import DEMO_FIRST
from streamlit.testing.v1 import AppTest

from sanse.access import accounts
from sanse.access.accounts import add_user, disable_user, set_password
from sanse.access.roles import ANONYMOUS, SYSTEM, User
from sanse.access.sessions import end_session, session_user, start_session
from sanse.access.signin import MAX_ADDRESS_FAILURES, SignInFailed, authenticate
from sanse.cli.main import main
from sanse.deployment.home import Home
from sanse.deployment.rules_file import read_settings, write_settings
from sanse.deployment.settings import Rules
from sanse.facts.periods import parse_period
from sanse.i18n import translate
from sanse.pipelines.build.warehouse import build
from sanse.publishing.exports import EXPORTS
from sanse.publishing.issue import list_issues, load_issue
from sanse.publishing.prose import bulletin_paragraphs
from sanse.publishing.publish import Draft, draft_issue, publish_bulletin
from sanse.ranking.warehouse import Warehouse
from sanse.store import StoreError
from sanse.ui import signin
from sanse.ui.navigation import PAGES

APP = str(Path(__file__).parents[1] / "app.py")
LAST_DAY = date(2026, 10, 30)
ADMIN = User("office", "admin")
PAGE_FILES = {
    "ranking": "read/ranking.py",
    "periods": "read/periods.py",
    "town": "read/town.py",
    "bulletin": "read/bulletin.py",
    "rules": "read/rules.py",
    "confidence": "read/confidence.py",
    "submit": "work/submit.py",
    "audit": "work/audit.py",
}
CLERK = User("clerk", "town", "T03")
LEADER = User("leader", "viewer")


@pytest.fixture(scope="module")
def home_with_accounts(demo_home_readonly, tmp_path_factory) -> Home:
    root = tmp_path_factory.mktemp("pages") / "home"
    shutil.copytree(demo_home_readonly.root, root)
    add_user(Home(root), ADMIN.name, role="admin", password="office password 1")
    add_user(Home(root), CLERK.name, role="town", town=CLERK.town_code, password="clerk password 1")
    add_user(Home(root), LEADER.name, role="viewer", password="leader password 1")
    return Home(root)


@pytest.fixture
def home(home_with_accounts, tmp_path, monkeypatch) -> Home:
    """A private copy of the demo city with an admin and a town clerk account."""
    root = tmp_path / "home"
    shutil.copytree(home_with_accounts.root, root)
    monkeypatch.setenv("SANSE_HOME", str(root))
    return Home(root)


def open_page(page: str, user: User | None = ADMIN, **state) -> AppTest:
    """Run the app on `page`. (AppTest shows only the page's own elements after a switch;
    the sidebar's date and group are therefore set through session state.)"""
    at = AppTest.from_file(APP, default_timeout=60)
    if user is not None:  # signed in as a browser is: by a session of that account
        at.session_state["sanse.session"] = start_session(Home.resolve(), user).token
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{PAGE_FILES[page]}").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text_of(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.title]
    parts += [e.value for e in at.text]
    parts += [e.value for e in at.subheader] + [e.value for e in at.header]
    parts += [str(e.proto) for e in at.get("html")]
    return "\n".join(str(p) for p in parts)


def test_overview_opens_on_the_latest_day_with_every_town_on_the_board(home):
    at = open_page("overview")
    assert at.date_input(key="sanse.date.pick").value == LAST_DAY
    ranking = Warehouse.open(home).ranking(LAST_DAY)
    board = text_of(at)
    for row in ranking.itertuples():
        assert row.town in board
    blue = int((ranking["tier"] == "blue").sum())
    assert f"蓝 {blue}</div>" in board
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["检查企业数"].replace(",", "").isdigit()


def test_overview_shows_the_chosen_date(home):
    at = open_page("overview", **{"sanse.date": date(2026, 9, 15)})
    assert at.date_input(key="sanse.date.pick").value == date(2026, 9, 15)
    assert "2026年9月15日" in at.title[0].value


def test_ranking_table_matches_the_warehouse_rank_and_tier(home):
    at = open_page("ranking")
    table = at.dataframe[0].value
    ranking = Warehouse.open(home).ranking(LAST_DAY)
    assert list(table["镇街"]) == list(ranking["town"])
    assert list(table["等级"]) == [{"blue": "蓝", "yellow": "黄", "red": "红"}[t] for t in ranking["tier"]]
    assert list(table["排名"]) == list(ranking["rank"])


def test_ranking_search_narrows_the_table(home):
    at = open_page("ranking")
    at.text_input(key="ranking.search").set_value("云岫").run()
    assert list(at.dataframe[0].value["镇街"]) == ["云岫街道"]


def test_town_detail_shows_rank_and_what_it_would_take(home):
    ranking = Warehouse.open(home).ranking(LAST_DAY)
    red = ranking[ranking["tier"] == "red"].iloc[0]
    at = open_page("town", **{"town.pick": red["code"]})
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["名次"] == f"第 {int(red['rank'])} / 23 名"
    lifts = [m.value for m in at.markdown if "可升为" in m.value]
    assert lifts, "a red town is told what would lift it"


def test_town_detail_still_opens_when_rules_toml_changed_without_a_rebuild(home):
    settings = read_settings(home.rules_toml)  # the warehouse still ranks the old window
    write_settings(settings.with_version(Rules(effective=DEMO_FIRST, window="rolling_7d")), home.rules_toml)
    ranking = Warehouse.open(home).ranking(LAST_DAY)
    red = ranking[ranking["tier"] == "red"].iloc[0]
    at = open_page("town", **{"town.pick": red["code"]})
    assert [m.value for m in at.markdown if "可升为" in m.value]


def test_town_account_opens_on_its_own_town(home):
    at = open_page("town", CLERK)
    assert at.selectbox(key="town.pick").value == "T03"


def test_english_switch_translates_the_page(home):
    at = open_page("ranking", **{"sanse.lang": "en"})
    assert at.title[0].value.startswith("Daily ranking")
    assert "Town" in at.dataframe[0].value.columns


def test_bulletin_page_says_nothing_published_then_admin_publishes(home):
    at = open_page("bulletin", ADMIN)
    assert any("还没有发布" in i.value for i in at.info)
    at.checkbox(key="bulletin.confirm").check().run()
    at.button(key="bulletin.publish").click().run()
    assert not at.exception
    assert any("第1期" in h.value for h in at.header)
    assert at.get("download_button")


def test_reader_sees_a_published_issue_without_the_publish_button(home):
    publish_bulletin(home, LAST_DAY, by=SYSTEM)
    at = open_page("bulletin", None)
    assert any("第1期" in h.value for h in at.header)
    assert not [b for b in at.button if b.key == "bulletin.publish"]
    keys = {b.proto.id for b in at.get("download_button")}
    assert len(keys) == len(EXPORTS) - 1  # every format but the print view, which is a page of its own
    (link,) = at.get("page_link")
    assert link.proto.label == "打印版（A4）" and "print" in link.proto.page


def test_bulletin_page_says_why_the_pdf_cannot_be_had_without_its_fonts(home, monkeypatch):
    publish_bulletin(home, LAST_DAY, by=SYSTEM)
    monkeypatch.setitem(sys.modules, "pylopdf_fonts_zh_cn", None)
    at = open_page("bulletin", None)
    assert len(at.get("download_button")) == len(EXPORTS) - 2
    assert "PDF 暂不能下载：生成 PDF 需要中文字体包 pylopdf-fonts-zh-cn" in text_of(at)


def test_rules_page_shows_the_rules_in_force(home):
    at = open_page("rules")
    indicators = at.dataframe[0].value
    assert list(indicators.iloc[:, 0]) == ["重大隐患发现率", "停产停业率", "立案查处率"]


def test_admin_changes_the_rules_from_a_date_and_earlier_days_keep_theirs(home):
    before = Warehouse.open(home).ranking(date(2026, 10, 1))
    at = open_page("rules", ADMIN, **{"sanse.date": date(2026, 10, 20)})
    at.number_input(key="rules.change.blue").set_value(3)
    at.button(key="rules.change.submit").click().run()
    assert not at.exception
    assert any("2026-10-20" in s.value for s in at.success)
    warehouse = Warehouse.open(home)
    assert (warehouse.ranking(date(2026, 10, 20))["tier"] == "blue").sum() == 3
    assert warehouse.ranking(date(2026, 10, 1))[["code", "tier"]].equals(before[["code", "tier"]])
    assert len(at.dataframe[1].value) == 2


def test_submit_page_offers_the_template_and_history(home):
    at = open_page("submit", ADMIN)
    assert at.get("download_button")
    assert at.dataframe[-1].value.shape[0] > 0


def test_viewer_has_no_submit_page(home):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/work/submit.py")


def test_a_disabled_account_is_signed_out_on_its_next_run(home):
    at = open_page("submit", ADMIN)
    disable_user(home, ADMIN.name)
    at.run()
    assert at.session_state["sanse.user"] is None


def test_town_clerk_submits_but_cannot_see_the_audit_log(home):
    at = open_page("submit", CLERK)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/work/audit.py")


def test_audit_page_lists_the_rule_change(home):
    at = open_page("rules", ADMIN, **{"sanse.date": date(2026, 10, 20)})
    at.button(key="rules.change.submit").click().run()
    at.switch_page("pages/work/audit.py").run()
    assert not at.exception
    events = at.dataframe[0].value
    assert "office" in set(events.iloc[:, 1])


def test_confidence_page_marks_provisional_tiers(home):
    at = open_page("confidence")
    table = at.dataframe[0].value
    assert len(table) == 23
    assert {m.label for m in at.metric} >= {"可分辨度（0–1）", "待定等级数"}
    provisional = int(next(m.value for m in at.metric if m.label == "待定等级数"))
    assert provisional == sum("待定" in tier for tier in table["等级"])


def test_bulletin_table_marks_the_tiers_the_data_cannot_support(home):
    issue = publish_bulletin(home, date(2026, 10, 12), by=SYSTEM)
    at = open_page("bulletin", None, **{"sanse.date": date(2026, 10, 12)})
    tiers = list(at.dataframe[0].value["等级"])
    assert issue.provisional_count() >= 1
    assert sum(t.endswith("（待定）") for t in tiers) == issue.provisional_count()


def test_readers_see_no_ranking_before_anything_is_published(home):
    at = open_page("overview", None)
    assert any("还没有发布的排名" in i.value for i in at.info)
    assert all("sanse-tile" not in str(h.proto) for h in at.get("html"))  # no colour board


def test_readers_see_only_published_days(home):
    publish_bulletin(home, date(2026, 10, 20), by=SYSTEM)
    at = open_page("overview", None, **{"sanse.date": LAST_DAY})
    assert "2026年10月20日" in at.title[0].value
    picker = at.selectbox(key="sanse.date.published")
    assert picker.value == date(2026, 10, 20) and picker.options == ["2026年10月20日"]
    at = open_page("ranking", LEADER)
    assert "2026年10月20日" in at.title[0].value


# ---------------------------------------------------------------- signing in


def members_only(home: Home) -> None:
    """Turn anonymous reading off: every page asks for sign-in first."""
    settings = read_settings(home.rules_toml)
    write_settings(replace(settings, campaign=replace(settings.campaign, anonymous_read=False)), home.rules_toml)


def sign_in_with_the_form(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="sanse.signin.page.name").input(name)
    at.text_input(key="sanse.signin.page.password").input(password)
    return at.button(key="sanse.signin.page.submit").click().run()


def test_signing_in_with_the_form_starts_a_session_and_gives_the_browser_its_cookie(home):
    # (that a link to another page opens it after signing in is checked in Chromium)
    members_only(home)
    at = open_page("overview", None)
    assert any("请先登录" in i.value for i in at.info)
    assert not at.get("html") or all("sanse-tile" not in str(h.proto) for h in at.get("html"))
    sign_in_with_the_form(at, "office", "office password 1")
    assert not at.exception
    assert at.session_state["sanse.user"].name == "office"
    assert "三色榜" in text_of(at)
    token = at.session_state["sanse.session"]
    assert session_user(home, token).name == "office"
    # the browser is given the token in a cookie (a script the page runs), never shown as text
    scripts = [str(h.proto) for h in at.get("html") if "document.cookie" in str(h.proto)]
    assert scripts and token in scripts[0] and "SameSite=Lax" in scripts[0] and "Path=/" in scripts[0]


def test_a_valid_session_cookie_signs_in_without_the_form(home, monkeypatch):
    members_only(home)
    token = start_session(home, ADMIN).token
    monkeypatch.setattr(signin, "browser_token", lambda: token)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.session_state["sanse.user"].name == "office"
    assert not [b for b in at.button if b.key == "sanse.signin.page.submit"]
    assert not [h for h in at.get("html") if "document.cookie" in str(h.proto)], "the browser has it already"


@pytest.mark.parametrize("ended", ["expired", "disabled", "new password", "signed out"])
def test_an_ended_session_cookie_signs_no_one_in(home, monkeypatch, ended):
    members_only(home)
    token = start_session(
        home, CLERK, hours=1, now=datetime.now(UTC) - timedelta(minutes=61) if ended == "expired" else None
    ).token
    if ended == "disabled":
        disable_user(home, CLERK.name)
    elif ended == "new password":
        set_password(home, CLERK.name, "another password 2")
    elif ended == "signed out":
        end_session(home, token)
    monkeypatch.setattr(signin, "browser_token", lambda: token)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.session_state["sanse.user"] is None
    assert at.button(key="sanse.signin.page.submit")
    assert [h for h in at.get("html") if "Max-Age=0" in str(h.proto)], "the stale cookie is taken away"


def test_signing_out_ends_the_session(home):
    at = open_page("overview", ADMIN)
    token = at.session_state["sanse.session"]
    at.button(key="sanse.signout").click().run()
    assert session_user(home, token) is None
    assert at.session_state["sanse.user"] is None


def test_an_address_locked_out_by_guessing_still_has_its_signed_in_admin(home, monkeypatch):
    members_only(home)
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(signin, "client_address", lambda: "203.0.113.9")
    for n in range(MAX_ADDRESS_FAILURES):
        with pytest.raises(SignInFailed):
            authenticate(home, f"guess{n}", "wrong password", client="203.0.113.9")
    at = AppTest.from_file(APP, default_timeout=60).run()
    sign_in_with_the_form(at, "office", "office password 1")
    assert any("网络地址已暂时锁定" in e.value for e in at.error)
    assert at.session_state["sanse.user"] is None
    # the administrator already signed in on that address is not locked out
    token = start_session(home, ADMIN).token
    monkeypatch.setattr(signin, "browser_token", lambda: token)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.session_state["sanse.user"].name == "office"


def test_a_town_account_lands_on_its_own_towns_page(home):
    at = open_page("overview", CLERK)
    assert at.selectbox(key="town.pick").value == CLERK.town_code
    assert at.title[0].value == "镇街详情"


def test_every_page_address_has_its_door_in_pages_for_a_freshly_started_server():
    from sanse.ui.navigation import DEFAULT, PAGES

    pages = Path(APP).parent / "pages"
    doors = {p.stem for p in pages.glob("*.py")}
    assert doors == {entry.key for entry in PAGES if entry.key != DEFAULT}
    for door in doors:
        assert "run_app()" in (pages / f"{door}.py").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the draft


def test_admin_sees_the_unpublished_day_as_a_draft_never_an_earlier_issue(home):
    publish_bulletin(home, date(2026, 10, 29), by=SYSTEM, draft=Draft(editor_note="上一期的编者按"))
    at = open_page("bulletin", ADMIN)
    headers = [h.value for h in at.header]
    assert "《每日工作动态》第2期（草稿）" in headers
    expected = draft_issue(home, LAST_DAY)
    shown = text_of(at)
    for paragraph in bulletin_paragraphs(expected):
        assert paragraph in shown
    draft_tab = at.tabs[0]
    assert "上一期的编者按" not in "\n".join(e.value for e in draft_tab.text)
    assert "上一期的编者按" in "\n".join(e.value for e in at.tabs[1].text), "the published issue keeps its own"
    for key in ("bulletin.editor_note", "bulletin.signer", "bulletin.report_to", "bulletin.copy_to"):
        assert at.get("text_area") or at.get("text_input")
        assert (at.text_area(key=key) if key == "bulletin.editor_note" else at.text_input(key=key)).value == ""
    assert not [w for w in at.text_area if w.key == "bulletin.correction_note"], "a first issue needs no 更正说明"


def test_the_draft_shows_the_offices_lines_and_publishing_issues_them(home):
    at = open_page("bulletin", ADMIN)
    at.text_area(key="bulletin.editor_note").input("请红色镇街3日内报送整改情况。")
    at.text_input(key="bulletin.signer").input("王科长")
    at.text_input(key="bulletin.report_to").input("市安委会各成员单位")
    at.text_input(key="bulletin.copy_to").input("各镇街")
    at.run()
    lines = [e.value for e in at.text]
    assert "签发人：王科长" in lines and "编者按/工作要求：请红色镇街3日内报送整改情况。" in lines
    assert "报送：市安委会各成员单位" in lines and "抄送：各镇街" in lines
    at.checkbox(key="bulletin.confirm").check().run()
    at.button(key="bulletin.publish").click().run()
    assert not at.exception
    assert any("已发布《每日工作动态》第1期" in s.value for s in at.success)
    issue = load_issue(home, LAST_DAY)
    assert (issue.editor_note, issue.signer, issue.report_to, issue.copy_to) == (
        "请红色镇街3日内报送整改情况。",
        "王科长",
        "市安委会各成员单位",
        "各镇街",
    )


def test_a_correction_without_its_note_is_refused_in_chinese(home):
    publish_bulletin(home, LAST_DAY, by=SYSTEM)
    at = open_page("bulletin", ADMIN)
    assert "《每日工作动态》第1期（更正）（草稿）" in [h.value for h in at.header]
    assert any("须填写更正说明" in w.value for w in at.warning)
    at.text_input(key="bulletin.signer").input("王科长").run()
    at.checkbox(key="bulletin.confirm").check().run()
    at.button(key="bulletin.publish").click().run()
    assert any("再次发布是更正，请写明更正说明" in e.value for e in at.error)
    assert len([i for i in list_issues(home) if i.day == LAST_DAY]) == 1
    at.text_area(key="bulletin.correction_note").input("补签发人").run()
    at.checkbox(key="bulletin.confirm").check().run()
    at.button(key="bulletin.publish").click().run()
    assert not at.error
    corrected = load_issue(home, LAST_DAY)
    assert (corrected.version, corrected.signer, corrected.correction_note) == (2, "王科长", "补签发人")


def test_readers_see_only_published_issues_and_no_draft(home):
    publish_bulletin(home, date(2026, 10, 29), by=SYSTEM)
    at = open_page("bulletin", LEADER)
    assert not any("草稿" in h.value for h in at.header)
    assert not at.tabs
    assert not [w for w in at.text_input if w.key == "bulletin.signer"]


def test_the_office_publishes_a_months_tongbao_from_the_bulletin_page(home):
    at = open_page("bulletin", ADMIN)
    at.selectbox(key="bulletin.kind").select("month").run()
    assert at.title[0].value == "安全生产考核月度通报"
    # October is still running on the demo's last day: September is the month to publish
    assert at.selectbox(key="bulletin.period.month").options == ["2026年9月（2026年9月1日至9月30日）"]
    assert "《安全生产考核月度通报》2026年第1期（草稿）" in [h.value for h in at.header]
    shown = text_of(at)
    assert "2026年9月（2026年9月1日至9月30日）" in shown and "本月新增督办措施" in shown
    at.checkbox(key="bulletin.confirm").check().run()
    at.button(key="bulletin.publish").click().run()
    assert not at.exception
    assert any("已发布《安全生产考核月度通报》2026年第1期" in s.value for s in at.success)
    (issue,) = list_issues(home, "month")
    assert (issue.period.key, issue.label, issue.published_by) == ("2026-09", "2026年第1期", ADMIN.name)
    assert not list_issues(home, "week") and len(list_issues(home)) == 0  # the daily series untouched


def test_the_office_publishes_a_tongbao_on_a_date_range(home):
    at = open_page("bulletin", ADMIN)
    at.selectbox(key="bulletin.kind").select("range").run()
    at.date_input(key="bulletin.period.range").set_value((date(2026, 10, 1), date(2026, 10, 15))).run()
    assert "《安全生产考核专项通报》2026年第1期（草稿）" in [h.value for h in at.header]
    at.checkbox(key="bulletin.confirm").check().run()
    at.button(key="bulletin.publish").click().run()
    assert not at.exception
    (issue,) = list_issues(home, "range")
    assert (issue.period.key, issue.when) == ("2026-10-01..2026-10-15", "2026-10-01至2026-10-15")


def test_a_leader_reads_the_series_that_have_issues_and_downloads_a_tongbao(home):
    publish_bulletin(home, LAST_DAY, by=SYSTEM)
    publish_bulletin(home, parse_period("2026-W43"), by=SYSTEM)
    at = open_page("bulletin", LEADER)
    assert at.selectbox(key="bulletin.kind").options == ["《每日工作动态》", "《安全生产考核周通报》"]
    at.selectbox(key="bulletin.kind").select("week").run()
    assert any(h.value == "《安全生产考核周通报》2026年第1期" for h in at.header)
    assert "2026年第1期 · 2026年第43周" in at.selectbox(key="bulletin.pick.week").options
    assert len(at.get("download_button")) == len(EXPORTS) - 1
    assert not at.tabs
    assert at.query_params["series"] == "week"  # the address names the series: a reload or a link opens it


def test_a_link_naming_a_series_opens_it(home):
    publish_bulletin(home, parse_period("2026-W43"), by=SYSTEM)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["series"] = "week"
    at.run()
    at.switch_page("pages/read/bulletin.py").run()
    assert at.title[0].value == "安全生产考核周通报"
    assert any(h.value == "《安全生产考核周通报》2026年第1期" for h in at.header)


# ---------------------------------------------------------------- 操作日志


def test_audit_page_shows_chinese_labels_and_descriptions_never_raw_keys(home):
    from sanse.access.audit import describe, record

    record(home, "office", "supervision", item={"town": "云岫街道", "days": 3}, towns=["T01", "T02"])
    at = open_page("rules", ADMIN, **{"sanse.date": date(2026, 10, 20)})
    at.button(key="rules.change.submit").click().run()
    at.switch_page("pages/work/audit.py").run()
    assert not at.exception
    options = at.selectbox(key="audit.action").options
    assert options[0] == "全部" and "修改规则" in options and "账号变更" in options
    assert not {"rule_change", "account", "submission", "publication"} & set(options)
    events = at.dataframe[0].value
    assert list(events.columns) == ["时间", "操作人", "操作", "内容"]
    assert "修改规则" in set(events["操作"]) and "rule_change" not in set(events["操作"])
    assert any(what.startswith("自 2026-10-20 起施行新的排名规则") for what in events["内容"])
    assert not any("{" in what or "[" in what for what in events["内容"]), "no Python dict or list"
    at.selectbox(key="audit.action").select("rule_change").run()
    assert set(at.dataframe[0].value["操作"]) == {"修改规则"}
    assert describe({"action": "other", "item": {"town": "甲"}, "towns": ["T01"]}) == "item：（town：甲），towns：T01"


# ---------------------------------------------------------------- 统计可信度


def test_confidence_page_follows_a_change_of_the_confidence_settings(home):
    def provisional() -> int:
        at = open_page("confidence")
        return int(next(m.value for m in at.metric if m.label == "待定等级数"))

    settings = read_settings(home.rules_toml)
    write_settings(
        replace(settings, extra={**settings.extra, "confidence": {"provisional_below": 0.0}}), home.rules_toml
    )
    assert provisional() == 0  # nothing is less likely than 0
    write_settings(
        replace(settings, extra={**settings.extra, "confidence": {"provisional_below": 1.0}}), home.rules_toml
    )
    assert provisional() > 0, "blue and red tiers less likely than 1 are now 待定, and the page says so at once"


def test_a_correction_starts_from_the_version_it_corrects(home):
    publish_bulletin(home, LAST_DAY, by=SYSTEM, draft=Draft(signer="王科长", copy_to="各镇街"))
    at = open_page("bulletin", ADMIN)
    assert at.text_input(key="bulletin.signer").value == "王科长"
    assert at.text_input(key="bulletin.copy_to").value == "各镇街"
    at.text_area(key="bulletin.correction_note").input("没有改动").run()
    at.checkbox(key="bulletin.confirm").check().run()
    at.button(key="bulletin.publish").click().run()
    assert any("都没有变化，不能再发布更正" in e.value for e in at.error)
    at = open_page("bulletin", ADMIN, **{"sanse.date": date(2026, 10, 29)})
    assert at.text_input(key="bulletin.signer").value == "", "a day not yet published starts blank"


def test_a_failure_in_a_page_run_is_a_plain_chinese_message_not_a_traceback(home, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("an internal detail no clerk should read")

    monkeypatch.setattr("sanse.ui.data.visible_dates", broken)
    at = open_page("overview")
    assert [e.value for e in at.error] == [translate("zh", "error.unexpected")]
    assert "internal detail" not in text_of(at)


def test_an_unreachable_store_is_its_plain_message(home, monkeypatch):
    def unreachable(*args, **kwargs):
        raise StoreError(
            "无法读写数据库（postgresql://db/sanse）：connection refused。已写入的数据不受影响，请稍后再试或联系管理员"
        )

    monkeypatch.setattr("sanse.ui.data.visible_dates", unreachable)
    at = open_page("overview")
    assert at.error[0].value.startswith("无法读写数据库")


def test_town_names_are_shown_as_written_never_as_markdown_or_markup(home):
    hostile = "![x](http://example.invalid/x.png)<b>粗</b>镇"
    text = home.towns_csv.read_text(encoding="utf-8").replace("云岫街道,街道", f"{hostile},街道")
    home.towns_csv.write_text(text, encoding="utf-8")
    build(home)
    at = open_page("ranking")
    spec = json.loads(next(c for c in at.get("plotly_chart")).proto.spec)
    labels = {label for trace in spec["data"] for label in trace["y"]}
    assert "![x](http://example.invalid/x.png)&lt;b&gt;粗&lt;/b&gt;镇" in labels and not any("<b>" in y for y in labels)
    for page in ("overview", "ranking", "town"):
        shown = open_page(page, **{"town.pick": "T01"})
        markdown = [
            e.value for kind in ("markdown", "caption", "error", "warning", "subheader") for e in shown.get(kind)
        ]
        assert not any(hostile in value for value in markdown), page  # never a live link or image


def office_says_blue(at: AppTest) -> bool:
    return at.metric[0].value == "第 1 / 23 名" and at.success[0].value == "已是蓝色，保持住！"


def test_readers_see_a_published_day_as_issued_and_staff_are_told_it_has_changed(home):
    issue = publish_bulletin(home, LAST_DAY, by=SYSTEM)
    frozen = {row["code"]: (row["rank"], row["tier"]) for row in issue.ranking}
    assert frozen["T01"][0] > 1
    fix = home.root / "fix.csv"
    fix.write_text(
        "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）\n"
        f"{LAST_DAY},云岫街道,50,400,400,0,50,50,0,0\n",
        encoding="utf-8",
    )
    assert main(["--home", str(home.root), "ingest", str(fix)]) == 0
    live = Warehouse.open(home).ranking(LAST_DAY).set_index("code")
    assert (live.loc["T01", "rank"], live.loc["T01", "tier"]) == (1, "blue")

    reader = open_page("ranking", None)
    table = reader.dataframe[0].value
    row = table[table[translate("zh", "col.town")] == "云岫街道"].iloc[0]
    assert row[translate("zh", "col.rank")] == frozen["T01"][0]
    assert not reader.warning

    office = open_page("ranking")
    assert "与已发布的不同" in office.warning[0].value
    table = office.dataframe[0].value
    assert table[table[translate("zh", "col.town")] == "云岫街道"].iloc[0][translate("zh", "col.rank")] == 1

    # the town page and 统计可信度 as well: the rank, the tier and what it would take as issued
    town = open_page("town", None, **{"town.pick": "T01"})
    assert town.metric[0].value == f"第 {frozen['T01'][0]} / 23 名"
    assert not town.success and [m for m in town.markdown if m.value.startswith("- ")]  # 怎样升一级: the issue's sums
    assert office_says_blue(open_page("town", ADMIN, **{"town.pick": "T01"}))
    confidence = open_page("confidence", None)
    shown = confidence.dataframe[0].value
    row = shown[shown[translate("zh", "col.town")] == "云岫街道"].iloc[0]
    assert row[translate("zh", "col.rank")] == frozen["T01"][0]


def test_the_period_ranking_ranks_a_month_on_the_sums_of_its_days(home):
    at = open_page("periods")
    table = at.dataframe[0].value
    assert len(table) == 23 and set(table[translate("zh", "col.tier")].str[0]) == {"蓝", "黄", "红"}
    assert at.selectbox(key="periods.pick.month").value.label == "2026年10月"  # the newest first
    at.selectbox(key="periods.pick.month").select_index(1).run()
    assert not at.exception
    assert "第一个周期" in text_of(at)  # September is the campaign's first month


def test_the_period_ranking_ranks_any_date_range(home):
    at = open_page("periods")
    at.segmented_control(key="periods.kind").set_value("range").run()
    at.date_input(key="periods.pick.range").set_value((date(2026, 10, 1), date(2026, 10, 15))).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 23
    assert "按本时段 15 天的合计" in text_of(at)
    at.date_input(key="periods.pick.range").set_value((date(2026, 10, 1),)).run()  # the end not chosen yet
    assert "请再选择结束日期。" in [i.value for i in at.info] and not at.dataframe


def test_only_staff_may_open_the_period_ranking():
    entry = next(e for e in PAGES if e.key == "periods")  # a period holds days not yet published
    assert entry.may_open(ADMIN) and entry.may_open(CLERK)
    assert not entry.may_open(User("leader", "viewer")) and not entry.may_open(ANONYMOUS)
