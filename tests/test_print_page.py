"""The 打印版 page under Streamlit's AppTest: the issue its address names, as its 公文, for
whoever may read the bulletin; an address naming no published issue says so."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sanse.access.roles import SYSTEM
from sanse.deployment.home import Home
from sanse.publishing.publish import Draft, publish_bulletin

APP = str(Path(__file__).parents[1] / "app.py")
DAY = date(2026, 10, 30)


@pytest.fixture(scope="module")
def published(demo_home_readonly, tmp_path_factory) -> Home:
    root = tmp_path_factory.mktemp("print") / "home"
    shutil.copytree(demo_home_readonly.root, root)
    home = Home(root)
    publish_bulletin(home, DAY, by=SYSTEM)
    publish_bulletin(home, DAY, by=SYSTEM, draft=Draft(signer="王建国", correction_note="补正数据。"))
    return home


def print_page(home: Home, monkeypatch, **params) -> AppTest:
    """The print page as a reader who has not signed in opens it (the demo lets readers read)."""
    monkeypatch.setenv("SANSE_HOME", str(home.root))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/read/print.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_html(at: AppTest) -> str:
    return "\n".join(str(e.proto) for e in at.get("html"))


def test_print_page_shows_the_issue_its_address_names(published, monkeypatch):
    at = print_page(published, monkeypatch, series="day", issue="2026-10-30", version="1")
    page = shown_html(at)
    assert "各镇街排名（2026年10月30日）" in page and "@page { size: A4 portrait" in page
    assert "（更正）" not in page  # version 1, not the 更正 published after it
    assert "window.print()" in page


def test_print_page_without_a_version_shows_the_latest(published, monkeypatch):
    page = shown_html(print_page(published, monkeypatch, series="day", issue="2026-10-30"))
    assert "三色晾晒情况（更正）" in page and "补正数据。" in page


@pytest.mark.parametrize(
    "params",
    [
        {"series": "day", "issue": "2026-10-29"},  # not published
        {"series": "month", "issue": "2026-10-30"},  # a day is no month
        {"series": "day", "issue": "yesterday"},
        {"series": "day", "issue": "2026-10-30", "version": "x"},
        {},
    ],
)
def test_print_page_naming_no_published_issue_says_so(published, monkeypatch, params):
    at = print_page(published, monkeypatch, **params)
    assert [w.value for w in at.warning] == ["没有找到要打印的通报：请从“每日工作动态”页打开已发布的一期。"]
    assert "gongwen" not in shown_html(at)
