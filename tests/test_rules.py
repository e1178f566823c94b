"""design §4 end to end: report files -> `sanse ingest` -> `sanse rank --format json`.

The expected rankings come from a reference written here from the design alone (docs/design.md §4), with plain
loops and no code shared with `sanse.ranking.rank`, and from figures small enough to check by hand.
"""

from __future__ import annotations

import csv
import json
import random
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import DEMO_END

from sanse.cli.main import main
from sanse.deployment.demo import demo_reports, demo_towns
from sanse.deployment.errors import ConfigError
from sanse.deployment.rules_file import parse_settings, settings_to_toml

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
COUNTS = ("inspections", "hazards", "major_hazards", "rectified", "halted", "cases", "detentions", "fines_wan")
DEFAULT_INDICATORS = [
    {
        "key": "major_hazard_rate",
        "numerator": "major_hazards",
        "denominator": "inspections",
        "weight": 1,
        "direction": "higher",
    },
    {"key": "halt_rate", "numerator": "halted", "denominator": "inspections", "weight": 1, "direction": "higher"},
    {"key": "case_rate", "numerator": "cases", "denominator": "inspections", "weight": 1, "direction": "higher"},
]


# ---------------------------------------------------------------- the reference, from design §4


def reference_rankings(
    towns: list[dict], reports: dict[tuple[str, date], dict], config: dict
) -> dict[date, list[dict]]:
    """Every ranking day's rows, keyed as `sanse rank --format json`, computed from design §4.

    `towns`: dicts with code, name, group, active. `reports`: (code, day) -> counts (current
    figures). `config`: rules.toml as parsed by tomllib.
    """
    active = [t for t in towns if str(t.get("active", "1")) not in ("0", "False", "false")]
    start = config.get("campaign", {}).get("start") or min(day for _, day in reports)
    last = max(day for _, day in reports)
    versions = config.get("rules") or [{}]

    def rules_on(day: date) -> dict:
        chosen = None
        for version in versions:
            effective = version.get("effective")
            if effective is None or effective <= day:
                if chosen is None or (effective or date.min) >= (chosen.get("effective") or date.min):
                    chosen = version
        return chosen if chosen is not None else versions[0]

    days = []
    day = start
    while day <= last:
        days.append(day)
        day += timedelta(days=1)

    result: dict[date, list[dict]] = {}
    previous: dict[str, dict] = {}
    for day in days:
        rules = rules_on(day)
        window = rules.get("window", "cumulative")
        if window == "cumulative":
            first = start
        elif window == "daily":
            first = day
        else:
            first = day - timedelta(days=6)
        rows = []
        for group in sorted({t.get("group", "") for t in active}):
            members = [t for t in active if t.get("group", "") == group]
            rows += rank_group(day, group, members, reports, first, rules)
        for row in rows:
            before = previous.get(row["code"])
            row["rank_change"] = None if before is None else before["rank"] - row["rank"]
            row["tier_streak"] = before["tier_streak"] + 1 if before and before["tier"] == row["tier"] else 1
            row["red_alert"] = row["tier"] == "red" and row["tier_streak"] >= rules.get("red_alert_streak", 3)
        previous = {row["code"]: row for row in rows}
        result[day] = rows
    return result


