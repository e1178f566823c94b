"""Colours only where data stands behind them (design §2): a day or a period on which no town
reported is not ranked or published; in a period a town without any data is 未报送, outside
the tiers; a day published before its deadline names the towns still missing; a period is
named and spanned from the campaign's start.

The city: the 23 demo towns, a campaign from 1 June 2023. Every town reports 1-9 June, all but
the last three (T21-T23) on 10 June, nobody from 11 June to 4 August, and 云岫街道 (T01) alone on
5 August.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import stored

from sanse.access.accounts import add_user
from sanse.access.roles import SYSTEM, User
from sanse.cli.main import main
from sanse.deployment.demo import demo_settings, demo_towns
from sanse.deployment.home import Home
from sanse.deployment.rules_file import write_settings
from sanse.deployment.towns import write_towns
from sanse.facts import clock
from sanse.facts.periods import Period, parse_period
from sanse.publishing.issue import BulletinError, list_issues
from sanse.publishing.prose import bulletin_paragraphs
from sanse.publishing.publish import MissingReports, publish_bulletin
from sanse.store import DATABASE_URL_ENV

HEADER = "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）"
START = date(2023, 6, 1)
TOWNS = demo_towns()


def late_towns() -> list[str]:
    """The three towns that did not report 10 June: the last three of towns.csv."""
    return [town.name for town in TOWNS[-3:]]


def figures(index: int, day: date) -> str:
    """Town `index` on `day`: 10+index inspections, a few major hazards, halts and cases."""
    major = (index * 7 + day.day) % 5
    return f"{10 + index},{major + 3},{major},1,{(index + day.day) % 3},{(index * 3 + day.day) % 4},0,0"


def write_city(root: Path) -> Home:
    home = Home(root).ensure()
    write_towns(TOWNS, home.towns_csv)
    settings = demo_settings()
    write_settings(replace(settings, campaign=replace(settings.campaign, start=START)), home.rules_toml)
    lines = [HEADER]
    for day in (date(2023, 6, d) for d in range(1, 11)):
        reporting = TOWNS[:-3] if day.day == 10 else TOWNS
        lines += [f"{day},{town.name},{figures(i, day)}" for i, town in enumerate(reporting)]
    lines.append(f"2023-08-05,{TOWNS[0].name},{figures(0, date(2023, 8, 5))}")
    (root / "reports.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--home", str(root), "ingest", str(root / "reports.csv")]) == 0
    return home


@pytest.fixture
def city(store_url, tmp_path, monkeypatch) -> Home:
    """The city, its store on SQLite under its home or on PostgreSQL."""
    if store_url.startswith("postgresql"):
        monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    return write_city(tmp_path / "home")


@pytest.fixture(scope="module")
def sqlite_city(tmp_path_factory) -> Home:
    """The city on SQLite, for what only reads it."""
    return write_city(tmp_path_factory.mktemp("unreported") / "home")


def run(capsys, home: Home, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--home", str(home.root), *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


# ---------------------------------------------------------------- days and periods nobody reported


def test_a_day_nobody_reported_is_not_ranked_whatever_the_window(sqlite_city, capsys):
    code, out, err = run(capsys, sqlite_city, "rank", "--date", "2023-07-15", "--format", "json")
    assert (code, out) == (1, "")
    assert "2023-07-15 没有任何镇街报送数据，当日不排名、不评定等级" in err
    code, out, _ = run(capsys, sqlite_city, "rank", "--date", "2023-08-05", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 23 and all(r["rank_change"] is None for r in rows)  # nothing to move from


@pytest.mark.parametrize("period", ["2023-07", "2023-W30", "2023-07-01..2023-07-31"])
def test_a_period_nobody_reported_is_not_ranked(sqlite_city, capsys, period):
    code, out, err = run(capsys, sqlite_city, "rank", "--period", period)
    assert (code, out) == (1, "")
    assert "没有镇街报送数据，不排名" in err  # before: 23 blue towns


def test_publishing_a_day_or_a_period_nobody_reported_is_refused_and_writes_nothing(city, capsys):
    before = stored(city)
    code, _, err = run(capsys, city, "publish", "--date", "2023-07-15")
    assert code == 1 and "2023-07-15 没有任何镇街报送数据" in err and "不能发布" in err
    code, _, err = run(capsys, city, "publish", "--period", "2023-07")
    assert code == 1 and "2023年7月（2023年7月1日至7月31日）没有镇街报送数据" in err
    with pytest.raises(BulletinError, match="没有任何镇街报送数据"):
        publish_bulletin(city, date(2023, 7, 15), by=SYSTEM, confirm_missing=True)
    assert stored(city) == before and list_issues(city, None) == []


# ---------------------------------------------------------------- 未报送 in a period


def test_in_a_period_a_town_without_data_has_no_tier_or_rank_and_is_not_counted(sqlite_city, capsys):
    """1-5 August: only 云岫街道 reported, so it ranks 1 of 1 (B = min(5, 1) = 1: blue); the
    other 22 are 未报送 — before, they were ranked on zeros and all tied blue."""
    code, out, _ = run(capsys, sqlite_city, "rank", "--period", "2023-08-01..2023-08-05", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 23
    assert [(r["code"], r["rank"], r["tier"]) for r in rows][0] == ("T01", "1", "blue")
    silent = rows[1:]
    assert {(r["rank"], r["tier"], r["score"], r["major_hazard_rate"], r["rank_change"]) for r in silent} == {
        ("", "", "", "", "")
    }
    assert all(r["not_reported"] == "true" and r["no_inspections"] == "true" for r in silent)
    code, out, _ = run(capsys, sqlite_city, "rank", "--period", "2023-08-01..2023-08-05", "--format", "json")
    records = json.loads(out)
    assert [r["tier"] for r in records].count(None) == 22 and [r["rank"] for r in records].count(None) == 22
    code, out, _ = run(capsys, sqlite_city, "rank", "--period", "2023-08-01..2023-08-05")
    assert code == 0 and out.count("未报送") == 22 and "nan" not in out and "<NA>" not in out


def test_a_town_without_data_in_a_period_is_not_counted_in_its_groups_size(tmp_path, capsys):
    """The tier places as fractions of N count only the towns that reported (blue = red = 0.5).

    2-5 June over three towns (inspections, major hazards): 甲 (10, 2), 乙 nothing, 丙 (10, 1).
    N = 2: B = round(1.0) = 1, R = min(round(1.0), 2 - 1) = 1: 甲 blue, 丙 red. Counting 乙
    (N = 3: B = round(1.5) = 2) made 丙 blue as well."""
    root = tmp_path / "home"
    root.mkdir()
    (root / "towns.csv").write_text(
        "code,name,kind,group,aliases,active\nT1,甲镇,镇,,,1\nT2,乙镇,镇,,,1\nT3,丙乡,乡,,,1\n", encoding="utf-8"
    )
    (root / "rules.toml").write_text(
        '[campaign]\nstart = 2023-06-01\n\n[[rules]]\nwindow = "daily"\nblue = 0.5\nred = 0.5\n'
        '[[rules.indicators]]\nkey = "major_hazard_rate"\nlabel = "重大隐患发现率"\nnumerator = "major_hazards"\n',
        encoding="utf-8",
    )
    lines = [HEADER, "2023-06-01,乙镇,10,1,1,0,0,0,0,0", "2023-06-02,甲镇,10,2,2,0,0,0,0,0"]
    lines.append("2023-06-03,丙乡,10,1,1,0,0,0,0,0")
    (root / "reports.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--home", str(root), "ingest", str(root / "reports.csv")]) == 0
    code, out, _ = run(capsys, Home(root), "rank", "--period", "2023-06-02..2023-06-05", "--format", "json")
    assert code == 0
    assert [(r["code"], r["rank"], r["tier"]) for r in json.loads(out)] == [
        ("T1", 1, "blue"),
        ("T3", 2, "red"),
        ("T2", None, None),
    ]


def test_a_period_issue_lists_towns_without_data_as_未报送_in_its_text_and_every_export(city):
    from openpyxl import load_workbook

    from sanse.publishing.exports import export_issue, unavailable

    issue = publish_bulletin(city, parse_period("2023-08-01..2023-08-05"), by=SYSTEM)
    assert issue.tier_counts() == {"blue": 1, "yellow": 0, "red": 0}
    assert issue.previous_day is None  # 27-31 July nobody reported: nothing to have changed from
    text = "\n".join(bulletin_paragraphs(issue))
    assert "蓝色1个、黄色0个、红色0个；22个镇街本时段没有报送任何数据，不参加排名。" in text
    assert "等级发生变化" not in text and "等级没有变化" not in text
    assert "青禾街道（5天，未参加排名）" in text

    sheet = load_workbook(io.BytesIO(export_issue(issue, "xlsx")))["排名"]
    header = [c.value for c in sheet[2]]
    rows = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=3, max_row=25)]
    assert rows[0]["镇街"] == "云岫街道" and rows[0]["等级"] == "蓝" and rows[0]["排名"] == 1
    assert {(r["排名"], r["等级"], r["重大隐患发现率"], r["综合得分"]) for r in rows[1:]} == {
        (None, "未报送", None, None)
    }
    table = export_issue(issue, "csv").decode("utf-8-sig")
    assert table.count(",未报送,") == 22 and "None" not in table and "nan" not in table
    page = export_issue(issue, "html").decode("utf-8")
    assert page.count(">未报送<") >= 22 and "None" not in page
    docx = export_issue(issue, "docx")
    assert b"None" not in docx
    if not unavailable("pdf"):
        from pypdf import PdfReader

        pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(export_issue(issue, "pdf"))).pages)
        assert "未报送" in pdf and "None" not in pdf


# ---------------------------------------------------------------- before the deadline


def at_beijing(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.BEIJING)


def test_publishing_a_day_before_its_deadline_with_towns_missing_asks_to_confirm(city, capsys, monkeypatch):
    """10 June, deadline 17:00 (the default): at 10:00 three towns have not reported."""
    monkeypatch.setattr(clock, "now", lambda: at_beijing(date(2023, 6, 10), 10))
    before = stored(city)
    code, _, err = run(capsys, city, "publish", "--date", "2023-06-10")
    assert code == 1 and stored(city) == before
    assert "2023年6月10日的报送截止时间（17:00）还没到，3个镇街尚未报送：" + "、".join(late_towns()) in err
    assert "--confirm-missing" in err
    with pytest.raises(MissingReports) as refused:
        publish_bulletin(city, date(2023, 6, 10), by=SYSTEM)
    assert refused.value.towns == tuple(late_towns())
    code, out, _ = run(capsys, city, "publish", "--date", "2023-06-10", "--confirm-missing")
    assert code == 0 and "第1期" in out
    (issue,) = list_issues(city)
    assert sorted(r["town"] for r in issue.not_reported) == sorted(late_towns())


def test_after_the_deadline_or_with_every_town_in_a_day_publishes_without_asking(city, capsys, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: at_beijing(date(2023, 6, 10), 17, 1))
    assert run(capsys, city, "publish", "--date", "2023-06-10")[0] == 0
    monkeypatch.setattr(clock, "now", lambda: at_beijing(date(2023, 6, 9), 9))
    assert run(capsys, city, "publish", "--date", "2023-06-09")[0] == 0  # all 23 reported 9 June


# ---------------------------------------------------------------- clipped to the campaign


def test_a_period_begun_before_the_campaign_is_named_and_spanned_from_its_start(city, capsys):
    """The campaign starts on 1 June: the second quarter is 1-30 June, never April and May."""
    code, _, err = run(capsys, city, "rank", "--period", "2023-Q2")
    assert code == 0 and "2023年第2季度（2023年6月1日至6月30日）排名" in err
    issue = publish_bulletin(city, parse_period("2023-Q2"), by=User("office", "admin"))
    assert (issue.first, issue.day, issue.period) == (
        START,
        date(2023, 6, 30),
        Period(START, date(2023, 6, 30), "quarter"),
    )
    text = "\n".join(bulletin_paragraphs(issue))
    assert "2023年第2季度（2023年6月1日至6月30日）" in text and "4月" not in text and "5月" not in text
    assert issue.totals["day"]["days"] == 30
    from sanse.publishing.exports import export_issue

    assert "4月" not in export_issue(issue, "html").decode("utf-8")
    code, _, _ = run(
        capsys, city, "export", "--period", "2023-Q2", "--format", "csv", "--out", str(city.root / "q.csv")
    )
    assert code == 0


def test_a_date_range_begun_before_the_campaign_is_published_and_found_from_its_start(city, capsys):
    code, out, _ = run(capsys, city, "publish", "--period", "2023-05-20..2023-06-05")
    assert code == 0 and "2023-06-01至2023-06-05" in out
    for asked in ("2023-05-20..2023-06-05", "2023-06-01..2023-06-05"):
        code, _, _ = run(
            capsys, city, "export", "--period", asked, "--format", "xlsx", "--out", str(city.root / "r.xlsx")
        )
        assert code == 0


def test_a_two_month_period_begun_in_its_second_month_is_named_for_that_month():
    from sanse.facts.periods import clipped

    assert clipped(parse_period("2023-B3"), START).label == "2023年6月"  # May-June, from 1 June
    assert clipped(parse_period("2023-B3"), START).key == "2023-B3"
    assert clipped(parse_period("2023-B4"), START) == parse_period("2023-B4")  # after the start: as it is
    assert clipped(parse_period("2023-Q3"), date(2023, 9, 1)).span == "2023年9月1日至9月30日"
    assert clipped(parse_period("2023-Q3"), date(2023, 9, 1)).label == "2023年第3季度"


# ---------------------------------------------------------------- pages


@pytest.fixture
def app_city(sqlite_city, tmp_path, monkeypatch) -> Home:
    """A private copy of the city with an office account, served to AppTest."""
    from conftest import copy_home

    home = copy_home(sqlite_city, tmp_path / "app")
    add_user(home, "office", role="admin", password="office password 1")
    monkeypatch.setenv("SANSE_HOME", str(home.root))
    return home


def open_page(page: str | None, **state):
    from streamlit.testing.v1 import AppTest

    from sanse.access.sessions import start_session

    at = AppTest.from_file(str(Path(__file__).parents[1] / "app.py"), default_timeout=60)
    at.session_state["sanse.session"] = start_session(Home.resolve(), User("office", "admin")).token
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at) -> str:
    parts = [e.value for e in at.warning] + [e.value for e in at.error] + [e.value for e in at.markdown]
    parts += [e.value for e in at.caption] + [e.value for e in at.text] + [str(e.proto) for e in at.get("html")]
    return "\n".join(map(str, parts))


@pytest.mark.parametrize("page", [None, "read/ranking.py", "read/town.py", "read/confidence.py"])
def test_pages_say_nobody_reported_a_day_and_show_no_colours(app_city, page):
    at = open_page(page, **{"sanse.date": date(2023, 7, 15)})
    text = shown(at)
    assert "2023年7月15日 没有任何镇街报送数据：当日不排名，不评定等级，也没有名次变化。" in text
    assert "sanse-tile" not in text and "sanse-count" not in text and not at.dataframe and not at.metric


def test_the_day_after_days_nobody_reported_shows_no_movement(app_city):
    at = open_page(None, **{"sanse.date": date(2023, 8, 5)})
    text = shown(at)
    assert "前一天没有排名（没有镇街报送，或活动第一天），没有可比的名次变化。" in text
    assert "今日没有名次变化" not in text


def test_the_draft_of_a_day_nobody_reported_is_refused_and_cannot_be_published(app_city):
    at = open_page("read/bulletin.py", **{"sanse.date": date(2023, 7, 15)})
    assert any("2023年7月15日 没有任何镇街报送数据：当日不排名" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == "bulletin.publish"] and not at.text_area


def test_the_period_pages_refuse_a_month_nobody_reported_and_show_未报送(app_city):
    at = open_page("read/periods.py")
    at.selectbox(key="periods.pick.month").set_value(Period(date(2023, 7, 1), date(2023, 7, 31), "month")).run()
    assert any("没有镇街报送数据，不排名" in w.value for w in at.warning) and not at.dataframe
    at.selectbox(key="periods.pick.month").set_value(Period(date(2023, 8, 1), date(2023, 8, 31), "month")).run()
    table = at.dataframe[0].value
    assert list(table["等级"]).count("未报送") == 22 and table["排名"].isna().sum() == 22
    assert list(table["等级"])[0] == "蓝"
    assert any("2023年7月没有镇街报送数据、没有排名：没有名次变化" in c.value for c in at.caption)

    at = open_page("read/bulletin.py", **{"bulletin.kind": "month"})
    at.selectbox(key="bulletin.period.month").set_value(Period(date(2023, 7, 1), date(2023, 7, 31), "month")).run()
    assert any("没有镇街报送数据" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "bulletin.publish"]


def test_the_period_picker_names_the_first_period_from_the_campaigns_start(app_city):
    at = open_page("read/periods.py", **{"periods.kind": "quarter"})
    options = at.selectbox(key="periods.pick.quarter").options
    assert options == ["2023年第3季度（2023年7月1日至9月30日）", "2023年第2季度（2023年6月1日至6月30日）"]


def test_the_office_confirms_publishing_before_the_deadline_by_the_missing_towns_names(app_city, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: at_beijing(date(2023, 6, 10), 10))
    at = open_page("read/bulletin.py", **{"sanse.date": date(2023, 6, 10)})
    warning = next(w.value for w in at.warning if "截止时间" in w.value)
    assert "3个镇街尚未报送：" + "、".join(late_towns()) in warning
    at.checkbox(key="bulletin.confirm").check().run()
    assert at.button(key="bulletin.publish").disabled  # the names are not confirmed yet
    at.checkbox(key="bulletin.confirm_missing").check().run()
    at.button(key="bulletin.publish").click().run()
    assert not at.exception
    (issue,) = list_issues(app_city)
    assert issue.number == 1 and sorted(r["town"] for r in issue.not_reported) == sorted(late_towns())
