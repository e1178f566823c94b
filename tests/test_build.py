"""The build: incremental days give the same warehouse as a full build; peer groups at scale."""

from __future__ import annotations

import errno
import shutil
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import DEMO_FIRST

from sanse.cli.main import main
from sanse.deployment.demo import demo_reports, demo_settings, demo_towns
from sanse.deployment.home import Home
from sanse.deployment.rules_file import read_settings, write_settings
from sanse.deployment.settings import Rules, Settings
from sanse.deployment.towns import read_towns, write_towns
from sanse.pipelines.build.days import continue_movement
from sanse.pipelines.build.warehouse import build, build_if_behind
from sanse.ranking.warehouse import Manifest, Warehouse
from sanse.store import close_all
from sanse.store.reports import append_submission

TABLES = ("towns", "calendar", "daily_counts", "window_sums", "rankings")
DAYS = 12
LAST = DEMO_FIRST + timedelta(days=DAYS - 1)


def city(root: Path, towns: int = 23) -> Home:
    home = Home(root).ensure()
    write_towns(demo_towns(towns), home.towns_csv)
    write_settings(demo_settings(DEMO_FIRST), home.rules_toml)
    return home


def submit(home: Home, reports: pd.DataFrame, by: str = "tester") -> None:
    codes = {t.name: t.code for t in read_towns(home.towns_csv)}
    rows = reports.assign(town_code=reports["town"].map(codes), row_number=range(2, len(reports) + 2))
    append_submission(home.store, rows, by=by, source_name="reports.csv", source_sha256="0" * 64)


def tables(home: Home) -> dict[str, pd.DataFrame]:
    warehouse = Warehouse.open(home)
    try:
        out = {}
        for name in TABLES:
            frame = warehouse.con.execute(f"select * from {name}").df()
            keys = [c for c in ("window", "date", "group", "town_code", "code") if c in frame.columns]
            out[name] = frame.sort_values(keys).reset_index(drop=True)
        return out
    finally:
        warehouse.close()


def stored_dates(home: Home, table: str) -> list[date]:
    """The dates of a warehouse table in the order its segments hold them."""
    warehouse = Warehouse.open(home)
    try:
        return [r[0] for r in warehouse.con.execute(f"select date from {table}").fetchall()]
    finally:
        warehouse.close()


def full_build_of(home: Home, root: Path) -> dict[str, pd.DataFrame]:
    """A from-scratch build of the same store, towns and rules in a copy of `home`."""
    close_all()
    copy = Home(root)
    shutil.copytree(home.root, copy.root, ignore=shutil.ignore_patterns("warehouse"))
    result = build(copy)
    assert not result.incremental
    return tables(copy)


def assert_same_tables(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)


@pytest.fixture
def reports() -> pd.DataFrame:
    return demo_reports(demo_towns(), days=DAYS, start=DEMO_FIRST)


def before(reports: pd.DataFrame, day: date) -> pd.DataFrame:
    return reports[reports["date"] < day]


# ---------------------------------------------------------------- incremental build


def test_one_more_day_extends_the_last_build_and_equals_a_full_build(tmp_path, reports):
    home = city(tmp_path / "home")
    submit(home, before(reports, LAST))
    assert not build(home).incremental
    submit(home, reports[reports["date"] == LAST])
    result = build(home)
    assert result.incremental and result.days == DAYS
    extended = tables(home)
    assert_same_tables(extended, full_build_of(home, tmp_path / "full"))
    # the carried-over movement was exercised: streaks that run on across the old last day
    last = extended["rankings"][extended["rankings"]["date"] == pd.Timestamp(LAST)]
    assert (last["tier_streak"] > 1).any() and last["rank_change"].notna().all()


