"""The notice each 督办事项 is issued with (design §12): a 约谈通知书 for a 约谈, a 督办通知单 for any
other measure, in the bulletin's 公文 layout (GB/T 9704) and fonts, as DOCX or PDF: the office
as 发文机关, the town as 主送, the reason, the measure, the deadline and what to submit.

This is the notice's content; the Word and PDF modules lay it out, and
`sanse.publishing.exports.render_notice(home, item_id, fmt)` is what the 督办台账 downloads and
what a message attaches."""

from __future__ import annotations

from dataclasses import dataclass

from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns
from sanse.facts import clock
from sanse.facts.dates import chinese_date
from sanse.ranking.rulebook import settings_in_force
from sanse.supervision.interviews import INTERVIEW, Interview, get_interview
from sanse.supervision.items import Item, SupervisionError
from sanse.supervision.ledger import get_item

INTERVIEW_TITLE, SUPERVISION_TITLE = "约谈通知书", "督办通知单"
SUBMIT = "通过三色晾晒系统“督办台账”报送整改报告，写明问题原因、整改措施和完成情况，并附相关佐证材料"


class NoticeNotReady(SupervisionError):
    """A 约谈 whose time, place or attendees are not set yet: its 通知书 cannot be issued."""


@dataclass(frozen=True)
class Notice:
    masthead: str  # 发文机关标志: the office, in red
    number: str  # 督办〔2026〕7号
    title: str  # 约谈通知书 or 督办通知单
    addressee: str  # 主送: the town, with its colon
    sections: tuple[tuple[str, str], ...]  # (黑体 heading such as "一、约谈事由。" or "", text)
    signed_by: str  # 发文机关署名
    signed_on: str  # 成文日期
    issued_by: str  # the 版记's 印发 line: the office, then the date
    issued_on: str
    report_to: str = ""  # the 版记's 报送 and 抄送 lines: none on a notice
    copy_to: str = ""

    def text(self) -> str:
        """Every character the notice prints, for subsetting an embedded font."""
        parts = [self.masthead, self.number, self.title, self.addressee, self.signed_by, self.signed_on]
        parts += [self.issued_by, self.issued_on, *(heading + text for heading, text in self.sections)]
        return "".join(parts) + "— 0123456789"  # and the page numbers


def notice_title(item: Item) -> str:
    return INTERVIEW_TITLE if item.measure == INTERVIEW else SUPERVISION_TITLE


def notice_name(home: Home, item_id: int, fmt: str) -> str:
    """约谈通知书_渔歌镇_督办7号.pdf"""
    item = get_item(home, item_id)
    town = _town_names(home).get(item.town_code, item.town_code)
    return f"{notice_title(item)}_{town}_督办{item.id}号.{fmt}"


def item_notice(home: Home, item_id: int) -> Notice:
    item = get_item(home, item_id)
    if item is None:
        raise SupervisionError(f"没有编号为 {item_id} 的督办事项")
    city = settings_in_force(home).campaign.city
    office = f"{city}安委办" if city else "市安委办"
    towns = {town.code: town for town in read_towns(home.towns_csv)}
    town = towns.get(item.town_code)
    name, kind = (town.name, town.kind) if town else (item.town_code, "")
    you = f"你{kind}" if kind else "你单位"
    reason = item.reason.strip().rstrip("。；;.")
    deadline = chinese_date(item.deadline)
    if item.measure == INTERVIEW:
        interview = get_interview(home, item_id)
        if interview is None:
            raise NoticeNotReady(
                f"督办事项 {item_id}（{name}约谈）尚未确定约谈时间、地点和参加人员：请先在督办台账填写，再出具约谈通知书"
            )
        sections = _interview_sections(office, you, reason, deadline, interview)
        issued = clock.beijing(interview.set_at).date()
    else:
        sections = _supervision_sections(you, reason, item.measure_label, deadline)
        issued = clock.beijing(item.created_at).date()
    return Notice(
        masthead=office,
        number=f"督办〔{item.occurred_on.year}〕{item.id}号",
        title=notice_title(item),
        addressee=f"{name}：",
        sections=sections,
        signed_by=office,
        signed_on=chinese_date(issued),
        issued_by=office,
        issued_on=f"{chinese_date(issued)}印发",
    )


def _interview_sections(office: str, you: str, reason: str, deadline: str, interview: Interview):
    return (
        ("", f"按照三色晾晒考核规则，{office}决定对{you}进行约谈。现将有关事项通知如下："),
        ("一、约谈事由。", f"{reason}。"),
        ("二、约谈时间。", f"{interview.when}。"),
        ("三、约谈地点。", f"{interview.place}。"),
        ("四、参加人员。", f"{interview.attendees}。"),
        (
            "五、有关要求。",
            f"请参加人员准时参加，如实汇报存在的问题、原因分析和整改措施；于{deadline}前{SUBMIT}。",
        ),
    )


def _supervision_sections(you: str, reason: str, measure: str, deadline: str):
    return (
        ("", f"按照三色晾晒考核规则，决定对{you}予以{measure}。现将有关事项通知如下："),
        ("一、督办事由。", f"{reason}。"),
        ("二、督办措施。", f"{measure}。"),
        ("三、整改期限。", f"{deadline}前完成整改。"),
        (
            "四、报送要求。",
            f"请于{deadline}前{SUBMIT}。逾期未报送或整改不到位的，将按规定升级督办措施。",
        ),
    )


def _town_names(home: Home) -> dict[str, str]:
    return {town.code: town.name for town in read_towns(home.towns_csv)}
