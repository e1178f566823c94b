"""The 报送情况 page under AppTest on the demo city: who reported the day after the demo's last,
who is late and who is missing, the 催报 message, a town account seeing only its own town, and
the page on the menu of those who submit."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from conftest import count_by_records
from streamlit.testing.v1 import AppTest

from sanse.access.accounts import add_user
from sanse.access.roles import User
from sanse.access.sessions import start_session
from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns
from sanse.facts.clock import BEIJING
from sanse.facts.report import COUNT_COLUMNS
from sanse.store.records import batches
from sanse.store.reports import append_submission

APP = str(Path(__file__).parents[1] / "app.py")
PAGE = str(Path(__file__).parents[1] / "pages" / "work" / "status.py")
DAY = date(2026, 10, 31)  # the demo city's reports end on 10-30
ADMIN = User("office", "admin")


@pytest.fixture
def home(demo_home: Home, monkeypatch) -> Home:
    """The demo city where 云岫街道 (T01) reported 10-31 at 10:00 and 青禾街道 (T02) at 18:30."""
    monkeypatch.setenv("SANSE_HOME", str(demo_home.root))
    for code, at in (
        ("T01", datetime(2026, 10, 31, 10, 0, tzinfo=BEIJING)),
        ("T02", datetime(2026, 10, 31, 18, 30, tzinfo=BEIJING)),
    ):
        row = pd.DataFrame([{"row_number": 3, "date": DAY, "town_code": code, **dict.fromkeys(COUNT_COLUMNS, 1)}])
        append_submission(
            demo_home.store,
            row.astype({"fines_wan": float}),
            by=f"clerk-{code}",
            source_name="日报.xlsx",
            source_sha256=code * 32,
            at=at,
        )
    return demo_home


def open_status(user: User) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["sanse.user"] = user
    at.session_state["status.day"] = DAY
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_board_shows_who_reported_when_and_who_is_late_or_missing(home):
    at = open_status(ADMIN)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"已报送": "2/23", "迟报": "1", "逾期未报": "21"}
    board = at.dataframe[0].value.set_index("镇街")
    assert len(board) == 23
    assert list(board.loc["云岫街道"]) == ["按时", "2026-10-31 10:00", "clerk-T01", "报表", ""]
    assert list(board.loc["青禾街道"]) == ["迟报", "2026-10-31 18:30", "clerk-T02", "报表", ""]
    assert list(board["状态"][:21]) == ["逾期未报"] * 21, "the missing towns come first"
    assert "截止时间：2026-10-31 17:00（北京时间）" in at.caption[0].value


def test_a_town_counted_by_a_batch_of_records_shows_as_reported_through_it(home):
    count_by_records(home.store, DAY, ["T03"], at=datetime(2026, 10, 31, 16, 0, tzinfo=BEIJING), by="importer")
    at = open_status(ADMIN)
    assert {m.label: m.value for m in at.metric} == {"已报送": "3/23", "迟报": "1", "逾期未报": "20"}
    board = at.dataframe[0].value.set_index("镇街")
    name = {t.code: t.name for t in read_towns(home.towns_csv)}["T03"]
    batch = batches(home.store)[-1].seq  # the demo city's own batches of records come before it
    assert list(board.loc[name]) == ["按时", "2026-10-31 16:00", "importer", f"记录数据（第{batch}批）", ""]
    [message] = [c.value for c in at.code]
    assert "以下20个镇街尚未报送" in message and name not in message


def test_the_reminder_names_every_missing_town_and_none_that_reported(home):
    at = open_status(ADMIN)
    [message] = [c.value for c in at.code]
    names = {t.code: t.name for t in read_towns(home.towns_csv)}
    assert message.startswith("【催报】") and "以下21个镇街尚未报送10月31日" in message
    assert "报送截止时间（10月31日17:00）已过" in message and message.endswith("——示范市安委办")
    assert all(names[code] in message for code in names if code not in ("T01", "T02"))
    assert names["T01"] not in message and names["T02"] not in message


def test_a_town_account_sees_its_own_status_and_no_reminder(home):
    at = open_status(User("qinghe", "town", "T02"))
    assert list(at.dataframe[0].value["镇街"]) == ["青禾街道"]
    assert {m.label: m.value for m in at.metric}["已报送"] == "1/1"
    assert not at.code


def test_a_deadline_rules_toml_cannot_use_is_named_in_chinese(home):
    with home.rules_toml.open("a", encoding="utf-8") as rules:
        rules.write('\n[reporting]\ndeadline = "下午五点"\n')
    at = open_status(ADMIN)
    assert "deadline 应为北京时间的时和分" in at.error[0].value
    assert not at.dataframe


def test_the_board_is_on_the_work_menu_for_those_who_submit_only(home):
    add_user(home, "clerk", role="town", town="T02", password="clerk password 1")
    add_user(home, "leader", role="viewer", password="leader password 1")
    clerk = signed_in(home, User("clerk", "town", "T02"))
    clerk.switch_page("pages/work/status.py").run()
    assert not clerk.exception, [e.value for e in clerk.exception]
    assert list(clerk.dataframe[0].value["镇街"]) == ["青禾街道"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        signed_in(home, User("leader", "viewer")).switch_page("pages/work/status.py")


def signed_in(home: Home, user: User) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["sanse.session"] = start_session(home, user).token  # as a browser is
    at.session_state["status.day"] = DAY
    at.run()
    return at
