"""Record-level data (design §3.2): the demo generator, validation, and aggregation to daily counts."""

from __future__ import annotations

import csv
import hashlib
import multiprocessing
import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import stored

import sanse.pipelines.records.ingest
import sanse.pipelines.records.objects
from sanse.access.audit import read_audit
from sanse.access.roles import User
from sanse.cli.main import main
from sanse.deployment.demo import demo_towns
from sanse.deployment.home import Home
from sanse.deployment.rules_file import write_settings
from sanse.deployment.settings import Campaign, Rules, Settings
from sanse.deployment.towns import Town, write_towns
from sanse.facts import clock
from sanse.pipelines.build.warehouse import build, build_if_behind
from sanse.pipelines.records.checks import LISTED_PER_RULE
from sanse.pipelines.records.counts import current_figures
from sanse.pipelines.records.ingest import ingest_records, write_demo_records
from sanse.pipelines.records.objects import Received, catch_up
from sanse.pipelines.records.tables import RECORD_TABLES, TABLES
from sanse.pipelines.reports.form import check_form, submit_form
from sanse.ranking.warehouse import Warehouse
from sanse.reporting.status import ReportingSettings, day_reporting, reminder
from sanse.store import DATABASE_URL_ENV, StoreError, close_all, schema
from sanse.store import records as store_records
from sanse.store.records import batches, kept_objects, read_object, restore_object
from sanse.store.reports import append_submission

START = date(2026, 3, 1)
TODAY = date(2026, 3, 20)
D1, D2, D3 = START, START + timedelta(days=1), START + timedelta(days=2)
TOWNS = [
    Town("A", "甲镇", "镇", "", ("甲",)),
    Town("B", "乙镇", "镇"),
    Town("C", "丙镇", "镇", active=False),
]
COUNTS = ["inspections", "hazards", "major_hazards", "rectified", "halted", "cases", "detentions", "fines_wan"]


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home").ensure()
    write_towns(TOWNS, home.towns_csv)
    write_settings(Settings(Campaign(start=START), (Rules(),)), home.rules_toml)
    return home


