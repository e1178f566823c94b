"""The groups themselves ranked (a province's counties): rates rolled up from the towns' counts,
the same scores and ranks, tier counts, reporting and overdue items per group."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from sanse.config import Indicator, Rules, Town
from sanse.groups import overdue_by_group, rank_groups

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