@pytest.mark.parametrize("window", ["rolling_7d", "daily"])
def test_one_more_day_under_a_short_window_equals_a_full_build(tmp_path, reports, window):
    home = city(tmp_path / "home")
    settings = read_settings(home.rules_toml)
    write_settings(Settings(settings.campaign, (Rules(window=window),)), home.rules_toml)
    submit(home, before(reports, LAST))
    build(home)
    submit(home, reports[reports["date"] == LAST])
    assert build(home).incremental  # the 7-day window reads the six days before from the last build
    assert_same_tables(tables(home), full_build_of(home, tmp_path / "full"))


def test_a_gap_of_a_day_without_reports_is_filled_incrementally(tmp_path, reports):
    home = city(tmp_path / "home")
    submit(home, before(reports, LAST - timedelta(days=1)))
    build(home)
    submit(home, reports[reports["date"] == LAST])  # nobody reported the day before
    assert build(home).incremental
    extended = tables(home)
    gap = extended["daily_counts"][extended["daily_counts"]["date"] == pd.Timestamp(LAST - timedelta(days=1))]
    assert gap["not_reported"].all() and len(gap) == 23
    rankings = extended["rankings"]
    assert pd.Timestamp(LAST - timedelta(days=1)) not in set(rankings["date"])  # a day nobody reported: no ranking
    assert rankings.loc[rankings["date"] == pd.Timestamp(LAST), "rank_change"].isna().all()  # nor movement across it
    assert_same_tables(extended, full_build_of(home, tmp_path / "full"))


@pytest.mark.parametrize("days_back", [DAYS - 1, 3, 0])
def test_a_correction_of_an_earlier_day_recomputes_from_that_day_and_equals_a_full_build(tmp_path, reports, days_back):
    home = city(tmp_path / "home")
    submit(home, reports)
    build(home)
    day = LAST - timedelta(days=days_back)
    corrected = reports[reports["date"] == day].head(2).assign(major_hazards=0, inspections=1)
    submit(home, corrected, by="改正者")
    result = build(home)
    assert result.incremental and result.first_rebuilt == day
    assert_same_tables(tables(home), full_build_of(home, tmp_path / "full"))


def test_a_correction_keeps_the_segments_before_its_day(tmp_path):
    home = city(tmp_path / "home")
    reports = demo_reports(demo_towns(), days=45, start=DEMO_FIRST)  # September, then 15 days of October
    submit(home, reports)
    build(home)
    before = Manifest.read(home.warehouse).segments
    assert sorted(before)[:2] == ["2026-09", "2026-10-01"] and len(before) == 1 + 15
    day = DEMO_FIRST + timedelta(days=40)  # 2026-10-11
    submit(home, reports[reports["date"] == day].head(1).assign(cases=0), by="改正者")
    assert build(home).first_rebuilt == day
    after = Manifest.read(home.warehouse).segments
    assert [key for key in before if after[key] == before[key]] == sorted(before)[:11]
    assert_same_tables(tables(home), full_build_of(home, tmp_path / "full"))


def test_a_new_day_writes_only_its_own_segments(tmp_path):
    home = city(tmp_path / "home")
    reports = demo_reports(demo_towns(), days=45, start=DEMO_FIRST)
    submit(home, reports[reports["date"] < reports["date"].max()])
    build(home)
    before = Manifest.read(home.warehouse).segments
    submit(home, reports[reports["date"] == reports["date"].max()])
    build(home)
    after = Manifest.read(home.warehouse).segments
    assert {k: v for k, v in after.items() if k in before} == before
    assert sorted(set(after) - set(before)) == [f"{reports['date'].max()}"]


def test_the_days_of_a_month_just_ended_are_joined_into_one_segment(tmp_path):
    home = city(tmp_path / "home")
    reports = demo_reports(demo_towns(), days=31, start=DEMO_FIRST)  # September, then 1 October
    submit(home, reports[reports["date"] < date(2026, 10, 1)])
    build(home)
    assert len(Manifest.read(home.warehouse).segments) == 30
    submit(home, reports[reports["date"] == date(2026, 10, 1)])
    build(home)
    assert sorted(Manifest.read(home.warehouse).segments) == ["2026-09", "2026-10-01"]
    assert_same_tables(tables(home), full_build_of(home, tmp_path / "full"))


