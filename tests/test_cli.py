"""The `sanse` command line (design §7): home resolution, init, ingest, rank output, exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import stored

from sanse.cli.main import main
from sanse.deployment.home import Home
from sanse.deployment.rules_file import read_settings
from sanse.deployment.towns import read_towns
from sanse.facts import clock
from sanse.facts.clock import BEIJING
from sanse.facts.report import COUNT_COLUMNS
from sanse.store.reports import append_submission, current_reports

FIXTURES = Path(__file__).parent / "fixtures"
VENV_SANSE = Path(sys.executable).parent / "sanse"
KEYS = [
    "date",
    "group",
    "town",
    "code",
    "inspections",
    "major_hazards",
    "halted",
    "cases",
    "major_hazard_rate",
    "halt_rate",
    "case_rate",
    "score",
    "rank",
    "tier",
    "rank_change",
    "tier_streak",
    "not_reported",
    "no_inspections",
    "red_alert",
]
FIRST, LAST = date(2026, 9, 1), date(2026, 10, 30)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# ---------------------------------------------------------------- home


def test_init_demo_makes_a_quiet_built_demo_home(tmp_path, capsys):
    code, out, err = run(capsys, "--home", str(tmp_path / "h"), "init", "--demo", "--end", str(LAST))
    assert code == 0
    home = Home(tmp_path / "h")
    assert len(read_towns(home.towns_csv)) == 23
    assert read_settings(home.rules_toml).campaign.start == FIRST
    assert home.warehouse.exists()
    assert "提醒" not in err and "提醒" not in out
    assert len(out.splitlines()) + len(err.splitlines()) <= 4


def test_init_demo_twice_adds_nothing(tmp_path, capsys):
    home = Home(tmp_path / "h")
    assert main(["--home", str(home.root), "init", "--demo", "--end", str(LAST)]) == 0
    before = stored(home)
    code, out, _ = run(capsys, "--home", str(home.root), "init", "--demo", "--end", str(LAST))
    assert code == 0 and "没有新的镇街日" in out
    assert stored(home) == before


def test_init_demo_again_adds_its_new_days_and_keeps_a_correction(tmp_path, capsys):
    home = Home(tmp_path / "h")
    assert main(["--home", str(home.root), "init", "--demo", "--end", str(LAST - timedelta(days=1))]) == 0
    town, day_before = read_towns(home.towns_csv)[0].code, LAST - timedelta(days=1)
    row = {"row_number": [2], "date": [day_before], "town_code": [town], **{c: [1] for c in COUNT_COLUMNS}}
    append_submission(home.store, pd.DataFrame(row), by="office", source_name="a.csv", source_sha256="a")
    code, out, _ = run(capsys, "--home", str(home.root), "init", "--demo", "--end", str(LAST))
    assert code == 0 and "新增或更正 23 行" in out  # the new day's 23 towns, and nothing else
    figures = current_reports(home.store, towns=[town], first=day_before, last=LAST)
    assert dict(zip(figures["date"], figures["inspections"]))[day_before] == 1  # the correction stands
    assert LAST in set(figures["date"])


def test_init_with_own_towns_and_rules(tmp_path, capsys):
    code, _, _ = run(
        capsys,
        "--home",
        str(tmp_path / "h"),
        "init",
        "--towns",
        str(FIXTURES / "towns.csv"),
        "--rules",
        str(FIXTURES / "rules.toml"),
    )
    assert code == 0
    assert [t.code for t in read_towns(tmp_path / "h" / "towns.csv")] == ["A01", "A02", "A03", "A04"]
    assert read_settings(tmp_path / "h" / "rules.toml").campaign.start == date(2023, 6, 1)
    code, _, err = run(capsys, "--home", str(tmp_path / "h"), "rank", "--date", "2023-06-01")
    assert code == 1 and "有排名的日期为 无" in err  # built, but nothing reported yet


def test_init_without_towns_is_bad_input(tmp_path, capsys):
    code, _, err = run(capsys, "--home", str(tmp_path / "h"), "init")
    assert code == 1 and "towns.csv" in err


def test_init_refuses_a_broken_towns_file_as_a_malformed_configuration_and_makes_no_home(tmp_path, capsys):
    broken = tmp_path / "towns.csv"
    broken.write_text("code,name,kind\nT1,甲镇,村\n", encoding="utf-8")
    code, _, err = run(capsys, "--home", str(tmp_path / "h"), "init", "--towns", str(broken))
    assert code == 2 and "第2行" in err and "kind" in err
    assert not (tmp_path / "h").exists()


def init_fixture_home(argv_home: list[str]) -> int:
    return main([*argv_home, "init", "--towns", str(FIXTURES / "towns.csv"), "--rules", str(FIXTURES / "rules.toml")])


def test_home_is_the_option_then_sanse_home_then_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SANSE_HOME", str(tmp_path / "from-env"))
    assert init_fixture_home(["--home", str(tmp_path / "from-option")]) == 0
    assert (tmp_path / "from-option" / "towns.csv").exists()
    assert not (tmp_path / "from-env").exists()
    assert init_fixture_home([]) == 0
    assert (tmp_path / "from-env" / "towns.csv").exists()
    monkeypatch.delenv("SANSE_HOME")
    assert not (tmp_path / "data").exists()
    assert init_fixture_home([]) == 0
    assert (tmp_path / "data" / "towns.csv").exists()


# ---------------------------------------------------------------- ingest


def test_ingest_bad_file_exits_1_lists_errors_and_writes_nothing(tmp_path, capsys):
    home = Home(tmp_path / "h")
    init_fixture_home(["--home", str(home.root)])
    code, _, err = run(capsys, "--home", str(home.root), "ingest", str(FIXTURES / "daily_bad.csv"))
    assert code == 1
    assert err.count("daily_bad.csv 第") == 9
    assert stored(home)["submissions"] == stored(home)["files"] == 0


def test_ingest_of_a_missing_file_is_bad_input(tmp_path, capsys):
    code, _, err = run(capsys, "--home", str(tmp_path), "ingest", str(tmp_path / "nope.csv"))
    assert code == 1 and "找不到文件" in err


# ---------------------------------------------------------------- rank


def test_rank_json_has_the_spec_keys_in_order(demo_home_readonly, capsys):
    code, out, _ = run(capsys, "--home", str(demo_home_readonly.root), "rank", "--date", str(LAST), "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 23
    assert all(list(row) == KEYS for row in rows)
    assert [row["rank"] for row in rows] == sorted(row["rank"] for row in rows)
    for row in rows:
        assert row["date"] == "2026-10-30" and row["group"] == ""
        assert row["tier"] in ("blue", "yellow", "red")
        assert row["major_hazard_rate"] == pytest.approx(row["major_hazards"] / row["inspections"])
        assert 0 <= row["halt_rate"] <= 1 and 0 <= row["case_rate"] <= 1
        assert 0 <= row["score"] <= 100
        assert isinstance(row["rank_change"], int) and isinstance(row["red_alert"], bool)
    assert max(row["score"] for row in rows) == rows[0]["score"]


def test_rank_csv_has_the_same_rows_as_json(demo_home_readonly, capsys):
    home = str(demo_home_readonly.root)
    _, out, _ = run(capsys, "--home", home, "rank", "--date", str(FIRST), "--format", "csv")
    assert out.splitlines()[0] == ",".join(KEYS)
    table = list(csv.DictReader(io.StringIO(out)))
    _, out, _ = run(capsys, "--home", home, "rank", "--date", str(FIRST), "--format", "json")
    rows = json.loads(out)
    assert len(table) == len(rows) == 23
    for text, row in zip(table, rows):
        assert text["code"] == row["code"] and int(text["rank"]) == row["rank"]
        assert float(text["score"]) == pytest.approx(row["score"], rel=1e-12)
        assert float(text["major_hazard_rate"]) == pytest.approx(row["major_hazard_rate"], rel=1e-12)
        assert text["rank_change"] == "" and row["rank_change"] is None  # the first day
        assert text["not_reported"] in ("true", "false")
        assert text["not_reported"] == str(row["not_reported"]).lower()


def test_rank_table_is_the_default_format(demo_home_readonly, capsys):
    code, out, _ = run(capsys, "--home", str(demo_home_readonly.root), "rank", "--date", str(LAST))
    assert code == 0 and len(out.splitlines()) == 24 and "blue" in out


def test_rank_on_a_date_without_ranking_exits_1(demo_home_readonly, capsys):
    code, out, err = run(
        capsys, "--home", str(demo_home_readonly.root), "rank", "--date", "2026-11-30", "--format", "json"
    )
    assert code == 1 and out == ""
    assert "没有排名" in err and "2026-09-01 至 2026-10-30" in err


def test_rank_before_any_build_exits_1(tmp_path, capsys):
    code, _, err = run(capsys, "--home", str(tmp_path), "rank", "--date", "2026-10-30")
    assert code == 1 and "build" in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["rank"],
        ["rank", "--date", "2026/10/30"],
        ["rank", "--date", "2026-10-30", "--format", "xml"],
        ["no-such-command"],
        ["ingest"],
        ["demo-data"],
    ],
)
def test_usage_errors_exit_2(tmp_path, capsys, argv):
    code, _, err = run(capsys, "--home", str(tmp_path), *argv)
    assert code == 2
    assert "usage" in err


def test_help_exits_0(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "sanse" in out


# ---------------------------------------------------------------- demo-data


def test_demo_data_writes_files_that_init_and_ingest_accept(tmp_path, capsys, time_machine):
    time_machine.move_to(datetime(2026, 9, 4, 9, 0, tzinfo=BEIJING))  # the days end yesterday
    out = tmp_path / "demo"
    code, _, _ = run(capsys, "demo-data", "--out", str(out), "--towns", "6", "--days", "3", "--seed", "7")
    assert code == 0
    reports = sorted((out / "reports").glob("*.csv"))
    assert [p.name for p in reports] == ["2026-09-01.csv", "2026-09-02.csv", "2026-09-03.csv"]
    assert reports[0].read_bytes().startswith("\ufeff日期,镇街".encode("utf-8"))
    home = str(tmp_path / "h")
    assert main(["--home", home, "init", "--towns", str(out / "towns.csv"), "--rules", str(out / "rules.toml")]) == 0
    assert main(["--home", home, "ingest", *map(str, reports)]) == 0
    code, text, _ = run(capsys, "--home", home, "rank", "--date", "2026-09-03", "--format", "json")
    assert code == 0 and len(json.loads(text)) == 6


def test_demo_data_for_a_long_campaign_ends_by_today_so_ingest_accepts_it(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo-data", "--out", str(out), "--towns", "3", "--days", "400"]) == 0
    reports = sorted((out / "reports").glob("*.csv"))
    start = read_settings(out / "rules.toml").campaign.start
    assert len(reports) == 400 and reports[0].stem == start.isoformat()
    assert date.fromisoformat(reports[-1].stem) <= clock.today()
    home = str(tmp_path / "h")
    assert main(["--home", home, "init", "--towns", str(out / "towns.csv"), "--rules", str(out / "rules.toml")]) == 0
    assert main(["--home", home, "ingest", "--no-build", str(reports[0]), str(reports[-1])]) == 0


def test_demo_data_is_deterministic_for_a_seed(tmp_path, capsys):
    for name in ("a", "b"):
        assert main(["demo-data", "--out", str(tmp_path / name), "--towns", "4", "--days", "2", "--seed", "3"]) == 0
    written = sorted((tmp_path / "a" / "reports").glob("*.csv"))
    assert len(written) == 2
    for path in written:
        assert path.read_bytes() == (tmp_path / "b" / "reports" / path.name).read_bytes()


def test_demo_data_refuses_zero_days(tmp_path, capsys):
    code, _, err = run(capsys, "demo-data", "--out", str(tmp_path / "d"), "--days", "0")
    assert code == 1 and "--days" in err


# ---------------------------------------------------------------- the installed command


def test_installed_sanse_command_ranks_and_reports_usage_errors(demo_home_readonly):
    env = {k: v for k, v in os.environ.items() if k != "SANSE_HOME"}
    done = subprocess.run(
        [str(VENV_SANSE), "--home", str(demo_home_readonly.root), "rank", "--date", str(LAST), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [list(row) for row in json.loads(done.stdout)] == [KEYS] * 23
    usage = subprocess.run([str(VENV_SANSE), "rank"], capture_output=True, text=True, env=env, check=False)
    assert usage.returncode == 2 and "--date" in usage.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "sanse", "--home", str(demo_home_readonly.root), "rank", "--date", "2020-01-01"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert missing.returncode == 1 and "没有排名" in missing.stderr
