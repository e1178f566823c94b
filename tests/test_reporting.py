"""报送情况 on a real store: who reported a day, when (Beijing time) and by whom, who is late
against the `[reporting]` deadline, who is missing, what a town account sees, the 催报 message."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pandas as pd
import pytest
from conftest import count_by_records, fixture_city

from sanse.access.roles import User
from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.deployment.rules_file import settings_from_text
from sanse.deployment.towns import read_towns
from sanse.facts.clock import BEIJING
from sanse.facts.report import COUNT_COLUMNS
from sanse.reporting.status import (
    DEFAULT_DEADLINE,
    ReportingCount,
    ReportingSettings,
    day_reporting,
    reminder,
    reporting_count,
    reporting_settings,
)
from sanse.store import open_store
from sanse.store.database import Store
from sanse.store.reports import append_submission

FIXTURES = Path(__file__).parent / "fixtures"
TOWNS = read_towns(FIXTURES / "towns.csv")  # A01 东湖街道, A02 西山镇, A03 南岭乡; A04 旧城镇 inactive
DAY = date(2023, 6, 5)
FIVE_PM = ReportingSettings(time(17, 0))


def beijing(hour: int, minute: int, day: int = 5) -> datetime:
    return datetime(2023, 6, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return fixture_city(tmp_path)


def send(
    home: Home | Store, code: str, at: datetime, *, by: str = "clerk", inspections: int = 10, day: date = DAY
) -> None:
    row = pd.DataFrame([{"row_number": 2, "date": day, "town_code": code, **{c: 0 for c in COUNT_COLUMNS}}])
    row["inspections"], row["fines_wan"] = inspections, 0.0
    store = home.store if isinstance(home, Home) else home
    append_submission(store, row, by=by, source_name="日报.csv", source_sha256="0" * 64, at=at)


def statuses(reporting) -> dict[str, str]:
    return {t.code: t.status for t in reporting.towns}


# ---------------------------------------------------------------- the deadline in rules.toml


def settings(text: str):
    return reporting_settings(settings_from_text(text))


def test_without_a_reporting_table_the_deadline_is_five_pm_the_same_day():
    rules = settings('[campaign]\ntitle = "x"\n')
    assert rules == ReportingSettings(DEFAULT_DEADLINE, 0) and DEFAULT_DEADLINE == time(17, 0)
    assert rules.due(DAY) == beijing(17, 0)


@pytest.mark.parametrize(
    "written, expected",
    [
        ('"17:30"', time(17, 30)),
        ('"8:05"', time(8, 5)),
        ('"09：00"', time(9, 0)),
        ("18:00:00", time(18, 0)),
    ],
)
def test_deadline_as_text_or_toml_time(written, expected):
    assert settings(f"[reporting]\ndeadline = {written}\n").deadline == expected


def test_days_after_puts_the_deadline_on_a_later_day():
    rules = settings('[reporting]\ndeadline = "09:00"\ndays_after = 1\n')
    assert rules.due(DAY) == beijing(9, 0, day=6)


@pytest.mark.parametrize(
    "written, words",
    [
        ('deadline = "25:00"', "deadline 应为北京时间的时和分"),
        ('deadline = "五点"', "deadline 应为北京时间的时和分"),
        ("deadline = 17", "deadline 应为北京时间的时和分"),
        ("deadline = 17:00:30", "deadline 应为北京时间的时和分"),
        ("days_after = -1", "days_after 应为 0 到 7 的整数"),
        ("days_after = true", "days_after 应为 0 到 7 的整数"),
        ('deadlin = "17:00"', "不认识的设置 deadlin"),
    ],
)
def test_a_deadline_that_cannot_be_used_is_a_chinese_config_error(written, words):
    with pytest.raises(ConfigError, match=words):
        settings(f"[reporting]\n{written}\n")


def test_the_reporting_table_survives_a_rules_change_written_back():
    from sanse.deployment.rules_file import settings_to_toml

    text = settings_to_toml(settings_from_text('[reporting]\ndeadline = "16:00"\n'))
    assert settings(text).deadline == time(16, 0)


# ---------------------------------------------------------------- who reported, who is late


def test_reported_on_time_late_and_missing_before_and_after_the_deadline(home):
    send(home, "A01", beijing(16, 30), by="donghu")
    send(home, "A02", beijing(17, 1), by="xishan")
    before = day_reporting(home.store, TOWNS, DAY, rules=FIVE_PM, now=beijing(16, 45))
    assert statuses(before) == {"A01": "on_time", "A02": "late", "A03": "pending"}
    after = day_reporting(home.store, TOWNS, DAY, rules=FIVE_PM, now=beijing(17, 30))
    assert statuses(after) == {"A01": "on_time", "A02": "late", "A03": "overdue"}
    assert after.count == ReportingCount(reported=2, total=3, late=1, overdue=1)
    assert [t.code for t in after.missing] == ["A03"]
    assert [t.code for t in after.by_status()] == ["A03", "A02", "A01"]


def test_the_board_reads_the_same_on_sqlite_and_postgresql(store_url):
    store = open_store(store_url)
    send(store, "A01", datetime(2023, 6, 5, 8, 59, tzinfo=UTC), by="donghu")  # 16:59 in Beijing
    send(store, "A02", beijing(17, 1), by="xishan")
    reporting = day_reporting(store, TOWNS, DAY, rules=FIVE_PM, now=beijing(17, 30))
    assert [(t.code, t.status, t.first_at, t.first_by) for t in reporting.towns] == [
        ("A01", "on_time", beijing(16, 59), "donghu"),
        ("A02", "late", beijing(17, 1), "xishan"),
        ("A03", "overdue", None, ""),
    ]


def test_a_town_counted_by_a_batch_of_records_has_reported_and_is_not_reminded(store_url):
    # 东湖 sends its file at 16:30, a batch of records counts 西山 at 16:45, 南岭 sends nothing
    store = open_store(store_url)
    send(store, "A01", beijing(16, 30), by="donghu")
    count_by_records(store, DAY, ["A02"], at=beijing(16, 45), by="importer")
    reporting = day_reporting(store, TOWNS, DAY, rules=FIVE_PM, now=beijing(17, 30))
    assert [(t.code, t.status, t.first_at, t.first_by, t.first_source, t.first_batch) for t in reporting.towns] == [
        ("A01", "on_time", beijing(16, 30), "donghu", "report", None),
        ("A02", "on_time", beijing(16, 45), "importer", "records", 1),
        ("A03", "overdue", None, "", "report", None),
    ]
    assert reporting.count == ReportingCount(reported=2, total=3, late=0, overdue=1)
    assert [t.name for t in reporting.missing] == ["南岭乡"]
    assert "以下1个镇街尚未报送" in reminder(reporting) and "西山镇" not in reminder(reporting)


def test_a_batch_of_records_after_the_deadline_is_late_and_a_later_one_a_correction(home):
    count_by_records(home.store, DAY, ["A01", "A02"], at=beijing(17, 10))
    count_by_records(home.store, DAY, ["A02"], at=beijing(18, 0))
    send(home, "A01", beijing(19, 0), by="donghu")
    towns = {t.code: t for t in day_reporting(home.store, TOWNS, DAY, rules=FIVE_PM, now=beijing(20, 0)).towns}
    assert (towns["A01"].status, towns["A01"].first_source, towns["A01"].last_at, towns["A01"].last_by) == (
        "late",
        "records",
        beijing(19, 0),
        "donghu",
    )
    assert (towns["A02"].first_batch, towns["A02"].last_at, towns["A02"].versions) == (1, beijing(18, 0), 2)
    assert towns["A03"].status == "overdue"


def test_times_are_beijing_time_and_name_who_sent_the_first_version(home):
    send(home, "A01", datetime(2023, 6, 5, 8, 59, tzinfo=UTC), by="donghu")  # 16:59 in Beijing
    send(home, "A02", datetime(2023, 6, 5, 9, 0, tzinfo=UTC), by="xishan")  # 17:00: not after it
    reporting = day_reporting(home.store, TOWNS, DAY, rules=FIVE_PM, now=beijing(18, 0))
    first = reporting.towns[0]
    assert (first.first_at, first.first_by) == (beijing(16, 59), "donghu")
    assert first.first_at.utcoffset().total_seconds() == 8 * 3600
    assert statuses(reporting)["A02"] == "on_time"


def test_a_correction_after_the_deadline_keeps_an_on_time_report_on_time(home):
    send(home, "A01", beijing(10, 0), by="donghu", inspections=10)
    send(home, "A01", beijing(19, 15), by="office", inspections=12)
    send(home, "A01", beijing(20, 0), by="office", inspections=12)  # the same figures: no new version
    [town] = [
        t for t in day_reporting(home.store, TOWNS, DAY, rules=FIVE_PM, now=beijing(21, 0)).towns if t.code == "A01"
    ]
    assert (town.status, town.first_at, town.first_by) == ("on_time", beijing(10, 0), "donghu")
    assert (town.last_at, town.last_by, town.versions) == (beijing(19, 15), "office", 2)


def test_another_day_and_an_inactive_town_do_not_count(home):
    send(home, "A01", beijing(9, 0, day=4), day=date(2023, 6, 4))
    send(home, "A04", beijing(9, 0))
    reporting = day_reporting(home.store, TOWNS, DAY, rules=FIVE_PM, now=beijing(12, 0))
    assert [t.code for t in reporting.towns] == ["A01", "A02", "A03"]
    assert reporting.count == ReportingCount(0, 3, 0, 0)


def test_a_report_sent_the_next_morning_is_on_time_only_when_the_deadline_is_the_next_day(home):
    send(home, "A01", beijing(8, 30, day=6))
    same_day = day_reporting(home.store, TOWNS, DAY, rules=FIVE_PM, now=beijing(12, 0, day=6))
    next_morning = day_reporting(
        home.store, TOWNS, DAY, rules=ReportingSettings(time(9, 0), 1), now=beijing(12, 0, day=6)
    )
    assert statuses(same_day)["A01"] == "late"
    assert statuses(next_morning)["A01"] == "on_time"


def test_a_town_account_sees_only_its_own_town(home):
    send(home, "A01", beijing(9, 0))
    mine = day_reporting(home.store, TOWNS, DAY, rules=FIVE_PM, now=beijing(18, 0), user=User("xishan", "town", "A02"))
    assert statuses(mine) == {"A02": "overdue"}
    office = day_reporting(home.store, TOWNS, DAY, rules=FIVE_PM, now=beijing(18, 0), user=User("office", "admin"))
    assert len(office.towns) == 3


def test_the_count_for_the_overview_reads_the_deadline_in_rules_toml(home):
    with home.rules_toml.open("a", encoding="utf-8") as rules:
        rules.write('\n[reporting]\ndeadline = "12:00"\n')
    send(home, "A01", beijing(11, 0))
    send(home, "A02", beijing(13, 0))
    assert reporting_count(home, DAY, now=beijing(13, 30)) == ReportingCount(reported=2, total=3, late=1, overdue=1)


# ---------------------------------------------------------------- 催报


def test_reminder_names_the_missing_towns_and_the_deadline(home):
    send(home, "A01", beijing(9, 0))
    before = day_reporting(home.store, TOWNS, DAY, rules=FIVE_PM, now=beijing(15, 20))
    text = reminder(before, office="示范市安委办")
    assert text.startswith(
        "【催报】截至6月5日15:20，以下2个镇街尚未报送6月5日的安全生产隐患排查整治日报：西山镇、南岭乡。"
    )
    assert "请于17:00前报送" in text and text.endswith("——示范市安委办")
    assert "东湖街道" not in text
    after = day_reporting(home.store, TOWNS, DAY, rules=FIVE_PM, now=beijing(9, 5, day=6))
    assert "报送截止时间（6月5日17:00）已过，请立即报送" in reminder(after)


def test_no_reminder_when_every_town_has_reported(home):
    for code in ("A01", "A02", "A03"):
        send(home, code, beijing(9, 0))
    assert reminder(day_reporting(home.store, TOWNS, DAY, rules=FIVE_PM, now=beijing(18, 0))) == ""