def write_csv(folder: Path, table: str, header: list[str], rows: list[tuple]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def records(folder: Path, *, inspections=None, hazards=None, enforcement=None) -> Path:
    """A record folder in CSV; each table defaults to the small hand-checked set below."""
    write_csv(
        folder,
        "inspections",
        ["inspection_id", "town", "date", "unit_id"],
        inspections
        or [
            (1, "甲镇", D1, "u1"),
            (2, "甲", D1, "u2"),
            (3, "A", D1, "u3"),  # three spellings of one town
            (4, "乙镇", D1, "u4"),
            (5, "甲镇", D2, "u1"),
            (6, "甲镇", D2, "u5"),
        ],
    )
    write_csv(
        folder,
        "hazards",
        ["hazard_id", "town", "found_date", "level", "rectified_date", "unit_id"],
        hazards
        or [
            (1, "甲镇", D1, "一般", D1, "u1"),
            (2, "甲镇", D1, "重大", D3, "u2"),  # rectified two days later, on a day without inspections
            (3, "甲镇", D1, "重大", "", "u3"),  # never rectified
            (4, "乙镇", D1, "一般", D2, "u4"),
        ],
    )
    write_csv(
        folder,
        "enforcement",
        ["action_id", "town", "date", "kind", "persons", "amount_wan"],
        enforcement
        or [
            (1, "甲镇", D1, "停产停业", "", ""),
            (2, "甲镇", D1, "立案", "", ""),
            (3, "甲镇", D1, "立案", "", ""),
            (4, "甲镇", D1, "拘留", 2, ""),
            (5, "甲镇", D1, "拘留", 1, ""),
            (6, "甲镇", D1, "罚款", "", 1.5),
            (7, "甲镇", D1, "罚款", "", 0.25),
            (8, "乙镇", D2, "罚款", "", 2),
        ],
    )
    return folder


def figures(home: Home) -> pd.DataFrame:
    """The current figure of every town-day: report versions and the counts of batches."""
    return current_figures(home.store)[0]


def daily(home: Home) -> dict[tuple[str, date], tuple]:
    frame = figures(home)
    return {(r.town_code, r.date): tuple(getattr(r, c) for c in COUNTS) for r in frame.itertuples(index=False)}


def nothing_written(home: Home) -> bool:
    """Nothing stored beyond what making the home stored (the identity it shares with its store)."""
    return not any(rows for table, rows in stored(home).items() if table != "store_identity")


# ---------------------------------------------------------------- aggregation


def test_records_add_up_to_daily_counts_of_the_report_form(home, tmp_path):
    result = ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    assert result.ok, result.errors
    #                  insp haz major rect halt case det fines
    assert daily(home) == {
        ("A", D1): (3, 3, 2, 1, 1, 2, 3, 1.75),  # detentions sum persons, fines sum amounts
        ("A", D2): (2, 0, 0, 0, 0, 0, 0, 0.0),
        ("A", D3): (0, 0, 0, 1, 0, 0, 0, 0.0),  # the major hazard rectified on day 3
        ("B", D1): (1, 1, 0, 0, 0, 0, 0, 0.0),
        ("B", D2): (0, 0, 0, 1, 0, 0, 0, 2.0),
    }


def test_records_import_is_one_submission_stored_as_one_table_of_counts(home, tmp_path):
    result = ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    assert result.submission.written == 5
    rows = stored(home)  # the counts are one table of the batch, not a report version per town-day
    assert (rows["record_counts"], rows["report_versions"], rows["current_reports"], rows["submissions"]) == (
        1,
        0,
        0,
        0,
    )
    assert list(read_audit(home)["action"]) == ["submission"]
    assert "汇总为 5 个镇街日" in result.summary


def test_towns_counted_by_a_batch_have_reported_their_day_and_are_not_reminded(home, tmp_path):
    # 乙 reported D1 by file (5 inspections); the records count it 1 and 甲 3: both have reported
    row = {"row_number": [2], "date": [D1], "town_code": ["B"], **{c: [0] for c in COUNTS}, "inspections": [5]}
    append_submission(home.store, pd.DataFrame(row), by="clerk", source_name="日报.csv", source_sha256="1")
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    assert daily(home)[("B", D1)][0] == 1 and stored(home)["current_reports"] == 0  # the batch's count stands
    reporting = day_reporting(home.store, TOWNS, D1, rules=ReportingSettings(), now=clock.now())
    assert [(t.code, t.status, t.first_by, t.first_source, t.first_batch, t.last_by) for t in reporting.towns] == [
        ("A", "late", "tester", "records", 1, ""),  # D1 was due long before today
        ("B", "late", "clerk", "report", None, "tester"),
    ]
    assert reporting.missing == () and reminder(reporting) == ""
    assert [t.reported for t in day_reporting(home.store, TOWNS, D2, rules=ReportingSettings()).towns] == [True, True]
    assert [t.code for t in day_reporting(home.store, TOWNS, D3, rules=ReportingSettings()).missing] == ["B"]


def test_importing_the_same_records_again_changes_nothing(home, tmp_path):
    folder = records(tmp_path / "rec")
    ingest_records(home, folder, by="tester", today=TODAY)
    before = stored(home)
    again = ingest_records(home, folder, by="tester", today=TODAY)
    assert again.ok and again.submission.submission_id is None and again.batch_seq is None
    assert (again.new.total, again.changed.total, again.town_days) == (0, 0, 0)
    assert "未变 18 条" in again.summary
    assert stored(home) == before  # no batch, no submission, no audit event


def test_a_longer_export_appends_only_the_town_days_that_changed(home, tmp_path):
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    longer = records(
        tmp_path / "longer",
        inspections=[
            (1, "甲镇", D1, "u1"),
            (2, "甲", D1, "u2"),
            (3, "A", D1, "u3"),
            (4, "乙镇", D1, "u4"),
            (5, "甲镇", D2, "u1"),
            (6, "甲镇", D2, "u5"),
            (7, "乙镇", D3, "u4"),  # one more inspection, on day 3
        ],
    )
    result = ingest_records(home, longer, by="tester", today=TODAY)
    assert result.submission.written == 1 and result.submission.corrected == ()
    assert daily(home)[("B", D3)] == (1, 0, 0, 0, 0, 0, 0, 0.0)


def test_records_in_parquet_read_like_csv(home, tmp_path):
    csv_folder = records(tmp_path / "csv")
    parquet_folder = tmp_path / "parquet"
    parquet_folder.mkdir()
    for table in ("inspections", "hazards", "enforcement"):
        pq.write_table(pacsv.read_csv(csv_folder / f"{table}.csv"), parquet_folder / f"{table}.parquet")
    result = ingest_records(home, parquet_folder, by="tester", today=TODAY)
    assert result.ok, result.errors
    assert daily(home)[("A", D1)] == (3, 3, 2, 1, 1, 2, 3, 1.75)


def test_demo_records_aggregate_to_their_row_counts(home, tmp_path):
    towns = demo_towns(30)
    write_towns(towns, home.towns_csv)
    written = write_demo_records(towns, tmp_path / "rec", days=4, seed=7, start=START)
    result = ingest_records(home, tmp_path / "rec", by="tester", today=TODAY)
    assert result.ok, result.errors
    frame = figures(home)
    assert frame["inspections"].sum() == written.inspections
    assert frame["hazards"].sum() == written.hazards
    enforcement = pq.read_table(tmp_path / "rec" / "enforcement.parquet").to_pandas()
    assert frame["halted"].sum() + frame["cases"].sum() == enforcement["kind"].isin(["停产停业", "立案"]).sum()
    assert frame["detentions"].sum() == enforcement.loc[enforcement["kind"] == "拘留", "persons"].sum()
    assert frame["fines_wan"].sum() == pytest.approx(enforcement.loc[enforcement["kind"] == "罚款", "amount_wan"].sum())


def test_each_objects_rows_ids_and_days_are_those_of_its_records(home, tmp_path):
    # read from a Parquet file's footer where it holds them, else from the records
    towns = demo_towns(5)
    write_towns(towns, home.towns_csv)
    write_demo_records(towns, tmp_path / "rec", days=6, seed=9, start=START)
    hazards = pq.read_table(tmp_path / "rec" / "hazards.parquet")
    pq.write_table(hazards, tmp_path / "rec" / "hazards.parquet", compression="zstd", row_group_size=7)
    ingest_records(home, tmp_path / "rec", by="tester", today=TODAY)
    days = {"inspections": ["date"], "hazards": ["found_date", "rectified_date"], "enforcement": ["date"]}
    for kept in batches(home.store)[0].objects:
        path = tmp_path / "rec" / f"{kept.table}.parquet"
        id_column = {"inspections": "inspection_id", "hazards": "hazard_id", "enforcement": "action_id"}[kept.table]
        first = ", ".join(f"min({d})" for d in days[kept.table])
        last = ", ".join(f"max({d})" for d in days[kept.table])
        expected = duckdb.sql(
            f"select count(*), min({id_column}), max({id_column}), least({first}), greatest({last}) from '{path}'"
        ).fetchall()[0]
        assert (kept.rows, kept.id_lo, kept.id_hi, kept.first_day, kept.last_day) == expected


# ---------------------------------------------------------------- the demo generator


def test_demo_records_are_deterministic_and_a_longer_campaign_starts_the_same(tmp_path):
    towns = demo_towns(40)
    write_demo_records(towns, tmp_path / "a", days=3, seed=5, start=START)
    write_demo_records(towns, tmp_path / "b", days=3, seed=5, start=START)
    write_demo_records(towns, tmp_path / "c", days=4, seed=5, start=START)
    a = pq.read_table(tmp_path / "a" / "inspections.parquet")
    assert a.equals(pq.read_table(tmp_path / "b" / "inspections.parquet"))
    c = pq.read_table(tmp_path / "c" / "inspections.parquet")
    assert c.slice(0, a.num_rows).equals(a)


def test_demo_records_look_like_an_inspection_system(tmp_path):
    towns = demo_towns(60)
    counts = write_demo_records(towns, tmp_path / "rec", days=10, seed=3, start=START)
    per_town_day = counts.inspections / (60 * 10)
    assert 25 < per_town_day < 60
    assert 0.35 < counts.hazards / counts.inspections < 0.65
    assert 0.02 < counts.enforcement / counts.inspections < 0.08
    hazards = pq.read_table(tmp_path / "rec" / "hazards.parquet").to_pandas()
    assert set(hazards["level"]) == {"一般", "重大"}
    rectified = hazards["rectified_date"].notna()
    assert 0.5 < rectified.mean() < 0.99  # most, not all
    delay = (hazards.loc[rectified, "rectified_date"] - hazards.loc[rectified, "found_date"]).map(lambda d: d.days)
    assert delay.min() >= 0 and delay.median() <= 3


# ---------------------------------------------------------------- bad input writes nothing


def test_every_kind_of_bad_record_is_listed_and_nothing_is_written(home, tmp_path):
    folder = records(
        tmp_path / "rec",
        inspections=[(1, "甲镇", D1, "u1"), (2, "未知镇", D1, "u2"), (2, "乙镇", TODAY + timedelta(days=1), "u3")],
        hazards=[(1, "甲镇", D1, "特大", "", "u1")],
        enforcement=[(1, "甲镇", D1, "警告", "", ""), (2, "丙镇", D1, "罚款", "", -1)],
    )
    result = ingest_records(home, folder, by="tester", today=TODAY)
    assert not result.ok
    found = {(p.table, p.row, p.column) for p in result.errors}
    assert found == {
        ("inspections", 3, "town"),  # unknown town (line 3 of the CSV)
        ("inspections", 4, "date"),  # a future date
        ("inspections", 3, "inspection_id"),  # id 2 twice
        ("inspections", 4, "inspection_id"),
        ("hazards", 2, "level"),  # 特大 is not a level
        ("enforcement", 2, "kind"),  # 警告 is not a kind
        ("enforcement", 3, "town"),  # an inactive town
        ("enforcement", 3, "amount_wan"),  # a negative fine
    }
    messages = {(p.table, p.column): p.message for p in result.errors}
    assert "未知镇街“未知镇”" in messages[("inspections", "town")]
    assert "晚于今天" in messages[("inspections", "date")]
    assert "重复出现" in messages[("inspections", "inspection_id")]
    assert "“特大”" in messages[("hazards", "level")]
    assert "已停用" in messages[("enforcement", "town")]
    assert str(result.errors[0]).startswith("检查记录（inspections）第")
    assert nothing_written(home)


def test_persons_and_amounts_past_a_town_days_limit_are_refused(home, tmp_path):
    folder = records(
        tmp_path / "rec",
        enforcement=[
            (1, "甲镇", D1, "拘留", 10_000_000, ""),  # at the report form's limit of a town-day
            (2, "甲镇", D1, "拘留", 99999999999, ""),
            (3, "甲镇", D1, "罚款", "", 1_000_000),
            (4, "甲镇", D1, "罚款", "", 1_000_000.5),
        ],
    )
    result = ingest_records(home, folder, by="tester", today=TODAY)
    assert {(p.row, p.column, p.message) for p in result.errors} == {
        (3, "persons", "人数 99999999999 超过上限 10000000：请核实"),
        (5, "amount_wan", "金额 1000000.5 万元超过上限 1000000 万元：请核实单位和数值"),
    }
    assert nothing_written(home)


def test_dates_before_the_campaign_and_unreadable_dates_are_refused(home, tmp_path):
    folder = records(
        tmp_path / "rec",
        inspections=[
            (1, "甲镇", START - timedelta(days=1), "u1"),
            (2, "甲镇", "昨天", "u2"),
            (3, "甲镇", "2026/3/2", "u3"),
        ],
    )
    result = ingest_records(home, folder, by="tester", today=TODAY)
    assert [(p.row, p.column) for p in result.errors] == [(2, "date"), (3, "date")]
    assert "早于活动开始日期" in result.errors[0].message and "无法识别" in result.errors[1].message
    assert nothing_written(home)


def test_a_rectification_before_the_hazard_was_found_is_refused(home, tmp_path):
    folder = records(tmp_path / "rec", hazards=[(1, "甲镇", D2, "一般", D1, "u1")])
    result = ingest_records(home, folder, by="tester", today=TODAY)
    assert [(p.table, p.row, p.column) for p in result.errors] == [("hazards", 2, "rectified_date")]


def test_a_detention_without_persons_is_refused(home, tmp_path):
    folder = records(tmp_path / "rec", enforcement=[(1, "甲镇", D1, "拘留", "", ""), (2, "甲镇", D1, "拘留", 1.5, "")])
    result = ingest_records(home, folder, by="tester", today=TODAY)
    assert [p.message for p in result.errors] == ["拘留记录必须填写人数", "人数应为整数（1.5）"]


def test_many_rows_breaking_one_rule_are_listed_first_few_then_counted(home, tmp_path):
    bad = [(k, "外省镇", D1, "u") for k in range(1, 31)]
    result = ingest_records(home, records(tmp_path / "rec", inspections=bad), by="tester", today=TODAY)
    assert len(result.errors) == LISTED_PER_RULE + 1
    assert result.errors[-1].row is None and "共 30 行" in result.errors[-1].message


@pytest.mark.parametrize(
    ("ids", "rows", "repeated"),
    [([3, 1, 2, 1], [2, 4], 1), ([1, 2, 2, 3], [2, 3], 2)],  # out of order; next to itself among rising ids
)
def test_duplicate_ids_in_parquet_are_found(home, tmp_path, ids, rows, repeated):
    folder = records(tmp_path / "rec")
    table = pa.table({"inspection_id": ids, "town": ["甲镇"] * 4, "date": [D1] * 4})
    (folder / "inspections.csv").unlink()
    pq.write_table(table, folder / "inspections.parquet")
    result = ingest_records(home, folder, by="tester", today=TODAY)
    assert [(p.row, p.column) for p in result.errors] == [(row, "inspection_id") for row in rows]
    assert f"编号 {repeated} 重复出现（共 2 次）" in result.errors[0].message


def test_unique_ids_in_any_order_are_accepted(home, tmp_path):
    folder = records(tmp_path / "rec")
    table = pa.table({"inspection_id": [30, 10, 20], "town": ["甲镇"] * 3, "date": [D1] * 3})
    (folder / "inspections.csv").unlink()
    pq.write_table(table, folder / "inspections.parquet")
    result = ingest_records(home, folder, by="tester", today=TODAY)
    assert result.ok, result.errors
    assert daily(home)[("A", D1)][0] == 3


def test_repeated_ids_spread_too_wide_for_a_bitmap_are_still_found(home, tmp_path):
    folder = records(tmp_path / "rec")
    wide = 1 << 40  # far beyond ID_BITMAP_BITS: found by grouping instead
    table = pa.table({"inspection_id": [wide, 1, wide], "town": ["甲镇"] * 3, "date": [D1] * 3})
    (folder / "inspections.csv").unlink()
    pq.write_table(table, folder / "inspections.parquet")
    result = ingest_records(home, folder, by="tester", today=TODAY)
    assert [(p.row, p.column) for p in result.errors] == [(1, "inspection_id"), (3, "inspection_id")]
    assert nothing_written(home)


def test_a_missing_table_or_column_is_reported(home, tmp_path):
    folder = records(tmp_path / "rec")
    (folder / "enforcement.csv").unlink()
    write_csv(folder, "hazards", ["hazard_id", "town", "found_date"], [(1, "甲镇", D1)])
    result = ingest_records(home, folder, by="tester", today=TODAY)
    assert [(p.table, p.column) for p in result.errors] == [("enforcement", "")]
    (folder / "enforcement.csv").write_text("action_id,town,date,kind,persons,amount_wan\n", encoding="utf-8")
    result = ingest_records(home, folder, by="tester", today=TODAY)
    assert [(p.table, p.column) for p in result.errors] == [("hazards", "level"), ("hazards", "rectified_date")]
    assert nothing_written(home)


# ---------------------------------------------------------------- the records kept


@pytest.fixture
def any_home(store_url, tmp_path, monkeypatch) -> Home:
    """The home of the tests above, its store on SQLite and on PostgreSQL."""
    monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    home = Home(tmp_path / "home").ensure()
    write_towns(TOWNS, home.towns_csv)
    write_settings(Settings(Campaign(start=START), (Rules(),)), home.rules_toml)
    return home


def kept(home: Home, batch_seq: int) -> dict[str, pd.DataFrame]:
    """The files of one batch as the store keeps them, per table (read from the store)."""
    batch = next(b for b in batches(home.store) if b.seq == batch_seq)
    return {
        o.table: pq.read_table(pa.BufferReader(b"".join(read_object(home.store, o.key)))).to_pandas()
        for o in batch.objects
    }


def indexed(home: Home) -> dict[str, list[tuple]]:
    """The newest version of every record received, as this server reads them."""
    con = duckdb.connect()
    try:
        received = Received.of(home, con)
        found = {}
        for table in TABLES:
            if not received.objects[table]:
                continue
            key = "VARCHAR" if received.text_ids(table) else "BIGINT"
            every = " union all ".join(received.records(table, o, key) for o in received.objects[table])
            columns = ", ".join(RECORD_TABLES[table].kept)
            found[table] = con.execute(
                f"select {columns} from ({every}) qualify row_number() over (partition by id order by batch desc) = 1 "
                "order by all"
            ).fetchall()
        return found
    finally:
        con.close()


def rebuilt(home: Home) -> dict[str, list[tuple]]:
    """The records as a server with no copy of its own reads them, fetched from the store alone."""
    shutil.rmtree(home.record_objects)
    assert catch_up(home) == stored(home)["record_objects"]
    return indexed(home)


def test_each_file_with_new_or_changed_records_is_kept_as_received_under_its_sha256(any_home, tmp_path):
    home = any_home
    folder = records(tmp_path / "rec")
    first = ingest_records(home, folder, by="tester", today=TODAY)
    assert first.new.total == 18 and first.changed.total == 0
    batch = next(b for b in batches(home.store) if b.seq == first.batch_seq)
    assert {o.table: o.key for o in batch.objects} == {
        t: hashlib.sha256((folder / f"{t}.csv").read_bytes()).hexdigest() for t in TABLES
    }
    files = kept(home, first.batch_seq)
    assert {t: len(f) for t, f in files.items()} == {"inspections": 6, "hazards": 4, "enforcement": 8}
    # the CSV's text as received, its towns as spelled: converted once to Parquet, not re-typed
    assert list(files["inspections"]["town"]) == ["甲镇", "甲", "A", "乙镇", "甲镇", "甲镇"]
    assert list(files["inspections"]["inspection_id"]) == ["1", "2", "3", "4", "5", "6"]
    later = records(
        tmp_path / "later",
        inspections=[
            (1, "甲镇", D1, "u1"),
            (2, "甲", D1, "u2"),
            (3, "A", D1, "u3"),
            (4, "乙镇", D1, "u4"),
            (5, "乙镇", D2, "u1"),  # moved from 甲镇 to 乙镇
            (6, "甲镇", D2, "u5"),
            (7, "乙镇", D3, "u4"),  # new
        ],
    )
    second = ingest_records(home, later, by="tester", today=TODAY)
    assert (second.new.inspections, second.changed.inspections, second.new.total, second.changed.total) == (1, 1, 1, 1)
    files = kept(home, second.batch_seq)
    assert list(files) == ["inspections"] and len(files["inspections"]) == 7  # the other two files brought nothing
    # the town-days those two change: 甲镇 and 乙镇 on day 2, 乙镇 on day 3
    assert second.town_days == 3
    assert daily(home)[("A", D2)][0] == 1 and daily(home)[("B", D2)][0] == 1 and daily(home)[("B", D3)][0] == 1
    assert daily(home)[("A", D1)] == (3, 3, 2, 1, 1, 2, 3, 1.75)  # unchanged
    assert stored(home)["record_objects"] == 4


def test_a_parquet_file_in_zstd_is_kept_byte_for_byte_and_others_are_converted_once(home, tmp_path):
    folder = records(tmp_path / "rec")
    for table, compression in (("inspections", "zstd"), ("hazards", "snappy")):
        pq.write_table(pacsv.read_csv(folder / f"{table}.csv"), folder / f"{table}.parquet", compression=compression)
        (folder / f"{table}.csv").unlink()
    result = ingest_records(home, folder, by="tester", today=TODAY)
    batch = next(b for b in batches(home.store) if b.seq == result.batch_seq)
    by_table = {o.table: o for o in batch.objects}
    sent = (folder / "inspections.parquet").read_bytes()
    assert b"".join(read_object(home.store, by_table["inspections"].key)) == sent
    converted = pq.ParquetFile(pa.BufferReader(b"".join(read_object(home.store, by_table["hazards"].key))))
    assert converted.metadata.row_group(0).column(0).compression == "ZSTD"
    assert by_table["hazards"].key == hashlib.sha256((folder / "hazards.parquet").read_bytes()).hexdigest()
    assert (by_table["hazards"].rows, by_table["hazards"].id_lo, by_table["hazards"].id_hi) == (4, 1, 4)
    assert (by_table["hazards"].first_day, by_table["hazards"].last_day) == (D1, D3)  # found D1, rectified up to D3
    # this server's copies are those bytes, under the same keys
    assert (home.record_objects / f"{by_table['inspections'].key}.parquet").read_bytes() == sent


def test_a_new_rectified_date_moves_a_count_from_one_day_to_another(any_home, tmp_path):
    home = any_home
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    assert daily(home)[("A", D3)] == (0, 0, 0, 1, 0, 0, 0, 0.0)
    moved = records(
        tmp_path / "moved",
        hazards=[
            (1, "甲镇", D1, "一般", D1, "u1"),
            (2, "甲镇", D1, "重大", D2, "u2"),  # rectified on day 2, not day 3
            (3, "甲镇", D1, "重大", "", "u3"),
            (4, "乙镇", D1, "一般", D2, "u4"),
        ],
    )
    result = ingest_records(home, moved, by="tester", today=TODAY)
    assert (result.new.total, result.changed.total) == (0, 1)
    assert result.town_days == 2  # day 3 loses the rectification, day 2 gains it; day 1 counts the same
    assert sorted(result.submission.corrected) == [("A", D2), ("A", D3)]
    assert daily(home)[("A", D2)] == (2, 0, 0, 1, 0, 0, 0, 0.0)
    assert daily(home)[("A", D3)] == (0, 0, 0, 0, 0, 0, 0, 0.0)  # no record counts on it any more
    assert daily(home)[("A", D1)] == (3, 3, 2, 1, 1, 2, 3, 1.75)


def test_records_sent_again_in_another_order_are_compared_by_id(home, tmp_path):
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    backwards = [(6, "甲镇", D2, "u9"), (5, "甲镇", D2, "u1"), (4, "乙镇", D1, "u4")]
    backwards += [(3, "A", D1, "u3"), (2, "甲", D1, "u2"), (1, "甲镇", D1, "u1")]
    result = ingest_records(home, records(tmp_path / "backwards", inspections=backwards), by="tester", today=TODAY)
    assert (result.new.total, result.changed.total) == (0, 1)  # record 6 names another unit
    assert result.town_days == 0  # and counts as before


def test_as_many_records_sent_again_with_another_id_are_compared_by_id(home, tmp_path):
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    other = [(1, "甲镇", D1, "u1"), (2, "甲", D1, "u2"), (3, "A", D1, "u3")]
    other += [(4, "乙镇", D1, "u4"), (5, "甲镇", D2, "u1"), (7, "甲镇", D2, "u7")]  # 7, not 6
    result = ingest_records(home, records(tmp_path / "other", inspections=other), by="tester", today=TODAY)
    assert (result.new.total, result.changed.total) == (1, 0)
    assert daily(home)[("A", D2)][0] == 3  # records 5, 6 (received before, not withdrawn) and 7


def test_a_record_changed_in_nothing_counted_is_kept_but_recounts_nothing(home, tmp_path):
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    relabelled = records(
        tmp_path / "unit",
        inspections=[
            (1, "甲镇", D1, "u9"),
            (2, "甲", D1, "u2"),
            (3, "A", D1, "u3"),
            (4, "乙镇", D1, "u4"),
            (5, "甲镇", D2, "u1"),
            (6, "甲镇", D2, "u5"),
        ],
    )
    result = ingest_records(home, relabelled, by="tester", today=TODAY)
    assert result.changed.inspections == 1 and result.town_days == 0 and result.submission.submission_id is None
    assert list(kept(home, result.batch_seq)) == ["inspections"]
    assert indexed(home)["inspections"][0] == (1, "A", D1, "u9")
    latest = read_audit(home).iloc[0]  # the batch is audited without a submission
    assert latest["action"] == "records" and "更改 1 条" in latest["what"]


def test_a_town_spelled_another_way_is_the_same_record(home, tmp_path):
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    respelled = records(
        tmp_path / "respelled",
        inspections=[
            (1, "A", D1, "u1"),
            (2, "甲镇", D1, "u2"),
            (3, "甲", D1, "u3"),
            (4, "乙镇", D1, "u4"),
            (5, "甲镇", D2, "u1"),
            (6, "甲镇", D2, "u5"),
        ],
    )
    result = ingest_records(home, respelled, by="tester", today=TODAY)
    assert result.batch_seq is None and result.changed.total == 0


def test_a_batch_its_objects_and_its_submission_land_together_or_not_at_all(any_home, tmp_path, monkeypatch):
    home = any_home
    real = sanse.pipelines.records.ingest.write_batch

    def fails_after_writing(conn, parts, **kwargs):
        real(conn, parts, **kwargs)  # the objects and the manifest are written, not committed
        raise RuntimeError("the server went away")

    monkeypatch.setattr(sanse.pipelines.records.ingest, "write_batch", fails_after_writing)
    with pytest.raises(RuntimeError):
        ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    assert nothing_written(home)  # no object, no chunk, no batch, no submission
    assert indexed(home) == {} and not list(home.record_objects.iterdir())  # and no copy on this server
    monkeypatch.setattr(sanse.pipelines.records.ingest, "write_batch", real)
    result = ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    assert result.new.total == 18 and len(daily(home)) == 5


def test_an_import_another_server_overtook_is_compared_again_with_its_batch(home, tmp_path, monkeypatch):
    # the first import of a store, overtaken by another server's batch before it writes: it is
    # compared again, now with that batch, and counts the two together
    other = records(
        tmp_path / "other",
        inspections=[(20, "乙镇", D2, "u9")],
        hazards=[(20, "乙镇", D2, "重大", "", "u9")],
        enforcement=[(20, "乙镇", D2, "立案", "", "")],
    )
    real = sanse.pipelines.records.changes.recount
    overtook = {}

    def overtaken_once(con, received, changes, standing):
        if not overtook:
            overtook["other"] = None  # the other server's own import counts as usual
            overtook["other"] = ingest_records(home, other, by="another server", today=TODAY)
        return real(con, received, changes, standing)

    monkeypatch.setattr(sanse.pipelines.records.changes, "recount", overtaken_once)
    result = ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    assert overtook["other"].batch_seq == 1 and result.batch_seq == 2 and result.new.total == 18
    # 乙镇 on day 2: the other server's inspection, major hazard and case, and the first
    # import's hazard found on day 1 and rectified on day 2 and its fine of 2 万元
    assert daily(home)[("B", D2)] == (1, 1, 1, 1, 0, 1, 0, 2.0)
    assert daily(home)[("A", D1)][0] == 3  # 甲镇 spelled three ways


def test_a_server_without_its_copies_reads_the_objects_from_the_store(any_home, tmp_path, monkeypatch):
    home = any_home
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)

    def killed(home, kept):
        raise KeyboardInterrupt  # the process dies after the store committed, before its copies are in place

    later = records(
        tmp_path / "later",
        hazards=[
            (1, "甲镇", D1, "一般", D1, "u1"),
            (2, "甲镇", D1, "重大", D2, "u2"),
            (3, "甲镇", D1, "重大", D3, "u3"),
            (4, "乙镇", D1, "一般", D2, "u4"),
            (5, "乙镇", D3, "重大", "", "u6"),
        ],
    )
    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(sanse.pipelines.records.ingest, "_hold_copies", killed)
        ingest_records(home, later, by="tester", today=TODAY)
    assert stored(home)["record_batches"] == 2
    assert not list(home.record_objects.glob(".*.tmp"))  # nothing left aside
    assert daily(home)[("B", D3)] == (0, 1, 1, 0, 0, 0, 0, 0.0)  # the store has the import
    again = ingest_records(home, later, by="tester", today=TODAY)  # the same files: nothing is new
    assert again.batch_seq is None and again.changed.total == 0
    changed = records(tmp_path / "changed", hazards=[(5, "乙镇", D3, "重大", D3, "u6")])  # fetches the hazards object
    result = ingest_records(home, changed, by="tester", today=TODAY)
    assert (result.new.total, result.changed.total) == (0, 1)
    assert daily(home)[("B", D3)] == (0, 1, 1, 1, 0, 0, 0, 0.0)
    assert indexed(home) == rebuilt(home)


