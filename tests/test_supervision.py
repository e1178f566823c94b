"""Consequences and 督办事项 (design §11): each trigger on numbers small enough to check by hand,
the card ladder up and down, deadlines across month and year ends, and the items in the store:
made once, withdrawn (never deleted) by corrected data, answered by their own town only,
accepted or returned by the office, overdue by themselves, every step audited."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import stored
from openpyxl import load_workbook

from sanse.access.audit import read_audit
from sanse.access.roles import Forbidden, User
from sanse.cli.main import main
from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.deployment.rules_file import settings_from_text
from sanse.facts import clock
from sanse.facts.measures import measure_label
from sanse.facts.periods import parse_period
from sanse.publishing.exports import export_issue
from sanse.publishing.issue import issue_from_json, issue_to_json, load_issue
from sanse.publishing.prose import bulletin_paragraphs, supervision_paragraphs
from sanse.publishing.publish import publish_bulletin
from sanse.sending.queue import queue_new_items
from sanse.store import DATABASE_URL_ENV, open_store, schema
from sanse.store.migrate import current_revision
from sanse.supervision.cards import standing_card, with_cards
from sanse.supervision.consequences import DEFAULT_TRIGGERS, CardLadder, Trigger, consequence_versions, consequences_on
from sanse.supervision.items import SupervisionError
from sanse.supervision.ledger import attachment, get_item, history, items_frame, list_items, standing_cards
from sanse.supervision.lifecycle import add_item, answer, close, return_item, withdraw
from sanse.supervision.occurrences import (
    Occurrence,
    deadline_after,
    not_reporting_runs,
    period_occurrences,
    red_day_runs,
)
from sanse.supervision.triggers import AUTOMATIC, CheckResult, check, check_if_behind

HEADER = "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）"
ADMIN = User("office", "admin")
CLERK_3 = User("clerk3", "town", "T3")
CLERK_1 = User("clerk1", "town", "T1")
RED2 = Trigger("red2", "red_days", "约谈", 7, days=2)
SILENT2 = Trigger("silent2", "not_reporting", "通报批评", 3, days=2)


# ---------------------------------------------------------------- rules.toml


def test_without_consequences_in_rules_toml_the_practice_defaults_apply():
    (version,) = consequence_versions(settings_from_text("[campaign]\n"))
    assert version.triggers == DEFAULT_TRIGGERS
    red, bottom, last_twice = version.triggers
    assert (red.when, red.days, red.measure, red.deadline_days) == ("red_days", 3, "约谈", 7)
    assert (bottom.period, bottom.places, bottom.measure) == ("month", 2, "约谈")
    assert (last_twice.places, last_twice.times, last_twice.measure, last_twice.deadline_days) == (1, 2, "挂牌督办", 30)
    assert version.cards.summon_after_red == 3


CONSEQUENCES = """
[[consequences]]
[consequences.cards]
escalate_within_days = 20
clean_days = 45
summon_after_red = 2

[[consequences.triggers]]
when = "red_days"
days = 4
measure = "约谈"
deadline_days = 5

[[consequences.triggers]]
key = "weekly_red"
when = "red_periods"
period = "week"
times = 2
of = 3
measure = "亮牌"
deadline_days = 10

