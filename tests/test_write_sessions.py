"""Every write made through a browser session checks that session again in the write's own
transaction (design §8): after the account is disabled, given a new password or signed out
elsewhere, a tab that is still open writes nothing — a submission, an import, a publication,
a rule change, an account change, any step of a 督办事项 — on SQLite and on PostgreSQL; and
under AppTest the tab says 请重新登录."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from conftest import stored
from streamlit.testing.v1 import AppTest
from test_supervision import HEADER, silent_city

from sanse.access import accounts
from sanse.access.accounts import add_user, disable_user, get_user, set_password
from sanse.access.audit import read_audit
from sanse.access.roles import Forbidden, SessionEnded, User
from sanse.access.sessions import end_session, require_in, start_session
from sanse.deployment.home import Home
from sanse.deployment.settings import Rules
from sanse.facts import clock
from sanse.pipelines.reports.ingest import ingest_file
from sanse.publishing import publish
from sanse.publishing.issue import list_issues
from sanse.publishing.publish import publish_bulletin
from sanse.ranking.rulebook import change_rules
from sanse.sending.queue import queue_new_items
from sanse.store import DATABASE_URL_ENV, schema
from sanse.supervision import lifecycle
from sanse.supervision.ledger import history, list_items
from sanse.supervision.lifecycle import add_item, answer, close, return_item, withdraw
from sanse.supervision.triggers import check
from sanse.ui.report_form import field_key

APP = str(Path(__file__).parents[1] / "app.py")
TODAY = date(2026, 10, 2)
PASSWORD = "password of 12"
FIGURES = {
    "inspections": 10,
    "hazards": 2,
    "major_hazards": 1,
    "rectified": 1,
    "halted": 0,
    "cases": 0,
    "detentions": 0,
    "fines_wan": 0.0,
}


@pytest.fixture
def city(store_url, tmp_path, monkeypatch) -> Home:
    """The silent city of the supervision tests (three towns, 28 September to 1 October, three
    items), on 2 October, with the office's admin and 丙乡's clerk; on SQLite and PostgreSQL."""
    if store_url.startswith("postgresql"):
        monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    home = silent_city(tmp_path / "h")
    check(home, announce=queue_new_items)
    add_user(home, "office", role="admin", password=PASSWORD)
    add_user(home, "clerk3", role="town", town="T3", password=PASSWORD)
    monkeypatch.setenv("SANSE_HOME", str(home.root))
    return home


def signed_in(home: Home, name: str) -> User:
    """The user as a browser signed in with `name` acts: through its session."""
    return start_session(home, get_user(home, name)).user


def report(day: str = "2026-10-02", town: str = "丙乡") -> bytes:
    return f"{HEADER}\n{day},{town},10,2,1,1,0,0,0,0\n".encode()


def t3_item(home: Home) -> int:
    return next(i.id for i in list_items(home) if i.town_code == "T3")


# ---------------------------------------------------------------- the domain


@pytest.mark.parametrize("ended", ["disabled", "new password", "signed out"])
def test_an_open_tab_submits_nothing_once_its_session_has_ended(city, ended):
    clerk = signed_in(city, "clerk3")
    if ended == "disabled":
        disable_user(city, "clerk3")
    elif ended == "new password":
        set_password(city, "clerk3", "another password 3")
    else:
        end_session(city, clerk.session)
    before = stored(city)
    with pytest.raises(SessionEnded, match="请重新登录"):
        ingest_file(city, report(), "日报.csv", by=clerk, today=TODAY)
    assert stored(city) == before
    assert "clerk3" not in set(read_audit(city)["who"])


def test_a_live_session_submits_as_before(city):
    clerk = signed_in(city, "clerk3")
    assert ingest_file(city, report(), "日报.csv", by=clerk, today=TODAY).submission.written == 1
    assert read_audit(city)["who"].iloc[0] == "clerk3"


def test_a_session_writes_with_the_town_its_account_has_now(city):
    clerk = signed_in(city, "clerk3")
    with city.store.writing() as conn:  # the account moved to 甲镇 after the tab signed in
        conn.execute(sa.update(schema.accounts).where(schema.accounts.c.key == "clerk3").values(town_code="T1"))
    before = stored(city)
    with pytest.raises(Forbidden, match="本镇街"):
        ingest_file(city, report(), "日报.csv", by=clerk, today=TODAY)
    with pytest.raises(Forbidden, match="本镇街"):
        answer(city, t3_item(city), "已整改", by=clerk)
    assert stored(city) == before


def test_a_disabled_admins_open_tab_publishes_and_changes_nothing(city):
    office = signed_in(city, "office")
    item = t3_item(city)
    answer(city, item, "已整改", by=User("clerk3", "town", "T3"))
    disable_user(city, "office")
    before = stored(city)
    steps = {
        "publish": lambda: publish_bulletin(city, date(2026, 10, 1), by=office),
        "rules": lambda: change_rules(city, Rules(effective=TODAY, window="daily", blue=1, red=1), by=office),
        "account": lambda: add_user(city, "clerk1", role="town", town="T1", password=PASSWORD, by=office),
        "password": lambda: set_password(city, "office", "another password 1", by=office),
        "add": lambda: add_item(
            city,
            "T1",
            measure="约谈",
            reason="台账不实",
            deadline=date(2026, 10, 9),
            by=office,
            announce=queue_new_items,
        ),
        "close": lambda: close(city, item, by=office),
        "return": lambda: return_item(city, item, "缺照片", by=office),
        "withdraw": lambda: withdraw(city, item, by=office, note="立项有误"),
    }
    for name, step in steps.items():
        with pytest.raises(SessionEnded):
            step()
        assert stored(city) == before, name
    assert list_issues(city) == []


def test_a_town_whose_password_changed_answers_nothing(city):
    clerk = signed_in(city, "clerk3")
    item = t3_item(city)
    set_password(city, "clerk3", "another password 3")
    with pytest.raises(SessionEnded):
        answer(city, item, "已整改", by=clerk, files=[("整改照片.jpg", b"\xff\xd8photo")])
    assert [e.action for e in history(city, item)] == ["created"]


def test_the_check_is_made_inside_the_writes_transaction(city):
    """What the transaction sees decides: a session ended by a write not yet committed when the
    page drew is checked against the store as the write finds it."""
    clerk = signed_in(city, "clerk3")
    with city.store.writing() as conn:
        require_in(conn, clerk, "answer", "T3")
        with pytest.raises(Forbidden, match="本镇街"):
            require_in(conn, clerk, "answer", "T1")
        conn.execute(sa.delete(schema.sessions))
        with pytest.raises(SessionEnded):
            require_in(conn, clerk, "read")


# ---------------------------------------------------------------- the pages


def open_app(home: Home, user: User, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["sanse.session"] = user.session
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def told_to_sign_in_again(at: AppTest) -> bool:
    shown = [e.value for kind in ("warning", "error") for e in at.get(kind)]
    return any("请重新登录" in text for text in shown)


def test_a_tab_whose_account_was_disabled_submits_nothing_from_the_form(city):
    at = open_app(city, signed_in(city, "clerk3"), "pages/work/submit.py")
    for key, value in FIGURES.items():
        at.number_input(key=field_key("T3", TODAY, key)).set_value(value)
    at.run()
    assert not at.button(key="form.submit").disabled
    disable_user(city, "clerk3")
    before = stored(city)
    at.button(key="form.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert stored(city) == before
    assert told_to_sign_in_again(at)
    assert at.session_state["sanse.user"] is None


def test_a_tab_whose_password_changed_imports_nothing(city):
    at = open_app(city, signed_in(city, "clerk3"), "pages/work/submit.py")
    at.file_uploader(key="submit.file.0").upload("日报.csv", report(), "text/csv").run()
    assert at.button(key="submit.confirm")
    set_password(city, "clerk3", "another password 3")
    before = stored(city)
    at.button(key="submit.confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert stored(city) == before
    assert told_to_sign_in_again(at)


def disabled_on_the_way(monkeypatch, module, name: str) -> None:
    """The account is disabled after the page checked its user and before the write: while
    the domain function runs its own first check."""
    real = module.require

    def require(user, *args):
        disable_user(Home.resolve(), name)
        return real(user, *args)

    monkeypatch.setattr(module, "require", require)


def test_an_admin_disabled_while_publishing_publishes_nothing(city, monkeypatch):
    at = open_app(city, signed_in(city, "office"), "pages/read/bulletin.py")
    at.checkbox(key="bulletin.confirm").check().run()
    disabled_on_the_way(monkeypatch, publish, "office")
    at.button(key="bulletin.publish").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert list_issues(city) == []
    assert told_to_sign_in_again(at)


def test_a_town_disabled_while_answering_answers_nothing(city, monkeypatch):
    item = t3_item(city)
    at = open_app(city, signed_in(city, "clerk3"), "pages/work/supervision.py")
    at.selectbox(key="supervision.pick").set_value(item).run()
    at.text_area(key=f"supervision.report.{item}").input("已组织复查。").run()
    disabled_on_the_way(monkeypatch, lifecycle, "clerk3")
    at.button(key="supervision.answer").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.action for e in history(city, item)] == ["created"]
    assert told_to_sign_in_again(at)


def test_signing_out_in_the_tab_itself_is_no_ended_session(city):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["sanse.session"] = signed_in(city, "office").session
    at.run()
    at.button(key="sanse.signout").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["sanse.user"] is None and not told_to_sign_in_again(at)


def test_the_ended_session_is_told_once(city):
    at = open_app(city, signed_in(city, "clerk3"), "pages/work/submit.py")
    disable_user(city, "clerk3")
    at.run()
    assert told_to_sign_in_again(at)
    at.run()
    assert not told_to_sign_in_again(at)
