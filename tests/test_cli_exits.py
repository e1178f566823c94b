"""What the `sanse` command says and returns when an argument is out of range or a step fails
(design §7): 0 ok; 1 bad input or a refusal, nothing written; 2 a malformed argument or
configuration file; 3 a failure after something was committed, saying what was. No traceback."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import DEMO_END, fixture_city, stored

from sanse.cli.main import main
from sanse.deployment.home import Home
from sanse.facts.clock import BEIJING
from sanse.store import StoreError, close_all, database_url, open_store
from sanse.store.migrate import SCHEMA_REVISION, current_revision

FIXTURES = Path(__file__).parent / "fixtures"
DAILY = FIXTURES / "daily_utf8.csv"  # 2023-06-01 and 06-02 for the fixture city


def run(capsys, home: Home, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--home", str(home.root), *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def city(tmp_path) -> Home:
    """The fixture city with its two days of reports (campaign from 2023-06-01)."""
    home = fixture_city(tmp_path)
    assert main(["--home", str(home.root), "ingest", str(DAILY)]) == 0
    return home


# ---------------------------------------------------------------- days and periods


@pytest.mark.parametrize("command", ["rank", "publish", "export"])
def test_a_period_past_the_calendar_is_a_malformed_argument(city, capsys, command):
    extra = ["--format", "csv", "--out", str(city.root / "x.csv")] if command == "export" else []
    code, _, err = run(capsys, city, command, "--period", "9999-W52", *extra)
    assert code == 2 and "“9999-W52”超出可以表示的日期范围" in err and "Traceback" not in err


def test_a_day_or_period_outside_the_campaign_is_refused_and_nothing_is_published(city, capsys, time_machine):
    time_machine.move_to(datetime(2023, 6, 10, 9, 0, tzinfo=BEIJING))
    before = stored(city)
    for argv, what in [
        (["rank", "--period", "9999-W01"], "9999年第1周（9999年1月4日至1月10日） 没有数据"),
        (["rank", "--period", "2023-05"], "2023年5月（2023年5月1日至5月31日） 没有数据"),
        (["rank", "--date", "2023-06-11"], "2023-06-11 没有排名"),
        (["publish", "--period", "2023-W24"], "2023年第24周（2023年6月12日至6月18日） 不能发布"),
        (["publish", "--date", "2023-05-31"], "2023-05-31 不能发布"),
    ]:
        code, _, err = run(capsys, city, *argv)
        assert code == 1 and f"{what}：不在运动期间（2023-06-01 至今天 2023-06-10）内" in err
    assert stored(city) == before
    assert run(capsys, city, "rank", "--period", "2023-W22")[0] == 0  # 29 May to 4 June: overlaps


# ---------------------------------------------------------------- ids and deadlines


def test_an_item_id_past_its_column_is_no_such_item(demo_home, capsys):
    code, _, err = run(capsys, demo_home, "supervise", "close", "99999999999999999999")
    assert code == 1 and "没有编号为 99999999999999999999 的督办事项" in err and "Overflow" not in err


def test_a_deadline_before_its_day_is_refused_and_nothing_is_written(demo_home, capsys, time_machine):
    time_machine.move_to(datetime(2026, 10, 31, 9, 0, tzinfo=BEIJING))
    before = stored(demo_home)
    argv = ["supervise", "add", "--town", "T01", "--measure", "约谈", "--reason", "台账不实", "--deadline"]
    code, _, err = run(capsys, demo_home, *argv, "1900-01-01")
    assert code == 1 and "整改期限应在 2026-11-01 至 2027-10-31 之间" in err
    assert stored(demo_home) == before
    assert run(capsys, demo_home, *argv, "2026-11-07")[0] == 0


# ---------------------------------------------------------------- failures after a commit


def test_ingest_that_fails_after_its_commit_exits_3_and_says_what_was_kept(city, capsys, monkeypatch):
    import sanse.pipelines.build.warehouse

    def disk_full(home):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sanse.pipelines.build.warehouse, "build", disk_full)
    monthly = city.root.parent / "june-3.csv"
    monthly.write_text(
        DAILY.read_text(encoding="utf-8").splitlines()[0] + "\n2023-06-03,东湖街道,12,5,1,4,0,1,0,0.5\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, city, "ingest", str(monthly))
    assert code == 3
    assert "june-3.csv: 新增或更正 1 行" in out
    assert "磁盘空间已满" in err and "在此之前已保存" in err and "  june-3.csv: 新增或更正 1 行，未变 0 行" in err
    assert "Traceback" not in err
    assert stored(city)["submissions"] == 2


def test_a_refusal_after_a_commit_is_exit_3_not_1(city, capsys, monkeypatch):
    from sanse.pipelines.build.models import CheckFailed

    def failing_check(home):
        raise CheckFailed("数据检查未通过：示例")

    monkeypatch.setattr("sanse.pipelines.build.warehouse.build", failing_check)
    code, _, err = run(capsys, city, "ingest", str(FIXTURES / "daily_english.csv"))
    assert code == 3 and "数据检查未通过：示例" in err and "daily_english.csv: 新增或更正" in err


def test_an_unexpected_failure_is_one_plain_line_and_its_detail_is_logged_in_the_home(city, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr("sanse.ranking.rank.public_ranking", broken)
    code, out, err = run(capsys, city, "rank", "--date", "2023-06-02")
    assert code == 1 and out == ""
    assert err == "错误：出现未预料的错误（RuntimeError），未能完成。详情已记入 home 目录下的 logs/sanse.log\n"
    logged = (city.root / "logs" / "sanse.log").read_text(encoding="utf-8")
    assert "Traceback" in logged and "something inside broke" in logged


def test_the_installed_command_prints_no_traceback_when_the_disk_fills_after_a_commit(city):
    """A real process, where no test harness catches what logging would print."""
    script = (
        "import errno, sys, sanse.pipelines.build.warehouse as b\n"
        "def full(home): raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "b.build = full\n"
        "from sanse.cli.main import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    monthly = city.root.parent / "june-4.csv"
    monthly.write_text(
        DAILY.read_text(encoding="utf-8").splitlines()[0] + "\n2023-06-04,西山镇,8,3,0,3,1,0,0,0\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SANSE_HOME", "SANSE_DATABASE_URL")}
    done = subprocess.run(
        [sys.executable, "-c", script, "--home", str(city.root), "ingest", str(monthly)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 3
    assert "Traceback" not in done.stderr and "新增或更正 1 行" in done.stderr
    assert done.stderr.startswith("错误：磁盘空间已满")


# ---------------------------------------------------------------- the store and the home


def test_a_store_from_a_newer_release_is_refused_and_left_untouched(store_url):
    store = open_store(store_url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("update alembic_version set version_num = '0099'"))
    close_all()
    with pytest.raises(StoreError, match="请升级 Sanse") as refused:
        open_store(store_url)
    assert "0099" in str(refused.value) and SCHEMA_REVISION in str(refused.value)
    engine = sa.create_engine(store_url)
    try:
        assert current_revision(engine) == "0099"
        with engine.connect() as conn:
            assert conn.execute(sa.text("select count(*) from submissions")).scalar_one() == 0
    finally:
        engine.dispose()


def test_the_command_refuses_a_store_from_a_newer_release_with_exit_1(city, capsys):
    with city.store.engine.begin() as conn:
        conn.execute(sa.text("update alembic_version set version_num = '0099'"))
    close_all()
    code, _, err = run(capsys, city, "user", "list")
    assert code == 1 and "请升级 Sanse" in err and "Traceback" not in err


def test_upgrade_of_a_missing_home_refuses_and_creates_nothing(tmp_path, capsys):
    missing = Home(tmp_path / "mistyped")
    for argv in (["upgrade"], ["user", "list"], ["build"]):
        code, _, err = run(capsys, missing, *argv)
        assert code == 1 and "没有 home 目录" in err
    assert not missing.root.exists()
    assert not Path(database_url(missing.root).removeprefix("sqlite:///")).exists()


def test_init_refuses_a_demo_ending_after_today_and_makes_no_home(tmp_path, capsys, time_machine):
    time_machine.move_to(datetime(2026, 12, 5, 23, 30, tzinfo=BEIJING))
    home = Home(tmp_path / "h")
    code, _, err = run(capsys, home, "init", "--demo", "--end", "2026-12-06")
    assert code == 1 and "--end 应在 2000-01-01 至今天（2026-12-05）之间" in err
    assert not home.root.exists()
    assert run(capsys, home, "init", "--demo", "--end", "2026-13-01")[0] == 2
    assert run(capsys, home, "init", "--demo", "--end", str(DEMO_END), "--publish-days", "61")[0] == 1


def test_a_log_that_cannot_be_flushed_to_a_full_disk_is_dropped_without_a_traceback(city):
    """On a full disk the log's last write fails when it is closed (seen on a 2 MB tmpfs)."""
    import logging

    from sanse.cli.main import _HomeLog

    class FullDisk:
        def write(self, text):
            pass

        def flush(self):
            raise OSError(errno.ENOSPC, "No space left on device")

        close = flush

    logged = _HomeLog(city)
    logged.emit(logging.LogRecord("sanse", logging.ERROR, __file__, 1, "failed", None, None))
    assert logged.written and (city.root / "logs" / "sanse.log").exists()
    logged.stream.close()
    logged.stream = FullDisk()
    logged.emit(logging.LogRecord("sanse", logging.ERROR, __file__, 1, "failed again", None, None))
    assert not logged.written
    logged.close()  # does not raise


def test_the_dashboard_on_a_store_from_a_newer_release_says_to_upgrade(demo_home, monkeypatch):
    from streamlit.testing.v1 import AppTest

    with demo_home.store.engine.begin() as conn:
        conn.execute(sa.text("update alembic_version set version_num = '0099'"))
    close_all()
    monkeypatch.setenv("SANSE_HOME", str(demo_home.root))
    at = AppTest.from_file(str(Path(__file__).parents[1] / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"数据库由更新版本的 Sanse 建立（数据库版本 0099，本版本只到 {SCHEMA_REVISION}）：请升级 Sanse 后再使用。数据库未作任何改动"
    ]
    close_all()
    engine = sa.create_engine(database_url(demo_home.root))
    assert current_revision(engine) == "0099"
    engine.dispose()