[[consequences]]
effective = 2026-11-01
triggers = []
"""


def test_consequences_are_versioned_by_their_effective_date_and_round_trip():
    settings = settings_from_text(CONSEQUENCES)
    first, second = consequence_versions(settings)
    assert [t.key for t in first.triggers] == ["red_days4", "weekly_red"]
    assert (first.triggers[1].times, first.triggers[1].of, first.triggers[1].period) == (2, 3, "week")
    assert first.cards == CardLadder(20, 45, 2)
    assert second.effective == date(2026, 11, 1) and second.triggers == ()
    versions = (first, second)
    assert consequences_on(versions, date(2026, 10, 31)) is first
    assert consequences_on(versions, date(2026, 11, 1)) is second
    from sanse.deployment.rules_file import settings_to_toml

    assert consequence_versions(settings_from_text(settings_to_toml(settings))) == versions


@pytest.mark.parametrize(
    "body, words",
    [
        ('[[consequences.triggers]]\nwhen = "blue_days"\nmeasure = "约谈"\n', "when 应为"),
        ('[[consequences.triggers]]\nwhen = "red_days"\ndays = 0\nmeasure = "约谈"\n', "days（连续几天） 应为不小于 1"),
        ('[[consequences.triggers]]\nwhen = "red_days"\ndays = 3\nmeasure = "罚款"\n', "measure 应为"),
        (
            '[[consequences.triggers]]\nwhen = "bottom"\nperiod = "fortnight"\nplaces = 2\nmeasure = "约谈"\n',
            "period 应为",
        ),
        ('[[consequences.triggers]]\nwhen = "bottom"\nperiod = "month"\nmeasure = "约谈"\n', "places（后几名）"),
        (
            '[[consequences.triggers]]\nwhen = "red_periods"\nperiod = "month"\ntimes = 4\nof = 3\nmeasure = "约谈"\n',
            "不能大于 of",
        ),
        ('[[consequences.triggers]]\nwhen = "red_days"\ndays = 3\nperiod = "month"\nmeasure = "约谈"\n', "不用 period"),
        (
            '[[consequences.triggers]]\nwhen = "red_days"\ndays = 3\nmeasure = "约谈"\ndeadline_days = 0\n',
            "deadline_days（整改期限天数） 应为不小于 1、不大于 365",
        ),
        (
            '[[consequences.triggers]]\nwhen = "red_days"\ndays = 3\nmeasure = "约谈"\ndeadline_days = 366\n',
            "deadline_days（整改期限天数） 应为不小于 1、不大于 365",
        ),
        ("[consequences.cards]\nclean_days = 100000000000000000000\n", "clean_days（几天无牌即降一级） 应为不小于 1"),
        ("[consequences.cards]\nclean_days = 0\n", "clean_days（几天无牌即降一级） 应为不小于 1"),
        ('[consequences.cards]\nsummon_measure = "亮牌"\n', "summon_measure"),
        ('colour = "red"\n', "无法识别的设置 colour"),
    ],
)
def test_bad_consequence_rules_are_refused_in_chinese(body, words):
    settings = settings_from_text(f"[[consequences]]\n{body}")
    with pytest.raises(ConfigError, match=words):
        consequence_versions(settings)


def test_two_consequence_versions_need_their_own_dates():
    settings = settings_from_text("[[consequences]]\ntriggers = []\n[[consequences]]\ntriggers = []\n")
    with pytest.raises(ConfigError, match="只有一个 \\[\\[consequences\\]\\] 可以不写 effective"):
        consequence_versions(settings)


# ---------------------------------------------------------------- triggers by hand


def daily_tiers(**towns: str) -> pd.DataFrame:
    """Rankings from strings of tiers by day from 1 October: b, y, r (streaks worked out here)."""
    rows = []
    for code, tiers in towns.items():
        streak = 0
        for offset, letter in enumerate(tiers):
            tier = {"b": "blue", "y": "yellow", "r": "red"}[letter]
            streak = streak + 1 if offset and tiers[offset - 1] == letter else 1
            rows.append(
                {
                    "date": date(2026, 10, 1) + timedelta(days=offset),
                    "code": code,
                    "town": f"{code}镇",
                    "tier": tier,
                    "tier_streak": streak,
                }
            )
    return pd.DataFrame(rows)


def test_red_days_running_trigger_once_per_run_on_the_day_the_run_reaches_its_length():
    rankings = daily_tiers(T1="rryrrrr", T2="yrryyyy", T3="rbrbrbr")
    met = red_day_runs(rankings, Trigger("red3", "red_days", "约谈", 7, days=3))
    assert [(o.key, o.day, o.deadline) for o in met] == [
        ("red3:T1:2026-10-04", date(2026, 10, 6), date(2026, 10, 13)),
    ]
    assert met[0].reason == "2026年10月4日至10月6日连续3天红色"
    twice = red_day_runs(rankings, RED2)  # a run of 4 meets a 2-day rule once
    assert sorted(o.key for o in twice) == ["red2:T1:2026-10-01", "red2:T1:2026-10-04", "red2:T2:2026-10-02"]


def test_not_reporting_days_running():
    daily = pd.DataFrame(
        [
            {
                "date": date(2026, 12, 29) + timedelta(days=d),
                "town_code": code,
                "town": f"{code}镇",
                "not_reported": missed == "x",
            }
            for code, days in {"T1": "x.xx.", "T2": "..xxx", "T3": "xxxxx"}.items()
            for d, missed in enumerate(days)
        ]
    )
    met = not_reporting_runs(daily, SILENT2)
    assert [(o.key, o.day, o.deadline) for o in met] == [
        ("silent2:T1:2026-12-31", date(2027, 1, 1), date(2027, 1, 4)),  # across the year end
        ("silent2:T2:2026-12-31", date(2027, 1, 1), date(2027, 1, 4)),
        ("silent2:T3:2026-12-29", date(2026, 12, 30), date(2027, 1, 2)),  # five days running: once
    ]
    assert met[0].reason == "2026年12月31日至2027年1月1日连续2天未报送"


def period_table(**towns: list[int]) -> pd.DataFrame:
    """Monthly ranks of 4 towns from September (1 blue, 1 red: rank 4 is red)."""
    months = ["2026-09", "2026-10", "2026-11"]
    lasts = [date(2026, 9, 30), date(2026, 10, 31), date(2026, 11, 30)]
    return pd.DataFrame(
        [
            {
                "period": m,
                "date": last,
                "group": "",
                "code": code,
                "town": f"{code}镇",
                "rank": rank,
                "group_size": 4,
                "tier": "blue" if rank == 1 else "red" if rank == 4 else "yellow",
            }
            for code, ranks in towns.items()
            for m, last, rank in zip(months, lasts, ranks)
        ]
    )


LABELS = {"2026-09": "2026年9月", "2026-10": "2026年10月", "2026-11": "2026年11月"}


def test_bottom_two_of_a_month():
    ranked = period_table(T1=[1, 1, 1], T2=[2, 3, 2], T3=[3, 2, 3], T4=[4, 4, 4])
    met = period_occurrences(ranked, LABELS, Trigger("m2", "bottom", "约谈", 7, period="month", places=2))
    assert sorted((o.town_code, o.day) for o in met) == [
        ("T2", date(2026, 10, 31)),
        ("T3", date(2026, 9, 30)),
        ("T3", date(2026, 11, 30)),
        ("T4", date(2026, 9, 30)),
        ("T4", date(2026, 10, 31)),
        ("T4", date(2026, 11, 30)),
    ]
    t2 = next(o for o in met if o.town_code == "T2")
    assert t2.key == "m2:T2:2026-10" and t2.reason == "2026年10月排名后2名：第3名（共4个）"
    assert t2.deadline == date(2026, 11, 7)  # across the month end


def test_last_place_twice_in_a_row():
    ranked = period_table(T1=[4, 4, 1], T2=[1, 2, 4], T3=[2, 1, 2], T4=[3, 3, 3])
    rule = Trigger("last2", "bottom", "挂牌督办", 30, period="month", places=1, times=2)
    (met,) = period_occurrences(ranked, LABELS, rule)
    assert (met.key, met.day, met.deadline, met.measure) == (
        "last2:T1:2026-10",
        date(2026, 10, 31),
        date(2026, 11, 30),
        "挂牌督办",
    )
    assert met.reason == "2026年9月至2026年10月连续2期排名末位，2026年10月为第4名（共4个）"


def test_towns_tied_across_the_bottom_boundary_take_the_better_place_as_tiers_do():
    # September: 丙 and 丁 share 3rd of 4, so nobody is last; October: 丁 is 4th alone.
    ranked = period_table(T1=[1, 1, 1], T2=[2, 2, 2], T3=[3, 2, 3], T4=[3, 4, 3])
    last = period_occurrences(ranked, LABELS, Trigger("m1", "bottom", "约谈", 7, period="month", places=1))
    assert sorted(o.key for o in last) == ["m1:T4:2026-10"]
    bottom_two = period_occurrences(ranked, LABELS, Trigger("m2", "bottom", "约谈", 7, period="month", places=2))
    assert sorted(o.key for o in bottom_two) == [
        "m2:T3:2026-09",
        "m2:T3:2026-11",
        "m2:T4:2026-09",
        "m2:T4:2026-10",
        "m2:T4:2026-11",
    ]


def test_red_in_k_of_the_last_m_periods():
    ranked = period_table(T1=[4, 1, 4], T2=[4, 4, 1], T3=[1, 2, 2], T4=[2, 3, 3])
    rule = Trigger("red2of3", "red_periods", "通报批评", 10, period="month", times=2, of=3)
    met = period_occurrences(ranked, LABELS, rule)
    # T1 red in September and November: 2 of the last 3 by November. T2 red twice running, met
    # in October; in November it is not red, so November brings nothing.
    assert sorted(o.key for o in met) == ["red2of3:T1:2026-11", "red2of3:T2:2026-10"]


def test_deadlines_count_calendar_days_across_month_and_year_ends():
    assert deadline_after(date(2026, 12, 28), 7) == date(2027, 1, 4)
    assert deadline_after(date(2027, 1, 31), 30) == date(2027, 3, 2)
    assert deadline_after(date(2028, 2, 22), 7) == date(2028, 2, 29)
    assert deadline_after(date(2026, 10, 31), 0) == date(2026, 10, 31)


# ---------------------------------------------------------------- cards

LADDER = CardLadder(escalate_within_days=30, clean_days=60, summon_after_red=3)


def card(code: str, day: date, measure: str = "亮牌") -> Occurrence:
    return Occurrence(f"c:{code}:{day}", code, f"{code}镇", day, measure, deadline_after(day, 10), "某条件")


def colours(occurrences: list[Occurrence]) -> list[tuple]:
    return [(o.town_code, o.day, o.card or o.measure) for o in occurrences]


def test_cards_escalate_when_given_again_within_the_set_time_and_three_reds_summon_the_town_head():
    days = [date(2026, 10, 1), date(2026, 10, 10), date(2026, 10, 20), date(2026, 10, 25), date(2026, 10, 28)]
    out = with_cards([card("T1", d) for d in days], lambda day: LADDER)
    assert colours(out) == [
        ("T1", days[0], "white"),
        ("T1", days[1], "yellow"),
        ("T1", days[2], "red"),
        ("T1", days[3], "red"),
        ("T1", days[4], "red"),
        ("T1", days[4], "约谈"),
    ]
    summon = out[-1]
    assert summon.key == "summon:T1:2026-10-28" and summon.deadline == date(2026, 11, 4)
    assert "连续3次被亮红牌" in summon.reason and out[1].reason.endswith("亮黄牌")


def test_cards_step_down_after_a_clean_time_and_do_not_escalate_after_the_set_time():
    # Yellow on 20 January; 71 days clean by 1 April stands it down to white; the card then,
    # past the 30 days, is white again. Sixty more days without one and nothing stands.
    days = [date(2026, 1, 1), date(2026, 1, 20), date(2026, 4, 1)]
    out = with_cards([card("T2", d) for d in days], lambda day: LADDER)
    assert [o.card for o in out] == ["white", "yellow", "white"]
    assert standing_card(2, date(2026, 1, 20), date(2026, 3, 20), LADDER) == 2  # 59 days: still yellow
    assert standing_card(2, date(2026, 1, 20), date(2026, 3, 21), LADDER) == 1  # 60 days: white
    assert standing_card(1, date(2026, 4, 1), date(2026, 5, 31), LADDER) == 0


def test_cards_escalate_across_the_year_end_and_a_named_card_is_at_least_its_colour():
    out = with_cards(
        [card("T3", date(2026, 12, 20)), card("T3", date(2027, 1, 5)), card("T4", date(2027, 1, 5), "黄牌")],
        lambda day: LADDER,
    )
    assert colours(out) == [
        ("T3", date(2026, 12, 20), "white"),
        ("T3", date(2027, 1, 5), "yellow"),
        ("T4", date(2027, 1, 5), "yellow"),
    ]


def test_a_card_ladder_of_another_version_applies_from_its_date():
    strict = CardLadder(escalate_within_days=90, clean_days=365, summon_after_red=0)
    out = with_cards(
        [card("T1", date(2026, 1, 1)), card("T1", date(2026, 3, 1))],
        lambda day: strict if day >= date(2026, 2, 1) else LADDER,
    )
    assert [o.card for o in out] == ["white", "yellow"]  # 59 days apart: within 90


# ---------------------------------------------------------------- items in the store


def silent_city(root: Path) -> Home:
    """Three towns on the major hazard rate alone, daily window, 1 blue and 1 red, 10 inspections
    a day; red 2 days running → 约谈 in 7 days, 2 days without a report → 通报批评 in 3.

    | major | 09-28 | 09-29 | 09-30 | 10-01 |
    | 甲 T1 |   3   |   3   |   3   |   3   |
    | 乙 T2 |   2   |   2   |   —   |   —   |   red 30 Sep and 1 Oct (nothing sent)
    | 丙 T3 |   1   |   1   |   2   |   2   |   red 28 and 29 Sep
    """
    root.mkdir(parents=True)
    (root / "towns.csv").write_text(
        "code,name,kind,group,aliases,active\nT1,甲镇,镇,,,1\nT2,乙镇,镇,,,1\nT3,丙乡,乡,,,1\n",
        encoding="utf-8",
    )
    (root / "rules.toml").write_text(
        '[campaign]\nstart = 2026-09-28\n\n[[rules]]\nwindow = "daily"\nblue = 1\nred = 1\n'
        '[[rules.indicators]]\nkey = "major_hazard_rate"\nlabel = "重大隐患发现率"\nnumerator = "major_hazards"\n\n'
        "[[consequences]]\n"
        '[[consequences.triggers]]\nkey = "red2"\nwhen = "red_days"\ndays = 2\nmeasure = "约谈"\ndeadline_days = 7\n'
        '[[consequences.triggers]]\nkey = "silent2"\nwhen = "not_reporting"\ndays = 2\nmeasure = "通报批评"\n'
        "deadline_days = 3\n",
        encoding="utf-8",
    )
    rows = [
        ("2026-09-28", "甲镇", 3),
        ("2026-09-28", "乙镇", 2),
        ("2026-09-28", "丙乡", 1),
        ("2026-09-29", "甲镇", 3),
        ("2026-09-29", "乙镇", 2),
        ("2026-09-29", "丙乡", 1),
        ("2026-09-30", "甲镇", 3),
        ("2026-09-30", "丙乡", 2),
        ("2026-10-01", "甲镇", 3),
        ("2026-10-01", "丙乡", 2),
    ]
    send(root, rows, "reports.csv")
    return Home(root)


def send(root: Path, rows: list[tuple], name: str) -> None:
    lines = [HEADER] + [f"{day},{town},10,{m},{m},0,0,0,0,0" for day, town, m in rows]
    (root / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--home", str(root), "ingest", str(root / name)]) == 0


def keyed(home: Home) -> dict[str, tuple]:
    return {i.trigger_key: (i.town_code, i.measure, i.deadline, i.status) for i in list_items(home)}


@pytest.fixture
def city(store_url, tmp_path, monkeypatch) -> Home:
    """The silent city with its items, its store on SQLite under its home or on PostgreSQL."""
    if store_url.startswith("postgresql"):
        monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    home = silent_city(tmp_path / "h")
    check(home, announce=queue_new_items)
    return home


def test_triggers_make_one_item_each_and_checking_again_makes_none(city):
    assert keyed(city) == {
        "red2:T3:2026-09-28": ("T3", "约谈", date(2026, 10, 6), "open"),
        "red2:T2:2026-09-30": ("T2", "约谈", date(2026, 10, 8), "open"),
        "silent2:T2:2026-09-30": ("T2", "通报批评", date(2026, 10, 4), "open"),
    }
    assert check(city, announce=queue_new_items).created == 0 and len(list_items(city)) == 3
    assert check_if_behind(city, announce=queue_new_items).skipped
    created = read_audit(city, action="supervision_created")
    assert len(created) == 3 and set(created["who"]) == {AUTOMATIC}
    assert "立项：约谈，期限 2026-10-06" in " ".join(created["what"])


def test_an_item_cannot_be_made_twice_for_one_trigger_occurrence(city):
    item = list_items(city)[0]
    with pytest.raises(sa.exc.IntegrityError):
        with city.store.writing() as conn:
            conn.execute(
                sa.insert(schema.supervision_items).values(
                    town_code=item.town_code,
                    trigger_key=item.trigger_key,
                    measure="约谈",
                    reason="再来一次",
                    occurred_on=item.occurred_on,
                    deadline=item.deadline,
                    status="open",
                    created_at=item.created_at,
                    created_by="x",
                    changed_at=item.created_at,
                )
            )


def test_corrected_data_withdraws_the_item_and_restores_it_when_corrected_back(city):
    # 丙 sends 2 for 29 September: 乙 and 丙 tie at .2 for 2nd, so nobody is red that day. The
    # import builds, and the build checks the triggers.
    send(city.root, [("2026-09-29", "丙乡", 2)], "fix.csv")
    assert keyed(city)["red2:T3:2026-09-28"][3] == "withdrawn"
    assert check(city, announce=queue_new_items) == CheckResult()
    item = next(i for i in list_items(city) if i.trigger_key == "red2:T3:2026-09-28")
    assert [e.action for e in history(city, item.id)] == ["created", "withdrawn"]
    send(city.root, [("2026-09-29", "丙乡", 1)], "back.csv")
    assert keyed(city)["red2:T3:2026-09-28"][3] == "open"
    assert len(list_items(city)) == 3  # withdrawn and restored, never deleted or made again
    assert set(read_audit(city)["action"]) >= {"supervision_withdrawn", "supervision_reinstated"}


def test_a_town_answers_only_its_own_items_and_the_office_closes_or_returns(city):
    own = next(i for i in list_items(city) if i.town_code == "T3")
    other = next(i for i in list_items(city) if i.town_code == "T2")
    with pytest.raises(Forbidden, match="本镇街"):
        answer(city, other.id, "我们整改了", by=CLERK_3)
    with pytest.raises(Forbidden):
        answer(city, own.id, "代答", by=User("leader", "viewer"))
    answered = answer(city, own.id, "已组织复查 12 家企业。", by=CLERK_3, files=[("整改照片.jpg", b"\xff\xd8photo")])
    assert answered.status == "answered"
    with pytest.raises(Forbidden, match="管理员"):
        close(city, own.id, by=CLERK_3)
    returned = return_item(city, own.id, "缺少复查记录", by=ADMIN)
    assert returned.status == "returned"
    with pytest.raises(SupervisionError, match="不能退回"):
        return_item(city, own.id, "再退一次", by=ADMIN)
    answer(city, own.id, "补充复查记录。", by=CLERK_3)
    closed = close(city, own.id, by=ADMIN, note="同意销号")
    assert closed.status == "closed"
    with pytest.raises(SupervisionError, match="已销号"):
        answer(city, own.id, "再答", by=CLERK_3)
    steps = history(city, own.id)
    assert [(e.action, e.who, e.text) for e in steps] == [
        ("created", AUTOMATIC, "2026年9月28日至9月29日连续2天红色"),
        ("answered", "clerk3", "已组织复查 12 家企业。"),
        ("returned", "office", "缺少复查记录"),
        ("answered", "clerk3", "补充复查记录。"),
        ("closed", "office", "同意销号"),
    ]
    (photo,) = steps[1].files
    assert attachment(city, photo["sha256"], viewer=CLERK_3) == ("整改照片.jpg", b"\xff\xd8photo")
    with pytest.raises(SupervisionError, match="无权"):
        attachment(city, photo["sha256"], viewer=CLERK_1)
    labels = read_audit(city, who="clerk3")["action_label"].tolist()
    assert labels == ["整改报告", "整改报告"]
    assert "督办退回" in set(read_audit(city, who="office")["action_label"])


def test_an_item_is_closed_only_on_a_report_that_was_not_returned_since(city):
    item = next(i for i in list_items(city) if i.town_code == "T3")
    before = stored(city)
    with pytest.raises(SupervisionError, match=f"督办事项 {item.id} 还没有整改报告，不能销号"):
        close(city, item.id, by=ADMIN)
    assert stored(city) == before
    answer(city, item.id, "已整改", by=CLERK_3)
    return_item(city, item.id, "缺少照片", by=ADMIN)
    with pytest.raises(SupervisionError, match="整改报告已退回，镇街重新报送后才能销号"):
        close(city, item.id, by=ADMIN)
    answer(city, item.id, "附照片", by=CLERK_3)
    assert close(city, item.id, by=ADMIN).status == "closed"
    assert [e.action for e in history(city, item.id)] == ["created", "answered", "returned", "answered", "closed"]


def test_cli_refuses_to_close_an_unanswered_item_and_writes_nothing(city, capsys):
    item = next(i for i in list_items(city) if i.town_code == "T3")
    before = stored(city)
    code, _, err = run(capsys, city, "supervise", "close", str(item.id))
    assert code == 1 and "还没有整改报告" in err and "Traceback" not in err
    assert stored(city) == before


def test_a_card_is_named_once_by_the_colour_it_was_given(city, capsys, time_machine):
    time_machine.move_to(datetime(2026, 10, 2, 10, 0, tzinfo=clock.BEIJING))  # the deadline is ahead
    yellow = add_item(
        city, "T1", measure="黄牌", reason="台账不实", deadline=date(2026, 10, 15), by=ADMIN, announce=queue_new_items
    )
    assert yellow.measure_label == "黄牌"
    assert measure_label("亮牌", "red") == "红牌"  # the ladder's card, by its colour
    assert measure_label("黄牌", "red") == "红牌"  # a 黄牌 rule the ladder took up to red
    assert measure_label("约谈", None) == "约谈"
    with pytest.raises(SupervisionError, match="“黄牌”与牌的颜色“红牌”不符"):
        add_item(
            city,
            "T1",
            measure="黄牌",
            card="red",
            reason="x",
            deadline=date(2026, 10, 15),
            by=ADMIN,
            announce=queue_new_items,
        )
    (what,) = read_audit(city, action="supervision_created", who="office")["what"]
    assert "立项：黄牌，期限 2026-10-15" in what
    assert items_frame([yellow], {"T1": "甲镇"}, date(2026, 10, 2)).iloc[0]["督办措施"] == "黄牌"
    code, out, _ = run(capsys, city, "supervise", "list", "--town", "甲镇")
    assert code == 0 and out.split("\t")[2] == "黄牌"
    assert "黄牌（黄牌）" not in out


def test_a_town_sees_only_its_own_items(city):
    assert {i.town_code for i in list_items(city, viewer=CLERK_3)} == {"T3"}
    assert list_items(city, viewer=CLERK_1) == []
    assert {i.town_code for i in list_items(city, viewer=ADMIN)} == {"T2", "T3"}


def test_overdue_items_are_flagged_by_themselves_on_beijing_dates_and_listed_first(city, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2026, 10, 7))
    items = list_items(city)
    # 丙's 约谈 was due 6 October, 乙's 通报批评 4 October; 乙's 约谈 is due 8 October.
    assert [(i.trigger_key, i.overdue(clock.today())) for i in items] == [
        ("silent2:T2:2026-09-30", True),
        ("red2:T3:2026-09-28", True),
        ("red2:T2:2026-09-30", False),
    ]
    assert [i.trigger_key for i in list_items(city, overdue_on=date(2026, 10, 5))] == ["silent2:T2:2026-09-30"]
    answer(city, items[0].id, "已补报", by=User("clerk2", "town", "T2"))
    close(city, items[0].id, by=ADMIN)
    assert not list_items(city, overdue_on=date(2026, 10, 7))[0].trigger_key.startswith("silent2")


def test_an_admin_makes_an_item_by_hand_and_withdraws_it_and_a_check_leaves_it(city, time_machine):
    time_machine.move_to(datetime(2026, 10, 2, 10, 0, tzinfo=clock.BEIJING))
    item = add_item(
        city,
        "甲镇",
        measure="黄牌",
        card="yellow",
        reason="检查中发现台账造假",
        deadline=date(2026, 10, 15),
        by=ADMIN,
        announce=queue_new_items,
    )
    assert (item.town_code, item.trigger_key, item.status, item.measure_label) == ("T1", None, "open", "黄牌")
    with pytest.raises(Forbidden):
        add_item(
            city, "T1", measure="约谈", reason="x", deadline=date(2026, 10, 15), by=CLERK_1, announce=queue_new_items
        )
    with pytest.raises(SupervisionError, match="不是 towns.csv"):
        add_item(
            city, "无名镇", measure="约谈", reason="x", deadline=date(2026, 10, 15), by=ADMIN, announce=queue_new_items
        )
    withdraw(city, item.id, by=ADMIN, note="立项有误")
    check(city, announce=queue_new_items)
    assert next(i for i in list_items(city) if i.id == item.id).status == "withdrawn"
    assert standing_cards(city, date(2026, 10, 2)) == {}


def test_a_deadline_falls_after_its_items_day_and_within_a_year_of_it(city, time_machine):
    time_machine.move_to(datetime(2026, 10, 2, 10, 0, tzinfo=clock.BEIJING))
    for deadline in (date(1900, 1, 1), date(2026, 10, 2), date(2027, 10, 3)):
        with pytest.raises(SupervisionError, match="整改期限应在 2026-10-03 至 2027-10-02 之间"):
            add_item(city, "T1", measure="约谈", reason="x", deadline=deadline, by=ADMIN, announce=queue_new_items)
    assert (
        add_item(
            city, "T1", measure="约谈", reason="x", deadline=date(2027, 10, 2), by=ADMIN, announce=queue_new_items
        ).status
        == "open"
    )
    with pytest.raises(SupervisionError, match="2026-09-29 至 2027-09-28"):
        add_item(
            city,
            "T1",
            measure="约谈",
            reason="x",
            deadline=date(2026, 9, 28),
            by=ADMIN,
            occurred_on=SEP_28,
            announce=queue_new_items,
        )


def test_an_id_past_its_column_is_no_such_item(city):
    assert get_item(city, 2**31) is None and get_item(city, 0) is None
    for step in (
        lambda item_id: close(city, item_id, by=ADMIN),
        lambda item_id: answer(city, item_id, "已整改", by=CLERK_3),
        lambda item_id: withdraw(city, item_id, by=ADMIN, note="x"),
    ):
        with pytest.raises(SupervisionError, match="没有编号为 99999999999999999999 的督办事项"):
            step(99999999999999999999)


def test_a_town_carries_its_card_until_the_clean_time_has_passed(city):
    add_item(
        city,
        "T1",
        measure="黄牌",
        reason="x",
        deadline=date(2026, 10, 15),
        by=ADMIN,
        occurred_on=date(2026, 10, 1),
        announce=queue_new_items,
    )
    assert standing_cards(city, date(2026, 10, 2)) == {"T1": "yellow"}
    assert standing_cards(city, date(2026, 11, 30)) == {"T1": "white"}  # 60 days clean (the default)
    assert standing_cards(city, date(2027, 1, 29)) == {}


def test_a_store_made_before_supervision_upgrades_and_keeps_its_issues(tmp_path):
    from alembic import command
    from alembic.config import Config

    from sanse.store.migrate import MIGRATIONS, SCHEMA_REVISION

    url = f"sqlite:///{tmp_path / 'sanse.db'}"
    engine = sa.create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    command.upgrade(config, "0001")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into issues (day, version, number, published_at, published_by, content) "
                "values ('2026-10-01', 1, 1, '2026-10-01 10:00:00', 'office', '{}')"
            )
        )
    engine.dispose()
    store = open_store(url)
    assert current_revision(store.engine) == SCHEMA_REVISION
    with store.reading() as conn:
        row = conn.execute(sa.select(schema.issues.c.day, schema.issues.c.period_kind, schema.issues.c.period)).one()
    assert (str(row.day), row.period_kind, row.period) == ("2026-10-01", "day", "")


# ---------------------------------------------------------------- command line


def run(capsys, home: Home, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--home", str(home.root), *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_lists_closes_and_returns_items(city, capsys, monkeypatch):
    from sanse.access.accounts import add_user

    add_user(city, "clerk3", role="town", town="T3", password="clerk password 3")
    monkeypatch.setattr(clock, "today", lambda: date(2026, 10, 5))
    code, out, _ = run(capsys, city, "supervise", "list", "--overdue")
    assert code == 0 and out.splitlines()[0].split("\t")[1:6] == [
        "乙镇",
        "通报批评",
        "期限 2026-10-04",
        "待整改",
        "逾期",
    ]
    assert len(out.splitlines()) == 1
    code, out, _ = run(capsys, city, "supervise", "list", "--town", "丙乡")
    ((item_id, *_),) = [line.split("\t") for line in out.splitlines()]
    assert run(capsys, city, "supervise", "return", item_id, "--comment", "未答复")[0] == 1  # nothing to return yet
    code, _, err = run(capsys, city, "supervise", "close", item_id, "--by", "clerk3")
    assert code == 1 and "管理员" in err
    assert run(capsys, city, "supervise", "answer", item_id, "--text", "已整改", "--by", "clerk3")[0] == 0
    assert run(capsys, city, "supervise", "return", item_id, "--comment", "请附照片")[0] == 0
    code, _, err = run(capsys, city, "supervise", "close", item_id, "--note", "同意")
    assert code == 1 and "整改报告已退回" in err  # returned: nothing to accept until the town answers again
    assert run(capsys, city, "supervise", "answer", item_id, "--text", "附照片", "--by", "clerk3")[0] == 0
    code, out, _ = run(capsys, city, "supervise", "close", item_id, "--note", "同意")
    assert code == 0 and "已销号" in out
    code, out, _ = run(capsys, city, "supervise", "list", "--open")
    assert item_id not in [line.split("\t")[0] for line in out.splitlines()]
    assert run(capsys, city, "supervise", "list", "--town", "无名镇")[0] == 1
    assert run(capsys, city, "supervise", "close", "999")[0] == 1


def test_cli_check_reports_what_it_did_and_makes_nothing_twice(city, capsys, time_machine):
    time_machine.move_to(datetime(2026, 12, 5, 10, 0, tzinfo=clock.BEIJING))
    code, _, err = run(capsys, city, "supervise", "check")
    assert code == 0 and "新立项 0 项" in err
    code, out, _ = run(
        capsys,
        city,
        "supervise",
        "add",
        "--town",
        "T1",
        "--measure",
        "约谈",
        "--reason",
        "台账不实",
        "--deadline",
        "2027-01-04",
    )
    assert code == 0 and len(list_items(city)) == 4


# ---------------------------------------------------------------- in the bulletins


@pytest.fixture
def listed(city) -> Home:
    """The silent city's three triggered items and three made by hand on 28 September:
    甲 挂牌督办 due 30 Sep (open), 甲 通报批评 due 29 Sep (withdrawn), 丙 约谈 due 29 Sep (closed
    today, so still open at the end of every day the city has data for)."""
    add_item(
        city,
        "T1",
        measure="挂牌督办",
        reason="台账不全",
        deadline=date(2026, 9, 30),
        by=ADMIN,
        occurred_on=SEP_28,
        announce=queue_new_items,
    )
    wrong = add_item(
        city,
        "T1",
        measure="通报批评",
        reason="立项有误",
        deadline=date(2026, 9, 29),
        by=ADMIN,
        occurred_on=SEP_28,
        announce=queue_new_items,
    )
    done = add_item(
        city,
        "T3",
        measure="约谈",
        reason="排查不实",
        deadline=date(2026, 9, 29),
        by=ADMIN,
        occurred_on=SEP_28,
        announce=queue_new_items,
    )
    withdraw(city, wrong.id, by=ADMIN, note="立项有误")
    answer(city, done.id, "已复查", by=CLERK_3)
    close(city, done.id, by=ADMIN)
    return city


SEP_28 = date(2026, 9, 28)


def test_a_days_bulletin_lists_the_measures_of_its_day_and_the_items_overdue_at_its_end(listed):
    issue = publish_bulletin(listed, date(2026, 10, 1), by=ADMIN)
    assert [(m["town"], m["measure"], m["deadline"]) for m in issue.new_measures] == [
        ("乙镇", "约谈", "2026-10-08"),
        ("乙镇", "通报批评", "2026-10-04"),
    ]
    assert supervision_paragraphs(issue) == [
        "当日新增督办措施2项：",
        "（1）乙镇约谈（2026年9月30日至10月1日连续2天红色），整改期限2026年10月8日；",
        "（2）乙镇通报批评（2026年9月30日至10月1日连续2天未报送），整改期限2026年10月4日。",
        "截至2026年10月1日，逾期未销号的督办事项2项：",
        "（1）丙乡约谈（排查不实），整改期限2026年9月29日；",
        "（2）甲镇挂牌督办（台账不全），整改期限2026年9月30日。",
    ]
    assert bulletin_paragraphs(load_issue(listed, date(2026, 10, 1)))[-6:] == supervision_paragraphs(issue)


def test_a_months_bulletin_lists_the_measures_of_its_days_and_a_day_without_any_says_so(listed):
    month = publish_bulletin(listed, parse_period("2026-09"), by=ADMIN)
    assert [(m["town"], m["measure"], m["reason"]) for m in month.new_measures] == [
        ("甲镇", "挂牌督办", "台账不全"),
        ("丙乡", "约谈", "排查不实"),
        ("丙乡", "约谈", "2026年9月28日至9月29日连续2天红色"),
    ]  # the withdrawn item in neither list
    assert [m["deadline"] for m in month.overdue_items] == ["2026-09-29", "2026-09-30"]
    assert supervision_paragraphs(month)[:2] == [
        "本月新增督办措施3项：",
        "（1）甲镇挂牌督办（台账不全），整改期限2026年9月30日；",
    ]
    day = publish_bulletin(listed, date(2026, 9, 30), by=ADMIN)
    assert supervision_paragraphs(day) == [
        "当日没有新增督办措施。",
        "截至2026年9月30日，逾期未销号的督办事项2项：",
        "（1）丙乡约谈（排查不实），整改期限2026年9月29日；",
        "（2）甲镇挂牌督办（台账不全），整改期限2026年9月30日。",
    ]


def test_an_item_due_after_the_day_is_not_overdue_and_an_issue_from_before_the_lists_shows_none(city):
    add_item(
        city,
        "T1",
        measure="约谈",
        reason="x",
        deadline=date(2026, 10, 1),
        by=ADMIN,
        occurred_on=SEP_28,
        announce=queue_new_items,
    )
    assert publish_bulletin(city, date(2026, 9, 30), by=ADMIN).overdue_items == ()
    old = replace(load_issue(city, date(2026, 9, 30)), new_measures=None, overdue_items=None)
    assert issue_from_json(issue_to_json(old)).new_measures is None
    assert not [p for p in bulletin_paragraphs(old) if "督办" in p]
    assert load_workbook(io.BytesIO(export_issue(old, "xlsx"))).sheetnames == ["排名"]


def test_the_bulletins_spreadsheet_has_a_sheet_of_the_items_it_lists(listed):
    issue = publish_bulletin(listed, date(2026, 10, 1), by=ADMIN)
    sheet = load_workbook(io.BytesIO(export_issue(issue, "xlsx")))["督办事项"]
    rows = [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert rows[0] == ("类别", "编号", "镇街", "督办措施", "督办事由", "触发日期", "整改期限")
    assert [(r[0], r[2], r[3], r[6]) for r in rows[1:]] == [
        ("当日新增", "乙镇", "约谈", "2026-10-08"),
        ("当日新增", "乙镇", "通报批评", "2026-10-04"),
        ("截至2026-10-01逾期未销号", "丙乡", "约谈", "2026-09-29"),
        ("截至2026-10-01逾期未销号", "甲镇", "挂牌督办", "2026-09-30"),
    ]


def test_a_fault_in_the_consequence_rules_does_not_stop_the_days_issue(listed):
    rules = listed.root / "rules.toml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace('measure = "约谈"', 'measure = "罚款"'), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="measure 应为"):
        check(listed, announce=queue_new_items)
    issue = publish_bulletin(listed, date(2026, 10, 1), by=ADMIN)  # listing the items stored
    assert [m["measure"] for m in issue.new_measures] == ["约谈", "通报批评"]