def test_the_records_read_from_the_store_alone_equal_those_of_the_server_that_imported_them(any_home, tmp_path):
    home = any_home
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    ingest_records(
        home,
        records(
            tmp_path / "more",
            hazards=[
                (1, "甲镇", D1, "一般", D2, "u1"),
                (2, "甲镇", D1, "重大", D3, "u2"),
                (3, "乙镇", D2, "重大", "", "u3"),
                (4, "乙镇", D1, "一般", D2, "u4"),
                (9, "甲镇", D3, "一般", "", "u5"),
            ],
            enforcement=[(8, "乙镇", D2, "罚款", "", 3), (9, "甲镇", D3, "拘留", 1, "")],
        ),
        by="tester",
        today=TODAY,
    )
    kept_up = indexed(home)
    assert rebuilt(home) == kept_up
    assert len(kept_up["hazards"]) == 5 and len(kept_up["enforcement"]) == 9


def test_two_servers_on_one_store_each_compare_with_every_batch(any_home, tmp_path, monkeypatch):
    first_server = any_home
    second_server = Home(tmp_path / "second").ensure()  # its own copies, the same store
    for name in ("towns.csv", "rules.toml"):
        (second_server.root / name).write_bytes((first_server.root / name).read_bytes())
    ingest_records(first_server, records(tmp_path / "rec"), by="tester", today=TODAY)
    later = records(tmp_path / "later", enforcement=[(8, "乙镇", D2, "罚款", "", 5), (9, "乙镇", D3, "立案", "", "")])
    result = ingest_records(second_server, later, by="tester", today=TODAY)  # reads batch 1 first
    assert (result.new.total, result.changed.total) == (1, 1)
    assert daily(first_server)[("B", D2)][-1] == 5.0

    calls = []

    def misses_the_newest_batch_once(cls, home, con):
        calls.append(1)
        listed = batches(home.store)
        return cls(home, con, listed[:-1] if len(calls) == 1 else listed)

    monkeypatch.setattr(Received, "of", classmethod(misses_the_newest_batch_once))
    reordered = records(
        tmp_path / "reordered", enforcement=[(9, "乙镇", D3, "立案", "", ""), (8, "乙镇", D2, "罚款", "", 5)]
    )
    again = ingest_records(first_server, reordered, by="tester", today=TODAY)  # the store says it is behind: again
    assert len(calls) == 2 and again.batch_seq is None and stored(first_server)["record_batches"] == 2


