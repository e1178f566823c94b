"""推送 (design §12): channels.toml, each message kind, each channel kind against fake robots on
127.0.0.1 and a real SMTP server, queuing in the transaction of the cause, and delivery
exactly once (two senders, two runs, a killed sender), retries, expiry and pacing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from ports import free_port
from robots import Robot, start

from sanse.access.roles import User
from sanse.cli.main import main
from sanse.deployment.home import Home
from sanse.facts.clock import BEIJING
from sanse.publishing.issue import BulletinError
from sanse.publishing.publish import Draft, publish_bulletin
from sanse.sending.channels import CHANNEL_KINDS, ChannelsError, parse_channels
from sanse.sending.kinds import KINDS
from sanse.sending.log import delivery_log, retry
from sanse.sending.messages import Message, listed, markdown_escape, split
from sanse.sending.publication import queue_messages
from sanse.sending.queue import queue_new_items
from sanse.sending.sender import Sender, load_channels, sender_running
from sanse.store import DATABASE_URL_ENV, schema
from sanse.supervision.lifecycle import add_item

HEADER = "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）"
ADMIN = User("office", "admin")
DING_SECRET = "SECding-7f3a9c"
HOOK_SECRET = "hook-secret-51b2"
FIRST = date(2026, 9, 28)
OCT_2 = date(2026, 10, 2)  # the day items are made by hand: their deadlines fall after it
# Three towns on the major hazard rate, daily window, 1 blue and 1 red; red 2 days → 约谈 in 7 days.
# | major | 09-28 | 09-29 |
# | 甲 T1 |   3   |   3   |  blue
# | 乙 T2 |   2   |   2   |  yellow
# | 丙 T3 |   1   |   1   |  red both days → 约谈 (deadline 10-06)
RULES = (
    '[campaign]\nstart = 2026-09-28\n\n[reporting]\ndeadline = "17:00"\nremind_before = 60\n'
    'quiet_hours = ["22:00", "07:00"]\n\n[[rules]]\nwindow = "daily"\nblue = 1\nred = 1\n'
    '[[rules.indicators]]\nkey = "major_hazard_rate"\nlabel = "重大隐患发现率"\nnumerator = "major_hazards"\n\n'
    "[[consequences]]\n"
    '[[consequences.triggers]]\nkey = "red2"\nwhen = "red_days"\ndays = 2\nmeasure = "约谈"\ndeadline_days = 7\n'
)
ROWS = [("2026-09-28", "甲镇", 3), ("2026-09-28", "乙镇", 2), ("2026-09-28", "丙乡", 1)]
ROWS += [("2026-09-29", "甲镇", 3), ("2026-09-29", "乙镇", 2), ("2026-09-29", "丙乡", 1)]


def channels_toml(ding: Robot, wecom: Robot, hook: Robot, extra: str = "") -> str:
    return f"""
[server]
public_url = "https://sanse.example.gov.cn"

[[channels]]
name = "市安委办工作群"
kind = "dingtalk"
url = "{ding.url}"
secret_env = "T_DING_SECRET"

[[channels]]
name = "丙乡安监群"
kind = "wecom"
url_env = "T_WECOM_URL"
town = "丙乡"

