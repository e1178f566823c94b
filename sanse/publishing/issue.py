"""A published issue (design §5, 11) of 《每日工作动态》 or of a period's 通报 series, exactly as
it was frozen, and reading the issues back from the store. A day is a period of one day: one
Issue for both."""

from __future__ import annotations

import json
import math
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from sanse.deployment.home import Home
from sanse.deployment.rules_file import parse_settings
from sanse.deployment.settings import Rules
from sanse.facts.dates import chinese_date
from sanse.facts.periods import Period, clipped
from sanse.facts.tiers import TIER_WORDS
from sanse.publishing.numbering import as_period, number_label, of_period
from sanse.ranking.warehouse import Manifest
from sanse.store import schema


class BulletinError(ValueError):
    """A bulletin that cannot be published or read; the message is for the user."""


@dataclass(frozen=True)
class Issue:
    """One published version of one issue, a day's or a period's, exactly as it was frozen."""

    title: str
    number: int
    day: date
    version: int
    correction: bool
    published_by: str
    published_at: datetime  # UTC
    rules: str  # TOML: the campaign and the one rules version in force that day
    totals: dict  # {"day": {...}, "cumulative": {...}}, counts plus rectification_rate
    ranking: tuple[dict, ...]  # one row per town, by group then rank
    tier_changes: tuple[dict, ...]  # {code, town, group, from, to} against previous_day
    red_towns: tuple[dict, ...]
    red_alerts: tuple[dict, ...]
    not_reported: tuple[dict, ...]
    city: str = ""
    previous_day: date | None = None
    # The [confidence] settings and seed behind the rows' 待定 flags; {} in issues published
    # before tiers were judged, whose rows carry no flags and read as not provisional.
    confidence: dict = field(default_factory=dict)
    # What the office adds to the draft before publishing (design §5); "" in issues published
    # before the draft had them, which render without those lines.
    editor_note: str = ""  # 编者按/工作要求
    signer: str = ""  # 签发人
    report_to: str = ""  # 报送
    copy_to: str = ""  # 抄送
    correction_note: str = ""  # 更正说明
    # The period it is about: a day (the default, every issue published before periods were)
    # or a week, month, ... whose last day is `day`.
    period_kind: str = "day"
    first: date | None = None  # the period's first day; None for a day
    # 督办事项 (design §11): the measures the period brought and the items overdue at its end,
    # {id, code, town, measure, reason, occurred_on, deadline}; None in issues published
    # before bulletins listed them, which render without those lines.
    new_measures: tuple[dict, ...] | None = None
    overdue_items: tuple[dict, ...] | None = None

    @property
    def period(self) -> Period:
        return Period(self.first or self.day, self.day, self.period_kind)

    @property
    def when(self) -> str:
        """What it is about: 2026年10月12日, 2026年10月, 2026年第43周 ..."""
        return chinese_date(self.day) if self.period_kind == "day" else self.period.label

    @property
    def number_label(self) -> str:
        """第12期 in the daily series; 2026年第3期 in a period's, numbered within its year."""
        return number_label(self.period, self.number)

    @property
    def label(self) -> str:
        """第12期, or 第12期（更正）."""
        return self.number_label + ("（更正）" if self.correction else "")

    @property
    def office(self) -> str:
        return f"{self.city}安委办" if self.city else "市安委办"

    @property
    def doc_number(self) -> str:
        """Its 发文字号 (示安办〔2026〕12号) under the campaign frozen with it; "" when its series has none."""
        campaign = parse_settings(tomllib.loads(self.rules)).campaign
        return campaign.doc_number_of(self.period_kind, self.day.year, self.number)

    def rules_used(self) -> Rules:
        return parse_settings(tomllib.loads(self.rules)).versions[0]

    def tier_counts(self) -> dict[str, int]:
        counts = Counter(row["tier"] for row in self.ranking)
        return {tier: counts.get(tier, 0) for tier in TIER_WORDS}

    def provisional_rows(self) -> list[dict]:
        """Blue or red tiers the data could not support (待定), in print order."""
        return [row for row in self.ranking if row.get("provisional")]

    def provisional_count(self) -> int:
        return len(self.provisional_rows())

    def small_sample_rows(self) -> list[dict]:
        """Towns under `min_inspections` inspections in the window (样本不足), still ranked."""
        return [row for row in self.ranking if row.get("small_sample")]

    def groups(self) -> list[str]:
        return list(dict.fromkeys(row["group"] for row in self.ranking))

    def ranking_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(list(self.ranking))
        if "rank_change" in frame.columns:
            frame["rank_change"] = frame["rank_change"].astype("Int64")
        return frame


