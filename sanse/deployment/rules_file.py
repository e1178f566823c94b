"""`rules.toml` read and written: every setting checked, with a message that names where it
is wrong, and written back as the office would write it."""

from __future__ import annotations

import string
import tomllib
from datetime import date, datetime
from pathlib import Path

import tomli_w

from sanse.deployment.errors import MAX_NUMBER, ConfigError, MalformedConfig
from sanse.deployment.settings import (
    DEFAULT_INDICATORS,
    NORMALIZATIONS,
    WINDOWS,
    Campaign,
    GroupTiers,
    Indicator,
    Rules,
    Settings,
)
from sanse.facts.periods import KIND_OF, PERIOD_KINDS
from sanse.facts.report import COUNT_COLUMNS


def read_settings(path: Path) -> Settings:
    """The settings of a rules.toml file (the defaults when there is none)."""
    return settings_from_text(path.read_text(encoding="utf-8") if path.exists() else None)


def settings_from_text(text: str | None) -> Settings:
    if text is None:
        return Settings(Campaign(), (Rules(),))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"rules.toml 格式错误：{exc}") from exc
    return parse_settings(data)


def parse_settings(data: dict) -> Settings:
    raw = dict(data.get("campaign", {}))
    first_issue = raw.get("first_issue", 1)
    if not isinstance(first_issue, int) or isinstance(first_issue, bool) or not 0 <= first_issue <= MAX_NUMBER:
        raise ConfigError(f"rules.toml [campaign]：first_issue 应为 0 到 {MAX_NUMBER:,} 之间的整数")
    campaign = Campaign(
        start=toml_date(raw.get("start"), "rules.toml [campaign] start"),
        title=str(raw.get("title", KIND_OF["day"].series_title)),
        first_issue=first_issue,
        city=str(raw.get("city", "")),
        anonymous_read=bool(raw.get("anonymous_read", False)),
        period_titles=_period_titles(raw.get("period_titles", {})),
        doc_number=_doc_number(raw.get("doc_number", ""), "rules.toml [campaign] doc_number"),
        period_doc_numbers=_period_doc_numbers(raw.get("period_doc_numbers", {})),
    )
    listed = data.get("rules") or [{}]
    if isinstance(listed, dict):  # a single [rules] table instead of [[rules]]
        listed = [listed]
    versions = tuple(_parse_rules(v, i) for i, v in enumerate(listed))
    versions = tuple(sorted(versions, key=lambda v: v.effective or date.min))
    dated = [v.effective for v in versions[1:]]
    if None in dated:
        raise ConfigError("rules.toml：只有一个 [[rules]] 可以不写 effective，其余每个都要写明生效日期")
    if len(set(dated)) < len(dated) or (versions[0].effective is not None and versions[0].effective in dated):
        raise ConfigError("rules.toml：两个 [[rules]] 的 effective 生效日期相同")
    extra = {k: v for k, v in data.items() if k not in ("campaign", "rules")}  # [groups] is written back from here
    return Settings(campaign, versions, extra, _group_tiers(data.get("groups", {})))


def _group_tiers(raw) -> GroupTiers | None:
    where = "rules.toml [groups]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} 应为一个表，例如 tiers = true")
    for key in raw:
        if key not in ("tiers", "blue", "red"):
            raise ConfigError(f"{where}：“{key}”不是可用的设置，只能写 tiers、blue、red")
    tiers = raw.get("tiers", False)
    if not isinstance(tiers, bool):
        raise ConfigError(f"{where}：tiers 应为 true 或 false（分组是否分蓝黄红）")
    if not tiers:
        if "blue" in raw or "red" in raw:
            raise ConfigError(f"{where}：写了 blue/red 却没有 tiers = true，分组不会分颜色")
        return None
    blue = _tier_size(raw["blue"], "blue", where) if "blue" in raw else None
    red = _tier_size(raw["red"], "red", where) if "red" in raw else None
    if blue is not None and red is not None and blue < 1 and red < 1 and blue + red > 1:
        raise ConfigError(f"{where}：blue 与 red 的比例之和不能超过 1")
    return GroupTiers(blue, red)


