"""What is sent (design §12), as plain Chinese text rendered from the frozen issue or item:
the bulletin, each town's own message, 催报, new 督办 items and overdue notices. Each title
starts with its kind in brackets; names are escaped for the robots' Markdown; a text longer
than a service takes is split into numbered parts, each under the limit."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sanse.facts.dates import chinese_date, month_day
from sanse.facts.periods import THIS_PERIOD
from sanse.facts.tiers import TIER_WORDS
from sanse.i18n import translate
from sanse.publishing.issue import Issue

BRACKETS = {
    "day": "【每日工作动态】",
    "period": "【通报】",
    "town": "【本镇街】",
    "remind": "【催报】",
    "items": "【督办】",
    "overdue": "【逾期】",
    "test": "【测试】",
}
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")
Escape = Callable[[str], str]
# A chat message names this many towns or items of a list at most, then says how many more: a
# province's bulletin names its 400 blue towns in the issue, not in every work group's chat.
MOST_NAMES = 30
MOST_LINES = 20


def markdown_escape(text: object) -> str:
    """A name as written, never as a link, emphasis or heading in a robot's Markdown."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def as_written(text: object) -> str:
    return str(text)


@dataclass(frozen=True)
class Message:
    kind: str  # bulletin, town, remind, items, overdue, test
    key: str  # what it is about; a channel gets each key once
    title: str
    text: str
    data: dict = field(default_factory=dict)  # for a webhook, and what an email attaches
    town_code: str | None = None  # a 催报 is dropped when this town reports first


# ---------------------------------------------------------------- the bulletin


def issue_link(public_url: str, issue: Issue) -> str:
    series = "" if issue.period_kind == "day" else f"?series={issue.period_kind}"
    return f"{public_url}/bulletin{series}" if public_url else ""


def bulletin_title(issue: Issue) -> str:
    bracket = BRACKETS["day" if issue.period_kind == "day" else "period"]
    mark = "（更正）" if issue.correction else ""
    return f"{bracket}《{issue.title}》{issue.number_label}{mark} {issue.when}"


def bulletin_message(issue: Issue, seq: int, public_url: str, esc: Escape = markdown_escape) -> Message:
    """The bulletin in a few lines: counts of each tier, the blue and the red towns, red
    alerts, who did not report, new 督办 measures, and the link to the issue."""
    counts = issue.tier_counts()
    names = lambda rows: listed([esc(r["town"]) for r in rows])  # noqa: E731
    by_tier = {tier: [r for r in issue.ranking if r["tier"] == tier] for tier in TIER_WORDS}
    this = THIS_PERIOD[issue.period_kind]
    lines = [
        f"{issue.office}发布《{esc(issue.title)}》{issue.label}（{issue.when}）。",
        f"等级分布：蓝色{counts['blue']}个、黄色{counts['yellow']}个、红色{counts['red']}个。",
        f"蓝色：{names(by_tier['blue'])}",
        f"红色：{names(by_tier['red'])}",
    ]
    if issue.correction and issue.correction_note:
        lines.insert(1, f"更正说明：{esc(issue.correction_note)}")
    if issue.red_alerts:
        lines.append(f"连续红色（约谈）：{names(issue.red_alerts)}")
    lines.append(f"{this}未报送：{names(issue.not_reported)}")
    if issue.new_measures:
        lines.append(f"{this}新增督办措施{len(issue.new_measures)}项：")
        measures = issue.new_measures[:MOST_LINES]
        lines += [f"- {esc(m['town'])}：{esc(m['measure'])}，整改期限{_day(m['deadline'])}" for m in measures]
        if len(issue.new_measures) > MOST_LINES:
            lines.append(f"……另有{len(issue.new_measures) - MOST_LINES}项，详见全文")
    link = issue_link(public_url, issue)
    if link:
        lines.append(f"查看全文：{link}")
    data = {"issue_seq": seq, "number": issue.number, "version": issue.version, "day": issue.day.isoformat()}
    data |= {"period_kind": issue.period_kind, "tiers": counts}
    return Message("bulletin", f"issue:{seq}", bulletin_title(issue), "\n\n".join(lines), data)


def listed(names: list[str], where: str = "全文") -> str:
    """甲、乙、丙; the first MOST_NAMES and 等N个 when there are more; 无 when none."""
    if not names:
        return "无"
    if len(names) <= MOST_NAMES:
        return "、".join(names)
    return "、".join(names[:MOST_NAMES]) + f"等{len(names)}个（详见{where}）"


# ---------------------------------------------------------------- a town's own message


@dataclass(frozen=True)
class TownFacts:
    """What a town's message says beyond its ranking row, worked out before the publication's
    transaction: what it would take to move up a tier, and its open items."""

    lifts: tuple[str, ...] = ()
    items: tuple[dict, ...] = ()  # {measure, reason, deadline}


