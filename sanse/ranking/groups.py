"""The peer groups themselves (a province's counties), ranked as their towns are: each group's
rates rolled up from its towns' counts (Σ numerator / Σ denominator, never a mean of rates),
scored with the same indicators and normalisation, ranked, with its towns' tier counts, how
many reported, and its overdue 督办事项. Groups get no colour unless rules.toml's
`[groups] tiers = true` asks for it; then the towns' tier rule colours them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from sanse.deployment.settings import GroupTiers, Rules
from sanse.facts.tiers import TIER_KEYS
from sanse.ranking.rank import rank_blocks


def rank_groups(
    ranking: pd.DataFrame,
    rules: Rules,
    overdue: Mapping[str, int] | None = None,
    tiers: GroupTiers | None = None,
) -> pd.DataFrame:
    """One row per group of a day's town `ranking` (rows carrying their window counts, `group`,
    `tier` and `not_reported`), best first.

    Columns: `group`, `towns`, `reported` (towns with a report that day), `blue`, `yellow`,
    `red` (the towns' tiers), `overdue` (items per group from `overdue`, 0 when not given),
    every count an indicator names, then per indicator the rate, `<key>_score` and `<key>_rank`,
    the composite `score` and its competition `rank` among the groups; with `tiers`, the
    group's own `tier` (rank ≤ B blue, rank > N − R red, ties the better tier).
    """
    counts = list(dict.fromkeys(["inspections", *(c for i in rules.indicators for c in (i.numerator, i.denominator))]))
    by_group = ranking.groupby("group", sort=True)
    summed = by_group[counts].sum()
    town_tiers = pd.crosstab(ranking["group"], ranking["tier"]).reindex(columns=list(TIER_KEYS), fill_value=0)
    rolled = pd.DataFrame(
        {
            "group": summed.index,
            "towns": by_group.size().to_numpy(),
            "reported": by_group["not_reported"].apply(lambda missing: int((~missing.astype(bool)).sum())).to_numpy(),
            **{tier: town_tiers.loc[summed.index, tier].to_numpy() for tier in TIER_KEYS},
            "overdue": [int((overdue or {}).get(group, 0)) for group in summed.index],
            **{column: summed[column].to_numpy() for column in counts},
            "block": 0,
        }
    )
    # The same scores and ranks as towns get; no tie-break columns (they name town figures).
    if tiers is None:
        as_towns = replace(rules, blue=0, red=0, tie_break=())
    else:
        blue = rules.blue if tiers.blue is None else tiers.blue
        as_towns = replace(rules, blue=blue, red=rules.red if tiers.red is None else tiers.red, tie_break=())
    ranked = rank_blocks(rolled, as_towns, by=("block",))
    dropped = ["block", "group_size", "no_inspections", *(["tier"] if tiers is None else [])]
    return ranked.drop(columns=dropped).sort_values(["rank", "group"]).reset_index(drop=True)


def overdue_by_group(items, towns) -> dict[str, int]:
    """How many of `items` (督办事项) fall in each group of `towns` (`sanse.deployment.towns.Town`)."""
    group_of = {town.code: town.group for town in towns}
    found: dict[str, int] = {}
    for item in items:
        group = group_of.get(item.town_code)
        if group is not None:
            found[group] = found.get(group, 0) + 1
    return found