def test_a_new_month_carries_the_cumulative_sums_across_its_first_day(tmp_path):
    home = city(tmp_path / "home")
    reports = demo_reports(demo_towns(), days=40, start=DEMO_FIRST)
    month_end = DEMO_FIRST + timedelta(days=29)
    submit(home, reports[reports["date"] <= month_end])
    build(home)
    for day in (month_end + timedelta(days=1), month_end + timedelta(days=2)):
        submit(home, reports[reports["date"] == day])
        assert build(home).first_rebuilt == day
    assert_same_tables(tables(home), full_build_of(home, tmp_path / "full"))


def test_a_change_of_rules_rebuilds_everything(tmp_path, reports):
    home = city(tmp_path / "home")
    submit(home, before(reports, LAST))
    build(home)
    settings = read_settings(home.rules_toml)
    write_settings(settings.with_version(Rules(effective=LAST, window="rolling_7d")), home.rules_toml)
    submit(home, reports[reports["date"] == LAST])
    assert not build(home).incremental
    ranked = Warehouse.open(home).ranking(LAST)
    assert set(ranked["window"]) == {"rolling_7d"}


def test_window_sums_are_those_of_the_rules_in_force_each_day(tmp_path, reports):
    home = city(tmp_path / "home")
    submit(home, reports)
    build(home)
    assert set(tables(home)["window_sums"]["window"]) == {"cumulative"}
    settings = read_settings(home.rules_toml)
    write_settings(settings.with_version(Rules(effective=LAST, window="rolling_7d")), home.rules_toml)
    build(home)
    sums = tables(home)["window_sums"]
    assert len(sums) == DAYS * 23
    assert set(sums[sums["date"] < pd.Timestamp(LAST)]["window"]) == {"cumulative"}
    assert set(sums[sums["date"] == pd.Timestamp(LAST)]["window"]) == {"rolling_7d"}


def test_building_again_without_new_data_leaves_the_warehouse_alone(tmp_path, reports):
    home = city(tmp_path / "home")
    submit(home, reports)
    build(home)
    current = home.warehouse.read_text()
    assert build(home).days == DAYS
    assert home.warehouse.read_text() == current


def test_a_change_of_bulletin_settings_only_leaves_the_warehouse_alone(tmp_path, reports):
    home = city(tmp_path / "home")
    submit(home, reports)
    build(home)
    current = home.warehouse.read_text()
    settings = read_settings(home.rules_toml)
    write_settings(
        replace(settings, campaign=replace(settings.campaign, first_issue=40, title="安全生产动态")), home.rules_toml
    )
    build(home)
    assert home.warehouse.read_text() == current


def test_a_streak_runs_on_from_the_day_already_built():
    rules = Settings(demo_settings(DEMO_FIRST).campaign, (Rules(red_alert_streak=3),))
    day = date(2026, 9, 10)
    previous = pd.DataFrame(
        {
            "date": [pd.Timestamp(day)] * 3,
            "group": [""] * 3,
            "code": ["A", "B", "C"],
            "rank": [3, 1, 2],
            "tier": ["red", "blue", "yellow"],
            "tier_streak": [2, 7, 1],
        }
    )
    new = pd.DataFrame(
        {
            "date": [pd.Timestamp(day + timedelta(days=1))] * 3,
            "group": [""] * 3,
            "code": ["A", "B", "C"],
            "rank": [3, 2, 1],
            "tier": ["red", "yellow", "blue"],
        }
    )
    moved = continue_movement(new, previous, day, rules).set_index("code")
    assert moved.loc["A", "tier_streak"] == 3 and moved.loc["A", "red_alert"]  # third red day: 约谈
    assert moved.loc["B", "tier_streak"] == 1 and moved.loc["B", "rank_change"] == -1
    assert moved.loc["C", "tier_streak"] == 1 and moved.loc["C", "rank_change"] == 1


# ---------------------------------------------------------------- peer groups at scale