def _period_titles(raw) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise ConfigError('rules.toml [campaign.period_titles] 应为一个表，例如 month = "安全生产考核月度通报"')
    titles = []
    for kind, title in raw.items():
        if kind not in (*PERIOD_KINDS, "range"):
            raise ConfigError(
                f"rules.toml [campaign.period_titles]：“{kind}”不是周期，应为 {'/'.join(PERIOD_KINDS)}/range"
            )
        if not isinstance(title, str) or not title.strip():
            raise ConfigError(f"rules.toml [campaign.period_titles]：{kind} 的通报名称应为非空文字")
        titles.append((kind, title.strip()))
    return tuple(titles)


DOC_NUMBER_FIELDS = ("year", "number")


def _doc_number(pattern, where: str) -> str:
    """A 发文字号 pattern whose only placeholders are {year} and {number}."""
    if not isinstance(pattern, str):
        raise MalformedConfig(f'{where} 应为文字，例如 "示安办〔{{year}}〕{{number}}号"')
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError:
        raise MalformedConfig(
            f"{where}“{pattern}”的花括号不成对：占位符写作 {{year}}、{{number}}，其余文字不能含花括号"
        ) from None
    for name in fields:
        if name not in DOC_NUMBER_FIELDS:
            shown = f"{{{name}}}" if name else "{}"
            raise MalformedConfig(
                f"{where}“{pattern}”中的 {shown} 不是可用的占位符：只能用 {{year}}（年份）和 {{number}}（期号）"
            )
    try:
        pattern.format(year=2026, number=1)
    except (ValueError, IndexError) as exc:
        raise MalformedConfig(f"{where}“{pattern}”无法填写：{exc}") from None
    return pattern.strip()


def _period_doc_numbers(raw) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise MalformedConfig(
            'rules.toml [campaign.period_doc_numbers] 应为一个表，例如 month = "示安办〔{year}〕{number}号"'
        )
    found = []
    for kind, pattern in raw.items():
        if kind not in (*PERIOD_KINDS, "range"):
            raise MalformedConfig(
                f"rules.toml [campaign.period_doc_numbers]：“{kind}”不是周期，应为 {'/'.join(PERIOD_KINDS)}/range"
            )
        found.append((kind, _doc_number(pattern, f"rules.toml [campaign.period_doc_numbers] {kind}")))
    return tuple(found)


def _parse_rules(raw: dict, index: int) -> Rules:
    where = f"rules.toml 第{index + 1}个 [[rules]]"
    effective = toml_date(raw.get("effective"), f"{where} effective")
    window = raw.get("window", "cumulative")
    if window not in WINDOWS:
        raise ConfigError(f"{where}：window 应为 {'/'.join(WINDOWS)}")
    normalization = raw.get("normalization", "fracmax")
    if normalization not in NORMALIZATIONS:
        raise ConfigError(f"{where}：normalization 应为 {'/'.join(NORMALIZATIONS)}")
    indicators = tuple(_parse_indicator(i, where) for i in raw.get("indicators", [])) or DEFAULT_INDICATORS
    if sum(i.weight for i in indicators) <= 0 or any(i.weight < 0 for i in indicators):
        raise ConfigError(f"{where}：指标权重不能为负，且之和必须大于 0")
    if len({i.key for i in indicators}) < len(indicators):
        raise ConfigError(f"{where}：指标 key 不能重复")
    blue, red = _tier_size(raw.get("blue", 5), "blue", where), _tier_size(raw.get("red", 5), "red", where)
    if blue < 1 and red < 1 and blue + red > 1:
        raise ConfigError(f"{where}：blue 与 red 的比例之和不能超过 1")
    streak = raw.get("red_alert_streak", 3)
    if not isinstance(streak, int) or isinstance(streak, bool) or not 1 <= streak <= MAX_NUMBER:
        raise ConfigError(f"{where}：red_alert_streak 应为正整数（连续几天红色即约谈）")
    known = {i.key for i in indicators} | set(COUNT_COLUMNS) | {"score"}
    listed = raw.get("tie_break", [])
    tie_break = (listed,) if isinstance(listed, str) else tuple(listed)
    for column in tie_break:
        if column not in known:
            raise ConfigError(f"{where}：tie_break 中的“{column}”不是指标或计数列")
    return Rules(
        effective=effective,
        window=window,
        normalization=normalization,
        indicators=indicators,
        blue=blue,
        red=red,
        red_alert_streak=streak,
        tie_break=tie_break,
        note=str(raw.get("note", "")),
    )


