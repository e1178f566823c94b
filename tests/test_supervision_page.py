"""The 督办台账 page under Streamlit's AppTest: overdue items first, a town sees and answers
only its own items, the office returns and closes them, and the ledger downloads as XLSX
with nothing a spreadsheet would run as a formula."""

from __future__ import annotations

import io
import shutil
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from sanse.access.accounts import add_user
from sanse.access.roles import User
from sanse.access.sessions import start_session
from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns
from sanse.facts import clock
from sanse.publishing.exports.ledger import ledger_xlsx
from sanse.sending.queue import queue_new_items
from sanse.supervision.ledger import history, items_frame, list_items
from sanse.supervision.lifecycle import add_item

PAGE = str(Path(__file__).parents[1] / "pages" / "work" / "supervision.py")
APP = str(Path(__file__).parents[1] / "app.py")
ADMIN = User("office", "admin")
TODAY = date(2026, 11, 2)


@pytest.fixture
def home(demo_home_readonly, tmp_path, monkeypatch) -> Home:
    """The demo city, its items made by its build, on 2 November 2026 (Beijing)."""
    root = tmp_path / "home"
    shutil.copytree(demo_home_readonly.root, root)
    monkeypatch.setenv("SANSE_HOME", str(root))
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return Home(root)


def open_page(user: User) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["sanse.user"] = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_office_sees_every_item_overdue_first(home):
    items = list_items(home)
    assert items and items[0].overdue(TODAY)
    at = open_page(ADMIN)
    table = at.dataframe[0].value
    assert list(table["编号"]) == [item.id for item in items]
    assert table.iloc[0]["逾期"] == "是"
    assert "supervision.download" in at.get("download_button")[0].proto.id
    assert at.button(key="supervision.withdraw") and at.button(key="supervision.add.submit")
    assert not [b for b in at.button if b.key == "supervision.close"], "销号 accepts a 整改报告: none yet"
    assert "镇街报送整改报告后才能销号。" in [c.value for c in at.caption]


def test_a_town_sees_only_its_own_items_and_answers_with_text(home):
    item = list_items(home)[0]
    clerk = User("clerk", "town", item.town_code)
    at = open_page(clerk)
    table = at.dataframe[0].value
    assert set(table["编号"]) == {i.id for i in list_items(home) if i.town_code == item.town_code}
    assert not [b for b in at.button if b.key in ("supervision.close", "supervision.add.submit")]
    at.selectbox(key="supervision.pick").set_value(item.id).run()
    at.text_area(key=f"supervision.report.{item.id}").input("已约谈企业负责人并复查。").run()
    at.button(key="supervision.answer").click().run()
    assert not at.exception
    assert [e.action for e in history(home, item.id)][-1] == "answered"
    assert "已报告" in at.success[0].value


def test_the_office_returns_a_report_with_a_comment_then_closes_the_item(home):
    from sanse.supervision.lifecycle import answer

    item = list_items(home)[0]
    answer(home, item.id, "已整改", by=User("clerk", "town", item.town_code))
    at = open_page(ADMIN)
    at.selectbox(key="supervision.pick").set_value(item.id).run()
    at.text_input(key=f"supervision.comment.{item.id}").input("请附复查记录").run()
    at.button(key="supervision.return").click().run()
    assert [e.action for e in history(home, item.id)][-1] == "returned"
    at.selectbox(key="supervision.pick").set_value(item.id).run()
    assert not [b for b in at.button if b.key == "supervision.close"]  # nothing to accept until it is answered again
    answer(home, item.id, "已附复查记录", by=User("clerk", "town", item.town_code))
    at.run()
    at.button(key="supervision.close").click().run()
    assert [(e.action, e.who) for e in history(home, item.id)][-1] == ("closed", "office")


def test_the_same_photo_sent_again_after_a_return_keeps_the_offices_buttons(home):
    from sanse.supervision.lifecycle import answer, return_item

    item = list_items(home)[0]
    clerk = User("clerk", "town", item.town_code)
    photo = [("整改照片.jpg", b"\xff\xd8photo")]
    answer(home, item.id, "已整改", by=clerk, files=photo)
    return_item(home, item.id, "照片不清楚", by=ADMIN)
    answer(home, item.id, "已整改，照片重拍", by=clerk, files=photo)
    at = open_page(ADMIN)
    at.selectbox(key="supervision.pick").set_value(item.id).run()
    assert not at.exception, [e.value for e in at.exception]
    files = [b for b in at.get("download_button") if ".file." in b.proto.id]
    assert [b.proto.label for b in files] == ["附件：整改照片\\.jpg"] * 2
    assert at.button(key="supervision.close") and at.button(key="supervision.return")
    assert at.button(key="supervision.withdraw")


