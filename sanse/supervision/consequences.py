"""Consequence rules (design §11): what a town's ranking or reporting brings upon it — 约谈,
挂牌督办, 通报批评 or a card on the white → yellow → red ladder — with a deadline.

Read from `[[consequences]]` in rules.toml, versioned by `effective` like the ranking rules
(the defaults below when there is none), and applied here as pure functions: the trigger
occurrences of a campaign's rankings, and the card each occurrence gives.

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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from sanse.deployment.config import PERIOD_KINDS, ConfigError, Settings, toml_date
from sanse.facts.dates import date_span

TRIGGER_KINDS = ("red_days", "bottom", "red_periods", "not_reporting")
LADDER_CARD = "亮牌"  # a card whose colour the ladder decides
CARD_MEASURES = {"白牌": "white", "黄牌": "yellow", "红牌": "red"}
MEASURES = ("约谈", "挂牌督办", "通报批评", LADDER_CARD, *CARD_MEASURES)
CARDS = ("white", "yellow", "red")
CARD_WORDS = {"white": "白牌", "yellow": "黄牌", "red": "红牌"}
PERIOD_WORDS = {"week": "周", "month": "月", "bimonth": "双月", "quarter": "季度", "half": "半年", "year": "年"}
SUMMON = "summon"  # the key of the occurrence a run of red cards brings
MAX_DEADLINE_DAYS = 365  # a deadline falls after its item's day and within a year of it (design §7)
MAX_COUNT = 10_000  # days, places or periods: any more is a slip of the keyboard, and past date arithmetic


def measure_label(measure: str, card: str | None) -> str:
    """How pages, the command line, the ledger, bulletins and the audit log name a measure: a
    card by the colour it was given (亮牌 or 黄牌 that the ladder made red: 红牌), any other
    measure by its name, with the colour of a card it carries."""
    if not card:
        return measure
    if measure == LADDER_CARD or measure in CARD_MEASURES:
        return CARD_WORDS[card]
    return f"{measure}（{CARD_WORDS[card]}）"


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
        word = PERIOD_WORDS.get(self.period, "")
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


# ---------------------------------------------------------------- rules.toml


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


# ---------------------------------------------------------------- occurrences


@dataclass(frozen=True)
class Occurrence:
    """A trigger met once: one supervision item, made once whatever the number of checks."""

    key: str  # unique per occurrence: trigger key, town code and what it was met over
    town_code: str
    town: str
    day: date  # the day the trigger was met: the last day of the run or the period
    measure: str
    deadline: date
    reason: str
    card: str | None = None  # white, yellow or red


def deadline_after(day: date, days: int) -> date:
    """The deadline `days` calendar days after `day` (across month and year ends)."""
    return day + timedelta(days=days)


def red_day_runs(rankings: pd.DataFrame, trigger: Trigger) -> list[Occurrence]:
    """Towns red `trigger.days` ranking days running: one occurrence per run, on the day the run
    reaches that length, keyed by the run's first day. `rankings` holds each day's date, code,
    town, tier and tier_streak."""
    red = rankings[(rankings["tier"] == "red") & (rankings["tier_streak"] == trigger.days)]
    found = []
    for row in red.itertuples():
        day = _day(row.date)
        start = day - timedelta(days=trigger.days - 1)
        found.append(
            Occurrence(
                f"{trigger.key}:{row.code}:{start}",
                row.code,
                row.town,
                day,
                trigger.measure,
                deadline_after(day, trigger.deadline_days),
                f"{date_span(start, day)}连续{trigger.days}天红色",
            )
        )
    return found


def not_reporting_runs(daily: pd.DataFrame, trigger: Trigger) -> list[Occurrence]:
    """Towns with no report `trigger.days` days running, once per run, from `daily` (date,
    town_code, town, not_reported for every town and day)."""
    ordered = daily.sort_values(["town_code", "date"], kind="stable").reset_index(drop=True)
    missed = ordered["not_reported"].to_numpy(dtype=bool)
    town = ordered["town_code"].to_numpy()
    days = pd.to_datetime(ordered["date"]).to_numpy().astype("datetime64[D]")
    index = np.arange(len(ordered))
    continues = np.r_[False, (town[1:] == town[:-1]) & (days[1:] - days[:-1] == np.timedelta64(1, "D"))] & missed
    continues &= np.r_[False, missed[:-1]]
    streak = index - np.maximum.accumulate(np.where(continues, 0, index)) + 1
    found = []
    for i in np.flatnonzero(missed & (streak == trigger.days)):
        day = _day(days[i])
        start = day - timedelta(days=trigger.days - 1)
        found.append(
            Occurrence(
                f"{trigger.key}:{town[i]}:{start}",
                str(town[i]),
                str(ordered.at[i, "town"]),
                day,
                trigger.measure,
                deadline_after(day, trigger.deadline_days),
                f"{date_span(start, day)}连续{trigger.days}天未报送",
            )
        )
    return found


def period_occurrences(ranked: pd.DataFrame, labels: dict[str, str], trigger: Trigger) -> list[Occurrence]:
    """`bottom` and `red_periods` over `ranked`: the rankings of consecutive whole periods of
    `trigger.period` (period, date = its last day, group, code, town, rank, group_size, tier),
    oldest first; `labels` names each period (2026年10月). Every period counts on its own: a town
    last `times` periods in a row is met then, and again after `times` more. A period in which a
    town sent nothing (未报送, no rank) is not one it was ranked in: it breaks a run."""
    order = list(dict.fromkeys(ranked["period"]))
    ranked = ranked[ranked["rank"].notna()]
    column = ranked["period"].map({p: i for i, p in enumerate(order)}).to_numpy()
    row, codes = pd.factorize(ranked["code"], sort=True)
    shape = (len(codes), len(order))
    rank, size = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    rank[row, column] = ranked["rank"].to_numpy(dtype=np.int64)
    size[row, column] = ranked["group_size"].to_numpy(dtype=np.int64)
    ranked_there = np.zeros(shape, dtype=bool)
    ranked_there[row, column] = True
    if trigger.when == "bottom":
        hit = ranked_there & (rank > size - trigger.places)
        run = np.zeros(shape, dtype=np.int64)
        for j in range(len(order)):
            run[:, j] = (run[:, j - 1] + 1 if j else 1) * hit[:, j]
        met = hit & (run % trigger.times == 0)
    else:
        red = np.zeros(shape, dtype=bool)
        red[row, column] = ranked["tier"].to_numpy() == "red"
        running = np.cumsum(red, axis=1)
        before = np.zeros(shape, dtype=np.int64)
        before[:, trigger.of :] = running[:, : -trigger.of] if trigger.of < len(order) else 0
        met = red & (running - before >= trigger.times)
    towns = dict(zip(ranked["code"], ranked["town"]))
    lasts = dict(zip(ranked["period"], ranked["date"]))
    return [
        _period_occurrence(
            trigger,
            str(codes[i]),
            towns[codes[i]],
            _day(lasts[order[j]]),
            int(rank[i, j]),
            int(size[i, j]),
            labels,
            order,
            order[j],
        )
        for i, j in zip(*np.nonzero(met))
    ]


def _period_occurrence(
    trigger: Trigger,
    code: str,
    town: str,
    day: date,
    rank: int,
    size: int,
    labels: dict[str, str],
    order: list[str],
    period: str,
) -> Occurrence:
    label = labels[period]
    if trigger.when == "bottom":
        place = "末位" if trigger.places == 1 else f"后{trigger.places}名"
        standing = f"第{rank}名（共{size}个）"
        if trigger.times > 1:
            at = order.index(period)
            since = labels[order[at - trigger.times + 1]]
            reason = f"{since}至{label}连续{trigger.times}期排名{place}，{label}为{standing}"
        else:
            reason = f"{label}排名{place}：{standing}"
    else:
        word = PERIOD_WORDS[trigger.period]
        reason = f"截至{label}，最近{trigger.of}个{word}中至少{trigger.times}个{word}为红色"
    return Occurrence(
        f"{trigger.key}:{code}:{period}",
        code,
        town,
        day,
        trigger.measure,
        deadline_after(day, trigger.deadline_days),
        reason,
    )


# ---------------------------------------------------------------- cards


def standing_card(level: int, given: date, day: date, ladder: CardLadder) -> int:
    """The colour (0 none, 1 white, 2 yellow, 3 red) a card of `level` given on `given` stands
    at on `day`: one step down for each whole `clean_days` since."""
    return max(0, level - (day - given).days // ladder.clean_days)


def with_cards(occurrences: list[Occurrence], ladder_on: Callable[[date], CardLadder]) -> list[Occurrence]:
    """Give each card occurrence its colour on the ladder, town by town in day order, and add
    an occurrence summoning the town head on each `summon_after_red`-th red card in a row.

    A card stands at its colour, one step lower per `clean_days` since it was given. The next
    card is one colour above that if it comes within `escalate_within_days` of the last card,
    else at that colour (white at least); 白牌/黄牌/红牌 measures are at least their colour.
    """
    out: list[Occurrence] = []
    last: dict[str, tuple[int, date]] = {}
    reds: dict[str, int] = {}
    for occurrence in sorted(occurrences, key=lambda o: (o.day, o.key)):
        if occurrence.measure != LADDER_CARD and occurrence.measure not in CARD_MEASURES:
            out.append(occurrence)
            continue
        ladder = ladder_on(occurrence.day)
        level = 1
        if occurrence.town_code in last:
            before, given = last[occurrence.town_code]
            standing = standing_card(before, given, occurrence.day, ladder)
            within = (occurrence.day - given).days <= ladder.escalate_within_days
            level = standing + 1 if within else max(standing, 1)
        floor = CARDS.index(CARD_MEASURES[occurrence.measure]) + 1 if occurrence.measure in CARD_MEASURES else 1
        level = min(3, max(level, floor))
        card = CARDS[level - 1]
        last[occurrence.town_code] = (level, occurrence.day)
        out.append(replace(occurrence, card=card, reason=f"{occurrence.reason}，亮{CARD_WORDS[card]}"))
        reds[occurrence.town_code] = reds.get(occurrence.town_code, 0) + 1 if card == "red" else 0
        if ladder.summon_after_red and reds[occurrence.town_code] == ladder.summon_after_red:
            reds[occurrence.town_code] = 0
            out.append(
                Occurrence(
                    f"{SUMMON}:{occurrence.town_code}:{occurrence.day}",
                    occurrence.town_code,
                    occurrence.town,
                    occurrence.day,
                    ladder.summon_measure,
                    deadline_after(occurrence.day, ladder.summon_deadline_days),
                    f"连续{ladder.summon_after_red}次被亮红牌，约谈镇街主要负责人",
                )
            )
    return out


def _day(value) -> date:
    return pd.Timestamp(value).date()