def toml_date(value, where: str) -> date | None:
    """A TOML date, or a string written as YYYY-MM-DD."""
    if isinstance(value, datetime):
        return value.date()
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where} 应为 YYYY-MM-DD 格式的日期，而不是“{value}”") from None


def _tier_size(value, name: str, where: str) -> float:
    """A count of towns (a whole number) or a share of the group (between 0 and 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_NUMBER:
        raise ConfigError(f"{where}：{name} 应为个数或 0 到 1 之间的比例")
    if value > 1 and not float(value).is_integer():
        raise ConfigError(f"{where}：{name} 为 {value}：个数应为整数，比例应在 0 到 1 之间")
    return float(value)


def _weight(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_NUMBER:
        raise ConfigError(f"{where} 应为 0 到 {MAX_NUMBER:,} 之间的数，而不是“{value}”")
    return float(value)


def _parse_indicator(raw: dict, where: str) -> Indicator:
    for part in ("numerator", "denominator"):
        if raw.get(part, "inspections") not in COUNT_COLUMNS:
            raise ConfigError(f"{where}：指标 {raw.get('key')} 的 {part} 应为 {'/'.join(COUNT_COLUMNS)} 之一")
    if raw.get("direction", "higher") not in ("higher", "lower"):
        raise ConfigError(f"{where}：direction 应为 higher 或 lower")
    if "key" not in raw or "numerator" not in raw:
        raise ConfigError(f"{where}：每个指标都要有 key 和 numerator")
    return Indicator(
        key=str(raw["key"]),
        label=str(raw.get("label", raw["key"])),
        numerator=str(raw["numerator"]),
        denominator=str(raw.get("denominator", "inspections")),
        weight=_weight(raw.get("weight", 1.0), f"{where}：指标 {raw['key']} 的权重（weight）"),
        direction=raw.get("direction", "higher"),
        label_en=str(raw.get("label_en", "")),
    )


def settings_to_toml(settings: Settings) -> str:
    campaign = {
        "title": settings.campaign.title,
        "first_issue": settings.campaign.first_issue,
        "anonymous_read": settings.campaign.anonymous_read,
    }
    if settings.campaign.city:
        campaign["city"] = settings.campaign.city
    if settings.campaign.start:
        campaign["start"] = settings.campaign.start
    if settings.campaign.period_titles:
        campaign["period_titles"] = dict(settings.campaign.period_titles)
    if settings.campaign.doc_number:
        campaign["doc_number"] = settings.campaign.doc_number
    if settings.campaign.period_doc_numbers:
        campaign["period_doc_numbers"] = dict(settings.campaign.period_doc_numbers)
    versions = []
    for v in settings.versions:
        entry: dict = {}
        if v.effective:
            entry["effective"] = v.effective
        entry |= {
            "window": v.window,
            "normalization": v.normalization,
            "blue": _plain_number(v.blue),
            "red": _plain_number(v.red),
            "red_alert_streak": v.red_alert_streak,
            "tie_break": list(v.tie_break),
        }
        if v.note:
            entry["note"] = v.note
        entry["indicators"] = [
            {
                "key": i.key,
                "label": i.label,
                "label_en": i.label_en,
                "numerator": i.numerator,
                "denominator": i.denominator,
                "weight": _plain_number(i.weight),
                "direction": i.direction,
            }
            for i in v.indicators
        ]
        versions.append(entry)
    return tomli_w.dumps({"campaign": campaign, **settings.extra, "rules": versions})


def write_settings(settings: Settings, path: Path) -> None:
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(settings_to_toml(settings), encoding="utf-8")
    tmp.replace(path)


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)
