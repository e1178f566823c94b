"""The 发送记录 section (design §12) under Streamlit's AppTest, on 每日工作动态 and 督办台账: admins
see deliveries and failures, a warning while no sender runs, send a test message to a fake
robot and send a failure again; no secret or robot token reaches the page; others see none of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_sending import ADMIN, channels_toml, fake_robots, make_city, outbox, run  # noqa: F401 (the robots fixture)

from sanse.access.roles import User
from sanse.deployment.home import Home

PAGES = {
    name: str(Path(__file__).parents[1] / "pages" / path)
    for name, path in (("bulletin", "read/bulletin.py"), ("supervision", "work/supervision.py"))
}


@pytest.fixture
def city(robots, tmp_path, monkeypatch) -> Home:
    home = make_city(tmp_path / "h", channels_toml(*robots))
    monkeypatch.setenv("SANSE_HOME", str(home.root))
    return home


def open_page(page: str, user: User) -> AppTest:
    at = AppTest.from_file(PAGES[page], default_timeout=60)
    at.session_state["sanse.user"] = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> str:
    parts = [
        e.value for kind in ("markdown", "caption", "warning", "error", "success", "info") for e in getattr(at, kind)
    ]
    parts += [df.value.to_csv() for df in at.dataframe]
    return "\n".join(map(str, parts))


@pytest.mark.parametrize("page", ["bulletin", "supervision"])
def test_admins_see_what_was_sent_and_that_no_sender_runs(city, robots, page):
    ding, wecom, hook = robots
    hook.fail_with = 502  # the build's 督办 messages: 丙乡's own arrives, the OA's digest fails
    run(city)
    at = open_page(page, ADMIN)
    text = shown(at)
    assert "发送进程没有运行" in text
    assert "丙乡安监群" in text and "已送达" in text and "HTTP 502" in text
    assert "最近送达：" in text
    for secret in ("SECding-7f3a9c", "hook-secret-51b2", "tok-ding-123", "tok-wecom-456", "127.0.0.1"):
        assert secret not in text
    assert [e for e in at.expander if e.label == "发送记录"]


def test_an_admin_sends_a_test_message_and_sends_a_failure_again(city, robots):
    ding, wecom, hook = robots
    hook.fail_with = 502
    run(city)
    at = open_page("supervision", ADMIN)
    at.selectbox(key="supervision.sending.test_pick").set_value("市安委办工作群")
    at.button(key="supervision.sending.test").click().run()
    assert not at.exception
    assert "测试消息已送达“市安委办工作群”" in shown(at)
    assert ding.received[-1]["markdown"]["title"] == "【测试】推送渠道测试"
    hook.fail_with = None
    at.selectbox(key="supervision.sending.retry_pick").set_value(outbox(city, channel="OA")[0].id)
    at.button(key="supervision.sending.retry").click().run()
    assert "已安排重新发送" in shown(at)
    run(city)
    assert len(hook.received) == 1 and outbox(city, channel="OA")[0].status == "sent"


def test_town_accounts_and_readers_do_not_see_the_send_log(city):
    for user in (User("clerk", "town", "T3"), User("leader", "viewer")):
        at = open_page("supervision", user)
        assert "发送记录" not in [e.label for e in at.expander]