def test_two_imports_at_once_on_one_server_both_land(home, tmp_path):
    more = records(
        tmp_path / "more",
        inspections=[(k, "乙镇", D2, "u") for k in range(101, 111)],
        hazards=[(101, "乙镇", D2, "重大", "", "u")],
        enforcement=[(101, "乙镇", D2, "立案", "", "")],
    )
    folders = [records(tmp_path / "rec"), more]
    assert nothing_written(home)  # the store exists before the children open it
    close_all()  # the children open their own connections
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_import, args=(home.root, folder)) for folder in folders]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [child.exitcode for child in children] == [0, 0]
    assert stored(home)["record_batches"] == 2
    assert daily(home)[("B", D2)] == (10, 1, 1, 1, 0, 1, 0, 2.0)
    assert indexed(home) == rebuilt(home)


def _import(root: Path, folder: Path) -> None:
    assert ingest_records(Home(root), folder, by="tester", today=TODAY).ok


def test_files_a_killed_import_left_aside_count_for_nothing_and_go_a_day_later(home, tmp_path):
    result = ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    stale, fresh = home.record_objects / ".hazards-1.tmp", home.record_objects / ".hazards-2.tmp"
    for path in (stale, fresh):  # what a process killed while keeping its files leaves behind
        path.write_bytes(b"half a file")
    os.utime(stale, (0, 0))
    assert stored(home)["record_objects"] == 3 and Received.of(home, duckdb.connect()).batch_seq == result.batch_seq
    assert catch_up(home) == 0
    assert not stale.exists() and fresh.exists()  # a file aside for less than a day may be an import's at work


