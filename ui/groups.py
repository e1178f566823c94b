"""分组排名 as the page shows it: the peer groups ranked on their towns' summed counts, with
their towns' tiers, reporting and (for signed-in users) overdue 督办事项, as a table."""

from __future__ import annotations

from datetime import date

import pandas as pd

from sanse.deployment.settings import Rules, Settings
from sanse.facts.tiers import TIER_KEYS
from sanse.ranking.groups import overdue_by_group, rank_groups
from sanse.ui import data
from sanse.ui.session import signed_in, t, tier_label
from sanse.ui.tables import indicator_label, rate_column


def ranked_groups(day: date, rules: Rules, settings: Settings) -> pd.DataFrame:
    """The day's groups ranked; their overdue items counted for signed-in users only."""
    overdue = overdue_by_group(data.supervision_summary(day)[0], data.towns()) if signed_in() else None
    return rank_groups(data.ranking(day), rules, overdue, settings.group_tiers)


def groups_view(ranked: pd.DataFrame, rules: Rules, coloured: bool) -> pd.DataFrame:
    """The table's columns: rank, group, its tier when coloured, its towns by tier, then each indicator."""
    view = pd.DataFrame(
        {
            t("col.rank"): ranked["rank"].astype(int),
            t("col.group"): ranked["group"],
            **({t("col.tier"): ranked["tier"].map(tier_label)} if coloured else {}),
            t("groups.towns"): ranked["towns"],
            t("groups.reported"): ranked["reported"],
            **{tier_label(tier): ranked[tier] for tier in TIER_KEYS},
        }
    )
    if signed_in():
        view[t("groups.overdue")] = ranked["overdue"]
    view[t("col.score")] = ranked["score"].round(2)
    view[t("col.inspections")] = ranked["inspections"].astype(int)
    why = ranked.assign(not_reported=ranked["reported"] == 0, no_inspections=ranked["inspections"] == 0)
    for indicator in rules.indicators:
        view[indicator_label(indicator)] = rate_column(why, indicator.key)
        view[t("col.rank_of", label=indicator_label(indicator))] = ranked[f"{indicator.key}_rank"].astype(int)
    return view
