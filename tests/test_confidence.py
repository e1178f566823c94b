"""统计可信度: intervals, funnel limits, overdispersion, rank simulation, 待定 and 样本不足."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from sanse.deployment.demo import demo_settings
from sanse.deployment.errors import ConfigError
from sanse.deployment.rules_file import read_settings
from sanse.deployment.settings import Indicator, Rules, Settings
from sanse.ranking.rank import rank_blocks
from sanse.ranking.warehouse import Warehouse
from sanse.statistics.confidence import (
    ConfidenceInputError,
    ConfidenceSettings,
    clopper_pearson_interval,
    confidence_settings,
    control_limits,
    dersimonian_laird_tau2,
    funnel,
    poisson_interval,
    provisional_count,
    provisional_tiers,
    rank_uncertainty,
    rankability,
    rate_intervals,
    tier_confidence,
    wilson_interval,
    winsorize,
)

DAY = date(2026, 10, 1)
MAJOR_ONLY = Rules(indicators=(Indicator("major_hazard_rate", "重大隐患发现率", "major_hazards"),), blue=1, red=1)


def block(*towns: tuple, group: str = "", day: date = DAY) -> pd.DataFrame:
    """Window sums from (code, inspections, major_hazards[, halted, cases]) tuples."""
    rows = []
    for code, inspections, major, *rest in towns:
        halted, cases = (rest + [0, 0])[:2]
        rows.append(
            {
                "date": day,
                "group": group,
                "code": code,
                "town": f"{code}镇",
                "inspections": float(inspections),
                "hazards": float(major),
                "major_hazards": float(major),
                "rectified": 0.0,
                "halted": float(halted),
                "cases": float(cases),
                "detentions": 0.0,
                "fines_wan": 0.0,
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- intervals


def test_wilson_interval_matches_newcombe_1998_examples():
    lower, upper = wilson_interval(np.array([81, 15, 0, 1]), np.array([263, 148, 20, 29]))
    assert lower == pytest.approx([0.2553, 0.0624, 0.0, 0.0061], abs=5e-5)
    assert upper == pytest.approx([0.3662, 0.1605, 0.1611, 0.1718], abs=5e-5)


def test_wilson_interval_for_two_of_twelve_and_none_of_ten():
    # 2/12: centre (1/6 + z²/24)/(1 + z²/12), half-width z·sqrt(5/864 + z²/576)/(1 + z²/12)
    lower, upper = wilson_interval(np.array([2, 0]), np.array([12, 10]))
    assert lower == pytest.approx([0.0470, 0.0], abs=5e-5)
    # 0/10: upper = z²/(n + z²) = 3.8415/13.8415
    assert upper == pytest.approx([0.4480, 0.2775], abs=5e-5)


def test_clopper_pearson_interval_has_closed_forms_at_the_edges():
    lower, upper = clopper_pearson_interval(np.array([0, 1, 0]), np.array([10, 29, 20]))
    assert upper[0] == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-9)  # 0.3085
    assert upper[0] == pytest.approx(0.3085, abs=5e-5)
    assert lower[1] == pytest.approx(1 - 0.975 ** (1 / 29), abs=1e-9)  # 0.0009
    assert upper[2] == pytest.approx(0.1684, abs=5e-5)
    assert lower[0] == 0.0


def test_poisson_exact_interval_of_no_event_and_of_three():
    lower, upper = poisson_interval(np.array([0, 3]), np.array([10, 1]))
    assert upper[0] == pytest.approx(-np.log(0.025) / 10)  # 0.3689
    assert lower[1] == pytest.approx(0.6187, abs=5e-5)  # Garwood's table
    assert upper[1] == pytest.approx(8.7673, abs=5e-5)


def test_rate_intervals_switch_to_exact_for_small_counts_and_leave_no_inspections_undefined():
    frame = rate_intervals(block(("A", 100, 30), ("B", 12, 2), ("C", 8, 5), ("D", 0, 0)), MAJOR_ONLY)
    method = dict(zip(frame["code"], frame["method"]))
    assert method == {"A": "wilson", "B": "clopper_pearson", "C": "clopper_pearson", "D": "undefined"}
    b = frame[frame["code"] == "B"].iloc[0]
    assert b["rate"] == pytest.approx(2 / 12)
    assert (b["lower"], b["upper"]) == pytest.approx(tuple(x[0] for x in clopper_pearson_interval([2], [12])))
    d = frame[frame["code"] == "D"].iloc[0]
    assert np.isnan(d["rate"]) and np.isnan(d["lower"]) and np.isnan(d["upper"])


def test_rate_that_can_pass_one_is_treated_as_poisson():
    per_major = Rules(indicators=(Indicator("halt_per_major", "每处重大隐患停产数", "halted", "major_hazards"),))
    frame = rate_intervals(block(("A", 50, 4, 6), ("B", 50, 10, 3)), per_major)
    assert set(frame["model"]) == {"poisson"}
    a = frame[frame["code"] == "A"].iloc[0]
    assert a["rate"] == pytest.approx(1.5)
    assert a["upper"] > 1.5 > a["lower"] > 0


def test_missing_count_column_is_a_clear_error():
    with pytest.raises(ConfidenceInputError, match="缺少列：cases"):
        rate_intervals(block(("A", 10, 1)).drop(columns=["cases"]), Rules())


# ---------------------------------------------------------------- funnel


def test_exact_funnel_limits_at_ten_match_hand_computation():
    # Binomial(10, 0.5): F(7)=968/1024, F(8)=1013/1024, F(1)=11/1024, F(2)=56/1024.
    # upper: r=8, alpha=(1013/1024-0.975)/(45/1024) -> (8-alpha)/10; lower: r=2 likewise.
    lower, upper = control_limits(np.array([10.0]), 0.5, 0.95, "binomial")
    assert upper[0] == pytest.approx((8 - (1013 / 1024 - 0.975) / (45 / 1024)) / 10)  # 0.7676
    assert lower[0] == pytest.approx((2 - (56 / 1024 - 0.025) / (45 / 1024)) / 10)  # 0.1324


def test_normal_funnel_limits_for_a_large_denominator():
    lower, upper = control_limits(np.array([10_000.0]), 0.1, 0.95, "binomial")
    assert (lower[0], upper[0]) == pytest.approx((0.1 - 1.959964 * 0.003, 0.1 + 1.959964 * 0.003))
    lower, upper = control_limits(np.array([10_000.0]), 0.1, 0.998, "binomial")
    assert upper[0] == pytest.approx(0.1 + 3.090232 * 0.003)


def test_phi_widens_limits_by_its_square_root_and_tau2_in_quadrature():
    n = np.array([10_000.0])
    _, plain = control_limits(n, 0.1, 0.95, "binomial")
    _, by_phi = control_limits(n, 0.1, 0.95, "binomial", phi=4.0)
    _, by_tau2 = control_limits(n, 0.1, 0.95, "binomial", tau2=0.0001)
    assert by_phi[0] - 0.1 == pytest.approx(2 * (plain[0] - 0.1))
    assert by_tau2[0] - 0.1 == pytest.approx(1.959964 * np.sqrt(0.09 / 10_000 + 0.0001))


def test_funnel_targets_the_group_rate_and_names_towns_beyond_the_limits():
    picture = funnel(
        block(("A", 100, 10), ("B", 100, 20), ("C", 100, 30), ("D", 100, 40)), "major_hazard_rate", MAJOR_ONLY
    )
    assert picture.target == pytest.approx(100 / 400)
    z = dict(zip(picture.points["code"], picture.points["z"]))
    assert z["D"] == pytest.approx(0.15 / np.sqrt(0.25 * 0.75 / 100))  # 3.4641
    assert picture.outside("95") == ["A镇", "D镇"]
    assert picture.outside("998", "above") == ["D镇"]
    assert list(picture.points["band"]) == ["below_998", "within", "within", "above_998"]
    assert picture.limits["denominator"].max() == 110
    assert (picture.limits["lower_998"] <= picture.limits["lower_95"]).all()
    assert (picture.limits["upper_95"] <= picture.limits["upper_998"]).all()


def test_funnel_axis_is_fitted_to_the_towns_not_zero_to_one_hundred_per_cent():
    # Rates 2%, 4%, 8% of a million inspections each: the 99.8% limit at the median town lies
    # 3.09 × sqrt(0.0467 × 0.9533 / 10⁶) ≈ 0.07 points above the target 14/300, under 8%;
    # so the axis runs from 0 to 8% and 15% more: 9.2%.
    picture = funnel(
        block(("A", 1_000_000, 20_000), ("B", 1_000_000, 40_000), ("C", 1_000_000, 80_000)),
        "major_hazard_rate",
        MAJOR_ONLY,
    )
    assert picture.rate_axis() == pytest.approx((0.0, 0.092))
    # 10 inspections at 50%: the 99.8% limit at 10 (0.9 and more) is the top, capped at 100%.
    small = funnel(block(("A", 10, 5), ("B", 10, 5)), "major_hazard_rate", MAJOR_ONLY)
    assert small.rate_axis() == (0.0, 1.0)
    nothing = funnel(block(("A", 0, 0), ("B", 0, 0)), "major_hazard_rate", MAJOR_ONLY)
    assert nothing.rate_axis() == (0.0, 1.0)


def test_overdispersion_is_estimated_from_winsorised_z_scores():
    # z = ±3.4641, ±1.1547; the 10%/90% quantiles of 4 values sit 30% of the way in: ±2.7713.
    # phi = (2·7.68 + 2·4/3)/4 = 4.5067; tau2 = (4·phi - 3)/(4w - w) with w = 100/0.1875.
    picture = funnel(
        block(("A", 100, 10), ("B", 100, 20), ("C", 100, 30), ("D", 100, 40)), "major_hazard_rate", MAJOR_ONLY, "tau2"
    )
    assert picture.phi == pytest.approx((2 * 7.68 + 2 * 4 / 3) / 4)
    assert picture.tau2 == pytest.approx((2 * 7.68 + 2 * 4 / 3 - 3) / (3 * 100 / 0.1875))
    assert picture.outside("95") == []  # all four within once the real spread is allowed for


def test_winsorising_pulls_in_only_the_extremes():
    assert list(winsorize(np.array([-10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0]))) == [0.0] * 11
    assert list(winsorize(np.array([-3.0, -1.0, 1.0, 3.0]))) == pytest.approx([-2.4, -1.0, 1.0, 2.4])


def test_dersimonian_laird_tau2_by_hand():
    # w = 100, 100, 25; sum w = 225; sum w² / sum w = 20625/225; Q = 4 + 0 + 4
    assert dersimonian_laird_tau2(np.array([2.0, 0.0, -2.0]), np.array([0.1, 0.1, 0.2])) == pytest.approx(
        6 / (225 - 20625 / 225)
    )
    assert dersimonian_laird_tau2(np.array([0.5, -0.5]), np.array([0.1, 0.1])) == 0.0


def test_funnel_of_a_block_with_several_groups_needs_the_group():
    both = pd.concat([block(("A", 10, 1), group="东"), block(("B", 10, 2), group="西")])
    with pytest.raises(ConfidenceInputError, match="请指定"):
        funnel(both, "major_hazard_rate", MAJOR_ONLY)
    assert funnel(both, "major_hazard_rate", MAJOR_ONLY, group="西").target == pytest.approx(0.2)


# ---------------------------------------------------------------- rank simulation


def test_town_with_huge_denominator_and_top_rate_is_surely_blue():
    day = block(("BIG", 50_000, 5_000), ("A", 1000, 60), ("B", 1000, 55), ("C", 1000, 50), ("D", 1000, 40))
    result = rank_uncertainty(day, MAJOR_ONLY, draws=400).set_index("code")
    assert result.at["BIG", "tier"] == "blue"
    assert result.at["BIG", "p_blue"] > 0.99
    assert result.at["BIG", "rank_low"] == result.at["BIG", "rank_high"] == 1


def test_towns_with_identical_counts_get_identical_chances():
    day = block(("A", 40, 3, 1, 2), ("B", 40, 3, 1, 2), ("C", 35, 1, 2, 1), ("D", 50, 2, 0, 3), ("E", 30, 4, 1, 0))
    result = rank_uncertainty(day, Rules(blue=2, red=2), draws=300).set_index("code")
    columns = ["median_rank", "rank_low", "rank_high", "p_blue", "p_yellow", "p_red"]
    assert result.loc["A", columns].tolist() == result.loc["B", columns].tolist()
    assert result.loc[["A", "B"], ["p_blue", "p_yellow", "p_red"]].sum(axis=1).tolist() == pytest.approx([1, 1])


def test_tiny_denominator_leader_is_provisional():
    day = block(
        ("TINY", 12, 2), ("A", 1000, 150), ("B", 1000, 140), ("C", 1000, 130), ("D", 1000, 100), ("E", 1000, 60)
    )
    ranking = rank_blocks(day, MAJOR_ONLY)
    assert ranking.set_index("code").at["TINY", "tier"] == "blue"  # 2/12 tops 150/1000
    tiers = provisional_tiers(ranking, rank_uncertainty(day, MAJOR_ONLY, draws=1000)).set_index("code")
    assert tiers.at["TINY", "p_blue"] < 0.5
    assert bool(tiers.at["TINY", "provisional"]) and tiers.at["TINY", "confidence_note"] == "待定"
    assert provisional_count(tiers) == 1


def test_jeffreys_prior_judges_each_town_on_its_own_counts():
    day = block(
        ("TINY", 12, 2), ("A", 1000, 150), ("B", 1000, 140), ("C", 1000, 130), ("D", 1000, 100), ("E", 1000, 60)
    )
    shrunk = rank_uncertainty(day, MAJOR_ONLY, draws=1000).set_index("code")
    own = rank_uncertainty(day, MAJOR_ONLY, draws=1000, prior="jeffreys").set_index("code")
    assert own.at["TINY", "p_blue"] > shrunk.at["TINY", "p_blue"]


def test_same_seed_same_numbers_and_the_date_is_the_default_seed():
    day = block(("A", 40, 3, 1, 2), ("B", 45, 2, 2, 2), ("C", 35, 1, 2, 1), ("D", 50, 2, 0, 3), ("E", 30, 4, 1, 0))
    first = rank_uncertainty(day, Rules(blue=2, red=2), draws=200)
    again = rank_uncertainty(day.iloc[::-1], Rules(blue=2, red=2), draws=200, seed=20261001)
    pd.testing.assert_frame_equal(first.set_index("code").sort_index(), again.set_index("code").sort_index())
    assert first.attrs["seed"] == 20261001
    other = rank_uncertainty(day, Rules(blue=2, red=2), draws=200, seed=7)
    assert not np.allclose(first["p_blue"], other["p_blue"])


def test_groups_rank_separately_in_one_simulation():
    both = pd.concat(
        [
            block(("A", 1000, 100), ("B", 1000, 50), ("C", 1000, 10), group="东"),
            block(("D", 1000, 10), ("E", 1000, 50), ("F", 1000, 100), group="西"),
        ]
    )
    result = rank_uncertainty(both, MAJOR_ONLY, draws=200).set_index("code")
    assert result.loc[["A", "F"], "p_blue"].tolist() == [1.0, 1.0]
    assert result.loc[["C", "D"], "p_red"].tolist() == [1.0, 1.0]


def test_town_without_inspections_stays_at_the_bottom():
    day = block(("A", 100, 10), ("B", 100, 5), ("Z", 0, 0))
    result = rank_uncertainty(day, MAJOR_ONLY, draws=100).set_index("code")
    assert result.at["Z", "p_red"] == 1.0


def test_rate_per_major_hazard_simulates_with_poisson():
    per_major = Rules(
        indicators=(Indicator("halt_per_major", "每处重大隐患停产数", "halted", "major_hazards"),), blue=1, red=1
    )
    day = block(("A", 50, 4, 12), ("B", 50, 10, 3), ("C", 50, 8, 8))
    result = rank_uncertainty(day, per_major, draws=300).set_index("code")
    assert result.at["A", "p_blue"] > 0.9


def test_small_town_is_ranked_but_flagged_small_sample():
    day = block(("A", 100, 10), ("B", 20, 1), ("C", 300, 10))
    tiers = tier_confidence(day, MAJOR_ONLY, ConfidenceSettings(min_inspections=50, draws=100)).set_index("code")
    assert tiers["small_sample"].to_dict() == {"A": False, "B": True, "C": False}
    assert tiers.at["B", "rank"] >= 1
    assert "样本不足" in tiers.at["B", "confidence_note"]
    assert tiers.at["B", "confidence_note_en"].endswith("small sample")


# ---------------------------------------------------------------- settings and rankability


def test_confidence_settings_default_and_read_from_rules_toml():
    assert confidence_settings(demo_settings()) == ConfidenceSettings(0.5, 0, 1000, "none")
    chosen = replace(
        demo_settings(),
        extra={
            "confidence": {
                "provisional_below": 0.6,
                "min_inspections": 30,
                "draws": 2000,
                "funnel_adjust": "phi",
                "prior": "jeffreys",
            }
        },
    )
    assert confidence_settings(chosen) == ConfidenceSettings(0.6, 30, 2000, "phi", "jeffreys")


@pytest.mark.parametrize(
    "section",
    [
        {"provisional_below": 1.5},
        {"draws": 10},
        {"funnel_adjust": "more"},
        {"min_inspection": 3},
        {"prior": "flat"},
    ],
)
def test_bad_confidence_settings_are_refused(section):
    with pytest.raises(ConfigError, match=r"\[confidence\]"):
        confidence_settings(Settings(demo_settings().campaign, (Rules(),), {"confidence": section}))


def test_confidence_section_survives_rules_toml_round_trip(demo_home):
    text = demo_home.rules_toml.read_text(encoding="utf-8")
    demo_home.rules_toml.write_text(
        text + "\n[confidence]\nprovisional_below = 0.4\nmin_inspections = 20\n", encoding="utf-8"
    )
    assert confidence_settings(read_settings(demo_home.rules_toml)) == ConfidenceSettings(0.4, 20)


def test_rankability_is_high_when_towns_really_differ_and_low_when_they_do_not():
    apart = rankability(block(("A", 2000, 400), ("B", 2000, 200), ("C", 2000, 100), ("D", 2000, 40)), MAJOR_ONLY)
    assert apart.value > 0.95
    assert apart.sentence_zh.startswith(f"今日排名的可分辨度为 {apart.value:.2f}：大部分差距来自真实差异")
    alike = rankability(block(("A", 100, 10), ("B", 100, 11), ("C", 100, 9), ("D", 100, 10)), MAJOR_ONLY)
    assert alike.value == 0.0
    assert "偶然波动" in alike.sentence_zh and "chance" in alike.sentence_en


def test_rankability_without_events_says_it_cannot_tell():
    result = rankability(block(("A", 10, 0), ("B", 10, 0)), MAJOR_ONLY)
    assert np.isnan(result.value) and "无法判断" in result.sentence_zh


# ---------------------------------------------------------------- the demo city


def test_demo_city_confidence_shapes_and_ranges(demo_home_readonly):
    warehouse = Warehouse.open(demo_home_readonly)
    day = warehouse.dates()[-1]
    settings = read_settings(demo_home_readonly.rules_toml)
    rules = settings.rules_on(day)
    sums = warehouse.window_sums(day, rules.window, None)
    assert len(sums) == 23

    rates = rate_intervals(sums, rules)
    assert len(rates) == 23 * 3
    assert ((rates["lower"] <= rates["rate"]) & (rates["rate"] <= rates["upper"])).all()

    for indicator in rules.indicators:
        picture = funnel(sums, indicator.key, rules, "phi")
        assert len(picture.points) == 23 and picture.phi > 0
        assert ((picture.limits["lower_95"] <= picture.target) & (picture.target <= picture.limits["upper_95"])).all()

    tiers = tier_confidence(sums, rules, confidence_settings(settings))
    assert len(tiers) == 23
    assert tiers[["p_blue", "p_yellow", "p_red"]].sum(axis=1).to_numpy() == pytest.approx(np.ones(23))
    assert (
        (1 <= tiers["rank_low"])
        & (tiers["rank_low"] <= tiers["median_rank"])
        & (tiers["median_rank"] <= tiers["rank_high"])
        & (tiers["rank_high"] <= 23)
    ).all()
    assert tiers["p_current"].between(0, 1).all()
    assert tiers["tier"].tolist() == warehouse.ranking(day).set_index("code").loc[tiers["code"], "tier"].tolist()
    assert 0 <= rankability(sums, rules).value <= 1