def rank_group(day: date, group: str, members: list[dict], reports: dict, first: date, rules: dict) -> list[dict]:
    indicators = rules.get("indicators") or DEFAULT_INDICATORS
    rows = []
    for town in members:
        sums = dict.fromkeys(COUNTS, 0)
        d = first
        while d <= day:
            for key in COUNTS:
                sums[key] += reports.get((town["code"], d), {}).get(key, 0)
            d += timedelta(days=1)
        row = {"date": day.isoformat(), "group": group, "town": town["name"], "code": town["code"]}
        row |= {key: sums[key] for key in ("inspections", "major_hazards", "halted", "cases")}
        row["_sums"] = sums
        for indicator in indicators:
            denominator = sums[indicator.get("denominator", "inspections")]
            row[indicator["key"]] = sums[indicator["numerator"]] / denominator if denominator else None
        row["not_reported"] = (town["code"], day) not in reports
        row["no_inspections"] = sums["inspections"] == 0
        rows.append(row)

    total_weight = sum(i.get("weight", 1) for i in indicators)
    for row in rows:
        row["score"] = 0.0
    for indicator in indicators:
        scores = indicator_scores(
            [row[indicator["key"]] for row in rows],
            rules.get("normalization", "fracmax"),
            indicator.get("direction", "higher"),
        )
        for row, score in zip(rows, scores):
            row["score"] += indicator.get("weight", 1) * score
    for row in rows:
        row["score"] /= total_weight

    def sort_key(row: dict) -> tuple:
        keys = [round(row["score"], 6)]
        for column in rules.get("tie_break", []):
            value = row["_sums"][column] if column in COUNTS else row[column]
            lower = any(i["key"] == column and i.get("direction") == "lower" for i in indicators)
            keys.append(float("-inf") if value is None else (-value if lower else value))
        return tuple(keys)

    n = len(rows)
    blue, red = tier_count(rules.get("blue", 5), n), tier_count(rules.get("red", 5), n)
    blue = min(blue, n)
    red = min(red, n - blue)
    for row in rows:
        row["rank"] = 1 + sum(1 for other in rows if sort_key(other) > sort_key(row))
        row["tier"] = "blue" if row["rank"] <= blue else "red" if row["rank"] > n - red else "yellow"
    for row in rows:
        del row["_sums"]
    return sorted(rows, key=lambda r: (r["rank"], r["code"]))


def tier_count(value: float, n: int) -> int:
    if 0 < value < 1:
        return int(value * n + 0.5)
    return int(value)


def indicator_scores(rates: list[float | None], method: str, direction: str) -> list[float]:
    defined = [r for r in rates if r is not None]
    scores = []
    for rate in rates:
        if rate is None:
            scores.append(0.0)
        elif method == "fracmax" and direction == "higher":
            top = max(defined)
            scores.append(100 * rate / top if top > 0 else 0.0)
        elif method == "fracmax":
            low = min(defined)
            scores.append(100 * low / rate if rate > 0 else 100.0)
        elif method == "minmax":
            low, top = min(defined), max(defined)
            part = rate - low if direction == "higher" else top - rate
            scores.append(100 * part / (top - low) if top > low else 0.0)
        elif method == "rank":
            beaten = sum(
                1 for other in rates if other is None or (other < rate if direction == "higher" else other > rate)
            )
            scores.append(100 * beaten / (len(rates) - 1) if len(rates) > 1 else 100.0)
        elif method == "zscore":
            mean = sum(defined) / len(defined)
            std = (sum((r - mean) ** 2 for r in defined) / len(defined)) ** 0.5
            z = (rate - mean) / std if std > 0 else 0.0
            if direction == "lower":
                z = -z
            scores.append(min(100.0, max(0.0, 50 + 10 * z)))
        else:
            raise ValueError(method)
    return scores


# ---------------------------------------------------------------- a tiny home on disk

HEADER = [
    "日期",
    "镇街",
    "检查企业数",
    "发现隐患数",
    "重大隐患数",
    "整改隐患数",
    "停产停业数",
    "立案数",
    "行政拘留人数",
    "罚款金额（万元）",
]


def report(inspections: int, major: int = 0, halted: int = 0, cases: int = 0, hazards: int | None = None) -> dict:
    return {
        "inspections": inspections,
        "hazards": major if hazards is None else hazards,
        "major_hazards": major,
        "rectified": 0,
        "halted": halted,
        "cases": cases,
        "detentions": 0,
        "fines_wan": 0.0,
    }


