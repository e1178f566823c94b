"""Beijing's date everywhere, from one clock (sanse.facts.clock): at 23:30 UTC on 5 December it is 07:30
on the 6th in Beijing, and the towns' today is the 6th on a server whose clock is UTC."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import pytest

from sanse.cli.main import main
from sanse.deployment.demo import demo_reports, demo_towns
from sanse.deployment.home import Home
from sanse.deployment.rules_file import read_settings, write_settings
from sanse.deployment.settings import Campaign, Rules, Settings
from sanse.deployment.towns import Town, write_towns
from sanse.facts import clock
from sanse.pipelines.records.ingest import ingest_records
from sanse.pipelines.reports.read import HEADERS, parse_report
from sanse.publishing.issue import list_issues
from sanse.ranking.warehouse import Warehouse
from sanse.store.reports import current_reports, history
from sanse.store.sent import sent_on
from sanse.supervision.ledger import list_items

UTC_EVENING = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)  # 07:30 on 6 December in Beijing
TOWNS = [Town("A", "甲镇", "镇"), Town("B", "乙镇", "镇")]


@pytest.fixture
def beijing_morning(time_machine):
    time_machine.move_to(UTC_EVENING, tick=False)


def test_the_towns_today_is_beijings(beijing_morning):
    assert (clock.today(), f"{clock.now():%H:%M}") == (date(2026, 12, 6), "07:30")
    assert clock.now_utc() == clock.now() == UTC_EVENING  # one moment, shown in two zones


def test_records_dated_today_are_not_the_future_at_0730_beijing(beijing_morning, tmp_path):
    home = Home(tmp_path / "home").ensure()
    write_towns(TOWNS, home.towns_csv)
    write_settings(Settings(Campaign(start=date(2026, 12, 1)), (Rules(),)), home.rules_toml)
    folder = tmp_path / "records"
    folder.mkdir()
    tables = {
        "inspections": (["inspection_id", "town", "date", "unit_id"], [(1, "甲镇", "2026-12-06", "u1")]),
        "hazards": (["hazard_id", "town", "found_date", "level", "rectified_date", "unit_id"], []),
        "enforcement": (["action_id", "town", "date", "kind", "persons", "amount_wan"], []),
    }
    for name, (header, rows) in tables.items():
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *rows])
    result = ingest_records(home, folder, by="tester")
    assert result.ok, [str(e) for e in result.errors]
    with home.store.reading() as conn:
        assert [sent.town_code for sent in sent_on(conn, date(2026, 12, 6), ["A", "B"])] == ["A"]

    with open(folder / "inspections.csv", "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow((2, "乙镇", "2026-12-07", "u2"))
    tomorrow = ingest_records(home, folder, by="tester")
    assert not tomorrow.ok and "2026-12-07" in str(tomorrow.errors[0])


def test_a_report_dated_today_is_not_the_future_at_0730_beijing(beijing_morning):
    lines = [",".join(HEADERS.values()), "2026-12-06,甲镇,1,0,0,0,0,0,0,0", "2026-12-07,乙镇,1,0,0,0,0,0,0,0"]
    report = parse_report("\n".join(lines).encode(), "x.csv", TOWNS)
    assert [(p.row, p.column) for p in report.errors] == [(3, "日期")]


# ---------------------------------------------------------------- the demo's days


def test_the_demo_ends_yesterday_so_today_is_still_to_report(beijing_morning, tmp_path):
    home = Home(tmp_path / "home")
    assert main(["--home", str(home.root), "init", "--demo", "--publish-days", "2"]) == 0
    assert read_settings(home.rules_toml).campaign.start == date(2026, 10, 7)
    warehouse = Warehouse.open(home)
    try:
        assert (warehouse.dates()[0], warehouse.dates()[-1]) == (date(2026, 10, 7), date(2026, 12, 5))
    finally:
        warehouse.close()
    assert max(current_reports(home.store)["date"]) == date(2026, 12, 5)  # nothing yet for today
    assert sorted(str(i.day) for i in list_issues(home)) == ["2026-12-04", "2026-12-05"]
    assert any(item.deadline > date(2026, 12, 6) for item in list_items(home, status=("open",)))


def test_the_demo_loaded_again_a_day_later_adds_that_day_and_corrects_none():
    towns = demo_towns()
    today = demo_reports(towns, end=date(2026, 12, 5))
    tomorrow = demo_reports(towns, end=date(2026, 12, 6))
    kept = tomorrow[tomorrow["date"] <= date(2026, 12, 5)].reset_index(drop=True)
    assert kept.equals(today[today["date"] >= date(2026, 10, 8)].reset_index(drop=True))
    assert set(tomorrow["date"]) - set(today["date"]) == {date(2026, 12, 6)}


def test_the_demo_is_the_same_for_its_seed_whatever_the_machine_date(time_machine):
    pinned = demo_reports(demo_towns(), end=date(2026, 10, 30))
    time_machine.move_to(datetime(2030, 1, 1, tzinfo=UTC))
    assert demo_reports(demo_towns(), end=date(2026, 10, 30)).equals(pinned)
    assert (pinned["date"].min(), pinned["date"].max(), len(pinned)) == (date(2026, 9, 1), date(2026, 10, 30), 1364)


def test_the_demo_loaded_again_the_next_morning_adds_and_publishes_that_day(beijing_morning, tmp_path, time_machine):
    home = Home(tmp_path / "home")
    assert main(["--home", str(home.root), "init", "--demo", "--publish-days", "1"]) == 0
    time_machine.move_to(datetime(2026, 12, 6, 23, 30, tzinfo=UTC), tick=False)  # 07:30 on the 7th
    assert main(["--home", str(home.root), "init", "--demo", "--publish-days", "1"]) == 0
    assert [(i.number, str(i.day)) for i in sorted(list_issues(home), key=lambda i: i.number)] == [
        (1, "2026-12-05"),
        (2, "2026-12-06"),
    ]
    kept = history(home.store)
    assert len(kept) == len(current_reports(home.store))  # one version each: nothing corrected
    assert (min(kept["date"]), max(kept["date"])) == (date(2026, 10, 7), date(2026, 12, 6))