def test_a_viewer_reads_the_ledger_without_acting(home):
    at = open_page(User("leader", "viewer"))
    assert len(at.dataframe[0].value) == len(list_items(home))
    assert not [b for b in at.button if b.key in ("supervision.close", "supervision.answer", "supervision.add.submit")]


def test_the_ledger_download_neutralises_formulas(home):
    item = add_item(
        home,
        "T01",
        measure="通报批评",
        reason='=HYPERLINK("http://x")',
        deadline=TODAY + timedelta(days=7),
        by=ADMIN,
        announce=queue_new_items,
    )
    ledger = items_frame(list_items(home), {"T01": "云岫街道"}, TODAY)
    sheet = load_workbook(io.BytesIO(ledger_xlsx(ledger, "督办台账")))["督办台账"]
    reasons = {row[0].value: row[3].value for row in sheet.iter_rows(min_row=3)}
    assert reasons[item.id] == '\'=HYPERLINK("http://x")'
    assert sheet.cell(2, 1).value == "编号" and sheet.cell(2, 6).value == "整改期限"
    assert sheet.cell(3, 6).is_date and sheet.cell(3, 1).data_type == "n"


def test_an_anonymous_reader_is_asked_to_sign_in(home):
    from sanse.access.roles import ANONYMOUS

    at = open_page(ANONYMOUS)
    assert not at.dataframe and "登录" in at.info[0].value


def test_the_overview_counts_overdue_items_and_reports_for_those_who_may_see_them(home):
    overdue = sum(item.overdue(TODAY) for item in list_items(home))
    assert overdue
    add_user(home, ADMIN.name, role="admin", password="office password 1")
    office = AppTest.from_file(APP, default_timeout=60)
    office.session_state["sanse.session"] = start_session(home, ADMIN).token
    office.run()
    assert not office.exception
    assert any(f"逾期未销号 {overdue} 项" in w.value for w in office.warning), [w.value for w in office.warning]
    assert any(c.value.startswith("已报送 23/23 个镇街") for c in office.caption)  # and the reporting count
    reader = AppTest.from_file(APP, default_timeout=60).run()
    assert not any("逾期未销号" in w.value for w in reader.warning)
    assert not any(c.value.startswith("已报送") for c in reader.caption)


def test_a_town_clerk_sees_its_items_and_their_deadlines_on_its_town_page(home):
    code = list_items(home)[0].town_code
    mine = [i for i in list_items(home) if i.town_code == code]
    add_user(home, "clerk", role="town", town=code, password="clerk password 1")
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["sanse.session"] = start_session(home, User("clerk", "town", code)).token
    at.run()
    at.switch_page("pages/read/town.py").run()
    assert not at.exception
    assert f"督办事项（{len(mine)} 项未销号）" in [s.value for s in at.subheader]
    lines = [m.value for m in at.markdown if m.value.startswith("- **")]
    assert len(lines) == len(mine) and all(f"整改期限 {i.deadline}" in line for i, line in zip(mine, lines))
    assert "已逾期" in lines[0]
    reader = AppTest.from_file(APP, default_timeout=60)
    reader.session_state["town.pick"] = code
    reader.run()
    reader.switch_page("pages/read/town.py").run()
    assert not any(s.value.startswith("督办事项") for s in reader.subheader)


def test_the_overview_names_the_towns_with_overdue_items_and_the_days_cards(home):
    add_item(
        home,
        "T03",
        measure="黄牌",
        reason="台账不实",
        deadline=date(2026, 11, 9),
        by=ADMIN,
        occurred_on=date(2026, 10, 30),
        announce=queue_new_items,
    )
    late = Counter(item.town_code for item in list_items(home) if item.overdue(TODAY))
    name = {town.code: town.name for town in read_towns(home.towns_csv)}
    add_user(home, ADMIN.name, role="admin", password="office password 1")
    office = AppTest.from_file(APP, default_timeout=60)
    office.session_state["sanse.session"] = start_session(home, ADMIN).token
    office.run()
    (warning,) = [w.value for w in office.warning if w.value.startswith("督办")]
    code, count = late.most_common(1)[0]
    assert f"{name[code]} {count} 项" in warning
    assert warning.endswith("当日新亮牌 1 张：澄波街道（黄牌）。")
