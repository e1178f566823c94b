"""Changing the rules from a date: admins only, audited, earlier days keep their rules."""

from dataclasses import replace
from datetime import date

import pytest

from sanse.access.audit import read_audit
from sanse.access.roles import SYSTEM, Forbidden, User
from sanse.deployment.errors import ConfigError
from sanse.deployment.rules_file import read_settings
from sanse.deployment.settings import Rules
from sanse.pipelines.build.warehouse import build
from sanse.ranking.rulebook import change_rules
from sanse.ranking.warehouse import Warehouse


def test_a_viewer_cannot_change_the_rules(demo_home):
    with pytest.raises(Forbidden):
        change_rules(demo_home, Rules(effective=date(2026, 10, 1), blue=3), by=User("leader", "viewer"))
    assert len(read_settings(demo_home.rules_toml).versions) == 1


def test_weights_that_add_up_to_nothing_are_refused(demo_home):
    rules = Rules(effective=date(2026, 10, 1))
    rules = replace(rules, indicators=tuple(replace(i, weight=0) for i in rules.indicators))
    with pytest.raises(ConfigError, match="权重"):
        change_rules(demo_home, rules, by=SYSTEM)


def test_new_rules_apply_from_their_date_and_are_audited(demo_home):
    before = Warehouse.open(demo_home).ranking(date(2026, 9, 30))
    change_rules(demo_home, Rules(effective=date(2026, 10, 1), blue=3, red=3), by=SYSTEM)
    build(demo_home)
    warehouse = Warehouse.open(demo_home)
    assert (warehouse.ranking(date(2026, 10, 1))["tier"] == "blue").sum() == 3
    assert warehouse.ranking(date(2026, 9, 30))[["code", "tier"]].equals(before[["code", "tier"]])
    assert read_audit(demo_home, action="rule_change")["who"].tolist() == ["cli"]
