"""The ranking as every download shows it: the pinned columns, the 待定/约谈/未报送 flags,
typed and printed cell values, the window words, and the notes under the table."""

from __future__ import annotations

import math
from typing import NamedTuple

from sanse.deployment.settings import Rules
from sanse.facts.periods import THIS_PERIOD
from sanse.facts.report import COUNT_OF
from sanse.facts.tiers import TIER_WORDS
from sanse.publishing.issue import Issue
from sanse.publishing.prose import SINCE_PHRASES


class Column(NamedTuple):
    header: str
    key: str
    kind: str  # integer, text, rate, score, tier, change or flag


def ranking_columns(rules: Rules) -> tuple[Column, ...]:
    """The ranking's columns under `rules`, in order: rank, town, the counts and each indicator's
    rate, score, tier, movement. The default rules give exactly design §5's pinned columns; an
    office's further indicator adds its count and rate, as its ranking has them."""
    shown = {"inspections"}
    measured = []
    for indicator in rules.indicators:
        for key in (indicator.denominator, indicator.numerator):
            if key not in shown:
                shown.add(key)
                measured.append(Column(COUNT_OF[key].header, key, "integer"))
        measured.append(Column(indicator.label, indicator.key, "rate"))
    return (
        Column("排名", "rank", "integer"),
        Column("镇街", "town", "text"),
        Column(COUNT_OF["inspections"].header, "inspections", "integer"),
        *measured,
        Column("综合得分", "score", "score"),
        Column("等级", "tier", "tier"),
        Column("名次变化", "rank_change", "change"),
    )


COLUMNS = ranking_columns(Rules())  # design §5's, as Word and PDF lay them out
PROVISIONAL, SMALL_SAMPLE = "待定", "样本不足"  # the words of sanse.statistics.confidence, without loading scipy
# Every output carries these after the pinned columns (design §5), as the screen does.
FLAG_COLUMNS = (
    Column(PROVISIONAL, "provisional", "flag"),
    Column("约谈", "red_alert", "flag"),
    Column("未报送", "not_reported", "flag"),
)


def sheet_columns(issue: Issue) -> tuple[Column, ...]:
    """What XLSX and CSV carry: the issue's ranking columns, then the flags."""
    return ranking_columns(issue.rules_used()) + FLAG_COLUMNS


# Excel, Word and the CSV readers treat these leading characters as the start of a formula.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
YES, NO = "是", "否"
UNREPORTED = "未报送"  # the 等级 cell of a town that sent nothing in a period


def ranking_rows(issue: Issue) -> list[dict]:
    """The towns in print order: group by group, best rank first, those 未报送 in a period last."""
    return sorted(issue.ranking, key=lambda r: (r["group"], r["rank"] is None, r["rank"] or 0, r["code"]))


def window_heading(issue: Issue) -> str:
    """What the counts and rates of the ranking add up: 活动开展以来累计, 近7日累计 or 当日; in a
    period's issue, the period's (本月累计)."""
    if issue.period_kind != "day":
        return f"{THIS_PERIOD[issue.period_kind]}累计"
    window = issue.rules_used().window
    since = SINCE_PHRASES.get(window, "")
    return since if window == "daily" else f"{since}累计"


def window_phrase(issue: Issue) -> str:
    """活动开展以来, 近7日, 当日 or 本月: the span the ranking's counts cover."""
    if issue.period_kind != "day":
        return THIS_PERIOD[issue.period_kind]
    return SINCE_PHRASES.get(issue.rules_used().window, "")


def flag_value(row: dict, key: str) -> str | None:
    """是/否; None where the issue never judged it (待定 in issues published before tiers were)."""
    if key not in row or row[key] is None:
        return None
    return YES if row[key] else NO


def cell_value(row: dict, column: Column):
    """A cell's typed value: numbers stay numbers, rates fractions, the tier its word."""
    value = row.get(column.key)
    if column.kind == "tier":  # a town without any data in a period has no tier (design §2)
        return TIER_WORDS.get(value, UNREPORTED)
    if column.kind == "flag":
        return flag_value(row, column.key)
    if column.kind in ("integer", "change"):
        return None if value is None else int(value)
    if column.kind in ("rate", "score"):
        return None if value is None else float(value)
    return "" if value is None else str(value)


def cell_text(row: dict, column: Column) -> str:
    """The same cell as people read it in Word, PDF and print: a flag shows only when it is on."""
    value = cell_value(row, column)
    if column.kind == "flag":
        return YES if value == YES else ""
    if value is None:
        return "—" if column.kind == "rate" else ""
    if column.kind == "rate":
        return f"{value:.2%}"
    if column.kind == "score":
        return f"{value:.2f}"
    if column.kind == "change":
        return f"{value:+d}" if value else "0"
    return str(value)


def neutralise(text: str) -> str:
    """A leading apostrophe keeps a spreadsheet from running text as a formula."""
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def confidence_note(issue: Issue) -> str:
    """The footnote under the Word, PDF and print tables on 待定 and 样本不足 towns; "" when
    nothing is marked."""
    parts = []
    pending = issue.provisional_rows()
    if pending:
        names = "、".join(f"{r['town']}（{TIER_WORDS.get(r['tier'], '')}）" for r in pending)
        threshold = issue.confidence.get("provisional_below", 0.5)
        parts.append(
            f"“{PROVISIONAL}”栏为“{YES}”的等级共{len(pending)}个：{names}。“{PROVISIONAL}”指按统计可信度分析，"
            f"该镇街处于这一等级的概率低于{_percent(threshold)}，数据尚不足以确定；等级和名次照常公布。"
        )
    small = issue.small_sample_rows()
    if small:
        since = window_phrase(issue)
        minimum = issue.confidence.get("min_inspections", 0)
        names = "、".join(r["town"] for r in small)
        parts.append(f"“{SMALL_SAMPLE}”：{since}检查企业不足{minimum}家次的镇街（{names}），照常排名，仅供参考。")
    return "注：" + "".join(parts) if parts else ""


def tier_comment(row: dict, issue: Issue) -> str:
    """Why a tier cell is marked, for the Excel comment; "" when it is not."""
    lines = []
    if row.get("provisional"):
        word = TIER_WORDS.get(row["tier"], "")
        chance = row.get("p_blue") if row["tier"] == "blue" else row.get("p_red")
        threshold = issue.confidence.get("provisional_below", 0.5)
        lines.append(
            f"{PROVISIONAL}：成为{word}色的概率为{_percent(chance, down=True)}，低于{_percent(threshold)}，数据尚不足以确定这一等级。"
            if chance is not None
            else f"{PROVISIONAL}：数据尚不足以确定这一等级。"
        )
        if row.get("rank_low") is not None and row.get("rank_high") is not None:
            lines.append(f"名次区间（90%）：第{row['rank_low']}至第{row['rank_high']}名。")
    if row.get("small_sample"):
        lines.append(
            f"{SMALL_SAMPLE}：检查企业{row.get('inspections', 0)}家次，"
            f"少于{issue.confidence.get('min_inspections', 0)}家次。"
        )
    return "\n".join(lines)


def _percent(share: float, *, down: bool = False) -> str:
    """50%, 25.8%: one decimal at most; a chance is rounded down so one just under the
    threshold never reads as equal to it."""
    if down:
        share = math.floor(share * 1000 + 1e-9) / 1000  # 0.29 * 1000 is 289.999...
    return f"{share:.1%}".replace(".0%", "%")