def test_an_object_damaged_in_the_store_is_refused_when_fetched(home, tmp_path):
    result = ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    key = next(b for b in batches(home.store) if b.seq == result.batch_seq).objects[0].key
    with home.store.writing() as conn:
        conn.execute(
            sa.update(schema.record_object_chunks).where(schema.record_object_chunks.c.key == key).values(content=b"x")
        )
    shutil.rmtree(home.record_objects)
    with pytest.raises(StoreError, match="已损坏"):
        catch_up(home)
    assert not list(home.record_objects.iterdir())  # no copy of it, not even a part


def test_text_ids_and_integer_ids_are_one_id_space(home, tmp_path):
    folder = records(tmp_path / "rec")
    (folder / "inspections.csv").unlink()
    pq.write_table(
        pa.table({"inspection_id": [1, 2, 3], "town": ["甲镇"] * 3, "date": [D1] * 3}), folder / "inspections.parquet"
    )
    ingest_records(home, folder, by="tester", today=TODAY)
    (folder / "inspections.parquet").unlink()
    write_csv(
        folder, "inspections", ["inspection_id", "town", "date"], [(1, "甲镇", D1), (2, "甲镇", D1), (3, "甲镇", D1)]
    )
    assert ingest_records(home, folder, by="tester", today=TODAY).batch_seq is None  # "1" is the id 1
    write_csv(
        folder,
        "inspections",
        ["inspection_id", "town", "date"],
        [(1, "甲镇", D1), (2, "甲镇", D1), (3, "甲镇", D1), ("JC-0004", "乙镇", D1)],
    )
    result = ingest_records(home, folder, by="tester", today=TODAY)  # the ids become text, the same ids
    assert (result.new.inspections, result.changed.inspections) == (1, 0)
    assert daily(home)[("A", D1)][0] == 3 and daily(home)[("B", D1)][0] == 1
    assert indexed(home) == rebuilt(home)