def tiered(tier) -> bool:
    """A tier was given (a town 未报送 in a period has none)."""
    return tier in TIER_WORDS


def plain(value):
    """A JSON-ready Python value: numpy scalars unwrapped, NaN and NA as None."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def issue_to_json(issue: Issue) -> str:
    data = {
        **{k: getattr(issue, k) for k in Issue.__dataclass_fields__},
        "day": issue.day.isoformat(),
        "published_at": issue.published_at.isoformat(timespec="microseconds"),
        "previous_day": issue.previous_day.isoformat() if issue.previous_day else None,
    }
    if issue.period_kind == "day":  # a day's issue is stored as it always was
        del data["period_kind"], data["first"]
    else:
        data["first"] = issue.first.isoformat()
    return json.dumps(data, ensure_ascii=False, indent=1, default=plain)


def issue_from_json(text: str) -> Issue:
    data = json.loads(text)
    for key in ("ranking", "tier_changes", "red_towns", "red_alerts", "not_reported"):
        data[key] = tuple(data[key])
    for key in ("new_measures", "overdue_items"):
        data[key] = None if data.get(key) is None else tuple(data[key])
    data["day"] = date.fromisoformat(data["day"])
    data["published_at"] = datetime.fromisoformat(data["published_at"])
    data["previous_day"] = date.fromisoformat(data["previous_day"]) if data.get("previous_day") else None
    data["first"] = date.fromisoformat(data["first"]) if data.get("first") else None
    return Issue(**data)


def list_issues(home: Home, kind: str | None = "day") -> list[Issue]:
    """Every published version of every issue of one series (the daily one by default; None:
    every series), newest publication first."""
    table = schema.issues
    query = sa.select(table.c.content).order_by(table.c.seq.desc())
    if kind is not None:
        query = query.where(table.c.period_kind == kind)
    with home.store.reading() as conn:
        texts = conn.execute(query).scalars().all()
    issues = [issue_from_json(text) for text in texts]
    return sorted(issues, key=lambda i: (i.published_at, i.number, i.version), reverse=True)


def load_issue(home: Home, day: date | Period, version: int | None = None) -> Issue | None:
    """The issue of `day` (or of a period): its latest version, or the version asked for;
    None if not published. A date range that began before the campaign is found as it was
    published: from the campaign's first day."""
    period = as_period(day)
    if period.kind == "range":  # the one kind whose key names its first day
        period = clipped(period, _campaign_start(home))
    table = schema.issues
    query = sa.select(table.c.content).where(of_period(period)).order_by(table.c.version.desc()).limit(1)
    if version is not None:
        query = query.where(table.c.version == version)
    with home.store.reading() as conn:
        text = conn.execute(query).scalar_one_or_none()
    return None if text is None else issue_from_json(text)


def _campaign_start(home: Home) -> date | None:
    """The campaign's first day as the last build ranked it; None before any build."""
    try:
        return Manifest.read(home.warehouse).first_day
    except (FileNotFoundError, ValueError, TypeError, KeyError):
        return None


def issues_generation(home: Home) -> int:
    """The number of the newest publication: it changes whenever an issue is published."""
    with home.store.reading() as conn:
        return conn.execute(sa.select(sa.func.coalesce(sa.func.max(schema.issues.c.seq), 0))).scalar_one()
