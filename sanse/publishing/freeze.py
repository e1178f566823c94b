"""What an issue freezes, read from the warehouse: the ranking with each row's 统计可信度 (待定,
样本不足), the totals, the tier changes, the red towns and alerts, those 未报送 and the 督办
measures; the same for a day and for a period. Its number and version come when it is published."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd

from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.deployment.rules_file import settings_to_toml
from sanse.deployment.settings import Rules, Settings
from sanse.deployment.towns import read_towns
from sanse.facts import clock
from sanse.facts.periods import Period, PeriodError, clipped
from sanse.facts.report import COUNT_COLUMNS, INTEGER_COLUMNS, MONEY_COLUMNS
from sanse.publishing.issue import BulletinError, Issue, plain, tiered
from sanse.ranking.periods import rank_period
from sanse.ranking.rank import FLAGS
from sanse.ranking.warehouse import NotBuilt, Warehouse, ranking_inputs
from sanse.supervision.ledger import bulletin_items

# What each ranking row freezes from the 统计可信度 simulation of its day.
CONFIDENCE_KEYS = ("provisional", "small_sample", "p_blue", "p_red", "rank_low", "rank_high")


def freeze(home: Home, period: Period, settings: Settings, *, running: bool = False) -> Issue:
    """Everything the issue shows, read from the warehouse; number and version come later.

    A day's issue shows that day's ranking over the window of its rules; a period's, the
    period's own ranking (its sums, under the rules in force on its last day)."""
    try:
        warehouse = Warehouse.open(home)
    except NotBuilt as exc:
        raise BulletinError(str(exc)) from exc
    try:
        if warehouse.built_from() != ranking_inputs(
            settings, read_towns(home.towns_csv)
        ):  # the issue would state rules its ranking did not follow
            raise BulletinError(
                "规则、镇街名单或程序在上次生成数据仓库之后改动过，排名还不是按现在的规则算的："
                f"请先运行 sanse --home {home.root} build，核对排名后再发布"
            )
        if period.kind == "day":
            shown = _day_shown(warehouse, period.last, settings)
        else:  # a period that began before the campaign is the campaign's part of it
            period = clipped(period, warehouse.manifest.first_day)
            shown = _period_shown(warehouse, period, settings, running=running)
    finally:
        warehouse.close()
    rules, frame, previous, previous_day, totals, window_sums = shown

    flags, confidence = _tier_flags(window_sums, rules, settings)
    new_measures, overdue_items = bulletin_items(home, period.first, period.last)
    ranking = tuple(_with_flags(row, flags, confidence) for row in _ranking_rows(frame, rules))
    return Issue(
        title=settings.campaign.series_title(period.kind),
        number=0,
        day=period.last,
        version=0,
        correction=False,
        published_by="",
        published_at=clock.now_utc(),
        rules=settings_to_toml(Settings(settings.campaign, (rules,))),
        totals={span: _with_rectification_rate(values) for span, values in totals.items()},
        ranking=ranking,
        tier_changes=tuple(_tier_changes(ranking, previous)),
        red_towns=tuple(_town_entry(r) for r in ranking if r["tier"] == "red"),
        red_alerts=tuple(_town_entry(r) for r in ranking if r["red_alert"]),
        not_reported=tuple(_town_entry(r) for r in ranking if r["not_reported"]),
        city=settings.campaign.city,
        previous_day=previous_day,
        confidence=confidence,
        period_kind=period.kind,
        first=None if period.kind == "day" else period.first,
        new_measures=new_measures,
        overdue_items=overdue_items,
    )


def _day_shown(warehouse: Warehouse, day: date, settings: Settings) -> tuple:
    """(rules, ranking, previous ranking, previous day, totals, window sums) of a day."""
    rules = settings.rules_on(day)
    frame = warehouse.ranking(day)
    if frame.empty:
        raise BulletinError(f"{warehouse.why_unranked(day)}，不能发布")
    earlier = [d for d in warehouse.dates() if d < day]
    previous_day = earlier[-1] if earlier else None
    previous = warehouse.ranking(previous_day) if previous_day else frame.iloc[0:0]
    return rules, frame, previous, previous_day, warehouse.totals(day), warehouse.window_sums(day, rules.window)


def _period_shown(warehouse: Warehouse, period: Period, settings: Settings, *, running: bool = False) -> tuple:
    """The same of a period: a whole one only (a period still running is not published), unless
    `running`."""
    try:
        ranked = rank_period(warehouse, period, settings)
    except PeriodError as exc:
        raise BulletinError(f"{exc}，不能发布") from exc
    if not ranked.complete and not running:
        raise BulletinError(f"{period.label}尚未结束（数据截至{ranked.through}），不能发布{period.label}的通报")
    daily = warehouse.daily_counts(warehouse.manifest.first_day, period.last)
    inside = pd.to_datetime(daily["date"]).dt.date.between(period.first, period.last)
    totals = {"day": _sums(daily[inside]), "cumulative": _sums(daily)}
    totals["day"]["reporting"] = float(len(ranked.ranking) - int(ranked.ranking["not_reported"].sum()))
    totals["day"]["days"] = float(ranked.ranking["days"].max())
    ranked_before = ranked.previous is not None and ranked.before["tier"].notna().any()
    previous_day = ranked.previous.last if ranked_before else None
    reporting = ranked.ranking[ranked.ranking["rank"].notna()]  # those 未报送 have no tier to judge
    return ranked.rules, ranked.ranking, ranked.before, previous_day, totals, reporting