def test_looking_up_ids_or_days_reads_only_the_objects_that_can_hold_them(home, tmp_path):
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)  # inspections 1-6 on D1, D2
    later = [(k, "乙镇", D3, "u") for k in (7, 8)]
    ingest_records(home, records(tmp_path / "later", inspections=later), by="tester", today=TODAY)
    con = duckdb.connect()
    received = Received.of(home, con)
    batches_of = lambda found: [listed.batch for listed in found]  # noqa: E731
    assert batches_of(received.holding_ids("inspections", 9, 9)) == []  # a new id reads nothing
    assert batches_of(received.holding_ids("inspections", 4, 4)) == [1]
    assert batches_of(received.holding_ids("inspections", 6, 7)) == [1, 2]
    assert batches_of(received.holding_days("inspections", D3, D3)) == [2]
    assert batches_of(received.holding_days("hazards", D3, D3)) == [1]  # a hazard rectified on D3
    con.close()


def test_imports_day_by_day_count_what_one_import_of_every_day_counts(home, tmp_path):
    towns = demo_towns(12)
    write_towns(towns, home.towns_csv)
    for days in (2, 3, 5):
        write_demo_records(towns, tmp_path / f"d{days}", days=days, seed=11, start=START)
        result = ingest_records(home, tmp_path / f"d{days}", by="tester", today=TODAY)
        assert result.ok and (days == 2 or result.changed.hazards > 0)  # hazards rectified since the last export
    whole = Home(tmp_path / "whole").ensure()
    write_towns(towns, whole.towns_csv)
    write_settings(Settings(Campaign(start=START), (Rules(),)), whole.rules_toml)
    ingest_records(whole, tmp_path / "d5", by="tester", today=TODAY)
    by_day = figures(home).drop(columns="seq").sort_values(["town_code", "date"], ignore_index=True)
    at_once = figures(whole).drop(columns="seq").sort_values(["town_code", "date"], ignore_index=True)
    pd.testing.assert_frame_equal(by_day, at_once)


def test_a_month_sent_again_with_changes_counts_what_a_first_import_of_it_counts(home, tmp_path):
    # the changes are added to the batch's counts (no record is read again); a first import of
    # the changed files, into a store of its own, counts every record: both give the same figures
    towns = demo_towns(6)
    write_towns(towns, home.towns_csv)
    write_demo_records(towns, tmp_path / "sent", days=8, seed=3, start=START)
    ingest_records(home, tmp_path / "sent", by="tester", today=TODAY)
    again = tmp_path / "again"
    again.mkdir()
    codes = [t.code for t in towns]
    for table in ("inspections", "hazards", "enforcement"):
        frame = pq.read_table(tmp_path / "sent" / f"{table}.parquet").to_pandas()
        frame = frame.astype({c: object for c in frame.select_dtypes("category").columns})
        every = frame.index % 10 == 3  # a tenth of the records: another town, a day later
        frame.loc[every, "town"] = [codes[(k + 1) % len(codes)] for k in frame.index[every]]
        day = "found_date" if table == "hazards" else "date"
        frame.loc[every, day] = [min(d + timedelta(days=1), D1 + timedelta(days=7)) for d in frame.loc[every, day]]
        if table == "hazards":
            rectified = frame["rectified_date"].notna() & (frame["rectified_date"] < frame["found_date"])
            frame.loc[rectified, "rectified_date"] = frame.loc[rectified, "found_date"]
            frame.loc[every, "level"] = frame.loc[every, "level"].map({"一般": "重大", "重大": "一般"})
        if table == "enforcement":
            fined = every & (frame["kind"] == "罚款")
            frame.loc[fined, "amount_wan"] = frame.loc[fined, "amount_wan"] + 0.125
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), again / f"{table}.parquet")
    result = ingest_records(home, again, by="tester", today=TODAY)
    assert result.ok and result.changed.total > 0 and result.new.total == 0
    whole = Home(tmp_path / "whole").ensure()
    write_towns(towns, whole.towns_csv)
    write_settings(Settings(Campaign(start=START), (Rules(),)), whole.rules_toml)
    ingest_records(whole, again, by="tester", today=TODAY)
    changed = figures(home).drop(columns="seq").sort_values(["town_code", "date"], ignore_index=True)
    at_once = figures(whole).drop(columns="seq").sort_values(["town_code", "date"], ignore_index=True)
    pd.testing.assert_frame_equal(changed, at_once)


# ---------------------------------------------------------------- the submission log


