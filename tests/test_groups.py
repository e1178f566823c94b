"""The groups themselves ranked (a province's counties): rates rolled up from the towns' counts,
the same scores and ranks, tier counts, reporting and overdue items per group."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pandas as pd
import pytest

from sanse.deployment.errors import ConfigError
from sanse.deployment.rules_file import settings_from_text, settings_to_toml
from sanse.deployment.settings import GroupTiers, Indicator, Rules
from sanse.deployment.towns import Town
from sanse.ranking.groups import overdue_by_group, rank_groups

MAJOR = Indicator("major_hazard_rate", "重大隐患发现率", "major_hazards")
CASES = Indicator("case_rate", "立案查处率", "cases")


def towns(*rows: tuple) -> pd.DataFrame:
    """(group, code, inspections, major_hazards, cases, tier, not_reported) per town."""
    columns = ["group", "code", "inspections", "major_hazards", "cases", "tier", "not_reported"]
    return pd.DataFrame(rows, columns=columns)


RANKING = towns(
    # 东县: 2 + 8 = 10 major hazards in 100 + 100 inspections: 5%
    ("东县", "E1", 100, 2, 1, "red", False),
    ("东县", "E2", 100, 8, 3, "blue", True),
    # 西县: 30 in 300 + 0 in 100: 7.5%, where the mean of the towns' rates would be 5%
    ("西县", "W1", 300, 30, 3, "blue", False),
    ("西县", "W2", 100, 0, 1, "yellow", False),
    # 南县: no inspections at all: its rates are undefined, it scores 0
    ("南县", "S1", 0, 0, 0, "red", True),
)


def test_rates_are_rolled_up_from_counts_not_averaged():
    ranked = rank_groups(RANKING, Rules(indicators=(MAJOR,))).set_index("group")
    assert ranked.at["东县", "major_hazard_rate"] == pytest.approx(10 / 200)
    assert ranked.at["西县", "major_hazard_rate"] == pytest.approx(30 / 400)
    assert pd.isna(ranked.at["南县", "major_hazard_rate"])


def test_groups_are_scored_and_ranked_like_towns_without_colours():
    # fracmax: 西县 7.5% is the top, 100; 东县 5% scores 100 × 5/7.5 = 66.67; 南县 0.
    # cases: 东县 4/200 = 2%, 西县 4/400 = 1%: 100 and 50. Composite: 东县 83.33, 西县 75.
    ranked = rank_groups(RANKING, Rules(indicators=(MAJOR, CASES)))
    assert list(ranked["group"]) == ["东县", "西县", "南县"]
    assert list(ranked["score"]) == pytest.approx([(200 / 3 + 100) / 2, 75.0, 0.0])
    assert list(ranked["rank"]) == [1, 2, 3]
    assert list(ranked["major_hazard_rate_rank"]) == [2, 1, 3]
    assert "tier" not in ranked.columns


def test_each_group_counts_its_towns_tiers_reports_and_overdue_items():
    ranked = rank_groups(RANKING, Rules(indicators=(MAJOR,)), overdue={"东县": 3}).set_index("group")
    assert ranked.loc["东县", ["towns", "reported", "blue", "yellow", "red", "overdue"]].tolist() == [2, 1, 1, 0, 1, 3]
    assert ranked.loc["西县", ["towns", "reported", "blue", "yellow", "red", "overdue"]].tolist() == [2, 2, 1, 1, 0, 0]
    assert ranked.loc["南县", ["towns", "reported", "red", "overdue"]].tolist() == [1, 0, 1, 0]
    assert ranked.at["西县", "inspections"] == 400


def test_overdue_items_are_counted_by_the_group_of_their_town():
    listed = [Town("E1", "甲镇", "镇", "东县"), Town("E2", "乙镇", "镇", "东县"), Town("W1", "丙镇", "镇", "西县")]
    items = [SimpleNamespace(town_code=code) for code in ("E1", "E2", "E2", "W1", "X9")]
    assert overdue_by_group(items, listed) == {"东县": 3, "西县": 1}


def test_groups_get_no_tier_unless_rules_toml_asks_for_one():
    assert settings_from_text("[campaign]\n").group_tiers is None
    assert settings_from_text("[groups]\ntiers = false\n").group_tiers is None
    assert settings_from_text("[groups]\ntiers = true\n").group_tiers == GroupTiers(None, None)
    assert settings_from_text("[groups]\ntiers = true\nblue = 1\nred = 0.25\n").group_tiers == GroupTiers(1, 0.25)
    written = settings_to_toml(settings_from_text("[groups]\ntiers = true\nred = 2\n"))
    assert settings_from_text(written).group_tiers == GroupTiers(None, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[groups]\ntiers = "yes"\n', "tiers 应为 true 或 false"),
        ("[groups]\ntiers = true\nblue = -1\n", "blue 应为个数或 0 到 1 之间的比例"),
        ("[groups]\ntiers = true\nblue = 0.6\nred = 0.6\n", "比例之和不能超过 1"),
        ("[groups]\nblue = 1\n", "没有 tiers = true"),
        ("[groups]\ntiers = true\ngreen = 1\n", "“green”不是可用的设置"),
    ],
)
def test_a_wrong_groups_setting_is_refused_in_plain_words(text, message):
    with pytest.raises(ConfigError, match=message) as refused:
        settings_from_text(text)
    assert str(refused.value).startswith("rules.toml [groups]")


def test_asked_for_tiers_groups_are_coloured_by_the_towns_tier_rule():
    # 东县 83.33 rank 1, 西县 75 rank 2, 南县 0 rank 3 (as above): B = 1 blue, R = 1 red.
    rules = Rules(indicators=(MAJOR, CASES))
    ranked = rank_groups(RANKING, rules, tiers=GroupTiers(blue=1, red=1))
    assert list(ranked["tier"]) == ["blue", "yellow", "red"]
    # without sizes of their own, the groups take the rules' blue and red: 5 and 5 of 3 -> all blue
    assert list(rank_groups(RANKING, rules, tiers=GroupTiers())["tier"]) == ["blue"] * 3
    assert list(rank_groups(RANKING, replace(rules, blue=0, red=2), tiers=GroupTiers())["tier"]) == [
        "yellow",
        "red",
        "red",
    ]


def rates(*rows: tuple[str, int]) -> pd.DataFrame:
    """One town per group, (group, major hazards in 100 inspections)."""
    return towns(*((group, group, 100, major, 0, "yellow", False) for group, major in rows))


def test_tied_groups_take_the_better_tier():
    rules = Rules(indicators=(MAJOR,))
    # 甲 and 乙 tie at 10% for rank 1: both blue with B = 1; 丙 rank 3 and 丁 rank 4 > 4 − 2: red
    ranked = rank_groups(rates(("甲", 10), ("乙", 10), ("丙", 5), ("丁", 0)), rules, tiers=GroupTiers(1, 2))
    assert dict(zip(ranked["group"], ranked["rank"])) == {"甲": 1, "乙": 1, "丙": 3, "丁": 4}
    assert dict(zip(ranked["group"], ranked["tier"])) == {"甲": "blue", "乙": "blue", "丙": "red", "丁": "red"}
    # 乙 and 丙 tie at rank 2 on the red line (rank > 3 − 1): both stay yellow
    ranked = rank_groups(rates(("甲", 10), ("乙", 5), ("丙", 5)), rules, tiers=GroupTiers(1, 1))
    assert dict(zip(ranked["group"], ranked["tier"])) == {"甲": "blue", "乙": "yellow", "丙": "yellow"}