def write_home(root: Path, towns: list[dict], rules: str, start: date | None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "towns.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "kind", "group", "aliases", "active"])
        for t in towns:
            writer.writerow([t["code"], t["name"], "镇", t.get("group", ""), "", t.get("active", 1)])
    campaign = '[campaign]\ntitle = "每日工作动态"\n' + (f"start = {start.isoformat()}\n" if start else "")
    (root / "rules.toml").write_text(campaign + "\n" + rules, encoding="utf-8")


def write_reports(path: Path, towns: list[dict], reports: dict[tuple[str, date], dict]) -> Path:
    names = {t["code"]: t["name"] for t in towns}
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for (code, day), counts in sorted(reports.items(), key=lambda item: (item[0][1], item[0][0])):
            writer.writerow([day.isoformat(), names[code], *(counts[k] for k in COUNTS)])
    return path


def cli_ranking(root: Path, day: date, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["--home", str(root), "rank", "--date", day.isoformat(), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def ingest_and_rank(
    tmp_path: Path, towns: list[dict], reports: dict, rules: str, capsys, start: date | None = None
) -> dict[date, list[dict]]:
    """Write a home, ingest the reports through the CLI, return the CLI ranking of every day
    some town reported (the others are not ranked)."""
    root = tmp_path / "home"
    write_home(root, towns, rules, start)
    assert main(["--home", str(root), "ingest", str(write_reports(tmp_path / "reports.csv", towns, reports))]) == 0
    return {day: cli_ranking(root, day, capsys) for day in sorted({day for _, day in reports})}


def assert_same_ranking(actual: list[dict], expected: list[dict]) -> None:
    assert [list(row) for row in actual] == [KEYS] * len(actual)
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        for key in KEYS:
            if isinstance(want[key], float):
                assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-9), (want["code"], key)
            else:
                assert got[key] == want[key], (want["code"], key)


def by_code(rows: list[dict]) -> dict[str, dict]:
    return {row["code"]: row for row in rows}


TOWNS3 = [{"code": "A", "name": "甲镇"}, {"code": "B", "name": "乙镇"}, {"code": "C", "name": "丙镇"}]
ONE_BLUE_ONE_RED = "[[rules]]\nblue = 1\nred = 1\n"
D1, D2, D3, D4 = (date(2026, 3, 1) + timedelta(days=k) for k in range(4))


# ---------------------------------------------------------------- against the reference


@pytest.mark.parametrize("day", [date(2026, 9, 1), date(2026, 9, 2), date(2026, 9, 19), date(2026, 10, 30)])
def test_cli_ranking_of_demo_city_equals_the_reference(demo_home_readonly, capsys, day):
    towns = [{"code": t.code, "name": t.name, "group": t.group} for t in demo_towns()]
    codes = {t["name"]: t["code"] for t in towns}
    reports = {(codes[r["town"]], r["date"]): r for r in demo_reports(demo_towns(), end=DEMO_END).to_dict("records")}
    config = tomllib.loads(demo_home_readonly.rules_toml.read_text(encoding="utf-8"))
    expected = reference_rankings(towns, reports, config)[day]
    assert_same_ranking(cli_ranking(demo_home_readonly.root, day, capsys), expected)


TWO_GROUPS = [
    {"code": "E1", "name": "东一镇", "group": "东片"},
    {"code": "E2", "name": "东二镇", "group": "东片"},
    {"code": "E3", "name": "东三镇", "group": "东片"},
    {"code": "E4", "name": "东四镇", "group": "东片"},
    {"code": "W1", "name": "西一镇", "group": "西片"},
    {"code": "W2", "name": "西二镇", "group": "西片"},
    {"code": "W3", "name": "西三镇", "group": "西片"},
    {"code": "X9", "name": "旧镇", "group": "西片", "active": 0},
]


def two_group_reports() -> dict:
    """Five days; W3 never inspects, E4 misses day 2, and halts are 0 everywhere."""
    pattern = {
        "E1": [(10, 1, 0, 1), (12, 0, 0, 2), (8, 2, 0, 0), (10, 0, 0, 0), (9, 1, 0, 1)],
        "E2": [(20, 1, 0, 3), (18, 1, 0, 0), (22, 0, 0, 1), (20, 3, 0, 2), (19, 0, 0, 0)],
        "E3": [(5, 0, 0, 0), (5, 1, 0, 1), (5, 0, 0, 0), (5, 0, 0, 1), (5, 1, 0, 0)],
        "E4": [(7, 2, 0, 1), None, (7, 0, 0, 0), (6, 0, 0, 0), (7, 0, 0, 2)],
        "W1": [(30, 3, 0, 3), (30, 0, 0, 3), (30, 3, 0, 0), (30, 0, 0, 0), (30, 0, 0, 3)],
        "W2": [(10, 1, 0, 1), (10, 1, 0, 1), (10, 0, 0, 0), (10, 0, 0, 1), (10, 2, 0, 0)],
        "W3": [(0, 0, 0, 0)] * 5,
    }
    reports = {}
    for code, days in pattern.items():
        for offset, figures in enumerate(days):
            if figures is not None:
                reports[(code, D1 + timedelta(days=offset))] = report(*figures)
    return reports


RULES_CHANGING = """
[[rules]]
blue = 1
red = 1
red_alert_streak = 2

[[rules]]
effective = 2026-03-04
window = "rolling_7d"
blue = 0.25
red = 0.5
tie_break = ["inspections"]
"""


@pytest.mark.parametrize(
    "rules",
    [
        ONE_BLUE_ONE_RED,
        RULES_CHANGING,
        '[[rules]]\nwindow = "daily"\nnormalization = "minmax"\n',
        '[[rules]]\nnormalization = "rank"\nred = 2\n',
        '[[rules]]\nnormalization = "zscore"\nblue = 2\n',
    ],
)
def test_cli_ranking_of_two_peer_groups_equals_the_reference(tmp_path, capsys, rules):
    reports = two_group_reports()
    actual = ingest_and_rank(tmp_path, TWO_GROUPS, reports, rules, capsys)
    expected = reference_rankings(TWO_GROUPS, reports, tomllib.loads(rules))
    assert list(actual) == list(expected)
    for day in expected:
        assert_same_ranking(actual[day], expected[day])
    assert {row["group"] for row in actual[D1]} == {"东片", "西片"}
    assert "X9" not in by_code(actual[D1])


# ---------------------------------------------------------------- by hand, through the CLI


def test_fracmax_through_the_cli_on_three_towns(tmp_path, capsys):
    # A: 2 majors, 1 halt in 10 (.2, .1, 0); B: 2, 4, 2 in 20 (.1, .2, .1); C: no inspections
    reports = {("A", D1): report(10, 2, 1, 0), ("B", D1): report(20, 2, 4, 2), ("C", D1): report(0)}
    rows = by_code(ingest_and_rank(tmp_path, TOWNS3, reports, ONE_BLUE_ONE_RED, capsys)[D1])
    assert (rows["A"]["score"], rows["B"]["score"], rows["C"]["score"]) == pytest.approx((50, 250 / 3, 0))
    assert (rows["B"]["rank"], rows["A"]["rank"], rows["C"]["rank"]) == (1, 2, 3)
    assert (rows["B"]["tier"], rows["A"]["tier"], rows["C"]["tier"]) == ("blue", "yellow", "red")
    assert rows["A"]["major_hazard_rate"] == pytest.approx(0.2)
    assert rows["C"]["major_hazard_rate"] is None
    assert (rows["C"]["no_inspections"], rows["A"]["no_inspections"]) == (True, False)


def test_windows_sum_cumulative_daily_and_the_last_seven_days(tmp_path, capsys):
    # 8 days of 10 inspections each; A finds 8 majors on day 1 only, B one every day
    days = [D1 + timedelta(days=k) for k in range(8)]
    reports = {}
    for k, day in enumerate(days):
        reports[("A", day)] = report(10, 8 if k == 0 else 0)
        reports[("B", day)] = report(10, 1)
    towns = TOWNS3[:2]
    expected = {  # window: (day 7 A, day 7 B, day 8 A, day 8 B) as (inspections, majors)
        "cumulative": ((70, 8), (70, 7), (80, 8), (80, 8)),
        "daily": ((10, 0), (10, 1), (10, 0), (10, 1)),
        "rolling_7d": ((70, 8), (70, 7), (70, 0), (70, 7)),
    }
    for window, sums in expected.items():
        ranked = ingest_and_rank(tmp_path / window, towns, reports, f'[[rules]]\nwindow = "{window}"\n', capsys)
        got = [
            (by_code(ranked[d])[c]["inspections"], by_code(ranked[d])[c]["major_hazards"])
            for d in days[6:]
            for c in ("A", "B")
        ]
        assert tuple(got) == sums, window
        for d in days[6:]:
            rows = by_code(ranked[d])
            for code in "AB":
                i, m = rows[code]["inspections"], rows[code]["major_hazards"]
                assert rows[code]["major_hazard_rate"] == pytest.approx(m / i)
    last = by_code(ingest_and_rank(tmp_path / "again", towns, reports, "", capsys)[days[-1]])
    assert (last["A"]["rank"], last["B"]["rank"]) == (1, 1)  # 8/80 each: a tie


def test_town_that_did_not_report_today_keeps_its_cumulative(tmp_path, capsys):
    reports = {("A", D1): report(10, 2), ("B", D1): report(10, 1), ("B", D2): report(10, 1)}
    ranked = ingest_and_rank(tmp_path, TOWNS3[:2], reports, "", capsys)
    a = by_code(ranked[D2])["A"]
    assert (a["not_reported"], a["inspections"], a["major_hazards"], a["major_hazard_rate"]) == (True, 10, 2, 0.2)
    assert a["rank"] == 1 and a["score"] == pytest.approx(100 / 3)
    assert by_code(ranked[D2])["B"]["not_reported"] is False


def test_town_with_no_reports_at_all_ranks_last_with_score_zero(tmp_path, capsys):
    reports = {("A", D1): report(10, 0), ("B", D1): report(10, 1)}
    rows = by_code(ingest_and_rank(tmp_path, TOWNS3, reports, ONE_BLUE_ONE_RED, capsys)[D1])
    c = rows["C"]
    assert (c["score"], c["no_inspections"], c["not_reported"], c["inspections"]) == (0, True, True, 0)
    assert (c["major_hazard_rate"], c["halt_rate"], c["case_rate"]) == (None, None, None)
    assert (rows["B"]["rank"], rows["A"]["rank"], c["rank"]) == (1, 2, 2)  # A scores 0 too
    assert (rows["A"]["tier"], c["tier"]) == ("yellow", "yellow")  # tied at N - R = 2


def test_movement_streaks_and_red_alert_over_four_days(tmp_path, capsys):
    # daily window; majors per 10 inspections make the order day by day
    order = [(3, 2, 1), (3, 2, 1), (1, 3, 2), (1, 2, 3)]  # A, B, C majors
    reports = {}
    for k, majors in enumerate(order):
        for code, m in zip("ABC", majors):
            reports[(code, D1 + timedelta(days=k))] = report(10, m)
    rules = '[[rules]]\nwindow = "daily"\nblue = 1\nred = 1\nred_alert_streak = 3\n'
    ranked = ingest_and_rank(tmp_path, TOWNS3, reports, rules, capsys)
    trail = {
        code: [
            (r["rank"], r["tier"], r["rank_change"], r["tier_streak"], r["red_alert"])
            for r in (by_code(ranked[d])[code] for d in (D1, D2, D3, D4))
        ]
        for code in "ABC"
    }
    assert trail["A"] == [
        (1, "blue", None, 1, False),
        (1, "blue", 0, 2, False),
        (3, "red", -2, 1, False),
        (3, "red", 0, 2, False),
    ]
    assert trail["B"] == [
        (2, "yellow", None, 1, False),
        (2, "yellow", 0, 2, False),
        (1, "blue", 1, 1, False),
        (2, "yellow", -1, 1, False),
    ]
    assert trail["C"] == [
        (3, "red", None, 1, False),
        (3, "red", 0, 2, False),
        (2, "yellow", 1, 1, False),
        (1, "blue", 1, 1, False),
    ]
    reports |= {(code, D1 + timedelta(days=4)): report(10, m) for code, m in zip("ABC", (0, 2, 3))}
    later = ingest_and_rank(tmp_path / "five", TOWNS3, reports, rules, capsys)
    a = by_code(later[D1 + timedelta(days=4)])["A"]
    assert (a["tier"], a["tier_streak"], a["red_alert"]) == ("red", 3, True)


def test_rules_change_applies_from_its_date_and_earlier_days_keep_the_old_rules(tmp_path, capsys):
    # A finds all its majors on day 1, B one a day: A leads on the cumulative window, B on the daily
    reports = {}
    for k, day in enumerate((D1, D2, D3, D4)):
        reports[("A", day)] = report(10, 4 if k == 0 else 0)
        reports[("B", day)] = report(10, 1)
    rules = '[[rules]]\nblue = 1\nred = 1\n\n[[rules]]\neffective = 2026-03-03\nwindow = "daily"\nblue = 1\nred = 1\n'
    ranked = ingest_and_rank(tmp_path, TOWNS3[:2], reports, rules, capsys)
    leaders = [next(r["code"] for r in ranked[d] if r["rank"] == 1) for d in (D1, D2, D3, D4)]
    assert leaders == ["A", "A", "B", "B"]
    assert by_code(ranked[D2])["A"]["inspections"] == 20
    assert by_code(ranked[D3])["A"]["inspections"] == 10
    assert by_code(ranked[D3])["B"]["rank_change"] == 1


def test_campaign_start_defaults_to_the_earliest_data_date(tmp_path, capsys):
    reports = {("A", D2): report(10, 1), ("B", D3): report(10, 2)}
    ranked = ingest_and_rank(tmp_path, TOWNS3[:2], reports, "", capsys)
    assert list(ranked) == [D2, D3]
    assert by_code(ranked[D2])["B"]["not_reported"] is True
    assert main(["--home", str(tmp_path / "home"), "rank", "--date", D1.isoformat(), "--format", "json"]) == 1
    assert "没有排名" in capsys.readouterr().err


def test_days_of_the_campaign_before_the_first_report_are_not_ranked(tmp_path, capsys):
    reports = {("A", D3): report(10, 1), ("B", D3): report(10, 2)}
    ranked = ingest_and_rank(tmp_path, TOWNS3[:2], reports, "", capsys, start=D1)
    for day in (D1, D2):  # before, every town tied at 0 and was "blue"
        assert main(["--home", str(tmp_path / "home"), "rank", "--date", day.isoformat()]) == 1
        assert f"{day} 没有任何镇街报送数据" in capsys.readouterr().err
    assert by_code(ranked[D3])["B"]["tier_streak"] == 1 and by_code(ranked[D3])["B"]["rank_change"] is None


def test_a_correction_changes_the_ranking(tmp_path, capsys):
    reports = {("A", D1): report(10, 1), ("B", D1): report(10, 2)}
    ingest_and_rank(tmp_path, TOWNS3[:2], reports, "", capsys)
    corrected = write_reports(tmp_path / "correction.csv", TOWNS3[:2], {("A", D1): report(10, 3)})
    assert main(["--home", str(tmp_path / "home"), "ingest", str(corrected)]) == 0
    rows = by_code(cli_ranking(tmp_path / "home", D1, capsys))
    assert (rows["A"]["rank"], rows["A"]["major_hazards"], rows["B"]["rank"]) == (1, 3, 2)


# ---------------------------------------------------------------- rules.toml


def test_rules_on_picks_the_latest_version_not_after_the_day():
    settings = parse_settings(
        tomllib.loads(
            '[[rules]]\nwindow = "daily"\n\n[[rules]]\neffective = 2026-03-10\nblue = 3\n\n'
            "[[rules]]\neffective = 2026-03-05\nred = 2\n"
        )
    )
    assert [v.effective for v in settings.versions] == [None, date(2026, 3, 5), date(2026, 3, 10)]
    assert settings.rules_on(date(2026, 3, 4)).window == "daily"
    assert settings.rules_on(date(2026, 3, 5)).red == 2
    assert settings.rules_on(date(2026, 3, 9)).red == 2
    assert settings.rules_on(date(2026, 3, 10)).blue == 3


def test_settings_survive_a_round_trip_with_unknown_sections_kept():
    text = (
        "[campaign]\nstart = 2026-03-01\nfirst_issue = 7\n\n[accounts]\nanonymous = true\n\n"
        '[[rules]]\nblue = 0.2\nred = 0.2\ntie_break = ["inspections"]\n'
    )
    settings = parse_settings(tomllib.loads(text))
    again = parse_settings(tomllib.loads(settings_to_toml(settings)))
    assert again == settings
    assert again.extra == {"accounts": {"anonymous": True}}
    assert (again.campaign.first_issue, again.versions[0].blue, again.versions[0].tie_break) == (
        7,
        0.2,
        ("inspections",),
    )


def test_a_single_rules_table_is_one_version():
    assert parse_settings(tomllib.loads('[rules]\nwindow = "daily"\n')).versions[0].window == "daily"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[campaign]\nstart = "2026-13-01"\n', "YYYY-MM-DD"),
        ('[[rules]]\neffective = "下周一"\n', "effective"),
        ('[[rules]]\nwindow = "weekly"\n', "window"),
        ('[[rules]]\nnormalization = "softmax"\n', "normalization"),
        ("[[rules]]\nblue = 2.5\n", "整数"),
        ("[[rules]]\nred = -1\n", "red"),
        ("[[rules]]\nblue = 0.6\nred = 0.6\n", "比例之和"),
        ("[[rules]]\nred_alert_streak = 0\n", "red_alert_streak"),
        ('[[rules]]\ntie_break = ["mood"]\n', "tie_break"),
        ('[[rules]]\n[[rules.indicators]]\nkey = "x"\nnumerator = "smiles"\n', "numerator"),
        (
            '[[rules]]\n[[rules.indicators]]\nkey = "x"\nnumerator = "cases"\nweight = -1\n'
            '[[rules.indicators]]\nkey = "y"\nnumerator = "halted"\nweight = 2\n',
            "权重",
        ),
        ('[[rules]]\n[[rules.indicators]]\nkey = "x"\nnumerator = "cases"\nweight = nan\n', "权重（weight）"),
        ("[[rules]]\nblue = nan\n", "blue"),
        ("[[rules]]\nred_alert_streak = 99999999999\n", "red_alert_streak"),
        ("[campaign]\nfirst_issue = 99999999999\n", "first_issue 应为 0 到 1,000,000 之间的整数"),
        ("[[rules]]\nblue = 3\n\n[[rules]]\nblue = 4\n", "effective"),
        ("[[rules]]\neffective = 2026-03-01\n\n[[rules]]\neffective = 2026-03-01\n", "相同"),
    ],
)
def test_bad_rules_are_refused_with_a_chinese_message(text, words):
    with pytest.raises(ConfigError, match=words):
        parse_settings(tomllib.loads(text))