def test_appending_compares_with_the_current_figures_in_one_pass(home):
    rows = {
        "row_number": [2, 3, 4],
        "date": [D1, D1, D2],
        "town_code": ["A", "B", "A"],
        **{c: [1, 2, 3] for c in COUNTS},
    }
    first = append_submission(home.store, pd.DataFrame(rows), by="t", source_name="a.csv", source_sha256="1")
    assert (first.written, first.unchanged, first.corrected) == (3, 0, ())
    rows["hazards"] = [1, 5, 3]  # B on D1 corrected
    second = append_submission(home.store, pd.DataFrame(rows), by="t", source_name="b.csv", source_sha256="2")
    assert (second.written, second.unchanged, second.corrected) == (1, 2, (("B", D1),))
    assert daily(home)[("B", D1)][1] == 5


def test_a_town_day_a_batch_counted_has_a_figure_that_a_report_corrects(any_home, tmp_path):
    home = any_home
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    counted = daily(home)[("B", D2)]
    assert counted == (0, 0, 0, 1, 0, 0, 0, 2.0)  # 乙镇's hazard rectified on day 2, and its fine
    row = {"row_number": [2], "date": [D2], "town_code": ["B"], **{c: [v] for c, v in zip(COUNTS, counted)}}
    same = append_submission(home.store, pd.DataFrame(row), by="t", source_name="a.csv", source_sha256="a")
    assert (same.written, same.unchanged) == (0, 1)  # the batch's figures sent again: nothing new
    row["inspections"] = [3]
    other = append_submission(home.store, pd.DataFrame(row), by="t", source_name="b.csv", source_sha256="b")
    assert other.corrected == (("B", D2),) and daily(home)[("B", D2)][0] == 3


def test_the_form_shows_a_batchs_count_as_the_days_figure_and_asks_why_it_is_changed(home, tmp_path):
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    town, office = TOWNS[1], User("office", "admin")
    typed = dict(zip(COUNTS, daily(home)[("B", D2)]))
    check = check_form(home, town, D2, typed, by=office, today=TODAY)
    assert check.correction and check.unchanged  # reported, by the batch: nothing to send
    assert check.previous == dict(zip(COUNTS, (1, 1, 0, 0, 0, 0, 0, 0.0)))  # the day before, shown beside each field
    more = {**typed, "inspections": 3}
    refused = submit_form(home, town, D2, more, by=office, today=TODAY)
    assert not refused.ok and "已经报送过，再次报送是更正" in str(refused.report.errors[0])
    corrected = submit_form(home, town, D2, more, by=office, reason="漏录 3 家检查", today=TODAY)
    assert corrected.ok and corrected.submission.corrected == (("B", D2),)
    assert daily(home)[("B", D2)] == (3, 0, 0, 1, 0, 0, 0, 2.0)
    # the warnings compare a day with the week before it as counted: 甲镇 had 3 and 2 inspections
    check = check_form(home, TOWNS[0], D3, {**typed, "inspections": 1}, by=office, today=TODAY)
    assert [p.message for p in check.problems("inspections")] == [
        "甲镇 检查企业数 1 不到本镇街前7天平均（2.5）的一半，请核实"
    ]


def test_a_report_and_a_batch_of_records_on_one_town_day_count_in_the_order_they_landed(home, tmp_path):
    def report(hazards: int, name: str) -> None:
        row = {"row_number": [2], "date": [D2], "town_code": ["A"], **{c: [0] for c in COUNTS}, "hazards": [hazards]}
        append_submission(home.store, pd.DataFrame(row), by="t", source_name=name, source_sha256=name)

    def built_hazards() -> int:
        warehouse = Warehouse.open(home)
        try:
            found = warehouse.query("select hazards from daily_counts where town_code = 'A' and date = ?", [D2])
        finally:
            warehouse.close()
        return int(found["hazards"].iloc[0])

    ingest_records(home, records(tmp_path / "one"), by="tester", today=TODAY)
    build(home)
    assert daily(home)[("A", D2)][1] == 0 and built_hazards() == 0
    report(7, "a.xlsx")  # a report after the batch stands over its count
    assert build_if_behind(home) is not None
    assert daily(home)[("A", D2)][1] == 7 and built_hazards() == 7
    hazards = [(1, "甲镇", D1, "一般", D1, "u1"), (9, "甲镇", D2, "重大", "", "u9")]
    result = ingest_records(home, records(tmp_path / "two", hazards=hazards), by="tester", today=TODAY)
    assert ("A", D2) in result.submission.corrected  # a batch after the report stands over it
    assert build_if_behind(home) is not None and build_if_behind(home) is None
    assert daily(home)[("A", D2)][1] == 1 and built_hazards() == 1
    report(7, "b.xlsx")
    build(home)
    incremental = daily(home)
    assert incremental[("A", D2)][1] == 7 and built_hazards() == 7
    shutil.rmtree(home.warehouse.parent)
    build(home)  # a build from scratch ranks the same figures
    assert daily(home) == incremental and built_hazards() == 7


# ---------------------------------------------------------------- command line


def test_cli_ingest_records_then_rank(home, tmp_path, capsys):
    folder = records(tmp_path / "rec")
    assert main(["--home", str(home.root), "ingest-records", str(folder)]) == 0
    assert "汇总为 5 个镇街日" in capsys.readouterr().out
    ranking = Warehouse.open(home).ranking(D3)
    assert list(ranking["code"]) == ["A", "B"] or list(ranking["code"]) == ["B", "A"]


def test_cli_build_fetches_the_record_objects_this_server_lacks(home, tmp_path, capsys):
    assert main(["--home", str(home.root), "ingest-records", str(records(tmp_path / "rec"))]) == 0
    kept_up = indexed(home)
    shutil.rmtree(home.record_objects)  # a new server, or one whose copies were lost
    assert main(["--home", str(home.root), "build"]) == 0
    assert "已从存储取回 3 个记录文件" in capsys.readouterr().err
    assert len(list(home.record_objects.glob("*.parquet"))) == 3 and indexed(home) == kept_up


def test_cli_ingest_records_with_errors_exits_1(home, tmp_path, capsys):
    folder = records(tmp_path / "rec", hazards=[(1, "甲镇", D1, "特大", "", "u1")])
    assert main(["--home", str(home.root), "ingest-records", str(folder)]) == 1
    assert "隐患等级" in capsys.readouterr().err
    assert nothing_written(home)


# ---------------------------------------------------------------- carried over from revision 0004


