"""The notices on 督办台账 under Streamlit's AppTest: the office sets a 约谈's time, place and
attendees in a small form and then downloads its 约谈通知书; a town sees that its notice waits
for them, and downloads a 督办通知单 at once."""

from __future__ import annotations

import shutil
from datetime import date, time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sanse.access.roles import SYSTEM, User
from sanse.deployment.home import Home
from sanse.facts import clock
from sanse.sending.queue import queue_new_items
from sanse.supervision.interviews import get_interview
from sanse.supervision.ledger import list_items
from sanse.supervision.lifecycle import add_item

PAGE = str(Path(__file__).parents[1] / "pages" / "work" / "supervision.py")
ADMIN = User("office", "admin")
TODAY = date(2026, 11, 2)


@pytest.fixture
def home(demo_home_readonly, tmp_path, monkeypatch) -> Home:
    """The demo city, whose build made 约谈 items, on 2 November 2026 (Beijing)."""
    root = tmp_path / "home"
    shutil.copytree(demo_home_readonly.root, root)
    monkeypatch.setenv("SANSE_HOME", str(root))
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return Home(root)


def open_page(user: User, pick: int | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["sanse.user"] = user
    if pick is not None:
        at.session_state["supervision.pick"] = pick
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def notice_buttons(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button") if ".notice." in b.proto.id]


def test_the_office_sets_a_约谈_then_downloads_its_通知书(home):
    item = list_items(home)[0]
    assert item.measure == "约谈"
    at = open_page(ADMIN, item.id)
    assert notice_buttons(at) == []
    assert "出具约谈通知书前，需先确定约谈时间、地点和参加人员。" in [i.value for i in at.info]
    at.date_input(key=f"supervision.interview.day.{item.id}").set_value(date(2026, 11, 5))
    at.time_input(key=f"supervision.interview.time.{item.id}").set_value(time(14, 30))
    at.text_input(key=f"supervision.interview.place.{item.id}").input("市应急管理局三楼会议室")
    at.text_input(key=f"supervision.interview.attendees.{item.id}").input("镇长、分管副镇长")
    at.button(key=f"FormSubmitter:supervision.interview.{item.id}-保存约谈安排").click().run()
    assert not at.exception and not [e for e in at.error if "约谈" in e.value]
    interview = get_interview(home, item.id)
    assert (interview.when, interview.place) == ("2026年11月5日 14:30", "市应急管理局三楼会议室")
    assert f"已保存督办事项 {item.id} 的约谈安排，可下载约谈通知书。" in [s.value for s in at.success]
    assert notice_buttons(at) == ["下载约谈通知书（DOCX）", "下载约谈通知书（PDF）"]


def test_an_empty_place_is_refused_in_plain_chinese(home):
    item = list_items(home)[0]
    at = open_page(ADMIN, item.id)
    at.text_input(key=f"supervision.interview.attendees.{item.id}").input("镇长")
    at.button(key=f"FormSubmitter:supervision.interview.{item.id}-保存约谈安排").click().run()
    assert "请填写约谈地点" in [e.value for e in at.error]
    assert get_interview(home, item.id) is None


def test_a_town_downloads_its_督办通知单_and_waits_for_its_约谈通知书(home):
    interview = list_items(home)[0]
    plain = add_item(
        home,
        interview.town_code,
        measure="挂牌督办",
        reason="整改不力",
        deadline=date(2026, 11, 20),
        by=SYSTEM,
        announce=queue_new_items,
    )
    clerk = User("clerk", "town", interview.town_code)
    at = open_page(clerk, interview.id)
    assert "约谈时间、地点和参加人员确定后，可在此下载约谈通知书。" in [i.value for i in at.info]
    assert not [w for w in at.text_input if ".interview." in (w.key or "")]  # no form for a town
    at = open_page(clerk, plain.id)
    assert notice_buttons(at) == ["下载督办通知单（DOCX）", "下载督办通知单（PDF）"]
