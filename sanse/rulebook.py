"""Changing the ranking rules from a date: admins only, audited, earlier days untouched."""

from __future__ import annotations

from dataclasses import asdict

from sanse import audit
from sanse.access import User, require
from sanse.config import ConfigError, Rules, Settings, read_settings, write_settings
from sanse.home import Home


def change_rules(home: Home, rules: Rules, *, by: User) -> Settings:
    """Add (or replace) the rules version in force from `rules.effective` on."""
    require(by, "change_rules")
    if sum(i.weight for i in rules.indicators) <= 0:
        raise ConfigError("指标权重之和必须大于 0")
    settings = read_settings(home.rules_toml).with_version(rules)
    write_settings(settings, home.rules_toml)
    audit.record(home, by.name, "rule_change", effective=rules.effective, rules=asdict(rules))
    return settings