def town_message(
    issue: Issue, seq: int, row: dict, facts: TownFacts, public_url: str, esc: Escape = markdown_escape
) -> Message:
    tier = row["tier"]
    if tier is None:  # a town without any data in a period is not ranked (未报送)
        return _unranked_message(issue, seq, row, facts, public_url, esc)
    unit = "天" if issue.period_kind == "day" else "期"
    change = row.get("rank_change")
    if change is None:
        moved = "（无上期名次）"
    elif change == 0:
        moved = "（与上期持平）"
    else:
        moved = f"（比上期{'上升' if change > 0 else '下降'}{abs(change)}名）"
    lines = [
        f"{esc(row['town'])}在《{esc(issue.title)}》{issue.label}（{issue.when}）中：",
        f"等级：**{TIER_WORDS[tier]}色**",
        f"名次：第{row['rank']}名 / 共{row['group_size']}个镇街{moved}",
        f"连续{TIER_WORDS[tier]}色：{row.get('tier_streak') or 1}{unit}",
    ]
    if row.get("not_reported"):
        lines.append("本期未报送数据。")
    if tier == "blue":
        lines.append("已是蓝色，请保持。")
    elif facts.lifts:
        lines.append("怎样升一级（其他数据不变）：")
        lines += [f"- {lift}" for lift in facts.lifts]
    lines += _item_lines(facts, esc)
    if public_url:
        lines.append(f"查看详情：{public_url}/town")
    title = f"{BRACKETS['town']}{row['town']} {TIER_WORDS[tier]}色 第{row['rank']}名 {issue.number_label}"
    data = {"issue_seq": seq, "code": row["code"], "tier": tier, "rank": row["rank"], "group_size": row["group_size"]}
    return Message("town", f"town:{seq}:{row['code']}", title, "\n\n".join(lines), data, row["code"])


def _unranked_message(issue: Issue, seq: int, row: dict, facts: TownFacts, public_url: str, esc: Escape) -> Message:
    lines = [f"{esc(row['town'])}在《{esc(issue.title)}》{issue.label}（{issue.when}）中未报送数据，不参加排名。"]
    lines += _item_lines(facts, esc)
    if public_url:
        lines.append(f"查看详情：{public_url}/town")
    title = f"{BRACKETS['town']}{row['town']} 未报送 {issue.number_label}"
    data = {"issue_seq": seq, "code": row["code"], "tier": None, "rank": None}
    return Message("town", f"town:{seq}:{row['code']}", title, "\n\n".join(lines), data, row["code"])


def _item_lines(facts: TownFacts, esc: Escape) -> list[str]:
    if not facts.items:
        return []
    lines = [f"待办督办事项{len(facts.items)}项："]
    return lines + [f"- {esc(i['measure'])}（{esc(i['reason'])}），整改期限{_day(i['deadline'])}" for i in facts.items]


def lift_sentence(lift, *, has_inspections: bool) -> str:
    """ "再发现 2 处重大隐患，可升为黄" — as the town's page says it, without its emphasis."""
    if lift.extra is None:
        key = "town.lift.none" if has_inspections else "town.lift.no_inspections"
        return translate("zh", key, label=lift.indicator.label)
    phrase = translate("zh", f"lift.{lift.indicator.numerator}")
    verb, unit, noun = phrase if isinstance(phrase, tuple) else ("", "", lift.indicator.label)
    text = translate(
        "zh", "town.lift.item", verb=verb, extra=lift.extra, unit=unit, noun=noun, tier=TIER_WORDS[lift.tier]
    )
    return text.replace("**", "").replace("（其他数据不变）", "")


# ---------------------------------------------------------------- 督办 and 逾期


def item_message(item: dict, public_url: str, esc: Escape = markdown_escape) -> Message:
    """A new 督办 item, to its town: {id, code, town, measure, reason, deadline}."""
    lines = [
        f"{esc(item['town'])}：{esc(item['measure'])}",
        f"事由：{esc(item['reason'])}",
        f"整改期限：{_day(item['deadline'])}。请按期整改，并在“督办台账”提交整改报告。",
    ]
    if public_url:
        lines.append(f"督办台账：{public_url}/supervision")
    title = f"{BRACKETS['items']}{item['town']} {item['measure']}（编号{item['id']}）"
    return Message("items", f"item:{item['id']}", title, "\n\n".join(lines), {"items": [item]}, item["code"])


def items_digest(items: list[dict], key: str, public_url: str, esc: Escape = markdown_escape) -> Message:
    """A build's (or an admin's) new items in one message for the office."""
    lines = [f"新增督办事项{len(items)}项："]
    lines += [
        f"- {esc(i['town'])}：{esc(i['measure'])}（{esc(i['reason'])}），整改期限{_day(i['deadline'])}"
        for i in items[:MOST_LINES]
    ]
    if len(items) > MOST_LINES:
        lines.append(f"……另有{len(items) - MOST_LINES}项，详见督办台账")
    if public_url:
        lines.append(f"督办台账：{public_url}/supervision")
    title = f"{BRACKETS['items']}新增督办事项{len(items)}项"
    return Message("items", key, title, "\n\n".join(lines), {"items": items})