[[channels]]
name = "OA"
kind = "webhook"
url = "{hook.url}"
secret_env = "T_HOOK_SECRET"
sends = ["bulletin", "items"]
{extra}"""


def send_reports(root: Path, rows: list[tuple], name: str) -> None:
    lines = [HEADER] + [f"{day},{town},10,{m},{m},0,0,0,0,0" for day, town, m in rows]
    (root / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--home", str(root), "ingest", str(root / name)]) == 0


def send_records(root: Path, day: str, town: str, name: str) -> None:
    """A batch of records counting one inspection of `town` on `day` (`sanse ingest-records`)."""
    folder = root / name
    folder.mkdir()
    (folder / "inspections.csv").write_text(f"inspection_id,town,date,unit_id\n1,{town},{day},u1\n", encoding="utf-8")
    (folder / "hazards.csv").write_text("hazard_id,town,found_date,level,rectified_date,unit_id\n", encoding="utf-8")
    (folder / "enforcement.csv").write_text("action_id,town,date,kind,persons,amount_wan\n", encoding="utf-8")
    assert main(["--home", str(root), "ingest-records", str(folder), "--no-build"]) == 0


@pytest.fixture(name="robots")
def fake_robots(monkeypatch):
    """The office's DingTalk robot (加签), 丙乡's WeCom robot (its URL in a variable) and an OA webhook."""
    ding = start(Robot("dingtalk", secret=DING_SECRET))
    wecom = start(Robot("wecom"))
    hook = start(Robot("webhook", secret=HOOK_SECRET))
    monkeypatch.setenv("T_DING_SECRET", DING_SECRET)
    monkeypatch.setenv("T_HOOK_SECRET", HOOK_SECRET)
    monkeypatch.setenv("T_WECOM_URL", wecom.url)
    yield ding, wecom, hook
    for robot in (ding, wecom, hook):
        robot.server.shutdown()


def make_city(root: Path, toml: str) -> Home:
    root.mkdir(parents=True)
    (root / "towns.csv").write_text(
        "code,name,kind,group,aliases,active\nT1,甲镇,镇,,,1\nT2,乙镇,镇,,,1\nT3,丙乡,乡,,,1\n", encoding="utf-8"
    )
    (root / "rules.toml").write_text(RULES, encoding="utf-8")
    (root / "channels.toml").write_text(toml, encoding="utf-8")
    send_reports(root, ROWS, "reports.csv")
    return Home(root)


@pytest.fixture
def city(robots, store_url, tmp_path, monkeypatch) -> Home:
    """The three towns with their channels, on SQLite under the home or on PostgreSQL."""
    if store_url.startswith("postgresql"):
        monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    return make_city(tmp_path / "h", channels_toml(*robots))


@pytest.fixture
def sqlite_city(robots, tmp_path) -> Home:
    return make_city(tmp_path / "h", channels_toml(*robots))


def outbox(home: Home, **where) -> list:
    table = schema.outbox
    query = sa.select(table).order_by(table.c.id)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with home.store.reading() as conn:
        return conn.execute(query).all()


def run(home: Home, **options) -> Sender:
    sender = Sender(home, load_channels(home), **options)
    sender.run_once()
    return sender


# ---------------------------------------------------------------- channels.toml


def towns():
    from sanse.deployment.towns import parse_towns

    return parse_towns(
        "code,name,kind,group,aliases,active\nT1,甲镇,镇,东片,甲,1\nT2,乙镇,镇,东片,,1\nT3,丙乡,乡,西片,,1\n"
    )


@pytest.mark.parametrize(
    "entry, says",
    [
        ({"name": "a", "kind": "slack", "url": "http://x"}, "kind 应为"),
        ({"name": "a", "kind": "wecom"}, "url 和 url_env 写且只写一个"),
        ({"name": "a", "kind": "wecom", "url": "http://x", "url_env": "X"}, "url 和 url_env 写且只写一个"),
        ({"name": "a", "kind": "wecom", "url": "http://x", "town": "丁镇"}, "不是 towns.csv 里的镇街"),
        ({"name": "a", "kind": "wecom", "url": "http://x", "group": "北片"}, "不是 towns.csv 里的分组"),
        ({"name": "a", "kind": "email"}, "收件地址"),
        ({"name": "a", "kind": "wecom", "url": "http://x", "sends": ["bulletin", "news"]}, "sends 应从"),
        ({"name": "a", "kind": "wecom", "url": "http://x", "sends": ["town"]}, "town 或 group"),
        ({"name": "a", "kind": "wecom", "url": "http://x", "at_mobiles": ["138"]}, "只用于钉钉"),
        ({"name": "a", "kind": "dingtalk", "url": "http://x", "secret": "s"}, "不认识的设置 secret"),
    ],
)
def test_a_malformed_channel_is_refused_with_its_name_and_the_fault(entry, says):
    with pytest.raises(ChannelsError, match=says):
        parse_channels({"channels": [entry]}, towns())


def test_channels_take_defaults_by_scope_and_a_group_speaks_for_its_towns():
    parsed = parse_channels(
        {
            "channels": [
                {"name": "办", "kind": "dingtalk", "url": "http://x"},
                {"name": "甲", "kind": "wecom", "url": "http://y", "town": "甲"},  # an alias
                {"name": "东片", "kind": "webhook", "url": "http://z", "group": "东片"},
            ]
        },
        towns(),
    )
    office, own, group = parsed.channels
    assert office.sends == ("bulletin", "items", "overdue", "remind") and office.office
    assert own.sends == ("town", "items", "overdue", "remind") and own.towns == {"T1"}
    assert group.towns == {"T1", "T2"}
    assert [c.name for c in parsed.wanting("town", "T2")] == ["东片"]
    with pytest.raises(ChannelsError, match="重复"):
        parse_channels({"channels": [{"name": "办", "kind": "wecom", "url": "http://x"}] * 2}, towns())


def test_every_channel_kind_is_registered():
    assert tuple(KINDS) == CHANNEL_KINDS


def test_a_malformed_file_or_an_unset_variable_exits_2_and_sends_nothing(sqlite_city, robots, monkeypatch, capsys):
    ding, wecom, hook = robots
    publish_bulletin(sqlite_city, date(2026, 9, 29), by=ADMIN, then=queue_messages, announce=queue_new_items)
    monkeypatch.delenv("T_DING_SECRET")
    assert main(["--home", str(sqlite_city.root), "notify"]) == 2
    assert "T_DING_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("T_DING_SECRET", DING_SECRET)
    good = (sqlite_city.root / "channels.toml").read_text(encoding="utf-8")
    (sqlite_city.root / "channels.toml").write_text(good + "\n[[channels]\n", encoding="utf-8")
    assert main(["--home", str(sqlite_city.root), "notify"]) == 2
    assert "channels.toml 格式不正确" in capsys.readouterr().err
    assert ding.received == wecom.received == hook.received == []
    assert {row.status for row in outbox(sqlite_city)} == {"queued"}


# ---------------------------------------------------------------- what a publication queues


def test_a_publication_queues_the_bulletin_and_the_towns_message_in_its_transaction(city, robots):
    ding, wecom, hook = robots
    before = len(outbox(city))  # the build's 约谈 of 丙乡
    issue = publish_bulletin(city, date(2026, 9, 29), by=ADMIN, then=queue_messages, announce=queue_new_items)
    rows = outbox(city)[before:]
    assert sorted((r.channel, r.kind) for r in rows) == [
        ("OA", "bulletin"),
        ("丙乡安监群", "town"),
        ("市安委办工作群", "bulletin"),
    ]
    town = next(r for r in rows if r.kind == "town")
    assert town.title == "【本镇街】丙乡 红色 第3名 第1期"
    assert "等级：**红色**" in town.text and "名次：第3名 / 共3个镇街（与上期持平）" in town.text
    assert "连续红色：2天" in town.text
    # 乙 has 2 of 10: with 1 more (2 of 10) 丙 ties 乙, and a tie takes the better tier, yellow
    assert "- 再发现 1 处重大隐患，可升为黄" in town.text
    assert "约谈（2026年9月28日至9月29日连续2天红色），整改期限2026年10月6日" in town.text
    assert "https://sanse.example.gov.cn/town" in town.text
    bulletin = next(r for r in rows if r.channel == "市安委办工作群")
    assert bulletin.title == "【每日工作动态】《每日工作动态》第1期 2026年9月29日"
    assert "蓝色：甲镇" in bulletin.text and "红色：丙乡" in bulletin.text
    assert json.loads(bulletin.data)["number"] == issue.number
    # A correction is queued too; one the office may not publish queues nothing
    with pytest.raises(BulletinError):
        publish_bulletin(
            city,
            date(2026, 9, 29),
            by=ADMIN,
            then=queue_messages,
            announce=queue_new_items,
            draft=Draft(correction_note="无变化"),
        )
    assert len(outbox(city)) == before + 3
    publish_bulletin(
        city,
        date(2026, 9, 29),
        by=ADMIN,
        then=queue_messages,
        announce=queue_new_items,
        draft=Draft(signer="张三", correction_note="补签发人"),
    )
    titles = [r.title for r in outbox(city)[before + 3 :]]
    assert "【每日工作动态】《每日工作动态》第1期（更正） 2026年9月29日" in titles and len(titles) == 3


def test_a_build_that_makes_items_queues_them_once_and_the_office_gets_one_digest(city):
    items = outbox(city, kind="items")
    assert sorted(r.channel for r in items) == ["OA", "丙乡安监群", "市安委办工作群"]
    own = next(r for r in items if r.channel == "丙乡安监群")
    assert own.title.startswith("【督办】丙乡 约谈") and "整改期限：2026年10月6日" in own.text
    digest = next(r for r in items if r.channel == "市安委办工作群")
    assert digest.title == "【督办】新增督办事项1项"
    assert main(["--home", str(city.root), "supervise", "check"]) == 0  # nothing new: nothing queued
    add_item(
        city,
        "T2",
        measure="通报批评",
        reason="连续迟报",
        deadline=date(2026, 10, 9),
        by=ADMIN,
        occurred_on=OCT_2,
        announce=queue_new_items,
    )
    assert len(outbox(city, kind="items")) == 5  # 乙's channel: none; office and OA one each


# ---------------------------------------------------------------- delivery


def test_each_channel_kind_receives_its_json_signed_and_notify_twice_sends_once(city, robots, capsys):
    ding, wecom, hook = robots
    publish_bulletin(city, date(2026, 9, 29), by=ADMIN, then=queue_messages, announce=queue_new_items)
    assert main(["--home", str(city.root), "notify"]) == 0
    assert ding.problems == wecom.problems == hook.problems == []
    assert len(ding.received) == 2 and len(wecom.received) == 2 and len(hook.received) == 2
    assert ding.received[0]["markdown"]["title"].startswith("【督办】")
    assert {json.loads(json.dumps(b))["kind"] for b in hook.received} == {"items", "bulletin"}
    assert hook.received[1]["data"]["tiers"] == {"blue": 1, "yellow": 1, "red": 1}
    assert main(["--home", str(city.root), "notify"]) == 0
    assert len(ding.received) == 2 and len(wecom.received) == 2 and len(hook.received) == 2
    assert {r.status for r in outbox(city)} == {"sent"}
    capsys.readouterr()
    assert main(["--home", str(city.root), "notify", "log"]) == 0
    log = capsys.readouterr().out
    assert log.count("已送达") == 6 and "丙乡安监群\t【本镇街】丙乡" in log


def test_two_senders_at_once_deliver_each_message_once(city, robots):
    ding, wecom, hook = robots
    for robot in robots:
        robot.delay = 0.05
    publish_bulletin(city, date(2026, 9, 29), by=ADMIN, then=queue_messages, announce=queue_new_items)
    add_item(
        city,
        "T3",
        measure="挂牌督办",
        reason="整改不力",
        deadline=date(2026, 10, 9),
        by=ADMIN,
        occurred_on=OCT_2,
        announce=queue_new_items,
    )
    senders = [Sender(city, load_channels(city), workers=2) for _ in range(2)]
    threads = [threading.Thread(target=s.run_once) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(s.outcome.sent for s in senders) == len(outbox(city)) == 9
    assert len(ding.received) == 3 and len(wecom.received) == 3 and len(hook.received) == 3
    assert len(set(ding.texts())) == 3


def test_a_failure_stays_queued_with_back_off_and_is_retried(sqlite_city, robots, caplog):
    ding, wecom, hook = robots
    wecom.errcode = 93000  # WeCom's "invalid webhook url"
    hook.fail_with = 502
    sender = run(sqlite_city)
    assert sender.outcome.failed == 2 and sender.outcome.sent == 1
    failed = outbox(sqlite_city, status="queued")
    assert {r.channel for r in failed} == {"丙乡安监群", "OA"} and {r.tries for r in failed} == {1}
    assert {r.error for r in failed} == {"errcode 93000：ok", "HTTP 502"}
    assert all(r.next_try_at - r.created_at >= timedelta(seconds=29) for r in failed)
    assert main(["--home", str(sqlite_city.root), "notify"]) == 0  # waiting for its back-off: not due
    wecom.errcode, hook.fail_with = 0, None
    assert main(["--home", str(sqlite_city.root), "notify", "--retry"]) == 0
    assert len(wecom.received) == 1 and len(hook.received) == 1
    assert [line.split("\t")[3] for line in delivery_log(sqlite_city)].count("失败") == 2


def test_a_message_not_delivered_in_24_hours_expires_logged_and_an_admin_may_retry_it(sqlite_city, robots, caplog):
    ding, wecom, hook = robots
    ding.fail_with = 500
    later = lambda: datetime.now(UTC) + timedelta(hours=25)  # noqa: E731
    sender = Sender(sqlite_city, load_channels(sqlite_city), now=later)
    sender.run_once()
    assert sender.outcome.expired == 3 and ding.received == []
    assert "expired" in caplog.text
    expired = outbox(sqlite_city, status="failed")
    assert {r.error for r in expired} == {"24 小时内未能送达，已过期"}
    assert any("已过期" in line for line in delivery_log(sqlite_city, failed_only=True))
    ding.fail_with = None
    mine = next(r for r in expired if r.channel == "市安委办工作群")
    assert retry(sqlite_city, mine.id)
    run(sqlite_city)
    assert len(ding.received) == 1


def test_pacing_keeps_each_robot_under_its_rate_per_minute(sqlite_city, robots):
    ding, wecom, hook = robots
    for n in range(4):
        add_item(
            sqlite_city,
            "T1",
            measure="通报批评",
            reason=f"第{n}次",
            deadline=date(2026, 10, 9),
            by=ADMIN,
            occurred_on=OCT_2,
            announce=queue_new_items,
        )
    # the office robot has 5 messages (the build's digest and four by hand); 2 a minute allowed
    clock = [datetime.now(UTC)]
    waits = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += timedelta(seconds=seconds)

    sender = Sender(sqlite_city, load_channels(sqlite_city), rate=2, now=lambda: clock[0], sleep=sleep)
    sender.run_once()
    assert len(ding.received) == 5 and sender.outcome.sent == 11  # and OA 5, 丙乡 its 约谈
    with sqlite_city.store.reading() as conn:
        starts = conn.execute(
            sa.select(schema.outbox_attempts.c.started_at)
            .where(schema.outbox_attempts.c.channel == "市安委办工作群")
            .order_by(schema.outbox_attempts.c.seq)
        ).scalars()
        starts = list(starts)
    assert all(later - earlier >= timedelta(seconds=60) for earlier, later in zip(starts, starts[2:]))
    assert len(waits) == 2 and sender.outcome.waited == pytest.approx(sum(waits))


def test_a_sender_killed_mid_batch_repeats_at_most_the_message_in_flight(sqlite_city, robots):
    ding, wecom, hook = robots
    for n in range(5):
        add_item(
            sqlite_city,
            "T1",
            measure="通报批评",
            reason=f"第{n}次",
            deadline=date(2026, 10, 9),
            by=ADMIN,
            occurred_on=OCT_2,
            announce=queue_new_items,
        )
    ding.delay = 0.3  # the office robot: 6 messages, one after another
    env = {**os.environ, "SANSE_HOME": str(sqlite_city.root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "sanse.cli.main", "notify"], env=env, cwd=Path(__file__).parent.parent
    )
    deadline = time.monotonic() + 60
    while len(ding.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    ding.delay = 0
    got = len(ding.received)
    assert 2 <= got < 6
    # A sender after the lease takes what the dead one held
    run(sqlite_city, now=lambda: datetime.now(UTC) + timedelta(minutes=6))
    texts = ding.texts()
    assert len(set(texts)) == 6  # every message arrived
    assert len(texts) - 6 <= 1  # and at most the one in flight twice
    assert {r.status for r in outbox(sqlite_city)} == {"sent"}


def test_a_reminder_goes_before_the_deadline_not_in_quiet_hours_and_not_after_a_report(sqlite_city, robots):
    ding, wecom, hook = robots
    at = lambda hh, mm: datetime(2026, 10, 2, hh, mm, tzinfo=BEIJING)  # noqa: E731
    run(sqlite_city, now=lambda: at(15, 30))  # before the window: no reminder
    assert outbox(sqlite_city, kind="remind") == []
    sent_before = len(wecom.received)
    run(sqlite_city, now=lambda: at(16, 10))
    reminders = outbox(sqlite_city, kind="remind")
    assert sorted(r.channel for r in reminders) == ["丙乡安监群", "市安委办工作群"]
    office = next(r for r in reminders if r.channel == "市安委办工作群")
    assert office.title == "【催报】3个镇街未报送 10月2日" and "甲镇、乙镇、丙乡" in office.text
    assert "请于17:00前报送" in wecom.texts()[sent_before]
    run(sqlite_city, now=lambda: at(16, 20))  # again: nothing twice
    assert len(outbox(sqlite_city, kind="remind")) == 2 and len(wecom.received) == sent_before + 1
    # The next day 丙 reports before its reminder goes out: dropped
    send_reports(sqlite_city.root, [("2026-10-03", "丙乡", 1)], "d3.csv")
    wecom.fail_with = 500
    run(sqlite_city, now=lambda: datetime(2026, 10, 3, 16, 5, tzinfo=BEIJING))
    wecom.fail_with = None
    day3 = [r for r in outbox(sqlite_city, kind="remind") if "10月3日" in r.title]
    assert sorted(r.channel for r in day3) == ["市安委办工作群"]  # 丙 had reported: no reminder of its own
    assert "甲镇、乙镇" in day3[0].text and "丙乡" not in day3[0].text


def test_a_town_counted_by_a_batch_of_records_is_never_reminded(city, robots):
    # 10月5日: 甲 sends its file, a batch of records counts 丙, 乙 sends nothing
    ding, wecom, hook = robots
    send_reports(city.root, [("2026-10-05", "甲镇", 1)], "d5.csv")
    send_records(city.root, "2026-10-05", "丙乡", "records-d5")
    run(city, now=lambda: datetime(2026, 10, 5, 16, 10, tzinfo=BEIJING))
    [office] = outbox(city, kind="remind")  # none to 丙乡安监群
    assert office.channel == "市安委办工作群" and office.title == "【催报】1个镇街未报送 10月5日"
    assert "乙镇" in office.text and "甲镇" not in office.text and "丙乡" not in office.text
    assert wecom.received == []


def test_a_queued_reminder_is_dropped_when_a_batch_of_records_counts_the_town(sqlite_city, robots):
    ding, wecom, hook = robots
    wecom.fail_with = 500
    at = lambda hh, mm: datetime(2026, 10, 6, hh, mm, tzinfo=BEIJING)  # noqa: E731
    run(sqlite_city, now=lambda: at(16, 30))
    mine = next(r for r in outbox(sqlite_city, kind="remind") if r.channel == "丙乡安监群")
    assert mine.status == "queued"
    wecom.fail_with = None
    send_records(sqlite_city.root, "2026-10-06", "丙乡", "records-d6")
    run(sqlite_city, now=lambda: at(16, 45))
    assert outbox(sqlite_city, id=mine.id)[0].status == "dropped"


def test_a_queued_reminder_is_dropped_when_the_town_reports_and_never_sent_after_the_deadline(sqlite_city, robots):
    ding, wecom, hook = robots
    wecom.fail_with = ding.fail_with = 500
    at = lambda hh, mm: datetime(2026, 10, 4, hh, mm, tzinfo=BEIJING)  # noqa: E731
    run(sqlite_city, now=lambda: at(16, 30))
    mine = next(r for r in outbox(sqlite_city, kind="remind") if r.channel == "丙乡安监群")
    assert mine.status == "queued" and mine.tries == 1
    wecom.fail_with = None
    send_reports(sqlite_city.root, [("2026-10-04", "丙乡", 1)], "d4.csv")
    run(sqlite_city, now=lambda: at(16, 45))
    assert outbox(sqlite_city, id=mine.id)[0].status == "dropped"
    # the office's list (甲, 乙 still missing) fails until after the deadline: it expires unsent
    ding.fail_with = None
    run(sqlite_city, now=lambda: at(17, 5))
    office = next(
        r for r in outbox(sqlite_city, kind="remind") if r.channel == "市安委办工作群" and "10月4日" in r.title
    )
    assert office.status == "failed" and office.error == "截止时间已过，催报不再发送"


def test_quiet_hours_hold_reminders(sqlite_city, robots, tmp_path):
    rules = sqlite_city.rules_toml.read_text(encoding="utf-8").replace('deadline = "17:00"', 'deadline = "07:30"')
    sqlite_city.rules_toml.write_text(rules, encoding="utf-8")
    run(sqlite_city, now=lambda: datetime(2026, 10, 5, 6, 50, tzinfo=BEIJING))  # in quiet hours until 07:00
    assert outbox(sqlite_city, kind="remind") == []
    run(sqlite_city, now=lambda: datetime(2026, 10, 5, 7, 5, tzinfo=BEIJING))
    assert len(outbox(sqlite_city, kind="remind")) == 2


def test_an_item_passing_its_deadline_is_announced_once(sqlite_city, robots):
    ding, wecom, hook = robots
    day_after = datetime(2026, 10, 7, 9, 0, tzinfo=BEIJING)  # the 约谈 was due 6 October
    run(sqlite_city, now=lambda: day_after)
    run(sqlite_city, now=lambda: day_after + timedelta(hours=3))
    overdue = {r.channel: r for r in outbox(sqlite_city, kind="overdue")}
    assert set(overdue) == {"丙乡安监群", "市安委办工作群"}
    own = overdue["丙乡安监群"]
    assert own.title.startswith("【逾期】丙乡 约谈") and "已超过整改期限2026年10月6日" in own.text
    office = overdue["市安委办工作群"]  # the office: one message for the items due that day
    assert office.title == "【逾期】1项督办事项逾期 2026年10月6日到期" and "- 丙乡：约谈（编号1）" in office.text
    run(sqlite_city, now=lambda: day_after + timedelta(days=5))  # long past: not announced again
    assert len(outbox(sqlite_city, kind="overdue")) == 2


# ---------------------------------------------------------------- email


@pytest.fixture
def smtp(monkeypatch):
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.mails, self.refuse = [], False

        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
            if self.refuse:
                return "550 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.mails.append(envelope.content)
            return "250 OK"

    port = free_port()
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SANSE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SANSE_SMTP_PORT", str(port))
    monkeypatch.setenv("SANSE_SMTP_TLS", "none")
    monkeypatch.setenv("SANSE_SMTP_FROM", "ajb@example.gov.cn")
    yield handler
    controller.stop()


def test_an_email_bulletin_attaches_its_pdf_and_xlsx_and_a_refusal_is_a_failure(robots, smtp, tmp_path):
    import email as mail_parser
    from email import policy

    mail = '\n[[channels]]\nname = "领导邮箱"\nkind = "email"\nto = ["leader@example.gov.cn"]\nsends = ["bulletin"]\n'
    home = make_city(tmp_path / "h", channels_toml(*robots, extra=mail))
    smtp.refuse = True
    publish_bulletin(home, date(2026, 9, 29), by=ADMIN, then=queue_messages, announce=queue_new_items)
    assert main(["--home", str(home.root), "notify"]) == 1
    assert outbox(home, channel="领导邮箱")[0].error == "邮件服务器拒收全部收件人"
    smtp.refuse = False
    assert main(["--home", str(home.root), "notify", "--retry"]) == 0
    (raw,) = smtp.mails
    message = mail_parser.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "【每日工作动态】《每日工作动态》第1期 2026年9月29日"
    assert "蓝色：甲镇" in message.get_body(("plain",)).get_content()
    files = {part.get_filename(): part.get_content_type() for part in message.iter_attachments()}
    assert files == {
        "每日工作动态第1期.pdf": "application/pdf",
        "每日工作动态第1期.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }


# ---------------------------------------------------------------- text


def test_names_are_escaped_for_markdown_and_a_long_text_is_split_under_the_limit():
    assert markdown_escape("[点我](http://x) *甲*") == r"\[点我\]\(http://x\) \*甲\*"
    text = "\n\n".join(f"第{n}行：" + "隐患" * 60 for n in range(40))
    parts = split(Message("bulletin", "issue:1", "【通报】标题", text), 4000)
    assert len(parts) > 1 and all(len((p.title + p.text).encode()) <= 4000 for p in parts)
    assert [p.title for p in parts][:2] == [f"【通报】标题（1/{len(parts)}）", f"【通报】标题（2/{len(parts)}）"]
    assert "\n\n".join(p.text for p in parts) == text
    assert len({p.key for p in parts}) == len(parts)
    # a province's 400 blue towns are named in the issue, not in every chat
    assert listed([f"镇{n}" for n in range(30)]).count("、") == 29
    assert listed([f"镇{n}" for n in range(400)]).endswith("镇29等400个（详见全文）")


def test_no_secret_or_robot_token_in_any_message_log_or_record(city, robots, caplog, capsys):
    ding, wecom, hook = robots
    publish_bulletin(city, date(2026, 9, 29), by=ADMIN, then=queue_messages, announce=queue_new_items)
    hook.fail_with = 500
    assert main(["--home", str(city.root), "notify"]) == 1
    assert main(["--home", str(city.root), "notify", "log"]) == 0
    secrets = [DING_SECRET, HOOK_SECRET, "tok-ding-123", "tok-wecom-456"]
    seen = caplog.text + "".join(capsys.readouterr())
    seen += "".join(robot_texts for robot in robots for robot_texts in robot.texts())
    with city.store.reading() as conn:
        for table in (schema.outbox, schema.outbox_attempts, schema.audit_events):
            seen += json.dumps([list(map(str, row)) for row in conn.execute(sa.select(table))], ensure_ascii=False)
    assert not [s for s in secrets if s in seen]


def test_the_watching_sender_delivers_a_publication_and_beats_its_heart(sqlite_city, robots, capsys):
    ding, wecom, hook = robots
    assert main(["--home", str(sqlite_city.root), "notify", "--dry-run"]) == 0
    assert capsys.readouterr().out.count("待发送") == 3 and ding.received == []  # the build's 约谈, unsent
    stop = threading.Event()
    sender = Sender(sqlite_city, load_channels(sqlite_city))
    watcher = threading.Thread(target=sender.watch, args=(stop,), kwargs={"poll": 0.05})
    watcher.start()
    try:
        publish_bulletin(sqlite_city, date(2026, 9, 29), by=ADMIN, then=queue_messages, announce=queue_new_items)
        deadline = time.monotonic() + 30
        while len(ding.received) < 2 and time.monotonic() < deadline:
            stop.wait(0.02)
        assert [b["markdown"]["title"][:8] for b in ding.received] == ["【督办】新增督办", "【每日工作动态】"]
        assert sender_running(sqlite_city)
    finally:
        stop.set()
        watcher.join()
    assert not sender_running(sqlite_city)


def test_a_town_not_ranked_in_a_period_is_told_so_without_a_colour():
    from types import SimpleNamespace

    from sanse.sending.messages import TownFacts, town_message

    issue = SimpleNamespace(
        title="月度通报", label="2026年第3期", when="2026年10月", number_label="2026年第3期", period_kind="month"
    )
    row = {"code": "T2", "town": "乙镇", "tier": None, "rank": None, "group_size": None, "not_reported": True}
    facts = TownFacts((), ({"measure": "通报批评", "reason": "连续未报送", "deadline": "2026-11-05"},))
    message = town_message(issue, 7, row, facts, "")
    assert message.title == "【本镇街】乙镇 未报送 2026年第3期"
    assert message.text.startswith("乙镇在《月度通报》2026年第3期（2026年10月）中未报送数据，不参加排名。")
    assert "- 通报批评（连续未报送），整改期限2026年11月5日" in message.text


def test_an_items_email_attaches_the_items_notice_and_a_summons_not_yet_arranged_goes_without(robots, smtp, tmp_path):
    import email as mail_parser
    from email import policy

    mail = '\n[[channels]]\nname = "督查科邮箱"\nkind = "email"\nto = ["duban@example.gov.cn"]\nsends = ["items"]\n'
    home = make_city(tmp_path / "h", channels_toml(*robots, extra=mail))  # its build made 丙乡's 约谈
    item = add_item(
        home,
        "T2",
        measure="通报批评",
        reason="连续迟报",
        deadline=date(2026, 10, 9),
        by=ADMIN,
        occurred_on=OCT_2,
        announce=queue_new_items,
    )
    assert main(["--home", str(home.root), "notify"]) == 0
    mails = [mail_parser.message_from_bytes(raw, policy=policy.default) for raw in smtp.mails]
    files = [[part.get_filename() for part in m.iter_attachments()] for m in mails]
    assert files == [[], [f"督办通知单_乙镇_督办{item.id}号.pdf"]]  # the 约谈 has no time and place yet
