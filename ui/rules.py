"""规则 as the page shows it: a version's indicators and every version as tables, the choices an
admin has when adding a version, and adding one (then rebuilding the ranking)."""

from __future__ import annotations

import pandas as pd

from sanse.access.roles import Forbidden
from sanse.deployment.settings import NORMALIZATIONS, WINDOWS, Rules, Settings
from sanse.pipelines.build.warehouse import build
from sanse.ranking.rulebook import change_rules
from sanse.ui import data
from sanse.ui.session import t, viewer
from sanse.ui.tables import indicator_label


def indicators_frame(rules: Rules) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("rules.indicators"): [indicator_label(i) for i in rules.indicators],
            t("rules.numerator"): [t(f"col.{i.numerator}") for i in rules.indicators],
            t("rules.denominator"): [t(f"col.{i.denominator}") for i in rules.indicators],
            t("rules.weight"): [i.weight for i in rules.indicators],
            t("rules.direction"): [t(f"rules.{i.direction}") for i in rules.indicators],
        }
    )


def versions_frame(settings: Settings) -> pd.DataFrame:
    """Every version of the rules, with the date it takes effect and why it was added."""
    return pd.DataFrame(
        {
            t("rules.effective"): [str(v.effective or t("rules.from_start")) for v in settings.versions],
            t("rules.window"): [t(f"window.{v.window}") for v in settings.versions],
            t("rules.normalization"): [t(f"norm.{v.normalization}") for v in settings.versions],
            t("rules.blue"): [f"{v.blue:g}" for v in settings.versions],
            t("rules.red"): [f"{v.red:g}" for v in settings.versions],
            t("rules.weight"): [" / ".join(f"{i.weight:g}" for i in v.indicators) for v in settings.versions],
            t("rules.change.note"): [v.note for v in settings.versions],
        }
    )


def windows() -> tuple[str, ...]:
    return WINDOWS


def normalizations() -> tuple[str, ...]:
    return NORMALIZATIONS


def add_version(new: Rules) -> str:
    """Add `new` as this user and rebuild the ranking: "" when done, else why not (the version is
    refused, or the session ended since the page was drawn)."""
    try:
        change_rules(data.home(), new, by=viewer())
        build(data.home())
    except (ValueError, Forbidden) as exc:
        return str(exc)
    data.clear()
    return ""