def overdue_message(item: dict, public_url: str, esc: Escape = markdown_escape) -> Message:
    lines = [
        f"{esc(item['town'])}的督办事项（编号{item['id']}，{esc(item['measure'])}）已超过整改期限"
        f"{_day(item['deadline'])}，尚未销号。",
        f"事由：{esc(item['reason'])}",
    ]
    if public_url:
        lines.append(f"督办台账：{public_url}/supervision")
    title = f"{BRACKETS['overdue']}{item['town']} {item['measure']}（编号{item['id']}）"
    return Message("overdue", f"overdue:{item['id']}", title, "\n\n".join(lines), {"items": [item]}, item["code"])


def overdue_digest(items: list[dict], deadline: str, public_url: str, esc: Escape = markdown_escape) -> Message:
    """For the office: the items whose deadline `deadline` passed without being closed, once."""
    lines = [f"以下{len(items)}项督办事项已超过整改期限{_day(deadline)}，尚未销号："]
    lines += [f"- {esc(i['town'])}：{esc(i['measure'])}（编号{i['id']}）" for i in items[:MOST_LINES]]
    if len(items) > MOST_LINES:
        lines.append(f"……另有{len(items) - MOST_LINES}项，详见督办台账")
    if public_url:
        lines.append(f"督办台账：{public_url}/supervision")
    title = f"{BRACKETS['overdue']}{len(items)}项督办事项逾期 {_day(deadline)}到期"
    return Message("overdue", f"overdue:due:{deadline}", title, "\n\n".join(lines), {"items": items})


# ---------------------------------------------------------------- 催报


def town_reminder(
    day: date, due: datetime, town: dict, public_url: str, mobiles: tuple[str, ...] = (), esc: Escape = markdown_escape
) -> Message:
    """One town's 催报: `town` is {code, name}; `due` in Beijing time."""
    lines = [
        f"{esc(town['name'])}尚未报送{chinese_date(day)}的安全生产隐患排查整治日报，"
        f"请于{due:%H:%M}前报送（截止后不再提醒）。",
    ]
    if public_url:
        lines.append(f"在线填报：{public_url}/submit")
    if mobiles:
        lines.append(" ".join(f"@{m}" for m in mobiles))
    title = f"{BRACKETS['remind']}{town['name']} {month_day(day)}日报"
    data = {"day": day.isoformat(), "due": due.isoformat(), "towns": [town]}
    return Message("remind", f"remind:{day}:{town['code']}", title, "\n\n".join(lines), data, town["code"])


def office_reminder(day: date, due: datetime, towns: list[dict], public_url: str, esc: Escape = markdown_escape):
    names = listed([esc(t["name"]) for t in towns], "报送情况")
    lines = [f"截至目前，以下{len(towns)}个镇街尚未报送{chinese_date(day)}的日报（截止{due:%H:%M}）：{names}。"]
    if public_url:
        lines.append(f"报送情况：{public_url}/status")
    title = f"{BRACKETS['remind']}{len(towns)}个镇街未报送 {month_day(day)}"
    data = {"day": day.isoformat(), "due": due.isoformat(), "towns": towns}
    return Message("remind", f"remind:{day}:office", title, "\n\n".join(lines), data)


def test_message(channel: str, at: datetime, who: str) -> Message:
    text = f"这是一条测试消息：渠道“{markdown_escape(channel)}”可以收到三色晾晒的推送。（{at:%Y-%m-%d %H:%M}，{who}）"
    return Message("test", f"test:{at.timestamp()}", f"{BRACKETS['test']}推送渠道测试", text)


# ---------------------------------------------------------------- size limits


def split(message: Message, limit: int) -> list[Message]:
    """The message as parts of at most `limit` UTF-8 bytes (title included), cut between
    paragraphs (or lines, or characters when one is longer), each titled （1/3）..."""
    room = limit - len(message.title.encode()) - 16
    if len(message.text.encode()) <= room:
        return [message]
    chunks, current = [], ""
    for piece in _pieces(message.text, room):
        joined = f"{current}\n\n{piece}" if current else piece
        if len(joined.encode()) > room:
            chunks.append(current)
            joined = piece
        current = joined
    chunks.append(current)
    total = len(chunks)
    return [
        replace(message, key=f"{message.key}:{n}", title=f"{message.title}（{n}/{total}）", text=chunk)
        for n, chunk in enumerate(chunks, start=1)
    ]


def _pieces(text: str, room: int):
    for paragraph in text.split("\n\n"):
        while len(paragraph.encode()) > room:
            cut = room // 4  # four bytes is the widest UTF-8 character
            for size in range(len(paragraph), 0, -1):
                if len(paragraph[:size].encode()) <= room:
                    cut = size
                    break
            yield paragraph[:cut]
            paragraph = paragraph[cut:]
        yield paragraph


def _day(text: str) -> str:
    return chinese_date(date.fromisoformat(text))