def test_three_hundred_towns_are_ranked_within_their_own_peer_group(tmp_path):
    home = city(tmp_path / "home", towns=300)
    towns = demo_towns(300)
    submit(home, demo_reports(towns, days=3, start=DEMO_FIRST))
    build(home)
    warehouse = Warehouse.open(home)
    day = warehouse.dates()[-1]
    ranking = warehouse.ranking(day)
    assert len(ranking) == 300 and ranking["group"].nunique() == 20
    for group, block in ranking.groupby("group"):
        assert len(block) == 15 and set(block["group_size"]) == {15}
        assert block["rank"].min() == 1 and block["rank"].max() <= 15
        tiers = Counter(block["tier"])
        assert tiers["blue"] >= 5 and tiers["red"] <= 5, group
    one = warehouse.ranking(day, "示例县007")
    assert set(one["group"]) == {"示例县007"} and list(one["rank"]) == sorted(one["rank"])


def test_rankings_are_stored_in_date_order_for_fast_day_lookups(tmp_path, reports):
    home = city(tmp_path / "home")
    submit(home, before(reports, LAST))
    build(home)
    submit(home, reports[reports["date"] == LAST])
    build(home)
    stored = stored_dates(home, "rankings")
    assert stored == sorted(stored)


def test_a_rules_change_midway_still_stores_every_table_in_date_order(tmp_path, reports):
    home = city(tmp_path / "home")
    settings = read_settings(home.rules_toml)
    write_settings(settings.with_version(Rules(effective=LAST - timedelta(days=3), window="daily")), home.rules_toml)
    submit(home, reports)
    build(home)
    for table in ("daily_counts", "window_sums", "rankings"):
        stored = stored_dates(home, table)
        assert stored == sorted(stored), table
    assert set(Warehouse.open(home).ranking(LAST)["window"]) == {"daily"}


def test_one_more_day_for_towns_in_peer_groups_equals_a_full_build(tmp_path):
    home = city(tmp_path / "home", towns=45)  # three peer groups, codes not in group order
    reports = demo_reports(demo_towns(45), days=4, start=DEMO_FIRST)
    last = reports["date"].max()
    submit(home, reports[reports["date"] < last])
    build(home)
    submit(home, reports[reports["date"] == last])
    assert build(home).incremental
    assert_same_tables(tables(home), full_build_of(home, tmp_path / "full"))


# ---------------------------------------------------------------- faults


def test_a_damaged_segment_is_named_and_the_warehouse_rebuilt_from_the_store(tmp_path, reports, capsys):
    home = city(tmp_path / "home")
    submit(home, before(reports, LAST))
    build(home)
    segments = Manifest.read(home.warehouse).segments
    damaged = home.warehouse.parent / segments[f"{LAST - timedelta(days=1)}"]["daily_counts"]
    damaged.write_bytes(damaged.read_bytes()[:100])
    submit(home, reports[reports["date"] == LAST])
    assert main(["--home", str(home.root), "build"]) == 0
    assert damaged.name in capsys.readouterr().err
    assert build_if_behind(home) is None  # the repaired build knows what it was built from
    assert_same_tables(tables(home), full_build_of(home, tmp_path / "full"))


def test_a_full_disk_while_writing_a_segment_leaves_the_last_build_and_no_files_behind(tmp_path, reports, monkeypatch):
    home = city(tmp_path / "home")
    submit(home, before(reports, LAST))
    build(home)
    manifest = home.warehouse.read_text()
    segments = sorted((home.warehouse.parent / "segments").iterdir())
    submit(home, reports[reports["date"] == LAST])

    def full_disk(table, where, *args, **kwargs):
        Path(where).write_bytes(b"PAR1" + b"\0" * 10)  # as far as it got
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("sanse.pipelines.build.segments.pq.write_table", full_disk)
    with pytest.raises(OSError, match="No space left"):
        build(home)
    assert home.warehouse.read_text() == manifest
    assert sorted((home.warehouse.parent / "segments").iterdir()) == segments
    monkeypatch.undo()
    assert build(home).first_rebuilt == LAST
