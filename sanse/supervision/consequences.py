"""Consequence rules (design §11): what a town's ranking or reporting brings upon it — 约谈,
挂牌督办, 通报批评 or a card on the white → yellow → red ladder — with a deadline.

Read from `[[consequences]]` in rules.toml, versioned by `effective` like the ranking rules
(the defaults below when there is none); applied by `occurrences` (what the rankings met)
and `cards` (the colour each card takes).

```toml
[[consequences]]
effective = 2026-09-01               # optional on the first version
[consequences.cards]
escalate_within_days = 30            # a card within 30 days of the last: one colour up
clean_days = 60                      # each 60 days without a card: one colour down
summon_after_red = 3                 # the 3rd red card in a row: the town head is summoned
summon_deadline_days = 7
[[consequences.triggers]]
when = "red_days"                    # red 3 ranking days running
days = 3
measure = "约谈"
deadline_days = 7
```
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from sanse.deployment.errors import ConfigError
from sanse.deployment.rules_file import toml_date
from sanse.deployment.settings import Settings
from sanse.facts.measures import LADDER_CARD, MEASURES
from sanse.facts.periods import KIND_LABELS, PERIOD_KINDS

TRIGGER_KINDS = ("red_days", "bottom", "red_periods", "not_reporting")
MAX_DEADLINE_DAYS = 365  # a deadline falls after its item's day and within a year of it (design §7)
MAX_COUNT = 10_000  # days, places or periods: any more is a slip of the keyboard, and past date arithmetic


@dataclass(frozen=True)
class Trigger:
    """One consequence rule: when it is met, and what it gives."""

    key: str  # names the rule inside every item it makes; must stay the same across versions
    when: str  # red_days, bottom, red_periods or not_reporting
    measure: str
    deadline_days: int
    days: int = 0  # red_days, not_reporting: how many days running
    period: str = ""  # bottom, red_periods: the period kind
    places: int = 0  # bottom: the bottom k of the group
    times: int = 1  # bottom: that many periods in a row; red_periods: red in `times` ...
    of: int = 0  # red_periods: ... of the last `of` periods

    def describe(self) -> str:
        """The rule in plain Chinese: 连续3天红色, 月度排名后2名 ..."""
        word = KIND_LABELS.get(self.period, "") if self.period in PERIOD_KINDS else ""
        if self.when == "red_days":
            return f"连续{self.days}天红色"
        if self.when == "not_reporting":
            return f"连续{self.days}天未报送"
        if self.when == "bottom":
            place = "末位" if self.places == 1 else f"后{self.places}名"
            return f"{word}度排名{place}" + (f"连续{self.times}次" if self.times > 1 else "")
        return f"最近{self.of}个{word}中{self.times}个{word}红色"


@dataclass(frozen=True)
class CardLadder:
    """White → yellow → red: up one colour when carded again within `escalate_within_days` of
    the last card, down one for each `clean_days` without one."""

    escalate_within_days: int = 30
    clean_days: int = 60
    summon_after_red: int = 3  # red cards in a row that summon the town head (0: never)
    summon_measure: str = "约谈"
    summon_deadline_days: int = 7


DEFAULT_TRIGGERS = (
    Trigger("red_days", "red_days", "约谈", 7, days=3),
    Trigger("month_bottom", "bottom", "约谈", 7, period="month", places=2),
    Trigger("month_last_twice", "bottom", "挂牌督办", 30, period="month", places=1, times=2),
)


@dataclass(frozen=True)
class Consequences:
    """One version of the consequence rules, in force from `effective` on."""

    effective: date | None = None
    triggers: tuple[Trigger, ...] = DEFAULT_TRIGGERS
    cards: CardLadder = field(default_factory=CardLadder)


def consequence_versions(settings: Settings) -> tuple[Consequences, ...]:
    """The `[[consequences]]` versions of rules.toml, oldest first; the defaults when there
    is none. ConfigError (in Chinese) for anything that cannot be used."""
    raw = settings.extra.get("consequences")
    if raw is None:
        return (Consequences(),)
    listed = [raw] if isinstance(raw, dict) else raw
    if not isinstance(listed, list) or not all(isinstance(v, dict) for v in listed) or not listed:
        raise ConfigError("rules.toml 的 [[consequences]] 应为一个或多个表")
    versions = sorted((_parse_version(v, i) for i, v in enumerate(listed)), key=lambda v: v.effective or date.min)
    dated = [v.effective for v in versions[1:]]
    if None in dated:
        raise ConfigError("rules.toml：只有一个 [[consequences]] 可以不写 effective，其余每个都要写明生效日期")
    if len(set(dated)) < len(dated) or (versions[0].effective is not None and versions[0].effective in dated):
        raise ConfigError("rules.toml：两个 [[consequences]] 的 effective 生效日期相同")
    return tuple(versions)


def consequences_on(versions: tuple[Consequences, ...], day: date) -> Consequences:
    """The version in force on `day`: the latest whose effective date is not after it."""
    chosen = versions[0]
    for version in versions[1:]:
        if version.effective is not None and version.effective <= day:
            chosen = version
    return chosen


def _parse_version(raw: dict, index: int) -> Consequences:
    where = f"rules.toml 第{index + 1}个 [[consequences]]"
    unknown = sorted(set(raw) - {"effective", "triggers", "cards", "note"})
    if unknown:
        raise ConfigError(f"{where}：无法识别的设置 {'、'.join(unknown)}")
    listed = raw["triggers"] if "triggers" in raw else [_as_table(t) for t in DEFAULT_TRIGGERS]
    if not isinstance(listed, list):
        raise ConfigError(f"{where}：triggers 应为 [[consequences.triggers]] 表")
    triggers = tuple(_parse_trigger(t, f"{where} 第{i + 1}个 [[consequences.triggers]]") for i, t in enumerate(listed))
    keys = [t.key for t in triggers]
    if len(set(keys)) < len(keys):
        raise ConfigError(f'{where}：两个触发条件的 key 相同，请用 key = "..." 区分')
    return Consequences(
        effective=toml_date(raw.get("effective"), f"{where} effective"),
        triggers=triggers,
        cards=_parse_cards(raw.get("cards", {}), where),
    )


def _parse_trigger(raw: dict, where: str) -> Trigger:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}：应为一个表")
    known = {"key", "when", "measure", "deadline_days", "days", "period", "places", "times", "of"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}：无法识别的设置 {'、'.join(unknown)}")
    when = raw.get("when")
    if when not in TRIGGER_KINDS:
        raise ConfigError(f"{where}：when 应为 {'/'.join(TRIGGER_KINDS)} 之一（连续红色/排名末位/多期红色/连续未报送）")
    measure = raw.get("measure")
    if measure not in MEASURES:
        raise ConfigError(f"{where}：measure 应为 {'/'.join(MEASURES)} 之一")
    deadline = _whole(
        raw.get("deadline_days", 7), f"{where}：deadline_days（整改期限天数）", minimum=1, maximum=MAX_DEADLINE_DAYS
    )
    days = period = places = of = 0
    times = 1
    if when in ("red_days", "not_reporting"):
        days = _whole(raw.get("days"), f"{where}：days（连续几天）", minimum=1)
        _refuse(raw, ("period", "places", "times", "of"), where, when)
    else:
        period = raw.get("period")
        if period not in PERIOD_KINDS:
            raise ConfigError(f"{where}：period 应为 {'/'.join(PERIOD_KINDS)} 之一")
        if when == "bottom":
            places = _whole(raw.get("places"), f"{where}：places（后几名）", minimum=1)
            times = _whole(raw.get("times", 1), f"{where}：times（连续几期）", minimum=1)
            _refuse(raw, ("days", "of"), where, when)
        else:
            times = _whole(raw.get("times"), f"{where}：times（红色几期）", minimum=1)
            of = _whole(raw.get("of"), f"{where}：of（最近几期）", minimum=1)
            if times > of:
                raise ConfigError(f"{where}：times（{times}）不能大于 of（{of}）")
            _refuse(raw, ("days", "places"), where, when)
    trigger = Trigger("", when, measure, deadline, days=days, period=period, places=places, times=times, of=of)
    key = str(raw.get("key") or _default_key(trigger))
    if not key.replace("_", "").replace("-", "").isalnum() or len(key) > 60:
        raise ConfigError(f"{where}：key “{key}”只能含字母、数字、- 和 _，且不超过 60 个字符")
    return replace(trigger, key=key)


def _parse_cards(raw, where: str) -> CardLadder:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}：cards 应为一个表")
    unknown = sorted(set(raw) - set(CardLadder.__dataclass_fields__))
    if unknown:
        raise ConfigError(f"{where} [consequences.cards]：无法识别的设置 {'、'.join(unknown)}")
    defaults = CardLadder()
    measure = raw.get("summon_measure", defaults.summon_measure)
    if measure not in MEASURES or measure == LADDER_CARD:
        raise ConfigError(f"{where} [consequences.cards]：summon_measure 应为 约谈/挂牌督办/通报批评 之一")
    ladder = CardLadder(
        escalate_within_days=_whole(
            raw.get("escalate_within_days", defaults.escalate_within_days),
            f"{where}：escalate_within_days（几天内再次亮牌即升级）",
            minimum=0,
        ),
        clean_days=_whole(
            raw.get("clean_days", defaults.clean_days), f"{where}：clean_days（几天无牌即降一级）", minimum=1
        ),
        summon_after_red=_whole(
            raw.get("summon_after_red", defaults.summon_after_red),
            f"{where}：summon_after_red（连续几张红牌约谈主要负责人，0 为不约谈）",
            minimum=0,
        ),
        summon_measure=measure,
        summon_deadline_days=_whole(
            raw.get("summon_deadline_days", defaults.summon_deadline_days),
            f"{where}：summon_deadline_days",
            minimum=1,
            maximum=MAX_DEADLINE_DAYS,
        ),
    )
    return ladder


def _whole(value, what: str, *, minimum: int, maximum: int = MAX_COUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ConfigError(
            f"{what} 应为不小于 {minimum}、不大于 {maximum:,} 的整数" + ("" if value is None else f"，而不是“{value}”")
        )
    return value


def _refuse(raw: dict, names: Iterable[str], where: str, when: str) -> None:
    extra = [n for n in names if n in raw]
    if extra:
        raise ConfigError(f'{where}：when = "{when}" 不用 {"、".join(extra)}')


def _default_key(trigger: Trigger) -> str:
    if trigger.when in ("red_days", "not_reporting"):
        return f"{trigger.when}{trigger.days}"
    if trigger.when == "bottom":
        return f"{trigger.period}_bottom{trigger.places}" + (f"x{trigger.times}" if trigger.times > 1 else "")
    return f"{trigger.period}_red{trigger.times}of{trigger.of}"


def _as_table(trigger: Trigger) -> dict:
    """A trigger as rules.toml writes it (the defaults, when `triggers` is left out)."""
    table = {
        "key": trigger.key,
        "when": trigger.when,
        "measure": trigger.measure,
        "deadline_days": trigger.deadline_days,
    }
    if trigger.when in ("red_days", "not_reporting"):
        table["days"] = trigger.days
    else:
        table["period"] = trigger.period
        if trigger.when == "bottom":
            table |= {"places": trigger.places, "times": trigger.times}
        else:
            table |= {"times": trigger.times, "of": trigger.of}
    return table
