"""The settings of a deployment (`rules.toml`): the campaign, each version of the ranking rules
with its indicators, and whether peer groups get colours."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from sanse.deployment.errors import ConfigError
from sanse.facts.periods import KIND_OF

WINDOWS = ("cumulative", "daily", "rolling_7d")
NORMALIZATIONS = ("fracmax", "minmax", "rank", "zscore")


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    numerator: str
    denominator: str = "inspections"
    weight: float = 1.0
    direction: Literal["higher", "lower"] = "higher"
    label_en: str = ""


DEFAULT_INDICATORS = (
    Indicator("major_hazard_rate", "重大隐患发现率", "major_hazards", label_en="Major hazard rate"),
    Indicator("halt_rate", "停产停业率", "halted", label_en="Halt rate"),
    Indicator("case_rate", "立案查处率", "cases", label_en="Case rate"),
)


@dataclass(frozen=True)
class Rules:
    """One version of the ranking rules, in force from `effective` on."""

    effective: date | None = None
    window: Literal["cumulative", "daily", "rolling_7d"] = "cumulative"
    normalization: Literal["fracmax", "minmax", "rank", "zscore"] = "fracmax"
    indicators: tuple[Indicator, ...] = DEFAULT_INDICATORS
    blue: float = 5
    red: float = 5
    red_alert_streak: int = 3
    tie_break: tuple[str, ...] = ()
    note: str = ""

    @property
    def counts(self) -> tuple[str, ...]:
        """The counts a ranking under these rules shows: inspections, then each indicator's
        denominator and numerator, each once."""
        keys = ["inspections"]
        for indicator in self.indicators:
            keys += [indicator.denominator, indicator.numerator]
        return tuple(dict.fromkeys(keys))

    def tier_counts(self, n: int) -> tuple[int, int]:
        """(B, R) for a group of n towns; fractions below 1 are shares of n."""

        def count(value: float) -> int:
            return int(value * n + 0.5) if 0 < value < 1 else int(value)

        b = min(count(self.blue), n)
        return b, min(count(self.red), n - b)


@dataclass(frozen=True)
class Campaign:
    start: date | None = None
    title: str = KIND_OF["day"].series_title
    first_issue: int = 1
    city: str = ""
    anonymous_read: bool = False
    # The title of each period's 通报 series, (kind, title), where the office named one.
    period_titles: tuple[tuple[str, str], ...] = ()
    # 发文字号 of the daily series and of each period's, e.g. "示安办〔{year}〕{number}号"; "" for none.
    doc_number: str = ""
    period_doc_numbers: tuple[tuple[str, str], ...] = ()

    def doc_number_of(self, kind: str, year: int, number: int) -> str:
        """An issue's 发文字号: its series' pattern filled in; "" when the series has none."""
        pattern = self.doc_number if kind == "day" else dict(self.period_doc_numbers).get(kind, "")
        return pattern.format(year=year, number=number) if pattern else ""

    def series_title(self, kind: str) -> str:
        """The bulletin title of a period kind: 《每日工作动态》 for a day."""
        if kind == "day":
            return self.title
        return dict(self.period_titles).get(kind) or (
            KIND_OF[kind].series_title if kind in KIND_OF else "安全生产考核通报"
        )


@dataclass(frozen=True)
class GroupTiers:
    """`[groups] tiers = true`: the peer groups themselves get 蓝/黄/红 by the towns' tier rule,
    with their own `blue`/`red` sizes where given, else those of the rules in force."""

    blue: float | None = None
    red: float | None = None


@dataclass(frozen=True)
class Settings:
    campaign: Campaign
    versions: tuple[Rules, ...]
    extra: dict = field(default_factory=dict)
    group_tiers: GroupTiers | None = None  # None: groups get no colour (the default)

    def rules_on(self, day: date) -> Rules:
        """The version in force on `day`: the latest whose effective date is not after it."""
        chosen = self.versions[0]
        for version in self.versions[1:]:
            if version.effective is not None and version.effective <= day:
                chosen = version
        return chosen

    def with_version(self, rules: Rules) -> Settings:
        if rules.effective is None:
            raise ConfigError("新规则必须写明生效日期")
        kept = tuple(v for v in self.versions if v.effective != rules.effective)
        ordered = sorted(kept + (rules,), key=lambda v: v.effective or date.min)
        return replace(self, versions=tuple(ordered))