def test_the_parts_of_revision_0004_are_carried_over_as_objects(store_url, tmp_path, monkeypatch):
    from alembic import command
    from alembic.config import Config

    from sanse.store.migrate import MIGRATIONS

    if store_url.startswith("sqlite"):
        Path(sa.engine.make_url(store_url).database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(store_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    command.upgrade(config, "0005")  # records kept as parts: id, town code, days, unit
    parts = [
        (1, pa.table({"id": [1, 2, 3], "town_code": ["A", "A", "A"], "date": [D1] * 3, "unit_id": ["u1", "u2", "u3"]})),
        (2, pa.table({"id": [2], "town_code": ["B"], "date": [D1], "unit_id": ["u2"]})),  # id 2 moved to 乙镇
    ]
    with engine.begin() as conn:
        for seq, part in parts:
            conn.execute(
                sa.text(
                    "insert into record_batches (received_at, received_by, source_name, source_sha256,"
                    " new_records, changed_records, unchanged_records) values ('2026-03-02 10:00:00', 'x',"
                    " 'rec', 'h', 1, 0, 0)"
                )
            )
            sink = pa.BufferOutputStream()
            pq.write_table(part, sink, compression="zstd")
            conn.execute(
                sa.text("insert into record_parts values (:seq, 'inspections', 0, :rows, :content)"),
                {"seq": seq, "rows": part.num_rows, "content": sink.getvalue().to_pybytes()},
            )
    engine.dispose()
    monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    home = Home(tmp_path / "home").ensure()
    write_towns(TOWNS, home.towns_csv)
    write_settings(Settings(Campaign(start=START), (Rules(),)), home.rules_toml)
    assert stored(home)["record_objects"] == 2 and stored(home)["record_batch_objects"] == 2
    assert [o.received_as for b in batches(home.store) for o in b.objects] == ["coded", "coded"]
    assert indexed(home)["inspections"] == [(1, "A", D1, "u1"), (2, "B", D1, "u2"), (3, "A", D1, "u3")]
    moved = records(
        tmp_path / "moved",
        inspections=[(1, "甲镇", D1, "u1"), (2, "乙镇", D1, "u2"), (3, "甲镇", D2, "u3")],  # id 3 moved to day 2
        hazards=[(1, "甲镇", D1, "一般", "", "u1")],
        enforcement=[(1, "甲镇", D1, "立案", "", "")],
    )
    result = ingest_records(home, moved, by="tester", today=TODAY)
    assert (result.new.inspections, result.changed.inspections) == (0, 1)
    assert daily(home)[("A", D1)] == (1, 1, 0, 0, 0, 1, 0, 0.0)  # id 1 only: id 2 is 乙镇's, id 3 day 2's
    assert daily(home)[("A", D2)][0] == 1


def test_counts_an_import_stored_as_report_versions_before_revision_0010_stay_until_counted_again(
    store_url, tmp_path, monkeypatch
):
    from alembic import command
    from alembic.config import Config

    from sanse.store.migrate import MIGRATIONS

    if store_url.startswith("sqlite"):
        Path(sa.engine.make_url(store_url).database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(store_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    command.upgrade(config, "0009")  # a batch's counts were a submission of report versions
    counts = ", ".join(COUNTS)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into submissions (submission_id, submitted_at, submitted_by, source_name, source_sha256,"
                " reason, rows, unchanged, corrected) values ('s1', '2026-03-02 10:00:00', 'x', 'rec', 'h', '', 2, 0, 0)"
            )
        )
        for seq, (town, day) in enumerate([("A", D1), ("B", D1)], start=1):
            values = {"seq": seq, "town": town, "day": day}
            conn.execute(
                sa.text(
                    f"insert into report_versions (seq, submission_seq, date, town_code, {counts})"
                    " values (:seq, 1, :day, :town, 9, 0, 0, 0, 0, 0, 0, 0)"
                ),
                values,
            )
            conn.execute(
                sa.text(
                    f"insert into current_reports (town_code, date, seq, {counts})"
                    " values (:town, :day, :seq, 9, 0, 0, 0, 0, 0, 0, 0)"
                ),
                values,
            )
    engine.dispose()
    monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    home = Home(tmp_path / "home").ensure()
    write_towns(TOWNS, home.towns_csv)
    write_settings(Settings(Campaign(start=START), (Rules(),)), home.rules_toml)
    assert daily(home)[("A", D1)][0] == 9 and stored(home)["record_counts"] == 0
    result = ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    assert sorted(result.submission.corrected) == [("A", D1), ("B", D1)]
    assert daily(home)[("A", D1)][0] == 3 and daily(home)[("B", D1)][0] == 1  # counted again: the batch's
    assert stored(home)["current_reports"] == 0 and stored(home)["report_versions"] == 2  # the log stays


def test_a_backup_lists_every_kept_object_and_puts_one_back(any_home, tmp_path, monkeypatch):
    home = any_home
    monkeypatch.setattr(store_records, "CHUNK_BYTES", 256)  # each object in several pieces
    ingest_records(home, records(tmp_path / "rec"), by="tester", today=TODAY)
    assert stored(home)["record_object_chunks"] > 3 * stored(home)["record_objects"]
    listed = dict(kept_objects(home.store.engine))
    described = {o.key: o for b in batches(home.store) for o in b.objects}
    assert set(listed) == set(described) and len(listed) == 3
    assert all(hashlib.sha256(content).hexdigest() == described[key].content_sha256 for key, content in listed.items())
    key = sorted(listed)[0]
    with home.store.writing() as conn:  # a restore writes the objects' bytes back after the tables
        conn.execute(sa.delete(schema.record_object_chunks).where(schema.record_object_chunks.c.key == key))
    with pytest.raises(StoreError, match="不符"):
        restore_object(home.store.engine, key, b"other bytes")
    restore_object(home.store.engine, key, listed[key])
    assert dict(kept_objects(home.store.engine)) == listed


def test_a_version_replaced_by_a_later_batch_no_longer_counts_on_its_old_day(any_home, tmp_path):
    home = any_home
    ingest_records(home, records(tmp_path / "one"), by="tester", today=TODAY)  # 甲镇 day 2: ids 5 and 6
    moved = records(tmp_path / "two", inspections=[(6, "甲镇", D3, "u5")])  # id 6 moved to day 3
    assert ingest_records(home, moved, by="tester", today=TODAY).changed.inspections == 1
    assert daily(home)[("A", D2)][0] == 1 and daily(home)[("A", D3)][0] == 1
    later = records(tmp_path / "three", inspections=[(9, "甲镇", D2, "u9")])  # a new one on day 2
    result = ingest_records(home, later, by="tester", today=TODAY)
    assert result.new.inspections == 1 and result.town_days == 1
    # day 2 is counted from batch 1's id 5 and the new id 9, not batch 1's old version of id 6
    assert daily(home)[("A", D2)][0] == 2 and daily(home)[("A", D3)][0] == 1


def test_a_file_sent_again_after_a_change_is_listed_again_not_stored_twice(home, tmp_path):
    first = records(tmp_path / "one")
    ingest_records(home, first, by="tester", today=TODAY)
    ingest_records(home, records(tmp_path / "two", inspections=[(6, "乙镇", D2, "u5")]), by="tester", today=TODAY)
    assert daily(home)[("A", D2)][0] == 1
    again = ingest_records(home, first, by="tester", today=TODAY)  # id 6 back to 甲镇
    assert (again.new.total, again.changed.total) == (0, 1) and daily(home)[("A", D2)][0] == 2
    inspections = [o.key for b in batches(home.store) for o in b.objects if o.table == "inspections"]
    assert len(inspections) == 3 and inspections[2] == inspections[0]  # batch 3 lists batch 1's file again
    assert stored(home)["record_objects"] == 4 and stored(home)["record_batch_objects"] == 5


def test_a_unit_given_as_a_number_in_one_file_and_as_text_in_another_is_the_same(home, tmp_path):
    folder = records(tmp_path / "rec", inspections=[(1, "甲镇", D1, 501), (2, "甲镇", D1, 502)])
    ingest_records(home, folder, by="tester", today=TODAY)  # a CSV: the units are text
    (folder / "inspections.csv").unlink()
    units = pa.table({"inspection_id": [1, 2], "town": ["甲镇"] * 2, "date": [D1] * 2, "unit_id": [501, 503]})
    pq.write_table(units, folder / "inspections.parquet")  # Parquet: the units are numbers, one changed
    result = ingest_records(home, folder, by="tester", today=TODAY)
    assert (result.new.total, result.changed.total) == (0, 1) and result.town_days == 0
