"""The bulletin's sentences in plain Chinese, read from a frozen issue: its body (totals, the
ranking's basis and tiers, 待定 and 样本不足, tier changes, red towns and 约谈, those 未报送, the
督办 items), the 更正说明 and who published it. The page, the print view, Word and PDF print them."""

from __future__ import annotations

from datetime import date

from sanse.deployment.settings import Rules
from sanse.facts.clock import BEIJING
from sanse.facts.dates import chinese_date
from sanse.facts.periods import KIND_OF, PREVIOUS_PERIOD, THIS_PERIOD
from sanse.facts.tiers import TIER_WORDS
from sanse.publishing.issue import Issue, tiered

_WINDOW_PHRASES = {
    "cumulative": "活动开展以来累计数据",
    "daily": "当日数据",
    "rolling_7d": "近7日数据",
}
SINCE_PHRASES = {
    "cumulative": "活动开展以来",
    "daily": "当日",
    "rolling_7d": "近7日",
}
_NORMALIZATION_PHRASES = {
    "fracmax": "比例赋分",
    "minmax": "极差赋分",
    "rank": "位次赋分",
    "zscore": "标准分赋分",
}


def bulletin_paragraphs(issue: Issue) -> list[str]:
    """The body of the bulletin in plain Chinese, shared by the page, the print view and DOCX.
    A period's issue says the same of its period: 本月 where a day's says 当日."""
    rules = issue.rules_used()
    kind = issue.period_kind
    this = THIS_PERIOD[kind]
    towns = len(issue.ranking)
    day_totals, cumulative = issue.totals.get("day", {}), issue.totals.get("cumulative", {})
    when = chinese_date(issue.day) if kind == "day" else f"{issue.when}（{issue.period.span}）"
    every = "" if kind == "day" else "每天"
    paragraphs = [
        f"{when}，{towns}个镇街中有{day_totals.get('reporting', 0)}个{every}报送数据。"
        f"{this}{_totals_sentence(day_totals)}",
        f"活动开展以来，累计{_totals_sentence(cumulative)}",
    ]

    labels = "、".join(i.label for i in rules.indicators)
    counts = issue.tier_counts()
    grouped = "各分组内分别排名，合计" if len(issue.groups()) > 1 else ""
    basis = _WINDOW_PHRASES.get(rules.window, rules.window) if kind == "day" else f"{this}数据合计"
    unranked = [r for r in issue.ranking if not tiered(r["tier"])]
    silent = f"；{len(unranked)}个镇街{this}没有报送任何数据，不参加排名" if unranked else ""
    paragraphs.append(
        f"按{basis}，对{labels}"
        f"{len(rules.indicators)}项指标{_NORMALIZATION_PHRASES.get(rules.normalization, '赋分')}后综合排名，"
        f"{grouped}蓝色{counts['blue']}个、黄色{counts['yellow']}个、红色{counts['red']}个{silent}。"
    )
    if issue.confidence:
        paragraphs.append(_confidence_sentence(issue, rules))

    if issue.previous_day is not None:
        before = chinese_date(issue.previous_day) if kind == "day" else issue.period.previous().label
        since = f"与{PREVIOUS_PERIOD[kind]}（{before}）相比，"
        if issue.tier_changes:
            moves = "；".join(
                f"{c['town']}由{TIER_WORDS[c['from']]}色{_direction(c['from'], c['to'])}为{TIER_WORDS[c['to']]}色"
                for c in issue.tier_changes
            )
            paragraphs.append(f"{since}{len(issue.tier_changes)}个镇街等级发生变化：{moves}。")
        else:
            paragraphs.append(f"{since}各镇街等级没有变化。")

    if issue.red_towns:
        names = "、".join(r["town"] for r in issue.red_towns)
        paragraphs.append(f"红色镇街（{len(issue.red_towns)}个）：{names}。")
    streak, unit = rules.red_alert_streak, KIND_OF[kind].streak_unit
    if issue.red_alerts:
        names = "、".join(f"{r['town']}（连续{r['tier_streak']}{unit}）" for r in issue.red_alerts)
        paragraphs.append(f"连续{streak}{unit}及以上处于红色等级、列入约谈的镇街：{names}。")
    else:
        paragraphs.append(f"没有连续{streak}{unit}及以上处于红色等级的镇街。")

    if issue.not_reported:
        if kind == "day":
            names = "、".join(r["town"] for r in issue.not_reported)
        else:
            names = "、".join(
                f"{r['town']}（{r.get('missed_days', 0)}天{'，未参加排名' if r.get('rank') is None else ''}）"
                for r in issue.not_reported
            )
        paragraphs.append(
            f"{this}{'' if kind == 'day' else '有'}未报送数据的镇街（{len(issue.not_reported)}个）：{names}。"
        )
    else:
        paragraphs.append(f"{this}所有镇街{every}均已报送数据。")
    return paragraphs + supervision_paragraphs(issue)


