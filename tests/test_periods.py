"""Periods (design §11): reading and naming them, the period before, and a period's ranking as
Σ numerator / Σ denominator of its days under the same scores, ties and tiers as a day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from sanse.cli.main import main
from sanse.deployment.home import Home
from sanse.deployment.rules_file import read_settings
from sanse.facts.periods import Period, PeriodError, parse_period, period_containing, periods_between
from sanse.ranking.periods import rank_period
from sanse.ranking.rank import public_ranking
from sanse.ranking.warehouse import Warehouse

HEADER = "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）"
MAJOR_ONLY = '[[rules.indicators]]\nkey = "major_hazard_rate"\nlabel = "重大隐患发现率"\nnumerator = "major_hazards"\n'


def three_towns(root: Path, window: str = "daily", extra_rules: str = "") -> Home:
    """Three towns ranked on the major hazard rate alone, 1 blue and 1 red, from Tuesday 29 September.

    (inspections, major hazards) per day; 乙 sends nothing on 1 October:

    | day   | 甲 T1 | 乙 T2 | 丙 T3 |
    | 09-29 | 10, 2 | 10, 1 | 10, 0 |
    | 09-30 | 10, 0 | 10, 1 | 10, 1 |
    | 10-01 | 10, 1 |   —   | 20, 1 |
    | 10-02 | 10, 0 | 10, 3 | 10, 1 |

    September: 甲 2/20 = .1, 乙 2/20 = .1, 丙 1/20 = .05: scores 100, 100, 50; ranks 1, 1, 3.
    October: 甲 1/20 = .05, 乙 3/10 = .3, 丙 2/30 = .0667: scores 16.67, 100, 22.22; ranks 3, 1, 2.
    Week 40 (28 Sep - 4 Oct): 甲 3/40 = .075, 乙 5/30 = .1667, 丙 3/50 = .06: ranks 2, 1, 3.
    """
    root.mkdir(parents=True)
    (root / "towns.csv").write_text(
        "code,name,kind,group,aliases,active\nT1,甲镇,镇,,,1\nT2,乙镇,镇,,,1\nT3,丙乡,乡,,,1\n",
        encoding="utf-8",
    )
    (root / "rules.toml").write_text(
        "[campaign]\nstart = 2026-09-29\n\n"
        f'[[rules]]\nwindow = "{window}"\nblue = 1\nred = 1\nred_alert_streak = 2\n{MAJOR_ONLY}\n{extra_rules}',
        encoding="utf-8",
    )
    figures = {
        "2026-09-29": [("甲镇", 10, 2), ("乙镇", 10, 1), ("丙乡", 10, 0)],
        "2026-09-30": [("甲镇", 10, 0), ("乙镇", 10, 1), ("丙乡", 10, 1)],
        "2026-10-01": [("甲镇", 10, 1), ("丙乡", 20, 1)],
        "2026-10-02": [("甲镇", 10, 0), ("乙镇", 10, 3), ("丙乡", 10, 1)],
    }
    lines = [HEADER] + [f"{day},{town},{i},{m},{m},0,0,0,0,0" for day, rows in figures.items() for town, i, m in rows]
    (root / "reports.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--home", str(root), "ingest", str(root / "reports.csv")]) == 0
    return Home(root)


def ranked(home: Home, text: str):
    warehouse = Warehouse.open(home)
    try:
        return rank_period(warehouse, parse_period(text), read_settings(home.rules_toml))
    finally:
        warehouse.close()


def by_code(frame: pd.DataFrame, column: str) -> dict:
    return dict(zip(frame["code"], frame[column]))


# ---------------------------------------------------------------- reading and naming


@pytest.mark.parametrize(
    "text, kind, first, last, label",
    [
        ("2026-10", "month", date(2026, 10, 1), date(2026, 10, 31), "2026年10月"),
        ("2026-Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30), "2026年第3季度"),
        ("2026-W43", "week", date(2026, 10, 19), date(2026, 10, 25), "2026年第43周"),
        ("2026-H1", "half", date(2026, 1, 1), date(2026, 6, 30), "2026年上半年"),
        ("2026-H2", "half", date(2026, 7, 1), date(2026, 12, 31), "2026年下半年"),
        ("2026", "year", date(2026, 1, 1), date(2026, 12, 31), "2026年"),
        ("2026-B5", "bimonth", date(2026, 9, 1), date(2026, 10, 31), "2026年9—10月"),
        ("2026-10-01..2026-10-15", "range", date(2026, 10, 1), date(2026, 10, 15), "2026-10-01至2026-10-15"),
        ("2026-10-01", "day", date(2026, 10, 1), date(2026, 10, 1), "2026年10月1日"),
        ("2028-02", "month", date(2028, 2, 1), date(2028, 2, 29), "2028年2月"),
    ],
)
def test_periods_are_read_from_their_short_forms_and_named_in_chinese(text, kind, first, last, label):
    period = parse_period(text)
    assert (period.kind, period.first, period.last, period.label) == (kind, first, last, label)
    assert parse_period(period.key) == period


def test_a_week_runs_monday_to_sunday_and_may_cross_the_year_end():
    week = parse_period("2026-W53")
    assert (week.first, week.last) == (date(2026, 12, 28), date(2027, 1, 3))
    assert week.first.weekday() == 0 and week.days == 7
    assert period_containing("week", date(2027, 1, 3)) == week
    assert week.next().key == "2027-W01"


@pytest.mark.parametrize(
    "text, previous",
    [
        ("2026-10", "2026-09"),
        ("2026-01", "2025-12"),
        ("2026-Q1", "2025-Q4"),
        ("2026-W01", "2025-W52"),
        ("2026-H1", "2025-H2"),
        ("2026", "2025"),
        ("2026-B1", "2025-B6"),
        ("2026-10-01..2026-10-15", "2026-09-16..2026-09-30"),
        ("2026-03-01", "2026-02-28"),
    ],
)
def test_the_previous_period_is_the_one_of_the_same_kind_before_it(text, previous):
    assert parse_period(text).previous() == parse_period(previous)


@pytest.mark.parametrize(
    "text, words",
    [
        ("2026-13", "1 到 12"),
        ("2026-W60", "没有第 60 周"),
        ("2026-Q5", "无法识别"),
        ("2026-10-15..2026-10-01", "早于"),
        ("2026-02-30", "不是有效日期"),
        ("last month", "无法识别"),
    ],
)
def test_a_period_that_cannot_be_read_is_refused_in_chinese(text, words):
    with pytest.raises(PeriodError, match=words):
        parse_period(text)


def test_the_whole_periods_inside_a_span():
    months = periods_between("month", date(2026, 9, 15), date(2026, 12, 31))
    assert [m.key for m in months] == ["2026-10", "2026-11", "2026-12"]
    assert Period(date(2026, 10, 1), date(2026, 10, 3)).kind == "range"


# ---------------------------------------------------------------- ranking


def test_a_month_is_ranked_on_the_sums_of_its_days_with_ties_taking_the_better_tier(tmp_path):
    september = ranked(three_towns(tmp_path / "h"), "2026-09")
    frame = september.ranking
    assert by_code(frame, "major_hazard_rate") == pytest.approx({"T1": 0.1, "T2": 0.1, "T3": 0.05})
    assert by_code(frame, "score") == pytest.approx({"T1": 100, "T2": 100, "T3": 50})
    assert by_code(frame, "rank") == {"T1": 1, "T2": 1, "T3": 3}
    assert by_code(frame, "tier") == {"T1": "blue", "T2": "blue", "T3": "red"}
    assert by_code(frame, "inspections") == {"T1": 20, "T2": 20, "T3": 20}
    assert september.through == date(2026, 9, 30) and september.complete
    assert september.previous is None  # the campaign starts in September


def test_a_month_moves_against_the_month_before(tmp_path):
    october = ranked(three_towns(tmp_path / "h"), "2026-10")
    frame = october.ranking
    assert by_code(frame, "score") == pytest.approx({"T1": 100 / 6, "T2": 100, "T3": 200 / 9})
    assert by_code(frame, "rank") == {"T1": 3, "T2": 1, "T3": 2}
    assert by_code(frame, "tier") == {"T1": "red", "T2": "blue", "T3": "yellow"}
    assert by_code(frame, "rank_change") == {"T1": -2, "T2": 0, "T3": 1}
    assert by_code(frame, "tier_streak") == {"T1": 1, "T2": 2, "T3": 1}
    assert by_code(frame, "missed_days") == {"T1": 0, "T2": 1, "T3": 0}
    assert by_code(frame, "not_reported") == {"T1": False, "T2": True, "T3": False}
    assert october.previous == Period(date(2026, 9, 29), date(2026, 9, 30), "month")  # from the campaign start
    assert not october.complete and october.through == date(2026, 10, 2)
    assert any("尚未结束" in note for note in october.notes)


def test_a_week_crossing_the_month_end_sums_both_months(tmp_path):
    week = ranked(three_towns(tmp_path / "h"), "2026-W40").ranking
    assert by_code(week, "major_hazard_rate") == pytest.approx({"T1": 3 / 40, "T2": 5 / 30, "T3": 3 / 50})
    assert by_code(week, "rank") == {"T1": 2, "T2": 1, "T3": 3}


@pytest.mark.parametrize("day", [date(2026, 9, 29), date(2026, 9, 30)])
def test_a_one_day_period_equals_the_daily_window_ranking_of_a_day_every_town_reported(tmp_path, day):
    home = three_towns(tmp_path / "h", window="daily")
    rules = read_settings(home.rules_toml).rules_on(day)
    period = public_ranking(ranked(home, day.isoformat()).ranking, rules)
    daily = public_ranking(Warehouse.open(home).ranking(day), rules)
    pd.testing.assert_frame_equal(period, daily, check_dtype=False)


@pytest.mark.parametrize("day", [date(2026, 9, 30), date(2026, 10, 2)])
def test_a_period_from_the_campaign_start_equals_the_cumulative_ranking_of_its_last_day(tmp_path, day):
    home = three_towns(tmp_path / "h", window="cumulative")
    rules = read_settings(home.rules_toml).rules_on(day)
    period = public_ranking(ranked(home, f"2026-09-29..{day}").ranking, rules)
    cumulative = public_ranking(Warehouse.open(home).ranking(day), rules)
    same = [
        "group",
        "town",
        "code",
        "inspections",
        "major_hazards",
        "major_hazard_rate",
        "score",
        "rank",
        "tier",
        "no_inspections",
    ]
    pd.testing.assert_frame_equal(period[same], cumulative[same], check_dtype=False)


def test_a_period_spanning_a_rules_change_ranks_by_the_rules_of_its_last_day_and_says_so(tmp_path):
    # From 1 October two towns are blue: in October 乙 and 丙 (ranks 1 and 2).
    change = f'[[rules]]\neffective = 2026-10-01\nwindow = "daily"\nblue = 2\nred = 1\n{MAJOR_ONLY}'
    home = three_towns(tmp_path / "h", extra_rules=change)
    week = ranked(home, "2026-W40")
    assert week.rules.blue == 2
    assert by_code(week.ranking, "tier") == {"T1": "blue", "T2": "blue", "T3": "red"}
    assert any("规则有变更" in note and "10月1日" in note for note in week.notes)
    september = ranked(home, "2026-09")  # ranked, for its movement, by September's own rules
    assert september.rules.blue == 1 and september.notes == ()


def test_a_period_without_data_is_refused(tmp_path):
    with pytest.raises(PeriodError, match="没有数据"):
        ranked(three_towns(tmp_path / "h"), "2026-08")


# ---------------------------------------------------------------- command line


def test_cli_ranks_a_period_in_the_columns_of_a_day(tmp_path, capsys):
    import csv
    import io
    import json

    home = three_towns(tmp_path / "h")
    capsys.readouterr()
    assert main(["--home", str(home.root), "rank", "--period", "2026-10", "--format", "csv"]) == 0
    out = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out.out)))
    day = list(csv.DictReader(io.StringIO(_day_csv(home, capsys))))
    assert list(rows[0]) == list(day[0])
    assert [(r["code"], r["rank"], r["tier"], r["rank_change"]) for r in rows] == [
        ("T2", "1", "blue", "0"),
        ("T3", "2", "yellow", "1"),
        ("T1", "3", "red", "-2"),
    ]
    assert "2026年10月" in out.err and "尚未结束" in out.err
    assert main(["--home", str(home.root), "rank", "--period", "2026-09-29..2026-09-30", "--format", "json"]) == 0
    ranked = json.loads(capsys.readouterr().out)
    assert {r["code"]: r["tier"] for r in ranked} == {"T1": "blue", "T2": "blue", "T3": "red"}


def _day_csv(home: Home, capsys) -> str:
    assert main(["--home", str(home.root), "rank", "--date", "2026-10-01", "--format", "csv"]) == 0
    return capsys.readouterr().out


def test_cli_refuses_a_period_it_cannot_read_or_rank(tmp_path, capsys):
    home = three_towns(tmp_path / "h")
    assert main(["--home", str(home.root), "rank", "--period", "2026-13"]) == 2
    assert main(["--home", str(home.root), "rank", "--period", "2026-08"]) == 1
    assert "没有数据" in capsys.readouterr().err
    assert main(["--home", str(home.root), "rank", "--period", "2026-10", "--date", "2026-10-01"]) == 2


# ---------------------------------------------------------------- period bulletins


def test_a_month_is_published_as_its_own_series_numbered_within_its_year(tmp_path):
    from sanse.access.roles import SYSTEM
    from sanse.publishing.issue import list_issues, load_issue
    from sanse.publishing.publish import publish_bulletin

    home = three_towns(tmp_path / "h")
    daily = publish_bulletin(home, date(2026, 9, 30), by=SYSTEM)
    september = publish_bulletin(home, parse_period("2026-09"), by=SYSTEM)
    assert (daily.number, daily.label, daily.period_kind) == (1, "第1期", "day")
    assert (september.title, september.label, september.when) == ("安全生产考核月度通报", "2026年第1期", "2026年9月")
    assert (september.first, september.day, september.period) == (  # from the campaign's start
        date(2026, 9, 29),
        date(2026, 9, 30),
        Period(date(2026, 9, 29), date(2026, 9, 30), "month"),
    )
    rows = {r["code"]: (r["rank"], r["tier"], r["inspections"], r["missed_days"]) for r in september.ranking}
    assert rows == {"T1": (1, "blue", 20, 0), "T2": (1, "blue", 20, 0), "T3": (3, "red", 20, 0)}
    assert september.totals["day"]["inspections"] == 60 and september.totals["day"]["major_hazards"] == 5
    first_half = publish_bulletin(home, parse_period("2026-09-29..2026-09-30"), by=SYSTEM)
    second_half = publish_bulletin(home, parse_period("2026-10-01..2026-10-02"), by=SYSTEM)
    assert (first_half.title, first_half.number, second_half.number) == ("安全生产考核专项通报", 1, 2)
    assert publish_bulletin(home, date(2026, 10, 1), by=SYSTEM).number == 2  # the daily series goes on
    assert [i.number for i in list_issues(home)] == [2, 1]
    assert [i.when for i in list_issues(home, "month")] == ["2026年9月"]
    assert load_issue(home, parse_period("2026-09")) == september
    assert load_issue(home, date(2026, 9, 30)) == daily


def test_a_period_bulletin_reads_as_its_period(tmp_path):
    from sanse.access.roles import SYSTEM
    from sanse.publishing.prose import bulletin_paragraphs
    from sanse.publishing.publish import publish_bulletin

    home = three_towns(tmp_path / "h")
    publish_bulletin(home, parse_period("2026-09-29..2026-09-30"), by=SYSTEM)
    issue = publish_bulletin(home, parse_period("2026-10-01..2026-10-02"), by=SYSTEM)
    text = "\n".join(bulletin_paragraphs(issue))
    assert "2026-10-01至2026-10-02（2026年10月1日至10月2日），3个镇街中有2个每天报送数据。本时段检查企业60家次" in text
    assert "按本时段数据合计" in text
    assert (
        "与上一时段（2026-09-29至2026-09-30）相比，2个镇街等级发生变化：丙乡由红色升为黄色；甲镇由蓝色降为红色。"
        in text
    )
    assert "本时段有未报送数据的镇街（1个）：乙镇（1天）。" in text


def test_a_period_bulletin_is_corrected_like_a_day_and_a_running_period_is_not_published(tmp_path):
    from sanse.access.roles import SYSTEM
    from sanse.publishing.issue import BulletinError, load_issue
    from sanse.publishing.publish import Draft, publish_bulletin

    home = three_towns(tmp_path / "h")
    week = parse_period("2026-09-29..2026-10-02")
    first = publish_bulletin(home, week, by=SYSTEM)
    with pytest.raises(BulletinError, match="没有变化"):
        publish_bulletin(home, week, by=SYSTEM, draft=Draft(correction_note="重发"))
    fix = tmp_path / "fix.csv"
    fix.write_text(f"{HEADER}\n2026-10-01,乙镇,10,2,2,0,0,0,0,0\n", encoding="utf-8")
    assert main(["--home", str(home.root), "ingest", str(fix)]) == 0
    with pytest.raises(BulletinError, match="更正说明"):
        publish_bulletin(home, week, by=SYSTEM)
    second = publish_bulletin(home, week, by=SYSTEM, draft=Draft(correction_note="乙镇补报10月1日数据"))
    assert (second.number, second.version, second.label) == (first.number, 2, "2026年第1期（更正）")
    assert load_issue(home, week, version=1) == first and load_issue(home, week) == second
    with pytest.raises(BulletinError, match="尚未结束"):
        publish_bulletin(home, parse_period("2026-10"), by=SYSTEM)


def test_a_period_bulletin_downloads_in_every_format_of_the_daily_one(tmp_path):
    import io

    from openpyxl import load_workbook

    from sanse.access.roles import SYSTEM
    from sanse.publishing.exports import EXPORTS, export_issue, file_name, unavailable
    from sanse.publishing.exports.table import sheet_columns
    from sanse.publishing.publish import publish_bulletin

    home = three_towns(tmp_path / "h")
    issue = publish_bulletin(home, parse_period("2026-09"), by=SYSTEM)
    sheet_header = tuple(column.header for column in sheet_columns(issue))
    sheet = load_workbook(io.BytesIO(export_issue(issue, "xlsx")))["排名"]
    assert sheet["A1"].value == "《安全生产考核月度通报》2026年第1期 2026年9月 镇街排名（数据口径：本月累计）"
    assert tuple(c.value for c in sheet[2]) == sheet_header
    assert export_issue(issue, "csv").decode("utf-8-sig").splitlines()[0] == ",".join(sheet_header)
    page = export_issue(issue, "html").decode("utf-8")
    assert "2026年9月各镇街三色晾晒情况" in page and "本月<br>未报送" in page
    for fmt in EXPORTS:
        if not unavailable(fmt):
            assert export_issue(issue, fmt)
    assert file_name(issue, "docx") == "安全生产考核月度通报_2026年第1期_2026-09.docx"


def test_cli_publishes_and_exports_a_period(tmp_path, capsys):
    home = three_towns(tmp_path / "h")
    capsys.readouterr()
    assert main(["--home", str(home.root), "publish", "--period", "2026-09"]) == 0
    assert "已发布《安全生产考核月度通报》2026年第1期（2026年9月）" in capsys.readouterr().out
    out = tmp_path / "m.xlsx"
    assert main(["--home", str(home.root), "export", "--period", "2026-09", "--format", "xlsx", "--out", str(out)]) == 0
    assert out.stat().st_size > 0
    assert main(["--home", str(home.root), "export", "--period", "2026-W40", "--format", "csv", "--out", str(out)]) == 1
    assert "还没有发布通报" in capsys.readouterr().err
    assert main(["--home", str(home.root), "publish", "--period", "2026-10"]) == 1


def test_the_office_names_its_period_series_in_rules_toml():
    from sanse.deployment.errors import ConfigError
    from sanse.deployment.rules_file import settings_from_text, settings_to_toml

    settings = settings_from_text('[campaign]\n[campaign.period_titles]\nmonth = "隐患排查整治月度晾晒通报"\n')
    assert settings.campaign.series_title("month") == "隐患排查整治月度晾晒通报"
    assert settings.campaign.series_title("quarter") == "安全生产考核季度通报"
    assert settings.campaign.series_title("day") == "每日工作动态"
    assert settings_from_text(settings_to_toml(settings)).campaign == settings.campaign
    with pytest.raises(ConfigError, match="“fortnight”不是周期"):
        settings_from_text('[campaign.period_titles]\nfortnight = "双周通报"\n')


def test_publishing_a_period_is_in_the_audit_log(tmp_path):
    from sanse.access.audit import read_audit
    from sanse.access.roles import SYSTEM
    from sanse.publishing.publish import publish_bulletin

    home = three_towns(tmp_path / "h")
    publish_bulletin(home, parse_period("2026-09"), by=SYSTEM)
    (what,) = read_audit(home, action="publication")["what"]
    assert what == "《安全生产考核月度通报》2026-09 2026年第1期"
