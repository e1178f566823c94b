"""Who may do what, enforced by the domain and the CLI; hostile input stays plain text."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from conftest import stored

from sanse.access import accounts
from sanse.access.accounts import add_user
from sanse.access.audit import read_audit
from sanse.access.roles import ANONYMOUS, SYSTEM, Forbidden, User, require
from sanse.cli.main import main
from sanse.deployment.home import Home
from sanse.pipelines.reports.ingest import check_report, ingest_file
from sanse.pipelines.reports.measure import MAX_FILE_BYTES
from sanse.ranking.warehouse import Warehouse
from sanse.store.reports import history

REPO = Path(__file__).resolve().parents[1]
HEADER = "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）\n"
YUNXIU = User("li", "town", "T01")  # 云岫街道
READER = User("reader", "viewer")


def report(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode("utf-8")


@pytest.fixture
def quick_hashes(monkeypatch):
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


# ---------------------------------------------------------------- the rules themselves


def test_town_account_may_submit_for_its_own_town_only():
    assert YUNXIU.may("submit", "T01")
    assert not YUNXIU.may("submit", "T02")
    assert not YUNXIU.may("submit", None)


@pytest.mark.parametrize("action", ["submit", "publish", "change_rules", "manage_accounts", "read_audit"])
def test_viewer_is_refused_every_write(action):
    with pytest.raises(Forbidden):
        require(READER, action, "T01")
    with pytest.raises(Forbidden):
        require(ANONYMOUS, action, "T01")


@pytest.mark.parametrize("action", ["publish", "change_rules", "manage_accounts", "read_audit"])
def test_town_account_is_refused_office_work(action):
    with pytest.raises(Forbidden, match="管理员"):
        require(YUNXIU, action)


def test_viewer_publishing_is_refused_with_a_chinese_message():
    with pytest.raises(Forbidden, match="只有市安委办管理员可以发布《每日工作动态》"):
        require(READER, "publish")


def test_admin_may_do_everything_for_any_town():
    for action in ("read", "submit", "publish", "change_rules", "manage_accounts", "read_audit"):
        require(SYSTEM, action, "T07")


# ---------------------------------------------------------------- the domain enforces them


def test_town_account_file_with_another_towns_row_writes_nothing(demo_home):
    before = stored(demo_home)
    content = report("2026-10-30,云岫,40,10,2,5,1,1,0,0", "2026-10-30,青禾,40,10,2,5,1,1,0,0")
    result = ingest_file(demo_home, content, "two.csv", by=YUNXIU)
    assert not result.ok
    assert [str(p) for p in result.report.errors] == ["第3行“镇街”列：本账号只能报送本镇街的数据，不能报送青禾街道"]
    assert stored(demo_home) == before


def test_town_account_rows_for_its_own_town_land_under_its_name(demo_home):
    result = ingest_file(demo_home, report("2026-10-30,云岫街道,41,10,2,5,1,1,0,0"), "mine.csv", by=YUNXIU)
    assert result.ok
    latest = history(demo_home.store, "T01").iloc[0]
    assert (latest["submitted_by"], latest["inspections"]) == ("li", 41)


def test_viewer_cannot_even_check_a_file(demo_home):
    content = report("2026-10-30,云岫,40,10,2,5,1,1,0,0")
    with pytest.raises(Forbidden, match="只读账号不能报送数据"):
        check_report(demo_home, content, "x.csv", by=READER)
    with pytest.raises(Forbidden):
        ingest_file(demo_home, content, "x.csv", by=READER)


def test_admin_submits_for_any_town(demo_home):
    content = report("2026-10-30,云岫,40,10,2,5,1,1,0,0", "2026-10-30,青禾,40,10,2,5,1,1,0,0")
    assert ingest_file(demo_home, content, "two.csv", by=User("zhang", "admin")).ok


# ---------------------------------------------------------------- and so does `sanse ingest --as`


@pytest.fixture
def town_file(tmp_path: Path) -> Path:
    path = tmp_path / "two.csv"
    path.write_bytes(report("2026-10-30,云岫,40,10,2,5,1,1,0,0", "2026-10-30,青禾,40,10,2,5,1,1,0,0"))
    return path


def test_cli_ingest_as_town_account_is_refused_another_town(demo_home, town_file, quick_hashes, capsys):
    add_user(demo_home, "li", role="town", town="云岫", password="yunxiu-2026")
    before = stored(demo_home)
    assert main(["--home", str(demo_home.root), "ingest", str(town_file), "--as", "li", "--no-build"]) == 1
    assert "本账号只能报送本镇街的数据，不能报送青禾街道" in capsys.readouterr().err
    assert stored(demo_home) == before


def test_cli_ingest_as_viewer_is_refused(demo_home, town_file, quick_hashes, capsys):
    add_user(demo_home, "reader", role="viewer", password="reader-2026")
    before = stored(demo_home)
    assert main(["--home", str(demo_home.root), "ingest", str(town_file), "--as", "reader", "--no-build"]) == 1
    assert "只读账号不能报送数据" in capsys.readouterr().err
    assert stored(demo_home) == before


def test_cli_ingest_as_unknown_account_exits_1(demo_home, town_file, capsys):
    before = stored(demo_home)
    assert main(["--home", str(demo_home.root), "ingest", str(town_file), "--as", "ghost", "--no-build"]) == 1
    assert "没有名为“ghost”的可用账号" in capsys.readouterr().err
    assert stored(demo_home) == before


def test_cli_ingest_without_as_acts_as_the_shell_operator(demo_home, town_file):
    assert main(["--home", str(demo_home.root), "ingest", str(town_file), "--no-build"]) == 0
    assert set(history(demo_home.store).head(2)["submitted_by"]) == {SYSTEM.name}


# ---------------------------------------------------------------- the audit of submissions


def test_submission_and_correction_are_audited_with_who_when_and_what(demo_home):
    first = report("2026-10-30,云岫,40,10,2,5,1,1,0,0")
    ingest_file(demo_home, first, "first.csv", by=YUNXIU)
    again = report("2026-10-30,云岫,40,10,2,5,1,1,0,0")
    ingest_file(demo_home, again, "again.csv", by=YUNXIU)  # nothing changes: nothing to audit
    fixed = report("2026-10-30,云岫,42,10,3,5,1,1,0,0")
    ingest_file(demo_home, fixed, "fixed.csv", by=YUNXIU)

    events = read_audit(demo_home, who="li")
    assert list(events["action"]) == ["correction", "correction"]  # the demo already had T01 on 10-30
    assert list(events["file"]) == ["fixed.csv", "first.csv"]
    assert events["what"].iloc[0] == "fixed.csv：新增或更正 1 行，其中更正 1 行（云岫街道 2026-10-30）"
    assert events["at"].iloc[0] > events["at"].iloc[1]


def test_first_figure_for_a_day_is_audited_as_a_submission(demo_home):
    ingest_file(demo_home, report("2026-11-02,云岫,40,10,2,5,1,1,0,0"), "new.csv", by=YUNXIU)
    event = read_audit(demo_home, who="li").iloc[0]
    assert (event["action"], event["action_label"], event["rows"], event["corrected"]) == ("submission", "报送", 1, 0)


# ---------------------------------------------------------------- hostile input stays plain text

SCRIPT_TOWN = "<script>alert(1)</script>"
HTML_FILE = "<img src=x onerror=alert(1)>.csv"


def test_html_in_town_and_file_names_goes_through_import_and_ranking_unchanged(tmp_path, capsys):
    towns = tmp_path / "towns.csv"
    towns.write_text(
        f'code,name,kind,group,aliases,active\nT01,青石镇,镇,,,1\nT02,"{SCRIPT_TOWN}",镇,,,1\nT03,白沙镇,镇,,,1\n',
        encoding="utf-8",
    )
    root = tmp_path / "home"
    Home(root).ensure()
    (root / "towns.csv").write_bytes(towns.read_bytes())
    upload = tmp_path / HTML_FILE
    upload.write_bytes(
        report(
            "2026-10-01,青石镇,10,4,1,3,0,1,0,0",
            f"2026-10-01,{SCRIPT_TOWN},10,4,3,3,1,2,0,0",
            "2026-10-01,白沙镇,10,4,0,3,0,0,0,0",
        )
    )
    assert main(["--home", str(root), "ingest", str(upload)]) == 0
    home = Home(root)
    assert history(home.store)["source_name"].unique().tolist() == [HTML_FILE]
    assert read_audit(home, action="submission")["file"].tolist() == [HTML_FILE]

    ranking = Warehouse.open(home).ranking(date(2026, 10, 1))
    assert ranking.iloc[0][["town", "tier"]].tolist() == [SCRIPT_TOWN, "blue"]
    capsys.readouterr()
    assert main(["--home", str(root), "rank", "--date", "2026-10-01", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["town"] == SCRIPT_TOWN


# ---------------------------------------------------------------- upload size


def test_oversized_upload_is_refused_in_chinese_and_writes_nothing(demo_home):
    before = stored(demo_home)
    content = report("2026-10-30,云岫,40,10,2,5,1,1,0,0") + b" " * MAX_FILE_BYTES
    result = ingest_file(demo_home, content, "huge.csv", by=SYSTEM)
    assert not result.ok
    assert [str(p) for p in result.report.errors] == ["文件：文件大小 20.0 MB，超过上限 20 MB：请按日期拆分后分别上传"]
    assert (stored(demo_home)) == before


def test_upload_of_exactly_the_limit_is_read(demo_home, monkeypatch):
    content = report("2026-10-30,云岫,40,10,2,5,1,1,0,0")
    monkeypatch.setattr("sanse.pipelines.reports.measure.MAX_FILE_BYTES", len(content))
    assert check_report(demo_home, content, "full.csv", by=SYSTEM).ok
    assert not check_report(demo_home, content + b"\n", "full.csv", by=SYSTEM).ok


def test_dashboard_upload_limit_matches_the_import_limit():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == MAX_FILE_BYTES
