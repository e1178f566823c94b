"""镇街详情 as the page shows it: a town's movement and its 督办事项 still to do, what it would
take to move up a tier, and its charts: its colours day by day and its rates against the group
median."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sanse.deployment.settings import Indicator, Rules
from sanse.facts.tiers import TIER_COLOURS
from sanse.ranking.what_it_takes import Lift, what_it_takes
from sanse.supervision.items import DONE, Item
from sanse.supervision.ledger import list_items
from sanse.ui import data
from sanse.ui.session import t, tier_label, viewer
from sanse.ui.tables import indicator_label


def change_text(change) -> str:
    """A rank's movement since the day before; "—" on the first ranking day, or for a town new to the ranking."""
    if pd.isna(change):
        return "—"
    return t("town.same") if change == 0 else f"{int(change):+d}"


def pending_items(code: str) -> list[Item]:
    """The town's 督办事项 not yet closed or withdrawn, as this user may see them."""
    return [item for item in list_items(data.home(), viewer=viewer(), town_code=code) if item.status not in DONE]


def lifts(block: pd.DataFrame, code: str, rules: Rules) -> list[Lift]:
    """What the town would need to move up a tier, one indicator at a time."""
    return what_it_takes(block, code, rules)


def day_axis(days) -> dict:
    """A date axis labelled with whole days only (never 12:00), about eight labels at most."""
    step = max(1, -(-len(days) // 8))
    return dict(type="date", tickformat="%m-%d", hoverformat="%Y-%m-%d", tick0=min(days), dtick=step * 86_400_000)


def tier_strip(past: pd.DataFrame) -> go.Figure:
    """The town's tier colour day by day."""
    strip = go.Figure(
        go.Bar(
            x=past["date"],
            y=[1] * len(past),
            marker_color=[TIER_COLOURS[tier] for tier in past["tier"]],
            text=[tier_label(tier) for tier in past["tier"]],
            textposition="inside",
            customdata=past["rank"],
            hovertemplate="%{x}<br>%{text} · " + t("col.rank") + " %{customdata}<extra></extra>",
        )
    )
    strip.update_layout(
        height=110,
        margin=dict(l=0, r=0, t=0, b=0),
        yaxis=dict(visible=False),
        bargap=0.08,
        xaxis=day_axis(past["date"]),
    )
    return strip


def rates_chart(indicator: Indicator, median: pd.Series, past: pd.DataFrame) -> go.Figure:
    """One indicator's rate day by day: the town's against its group's median."""
    figure = go.Figure()
    figure.add_scatter(
        x=median.index, y=median.values * 100, name=t("town.median"), line=dict(color="#888", dash="dot")
    )
    figure.add_scatter(
        x=past["date"], y=past[indicator.key] * 100, name=t("town.self"), line=dict(color=TIER_COLOURS["blue"], width=3)
    )
    figure.update_layout(
        title=indicator_label(indicator),
        height=240,
        margin=dict(l=0, r=0, t=36, b=0),
        yaxis_ticksuffix="%",
        legend=dict(orientation="h", y=-0.25),
        xaxis=day_axis(past["date"]),
    )
    return figure