def supervision_paragraphs(issue: Issue) -> list[str]:
    """The measures the issue's period brought and the items overdue at its end (design §11),
    each a heading sentence and then an item a line; nothing for an issue published before
    bulletins listed them."""
    paragraphs = []
    this = THIS_PERIOD[issue.period_kind]
    if issue.new_measures is not None:
        if issue.new_measures:
            paragraphs.append(f"{this}新增督办措施{len(issue.new_measures)}项：")
            paragraphs += _item_lines(issue.new_measures)
        else:
            paragraphs.append(f"{this}没有新增督办措施。")
    if issue.overdue_items is not None:
        as_of = f"截至{chinese_date(issue.day)}"
        if issue.overdue_items:
            paragraphs.append(f"{as_of}，逾期未销号的督办事项{len(issue.overdue_items)}项：")
            paragraphs += _item_lines(issue.overdue_items)
        else:
            paragraphs.append(f"{as_of}，没有逾期未销号的督办事项。")
    return paragraphs


def _item_lines(items: tuple[dict, ...]) -> list[str]:
    """（1）渔歌镇约谈（事由），整改期限2026年9月10日；... the last ending in 。"""
    last = len(items)
    return [
        f"（{n}）{m['town']}{m['measure']}（{m['reason']}），整改期限{_iso_date(m['deadline'])}{'。' if n == last else '；'}"
        for n, m in enumerate(items, start=1)
    ]


def _iso_date(text: str) -> str:
    return chinese_date(date.fromisoformat(text))


def _confidence_sentence(issue: Issue, rules: Rules) -> str:
    this = THIS_PERIOD[issue.period_kind]
    pending = issue.provisional_rows()
    if pending:
        names = "、".join(f"{r['town']}（{TIER_WORDS[r['tier']]}）" for r in pending)
        text = f"按统计可信度分析，{this}有{len(pending)}个等级为“待定”（数据不足以确定）：{names}。"
    else:
        text = f"按统计可信度分析，{this}蓝色、红色等级均有足够数据支持，没有“待定”等级。"
    minimum = issue.confidence.get("min_inspections", 0)
    if minimum:
        small = issue.small_sample_rows()
        since = SINCE_PHRASES.get(rules.window, "") if issue.period_kind == "day" else this
        if small:
            names = "、".join(r["town"] for r in small)
            text += f"{since}检查企业不足{minimum}家次、样本不足的镇街（{len(small)}个）：{names}，其排名仅供参考。"
        else:
            text += f"{since}各镇街检查企业均不少于{minimum}家次。"
    return text


def correction_statement(issue: Issue) -> str:
    """The 更正说明 of a 更正: the office's words, or for a correction published before the draft
    had them, which version this is; "" for a first version."""
    if not issue.correction:
        return ""
    return issue.correction_note.strip() or f"本期为第{issue.number}期的更正版（第{issue.version}版），内容以本版为准。"


def publication_note(issue: Issue) -> str:
    """Who published this version and when, in Beijing time."""
    at = issue.published_at.astimezone(BEIJING)
    version = f"第{issue.version}版（更正）" if issue.correction else "第1版"
    return f"{version}，{issue.published_by} 发布于 {at:%Y-%m-%d %H:%M}（北京时间）"


def _totals_sentence(t: dict) -> str:
    rate = t.get("rectification_rate")
    rate_text = "—" if rate is None else f"{rate:.1%}"
    return (
        f"检查企业{t.get('inspections', 0)}家次，发现隐患{t.get('hazards', 0)}处，"
        f"其中重大隐患{t.get('major_hazards', 0)}处；整改隐患{t.get('rectified', 0)}处，整改率{rate_text}；"
        f"责令停产停业{t.get('halted', 0)}家，立案查处{t.get('cases', 0)}起，"
        f"行政拘留{t.get('detentions', 0)}人，罚款{_wan(t.get('fines_wan', 0))}万元。"
    )


def _wan(amount: float) -> str:
    return f"{amount:.2f}".rstrip("0").rstrip(".")


def _direction(old: str, new: str) -> str:
    order = list(TIER_WORDS)
    return "升" if order.index(new) < order.index(old) else "降"
