"""The real SQL of pipelines/sql and the grid of window sums, on an in-memory DuckDB over
small hand-written current figures."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from sanse.deployment.settings import Campaign, Rules, Settings
from sanse.deployment.towns import Town
from sanse.facts.report import COUNT_COLUMNS
from sanse.pipelines.build.days import build_tables
from sanse.pipelines.build.grid import daily_grid, window_frame
from sanse.pipelines.build.models import SQL, CheckFailed, run_checks, sql_text

D = [date(2026, 3, 1) + timedelta(days=k) for k in range(10)]  # D[1] is the first day
TOWNS = [Town("A", "甲镇", "镇", "东片"), Town("B", "乙镇", "镇", "东片"), Town("C", "丙镇", "镇", "", active=False)]
CHECKS = sorted(path.stem for path in (SQL / "checks").glob("*.sql"))


def figures(rows: list[tuple], fines: list[float] | None = None) -> pd.DataFrame:
    """Current figures: rows of (town code, day, inspections, hazards, major_hazards, halted, cases)."""
    return pd.DataFrame(
        {
            "town_code": [r[0] for r in rows],
            "date": [r[1] for r in rows],
            "seq": range(1, len(rows) + 1),
            "inspections": [r[2] for r in rows],
            "hazards": [r[3] for r in rows],
            "major_hazards": [r[4] for r in rows],
            "rectified": 0,
            "halted": [r[5] for r in rows],
            "cases": [r[6] for r in rows],
            "detentions": 0,
            "fines_wan": fines or [0.0] * len(rows),
        }
    )


def models(changes: pd.DataFrame, start: date | None = None, towns: list[Town] = TOWNS) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    build_tables(con, towns, Settings(Campaign(start=start), (Rules(),)), changes)
    return con


def table(con, sql: str, params: list | None = None) -> list[tuple]:
    return [tuple(r) for r in con.execute(sql, params or []).fetchall()]


@pytest.fixture
def nine_days() -> list[tuple]:
    """A inspects k firms on day k (1..9) with 1 major hazard a day, but skips day 5; B reports
    only day 9. So nobody reports day 5."""
    return [("A", D[k], k, 2, 1, 0, 0) for k in range(1, 10) if k != 5] + [("B", D[9], 3, 1, 0, 1, 1)]


# ---------------------------------------------------------------- staging


def test_towns_are_the_active_ones_with_their_group(nine_days):
    con = models(figures(nine_days))
    assert table(con, 'select town_code, town, "group" from towns order by town_code') == [
        ("A", "甲镇", "东片"),
        ("B", "乙镇", "东片"),
    ]


# ---------------------------------------------------------------- marts


def test_calendar_runs_from_the_first_reported_day_to_the_last(nine_days):
    assert [r[0] for r in table(models(figures(nine_days)), "select date from calendar order by date")] == D[1:10]


def test_calendar_starts_at_the_campaign_start_when_set(nine_days):
    assert [
        r[0] for r in table(models(figures(nine_days), start=D[0]), "select date from calendar order by date")
    ] == D[0:10]


def test_daily_counts_fill_days_without_a_report_with_zeros(nine_days):
    con = models(figures(nine_days))
    assert table(con, "select count(*) from daily_counts") == [(18,)]  # 9 days x 2 active towns
    day5 = table(
        con,
        "select inspections, major_hazards, not_reported from daily_counts where town_code = 'A' and date = ?",
        [D[5]],
    )
    assert day5 == [(0, 0, True)]
    day4 = table(
        con,
        "select inspections, major_hazards, not_reported from daily_counts where town_code = 'A' and date = ?",
        [D[4]],
    )
    assert day4 == [(4, 1, False)]
    b = table(
        con, "select sum(inspections), count(*) filter (where not_reported) from daily_counts where town_code = 'B'"
    )
    assert b == [(3, 8)]


def test_reports_of_an_inactive_town_are_left_out_of_the_counts():
    con = models(figures([("A", D[1], 1, 0, 0, 0, 0), ("C", D[1], 9, 0, 0, 0, 0)]))
    assert table(con, "select town_code, inspections from daily_counts order by town_code") == [("A", 1), ("B", 0)]


def window_sums(con, window: str) -> pd.DataFrame:
    """The sums over `window` on every day of the daily counts in `con`."""
    daily = con.sql("select * from daily_counts order by date, town_code").df()
    towns = con.sql('select town_code, town, "group" from towns order by town_code').df()
    grid = daily_grid(daily, towns, np.zeros((len(COUNT_COLUMNS), len(towns)), dtype=np.int64))
    return window_frame(grid, window, days=np.ones(len(grid.days), dtype=bool))


def window_row(con, window: str, code: str, day: date) -> tuple:
    sums = window_sums(con, window)
    row = sums[(sums["code"] == code) & (sums["date"] == pd.Timestamp(day))]
    columns = ["inspections", "hazards", "major_hazards", "halted", "cases", "not_reported"]
    return tuple(row[columns].itertuples(index=False, name=None))[0]


@pytest.mark.parametrize(
    ("window", "day", "expected"),
    [
        ("cumulative", 4, (1 + 2 + 3 + 4, 8, 4, 0, 0, False)),
        ("cumulative", 5, (10, 8, 4, 0, 0, True)),  # no report on day 5: the sum stands
        ("cumulative", 9, (45 - 5, 16, 8, 0, 0, False)),
        ("daily", 5, (0, 0, 0, 0, 0, True)),
        ("daily", 9, (9, 2, 1, 0, 0, False)),
        ("rolling_7d", 7, (1 + 2 + 3 + 4 + 6 + 7, 12, 6, 0, 0, False)),
        ("rolling_7d", 8, (2 + 3 + 4 + 6 + 7 + 8, 12, 6, 0, 0, False)),  # day 1 has left
        ("rolling_7d", 9, (3 + 4 + 6 + 7 + 8 + 9, 12, 6, 0, 0, False)),
    ],
)
def test_window_sums_by_hand(nine_days, window, day, expected):
    assert window_row(models(figures(nine_days)), window, "A", D[day]) == expected


def test_window_sums_start_at_the_campaign_start(nine_days):
    con = models(figures(nine_days), start=D[0])
    assert window_row(con, "cumulative", "A", D[0]) == (0, 0, 0, 0, 0, True)
    assert window_row(con, "rolling_7d", "A", D[6]) == (1 + 2 + 3 + 4 + 6, 10, 5, 0, 0, False)


def test_every_window_has_one_row_per_active_town_and_day(nine_days):
    con = models(figures(nine_days))
    for window in ("cumulative", "daily", "rolling_7d"):
        assert len(window_sums(con, window)) == 18, window


def test_window_sums_carry_every_count_column(nine_days):
    columns = set(window_sums(models(figures(nine_days)), "cumulative").columns)
    assert set(COUNT_COLUMNS) | {"window", "date", "group", "code", "town", "not_reported"} <= columns


def test_fines_are_summed_exactly():
    changes = figures([("A", day, 1, 0, 0, 0, 0) for day in D[1:4]], fines=[0.1, 0.2, 0.3])
    sums = window_sums(models(changes), "cumulative")
    assert list(sums[sums["code"] == "A"]["fines_wan"]) == [0.1, 0.3, 0.6]  # not 0.30000000000000004


def test_the_window_sums_view_holds_each_days_ranking_window(nine_days):
    con = models(figures(nine_days))
    assert table(con, 'select "window", count(*) from window_sums group by 1') == [("cumulative", 16)]  # not day 5
    assert table(con, "select inspections from window_sums where town_code = 'A' and date = ?", [D[9]]) == [(40,)]


def test_a_day_nobody_reported_is_not_ranked_and_the_next_day_has_no_movement(nine_days):
    con = models(figures(nine_days))
    ranked_days = [r[0] for r in table(con, "select distinct date from rankings order by date")]
    assert ranked_days == D[1:5] + D[6:10]
    assert table(con, "select count(*) from daily_counts where date = ?", [D[5]]) == [(2,)]  # still counted
    after = table(con, "select code, rank_change, tier_streak from rankings where date = ? order by code", [D[6]])
    assert after == [("A", None, 1), ("B", None, 1)]


def test_a_ranking_on_a_day_nobody_reported_breaks_one_row_per_town_and_day(nine_days):
    con = models(figures(nine_days))
    forged = con.sql(
        f"select * from rankings union all select * replace (date '{D[5]}' as date) from rankings where date = '{D[4]}'"
    )
    con.register("rankings", forged.to_arrow_table())  # day 4's rows again, as day 5's
    rows = check_rows(con, "one_row_per_town_day")
    assert [tuple(r) for r in rows.itertuples(index=False)] == [("rankings", 18, 18, 16)]


def test_no_figures_build_empty_tables():
    con = models(figures([]))
    assert table(con, "select count(*) from calendar") == [(0,)]
    assert table(con, "select count(*) from rankings") == [(0,)]
    assert table(con, "select count(*) from window_sums") == [(0,)]
    run_checks(con)


# ---------------------------------------------------------------- checks


def check_rows(con, name: str) -> pd.DataFrame:
    return con.execute(sql_text(SQL / "checks" / f"{name}.sql")).df()


def test_every_check_finds_nothing_on_good_data(nine_days):
    con = models(figures(nine_days))
    assert CHECKS == [
        "counts_not_negative",
        "major_hazards_within_hazards",
        "one_row_per_town_day",
        "rankings_add_up",
        "reports_for_known_towns",
    ]
    for name in CHECKS:
        assert check_rows(con, name).empty, name
    run_checks(con)


def test_major_hazards_above_hazards_is_caught(nine_days):
    con = models(figures(nine_days + [("B", D[2], 4, 1, 3, 0, 0)]))
    rows = check_rows(con, "major_hazards_within_hazards")
    assert [tuple(r) for r in rows.itertuples(index=False)] == [("B", pd.Timestamp(D[2]), 1, 3)]
    with pytest.raises(CheckFailed, match="major_hazards_within_hazards: 1 行"):
        run_checks(con)


def test_negative_count_is_caught(nine_days):
    changed = [r for r in nine_days if r[1] != D[3]] + [("A", D[3], 4, 1, 0, -1, 0)]
    rows = check_rows(models(figures(changed)), "counts_not_negative")
    assert list(rows["town_code"]) == ["A"] and list(rows["date"]) == [pd.Timestamp(D[3])]


def test_report_for_a_town_not_in_towns_csv_is_caught(nine_days):
    rows = check_rows(
        models(figures(nine_days + [("Z", D[3], 4, 1, 0, 0, 0), ("Z", D[4], 4, 1, 0, 0, 0)])), "reports_for_known_towns"
    )
    assert [tuple(r) for r in rows.itertuples(index=False)] == [("Z", 2)]


def test_a_town_listed_twice_breaks_one_row_per_town_and_day(nine_days):
    twice = TOWNS + [Town("A", "甲镇", "镇", "东片")]
    rows = check_rows(models(figures(nine_days), towns=twice), "one_row_per_town_day")
    by_table = {r.table: (r.n, r.distinct_n, r.expected_n) for r in rows.itertuples(index=False)}
    assert by_table == {"daily_counts": (27, 18, 27), "rankings": (24, 16, 24)}  # 9 days, 8 of them ranked


def test_a_negative_window_sum_breaks_the_rankings_check(nine_days):
    con = models(figures(nine_days))
    con.register("rankings", con.sql("select * replace (-1 as inspections) from rankings").to_arrow_table())
    rows = check_rows(con, "rankings_add_up")
    assert len(rows) == 8 and set(rows["smallest_sum"]) == {-1}  # every ranking day


def test_a_town_ranked_twice_in_a_day_breaks_the_rankings_check(nine_days):
    con = models(figures(nine_days))
    twice = con.sql(
        "select * from rankings union all select * from rankings where date = $day and code = 'A'", params={"day": D[4]}
    )
    con.register("rankings", twice.to_arrow_table())
    rows = check_rows(con, "rankings_add_up")
    assert [(r.towns, r.smallest_size) for r in rows.itertuples()] == [(3, 2)]