def _sums(daily: pd.DataFrame) -> dict[str, float]:
    return {c: float(daily[c].sum()) for c in COUNT_COLUMNS}


def _ranking_columns(rules: Rules) -> list[str]:
    per_indicator = [f"{i.key}{suffix}" for i in rules.indicators for suffix in ("", "_score", "_rank")]
    return [
        "group",
        "code",
        "town",
        "window",
        *COUNT_COLUMNS,
        *per_indicator,
        "score",
        "rank",
        "group_size",
        "tier",
        "rank_change",
        "tier_streak",
        *FLAGS,
        "days",
        "missed_days",
    ]  # the last two in a period's issue only


def _ranking_rows(frame: pd.DataFrame, rules: Rules) -> list[dict]:
    columns = [c for c in _ranking_columns(rules) if c in frame.columns]
    ordered = frame.sort_values(["group", "rank", "code"], kind="stable")
    rows = []
    for record in ordered[columns].to_dict("records"):
        row = {key: plain(value) for key, value in record.items()}
        for key in (
            *INTEGER_COLUMNS,
            "rank",
            "group_size",
            "tier_streak",
            "rank_change",
            "days",
            "missed_days",
            *(f"{i.key}_rank" for i in rules.indicators),
        ):
            if row.get(key) is not None:
                row[key] = int(row[key])
        for key in FLAGS:
            row[key] = bool(row.get(key))
        rows.append(row)
    return rows


def _tier_flags(window_sums: pd.DataFrame, rules: Rules, settings: Settings) -> tuple[dict, dict]:
    """The day's 统计可信度 per (group, code), and the settings and seed that produced it.

    The seed is the date, so publishing the same figures again freezes the same flags.
    """
    from sanse.statistics.confidence import ConfidenceInputError, confidence_settings, default_seed, tier_confidence

    try:
        chosen = confidence_settings(settings)
        seed = default_seed(window_sums)
        tiers = tier_confidence(window_sums, rules, chosen, seed=seed)
    except (ConfigError, ConfidenceInputError) as exc:
        raise BulletinError(f"无法计算统计可信度，不能发布：{exc}") from exc
    flags = {
        (row["group"], row["code"]): row
        for row in tiers[["group", "code", "p_blue", "p_red", "rank_low", "rank_high", "small_sample"]].to_dict(
            "records"
        )
    }
    used = {
        "provisional_below": chosen.provisional_below,
        "min_inspections": chosen.min_inspections,
        "draws": chosen.draws,
        "prior": chosen.prior,
        "seed": seed,
    }
    return flags, used


def _with_flags(row: dict, flags: dict, confidence: dict) -> dict:
    """The row with its tier judged against the issue's own tier, which is what gets printed."""
    found = flags.get((row["group"], row["code"]))
    if found is None:  # a town the window sums lack: nothing to judge it by
        return {**row, **dict.fromkeys(CONFIDENCE_KEYS), "provisional": False, "small_sample": False}
    p_blue, p_red = round(float(found["p_blue"]), 4), round(float(found["p_red"]), 4)
    below = confidence["provisional_below"]
    provisional = (row["tier"] == "blue" and p_blue < below) or (row["tier"] == "red" and p_red < below)
    return {
        **row,
        "provisional": bool(provisional),
        "small_sample": bool(found["small_sample"]),
        "p_blue": p_blue,
        "p_red": p_red,
        "rank_low": int(found["rank_low"]),
        "rank_high": int(found["rank_high"]),
    }


def _with_rectification_rate(values: dict[str, float]) -> dict:
    out = {k: (round(float(v), 4) if k in MONEY_COLUMNS else int(v)) for k, v in values.items()}
    out["rectification_rate"] = values["rectified"] / values["hazards"] if values.get("hazards") else None
    return out


def _tier_changes(ranking: tuple[dict, ...], previous: pd.DataFrame) -> Iterator[dict]:
    before = {(r["group"], r["code"]): r["tier"] for r in previous.to_dict("records")}
    for row in ranking:
        old = before.get((row["group"], row["code"]))
        if tiered(old) and tiered(row["tier"]) and old != row["tier"]:
            yield {"code": row["code"], "town": row["town"], "group": row["group"], "from": old, "to": row["tier"]}


def _town_entry(row: dict) -> dict:
    entry = {key: row[key] for key in ("code", "town", "group", "rank", "tier", "tier_streak")}
    if "missed_days" in row:
        entry["missed_days"] = row["missed_days"]
    return entry
