"""Each ranking rule of design §4 on frames small enough to check by hand."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from sanse.deployment.settings import DEFAULT_INDICATORS, Indicator, Rules
from sanse.ranking.movement import add_movement
from sanse.ranking.rank import public_ranking, rank_blocks
from sanse.ranking.what_it_takes import what_it_takes, what_it_takes_each

DAY = date(2026, 3, 1)
MAJOR = Indicator("major_hazard_rate", "重大隐患发现率", "major_hazards")
HALT = Indicator("halt_rate", "停产停业率", "halted")
CASE = Indicator("case_rate", "立案查处率", "cases")


def frame(*towns: tuple, day: date = DAY, group: str = "") -> pd.DataFrame:
    """Window sums: (code, inspections, major_hazards, halted, cases) per town."""
    return pd.DataFrame(
        [
            {
                "date": day,
                "group": group,
                "code": code,
                "town": f"{code}镇",
                "inspections": i,
                "major_hazards": m,
                "halted": h,
                "cases": c,
            }
            for code, i, m, h, c in towns
        ]
    )


def major_only(majors: list[int], inspections: int = 100, **rules) -> pd.DataFrame:
    """One town per entry, T01.., ranked on the major hazard rate alone."""
    towns = [(f"T{k:02d}", inspections, m, 0, 0) for k, m in enumerate(majors, start=1)]
    return rank_blocks(frame(*towns), Rules(indicators=(MAJOR,), **rules))


def column(ranked: pd.DataFrame, name: str) -> dict:
    return dict(zip(ranked["code"], ranked[name]))


# ---------------------------------------------------------------- scores


def test_fracmax_scores_rate_over_group_maximum_and_averages_three_indicators():
    # A: .2 .1 0   B: .1 .2 .1   C: no inspections
    ranked = rank_blocks(frame(("A", 10, 2, 1, 0), ("B", 20, 2, 4, 2), ("C", 0, 0, 0, 0)), Rules())
    assert column(ranked, "major_hazard_rate") == pytest.approx({"A": 0.2, "B": 0.1, "C": np.nan}, nan_ok=True)
    assert column(ranked, "major_hazard_rate_score") == pytest.approx({"A": 100, "B": 50, "C": 0})
    assert column(ranked, "halt_rate_score") == pytest.approx({"A": 50, "B": 100, "C": 0})
    assert column(ranked, "case_rate_score") == pytest.approx({"A": 0, "B": 100, "C": 0})
    assert column(ranked, "score") == pytest.approx({"A": 50, "B": 250 / 3, "C": 0})
    assert column(ranked, "rank") == {"A": 2, "B": 1, "C": 3}


def test_undefined_rate_scores_zero_and_flags_no_inspections():
    ranked = rank_blocks(frame(("A", 10, 1, 1, 1), ("B", 0, 0, 0, 0)), Rules())
    assert column(ranked, "score") == {"A": 100.0, "B": 0.0}
    assert column(ranked, "no_inspections") == {"A": False, "B": True}
    assert np.isnan(column(ranked, "halt_rate")["B"])


def test_indicator_nobody_scores_on_gives_everybody_zero():
    ranked = rank_blocks(frame(("A", 10, 2, 0, 0), ("B", 10, 1, 0, 0)), Rules())
    assert column(ranked, "halt_rate_score") == {"A": 0.0, "B": 0.0}
    assert column(ranked, "case_rate_score") == {"A": 0.0, "B": 0.0}
    assert column(ranked, "score") == pytest.approx({"A": 100 / 3, "B": 50 / 3})


def test_all_rates_zero_ties_everybody_first_and_blue():
    ranked = major_only([0, 0, 0])
    assert list(ranked["score"]) == [0.0, 0.0, 0.0]
    assert list(ranked["rank"]) == [1, 1, 1]
    assert set(ranked["tier"]) == {"blue"}


def test_minmax_scores_from_group_minimum_to_maximum():
    # rates .1 .2 .4 and one town without inspections
    towns = frame(("A", 10, 1, 0, 0), ("B", 10, 2, 0, 0), ("C", 10, 4, 0, 0), ("D", 0, 0, 0, 0))
    ranked = rank_blocks(towns, Rules(indicators=(MAJOR,), normalization="minmax"))
    assert column(ranked, "score") == pytest.approx({"A": 0, "B": 100 / 3, "C": 100, "D": 0})


def test_rank_normalization_gives_borda_points_over_n_minus_one():
    # .1 beats only D; the two .2 beat A and D; D (undefined) beats nobody
    towns = frame(("A", 10, 1, 0, 0), ("B", 10, 2, 0, 0), ("C", 10, 2, 0, 0), ("D", 0, 0, 0, 0))
    ranked = rank_blocks(towns, Rules(indicators=(MAJOR,), normalization="rank"))
    assert column(ranked, "score") == pytest.approx({"A": 100 / 3, "B": 200 / 3, "C": 200 / 3, "D": 0})


def test_zscore_normalization_is_50_plus_10_z():
    # rates .1 .2 .3: mean .2, population sd sqrt(.02/3), z = -1.2247, 0, 1.2247
    towns = frame(("A", 10, 1, 0, 0), ("B", 10, 2, 0, 0), ("C", 10, 3, 0, 0))
    ranked = rank_blocks(towns, Rules(indicators=(MAJOR,), normalization="zscore"))
    z = 0.1 / (0.02 / 3) ** 0.5
    assert column(ranked, "score") == pytest.approx({"A": 50 - 10 * z, "B": 50, "C": 50 + 10 * z})


def test_weights_make_a_weighted_mean_of_indicator_scores():
    # A: 100, 0, 0   B: 0, 100, 100; with weights 2, 1, 1 both are 50
    towns = frame(("A", 10, 1, 0, 0), ("B", 10, 0, 1, 1))
    equal = rank_blocks(towns, Rules())
    assert column(equal, "score") == pytest.approx({"A": 100 / 3, "B": 200 / 3})
    weighted = Rules(indicators=(Indicator("major_hazard_rate", "", "major_hazards", weight=2), HALT, CASE))
    ranked = rank_blocks(towns, weighted)
    assert column(ranked, "score") == pytest.approx({"A": 50, "B": 50})
    assert column(ranked, "rank") == {"A": 1, "B": 1}


def test_lower_direction_gives_the_lowest_rate_full_marks():
    lower = Indicator("major_hazard_rate", "", "major_hazards", direction="lower")
    ranked = rank_blocks(frame(("A", 10, 1, 0, 0), ("B", 10, 2, 0, 0), ("C", 10, 4, 0, 0)), Rules(indicators=(lower,)))
    assert column(ranked, "score") == pytest.approx({"A": 100, "B": 50, "C": 25})
    assert column(ranked, "rank") == {"A": 1, "B": 2, "C": 3}
    minmax = rank_blocks(
        frame(("A", 10, 1, 0, 0), ("B", 10, 2, 0, 0), ("C", 10, 4, 0, 0)),
        Rules(indicators=(lower,), normalization="minmax"),
    )
    assert column(minmax, "score") == pytest.approx({"A": 100, "B": 200 / 3, "C": 0})


# ---------------------------------------------------------------- rank


def test_competition_ranking_gives_1224():
    ranked = major_only([9, 8, 8, 7])
    assert list(ranked["rank"]) == [1, 2, 2, 4]


def test_composites_equal_to_six_decimals_tie():
    # 100 x .5 = 50 and 100 x .50000000001 = 50.000000001 tie; 50.000001 does not
    towns = frame(
        ("TOP", 1, 1, 0, 0),
        ("A", 2, 1, 0, 0),
        ("B", 100_000_000_000, 50_000_000_001, 0, 0),
        ("C", 1_000_000_000, 500_000_010, 0, 0),
    )
    ranked = rank_blocks(towns, Rules(indicators=(MAJOR,)))
    assert column(ranked, "score")["B"] != column(ranked, "score")["A"]
    assert column(ranked, "rank") == {"TOP": 1, "C": 2, "A": 3, "B": 3}


def test_tie_break_column_orders_towns_with_equal_composites():
    towns = frame(("A", 10, 1, 0, 0), ("B", 20, 2, 0, 0), ("C", 30, 6, 0, 0))
    assert column(rank_blocks(towns, Rules(indicators=(MAJOR,))), "rank") == {"C": 1, "A": 2, "B": 2}
    ranked = rank_blocks(towns, Rules(indicators=(MAJOR,), tie_break=("inspections",)))
    assert column(ranked, "rank") == {"C": 1, "B": 2, "A": 3}


def test_tie_break_on_a_lower_is_better_indicator_prefers_the_lower_rate():
    lower_halt = Indicator("halt_rate", "", "halted", weight=0, direction="lower")
    rules = Rules(indicators=(MAJOR, lower_halt), tie_break=("halt_rate",))
    ranked = rank_blocks(frame(("A", 10, 1, 2, 0), ("B", 10, 1, 1, 0)), rules)
    assert column(ranked, "rank") == {"A": 2, "B": 1}


def test_groups_rank_separately():
    both = pd.concat(
        [
            frame(("A", 10, 1, 0, 0), ("B", 10, 2, 0, 0), group="东"),
            frame(("C", 10, 5, 0, 0), ("D", 10, 4, 0, 0), ("E", 10, 3, 0, 0), group="西"),
        ]
    )
    ranked = rank_blocks(both, Rules(indicators=(MAJOR,), blue=1, red=1))
    assert column(ranked, "rank") == {"A": 2, "B": 1, "C": 1, "D": 2, "E": 3}
    assert column(ranked, "score") == pytest.approx({"A": 50, "B": 100, "C": 100, "D": 80, "E": 60})
    assert column(ranked, "group_size") == {"A": 2, "B": 2, "C": 3, "D": 3, "E": 3}
    assert column(ranked, "tier") == {"A": "red", "B": "blue", "C": "blue", "D": "yellow", "E": "red"}


def test_days_rank_separately():
    both = pd.concat(
        [
            frame(("A", 10, 1, 0, 0), ("B", 10, 2, 0, 0)),
            frame(("A", 10, 3, 0, 0), ("B", 10, 2, 0, 0), day=DAY + timedelta(days=1)),
        ]
    )
    ranked = rank_blocks(both, Rules(indicators=(MAJOR,)))
    assert list(zip(ranked["code"], ranked["rank"])) == [("A", 2), ("B", 1), ("A", 1), ("B", 2)]


# ---------------------------------------------------------------- tiers


def test_23_towns_make_5_blue_13_yellow_5_red():
    ranked = major_only(list(range(23, 0, -1)))
    assert list(ranked["tier"]) == ["blue"] * 5 + ["yellow"] * 13 + ["red"] * 5


def test_tie_at_blue_boundary_gives_six_blue():
    majors = list(range(23, 0, -1))
    majors[5] = majors[4]  # the 5th and 6th tie at rank 5
    ranked = major_only(majors)
    assert list(ranked["rank"][:7]) == [1, 2, 3, 4, 5, 5, 7]
    assert (ranked["tier"] == "blue").sum() == 6
    assert (ranked["tier"] == "red").sum() == 5


def test_tie_at_red_boundary_takes_yellow_and_leaves_four_red():
    majors = list(range(23, 0, -1))
    majors[18] = majors[17]  # the 18th and 19th tie at rank 18 = N - R: not red
    ranked = major_only(majors)
    assert list(ranked["rank"][16:20]) == [17, 18, 18, 20]
    assert list(ranked["tier"][17:19]) == ["yellow", "yellow"]
    assert (ranked["tier"] == "red").sum() == 4


@pytest.mark.parametrize(
    ("blue", "red", "n", "expected"),
    [
        (5, 5, 23, (5, 5)),
        (0.2, 0.2, 23, (5, 5)),  # 4.6 rounds to 5
        (0.2, 0.1, 10, (2, 1)),
        (0.25, 0.25, 10, (3, 3)),  # 2.5 rounds half up
        (5, 5, 8, (5, 3)),  # B + R <= N: red gives way
        (5, 5, 3, (3, 0)),
        (0, 0, 23, (0, 0)),
    ],
)
def test_tier_counts_from_counts_or_fractions_of_n(blue, red, n, expected):
    assert Rules(blue=blue, red=red).tier_counts(n) == expected


def test_fraction_tiers_in_a_group_of_ten():
    ranked = major_only(list(range(10, 0, -1)), blue=0.2, red=0.3)
    assert list(ranked["tier"]) == ["blue"] * 2 + ["yellow"] * 5 + ["red"] * 3


def test_group_smaller_than_blue_plus_red_keeps_blue_first():
    assert list(major_only([8, 7, 6, 5, 4, 3, 2, 1])["tier"]) == ["blue"] * 5 + ["red"] * 3
    assert list(major_only([3, 2, 1])["tier"]) == ["blue"] * 3


def test_single_town_group_is_blue():
    assert list(major_only([0])["tier"]) == ["blue"]


# ---------------------------------------------------------------- movement and streaks


def ranked_days(*days: dict[str, tuple[int, str]], group: str = "") -> pd.DataFrame:
    rows = []
    for offset, towns in enumerate(days):
        for code, (rank, tier) in towns.items():
            rows.append(
                {"date": DAY + timedelta(days=offset), "group": group, "code": code, "rank": rank, "tier": tier}
            )
    return pd.DataFrame(rows)


def by_day(moved: pd.DataFrame, code: str, name: str) -> list:
    values = moved[moved["code"] == code].sort_values("date")[name]
    return [None if pd.isna(v) else v for v in values]


def test_rank_change_is_yesterdays_rank_minus_todays_and_empty_on_the_first_day():
    moved = add_movement(
        ranked_days(
            {"A": (1, "blue"), "B": (2, "yellow"), "C": (3, "red")},
            {"A": (3, "red"), "B": (1, "blue"), "C": (2, "yellow")},
            {"A": (2, "yellow"), "B": (1, "blue"), "C": (3, "red")},
        )
    )
    assert by_day(moved, "A", "rank_change") == [None, -2, 1]
    assert by_day(moved, "B", "rank_change") == [None, 1, 0]
    assert by_day(moved, "C", "rank_change") == [None, 1, -1]


def test_tier_streak_counts_consecutive_days_in_todays_tier():
    moved = add_movement(
        ranked_days(
            {"A": (3, "red")},
            {"A": (3, "red")},
            {"A": (2, "yellow")},
            {"A": (3, "red")},
            {"A": (3, "red")},
        )
    )
    assert by_day(moved, "A", "tier_streak") == [1, 2, 1, 1, 2]


def test_red_alert_from_the_third_consecutive_red_day():
    days = [{"A": (3, "red"), "B": (1, "blue")}] * 4
    moved = add_movement(ranked_days(*days), 3)
    assert by_day(moved, "A", "red_alert") == [False, False, True, True]
    assert by_day(moved, "B", "red_alert") == [False] * 4


def test_red_alert_threshold_is_a_setting_and_may_change_by_day():
    days = [{"A": (3, "red")}] * 4
    assert by_day(add_movement(ranked_days(*days), 2), "A", "red_alert") == [False, True, True, True]
    threshold = {DAY + timedelta(days=k): t for k, t in enumerate([3, 3, 5, 2])}
    assert by_day(add_movement(ranked_days(*days), threshold.__getitem__), "A", "red_alert") == [
        False,
        False,
        False,
        True,
    ]


def test_movement_does_not_bridge_a_missing_ranking_day():
    ranked = ranked_days({"A": (1, "red")}, {"A": (1, "red")}, {"A": (2, "red")})
    ranked = ranked[ranked["date"] != DAY + timedelta(days=1)]
    moved = add_movement(ranked)
    assert by_day(moved, "A", "rank_change") == [None, None]
    assert by_day(moved, "A", "tier_streak") == [1, 1]


# ---------------------------------------------------------------- what it takes


def four_towns() -> pd.DataFrame:
    """Majors per 10 inspections: A 5, B 3, C 2, D 1; with B = R = 1, D is red and C yellow."""
    return frame(("A", 10, 5, 0, 0), ("B", 10, 3, 0, 0), ("C", 10, 2, 0, 0), ("D", 10, 1, 0, 0))


ONE_EACH = Rules(indicators=(MAJOR,), blue=1, red=1)


def tier_with_extra(day: pd.DataFrame, code: str, extra: int, rules: Rules) -> str:
    lifted = day.copy()
    lifted.loc[lifted["code"] == code, "major_hazards"] += extra
    return column(rank_blocks(lifted, rules), "tier")[code]


def test_what_it_takes_for_red_is_a_tie_with_the_town_above():
    (lift,) = what_it_takes(four_towns(), "D", ONE_EACH)
    assert (lift.indicator.key, lift.extra, lift.tier) == ("major_hazard_rate", 1, "yellow")
    assert tier_with_extra(four_towns(), "D", 1, ONE_EACH) == "yellow"
    assert tier_with_extra(four_towns(), "D", 0, ONE_EACH) == "red"


def test_what_it_takes_for_yellow_is_reaching_the_top_rate():
    (lift,) = what_it_takes(four_towns(), "C", ONE_EACH)
    assert (lift.extra, lift.tier) == (3, "blue")
    assert tier_with_extra(four_towns(), "C", 3, ONE_EACH) == "blue"
    assert tier_with_extra(four_towns(), "C", 2, ONE_EACH) == "yellow"


def test_what_it_takes_with_three_indicators_checks_each_on_its_own():
    # 3 towns, B = R = 1. Scores: A 100,100,100; B 50,50,50 (yellow); C 25,25,25 (red)
    day = frame(("A", 20, 4, 4, 4), ("B", 20, 2, 2, 2), ("C", 20, 1, 1, 1))
    lifts = {lift.indicator.key: lift.extra for lift in what_it_takes(day, "C", ONE_EACH_DEFAULT)}
    # C needs composite >= 50: one more of any count gives 50, 25, 25 -> 33.3; two give 75 -> 41.7;
    # three give 100 -> 50 (tie with B at rank 2 = N - R, so yellow)
    assert lifts == {"major_hazard_rate": 3, "halt_rate": 3, "case_rate": 3}
    for extra, tier in ((3, "yellow"), (2, "red")):
        lifted = day.copy()
        lifted.loc[lifted["code"] == "C", "halted"] += extra
        assert column(rank_blocks(lifted, ONE_EACH_DEFAULT), "tier")["C"] == tier


ONE_EACH_DEFAULT = Rules(indicators=DEFAULT_INDICATORS, blue=1, red=1)


def test_what_it_takes_in_a_group_without_yellow_names_blue():
    (lift,) = what_it_takes(frame(("A", 10, 2, 0, 0), ("B", 10, 1, 0, 0)), "B", ONE_EACH)
    assert (lift.extra, lift.tier) == (1, "blue")


def test_what_it_takes_for_a_blue_town_is_nothing():
    assert what_it_takes(four_towns(), "A", ONE_EACH) == []


def test_what_it_takes_without_inspections_is_unreachable():
    day = frame(("A", 10, 5, 0, 0), ("B", 10, 3, 0, 0), ("C", 0, 0, 0, 0))
    (lift,) = what_it_takes(day, "C", ONE_EACH)
    assert lift.extra is None


def test_what_it_takes_finds_large_counts_exactly():
    day = frame(("A", 1000, 900, 0, 0), ("B", 1000, 800, 0, 0), ("C", 1000, 1, 0, 0))
    (lift,) = what_it_takes(day, "C", ONE_EACH)
    assert lift.extra == 799
    assert tier_with_extra(day, "C", 799, ONE_EACH) == "yellow"
    assert tier_with_extra(day, "C", 798, ONE_EACH) == "red"


# ---------------------------------------------------------------- the CLI columns


def test_public_ranking_has_the_cli_keys_in_order():
    ranked = add_movement(rank_blocks(four_towns(), Rules()).assign(not_reported=False))
    assert list(public_ranking(ranked, Rules()).columns) == [
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


def test_what_it_takes_of_several_towns_at_once_is_each_towns_own(monkeypatch):
    monkeypatch.setattr("sanse.ranking.what_it_takes.TRIAL_ROWS", 500)  # small batches: towns' trials split across them
    each = what_it_takes_each(four_towns(), ["A", "B", "C", "D"], ONE_EACH)
    assert each["A"] == [] and [(x.extra, x.tier) for x in each["C"]] == [(3, "blue")]
    assert [(x.extra, x.tier) for x in each["D"]] == [(1, "yellow")]
    assert [(x.extra, x.tier) for x in each["B"]] == [(2, "blue")]  # 5 of 10 ties A: the better tier
    for code in "ABCD":
        assert each[code] == what_it_takes(four_towns(), code, ONE_EACH)