def test_cli_refuses_a_bad_rules_file_as_a_malformed_configuration_exit_2(tmp_path, capsys):
    write_home(tmp_path / "src", TOWNS3, "[[rules]]\nblue = 2.5\n", None)
    code = main(
        [
            "--home",
            str(tmp_path / "h"),
            "init",
            "--towns",
            str(tmp_path / "src" / "towns.csv"),
            "--rules",
            str(tmp_path / "src" / "rules.toml"),
        ]
    )
    assert code == 2
    assert "blue" in capsys.readouterr().err
    assert not (tmp_path / "h").exists()


RANDOM_RULES = [
    "",
    '[[rules]]\nblue = 0.25\nred = 0.25\ntie_break = ["inspections", "major_hazard_rate"]\n',
    '[[rules]]\nwindow = "rolling_7d"\nred_alert_streak = 2\n\n[[rules]]\neffective = 2026-03-06\nwindow = "daily"\nblue = 2\nred = 3\n',
    '[[rules]]\nnormalization = "minmax"\nblue = 1\nred = 1\n[[rules.indicators]]\nkey = "major_hazard_rate"\nnumerator = "major_hazards"\nweight = 2\n'
    '[[rules.indicators]]\nkey = "halt_rate"\nnumerator = "halted"\ndenominator = "major_hazards"\n'
    '[[rules.indicators]]\nkey = "case_rate"\nnumerator = "cases"\ndenominator = "major_hazards"\ndirection = "lower"\n',
]


@pytest.mark.parametrize("rules", RANDOM_RULES)
def test_cli_ranking_of_small_tie_heavy_data_equals_the_reference(tmp_path, capsys, rules):
    # tiny counts make many exact ties, zero denominators and towns that skip days
    generator = random.Random(20260301)
    towns = [{"code": f"G{k}", "name": f"甲{k}镇", "group": "甲" if k < 6 else "乙"} for k in range(11)]
    reports = {}
    for code in (t["code"] for t in towns):
        for k in range(9):
            if generator.random() < 0.8:
                inspections = generator.choice([0, 1, 2, 3, 6])
                major = generator.randint(0, inspections)
                reports[(code, D1 + timedelta(days=k))] = report(
                    inspections,
                    major,
                    generator.randint(0, 2),
                    generator.randint(0, 2),
                    hazards=major + generator.randint(0, 1),
                )
    actual = ingest_and_rank(tmp_path, towns, reports, rules, capsys)
    expected = reference_rankings(towns, reports, tomllib.loads(rules))
    for day in expected:
        assert_same_ranking(actual[day], expected[day])
