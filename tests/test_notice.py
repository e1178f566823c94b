"""The notice each 督办事项 is issued with (design §12): a 督办通知单, or for a 约谈 a 约谈通知书
that waits for the office to set its time, place and attendees; DOCX and PDF in the bulletin's
公文 layout and faces, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from sanse.access.audit import read_audit
from sanse.access.roles import SYSTEM, Forbidden, User
from sanse.deployment.home import Home
from sanse.facts.clock import BEIJING
from sanse.publishing.exports import render_notice
from sanse.publishing.exports.notice import NoticeNotReady, notice_name
from sanse.sending.queue import queue_new_items
from sanse.store import DATABASE_URL_ENV
from sanse.supervision.interviews import get_interview, set_interview
from sanse.supervision.items import SupervisionError
from sanse.supervision.lifecycle import add_item, answer, close

MEETS_AT = datetime(2026, 11, 3, 9, 30, tzinfo=BEIJING)
CLERK = User("clerk", "town", "T1")


@pytest.fixture
def home(store_url, tmp_path, monkeypatch) -> Home:
    """Two towns of 示范市, no reports: items are made by hand."""
    if store_url.startswith("postgresql"):
        monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    root: Path = tmp_path / "home"
    root.mkdir()
    (root / "towns.csv").write_text(
        "code,name,kind,group,aliases,active\nT1,渔歌镇,镇,,,1\nT2,玉衡街道,街道,,,1\n", encoding="utf-8"
    )
    (root / "rules.toml").write_text('[campaign]\ncity = "示范市"\nstart = 2026-09-01\n', encoding="utf-8")
    return Home(root)


def listed(home: Home, measure: str, town: str = "T2") -> int:
    return add_item(
        home,
        town,
        measure=measure,
        reason="10月份重大隐患整改率低于50%，连续两周排名后三位。",
        deadline=date(2026, 11, 15),
        occurred_on=date(2026, 10, 31),
        by=SYSTEM,
        announce=queue_new_items,
    ).id


def docx_lines(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_督办通知单_names_office_town_reason_measure_deadline_and_what_to_submit(home):
    item = listed(home, "挂牌督办")
    lines = docx_lines(render_notice(home, item, "docx"))
    assert lines[:4] == ["示范市安委办", f"督办〔2026〕{item}号", "督办通知单", "玉衡街道："]
    body = "\n".join(lines)
    assert "决定对你街道予以挂牌督办" in body
    assert "一、督办事由。10月份重大隐患整改率低于50%，连续两周排名后三位。" in lines  # one 。, not two
    assert "三、整改期限。2026年11月15日前完成整改。" in lines
    assert "督办台账”报送整改报告" in body and "佐证材料" in body
    text = pdf_text(render_notice(home, item, "pdf"))
    for part in ("示范市安委办", "督办通知单", "玉衡街道：", "挂牌督办", "2026年11月15日前", "印发"):
        assert part in text
    assert notice_name(home, item, "pdf") == f"督办通知单_玉衡街道_督办{item}号.pdf"


def test_the_notice_pdf_is_set_in_the_bulletins_公文_faces(home):
    reader = PdfReader(io.BytesIO(render_notice(home, listed(home, "通报批评"), "pdf")))
    fonts = {
        str(f.get_object()["/BaseFont"]).split("+")[-1] for p in reader.pages for f in p["/Resources"]["/Font"].values()
    }
    assert {"FandolFangR", "FandolSongBold", "FandolHei"} <= fonts
    assert len(reader.pages) == 1


def test_a_约谈通知书_waits_for_its_time_place_and_attendees(home):
    item = listed(home, "约谈", "T1")
    with pytest.raises(NoticeNotReady, match="尚未确定约谈时间、地点和参加人员"):
        render_notice(home, item, "pdf")
    set_interview(
        home, item, meets_at=MEETS_AT, place="市应急管理局三楼会议室", attendees="镇长、分管副镇长", by=SYSTEM
    )
    lines = docx_lines(render_notice(home, item, "docx"))
    assert lines[2:4] == ["约谈通知书", "渔歌镇："]
    for line in (
        "二、约谈时间。2026年11月3日 09:30。",
        "三、约谈地点。市应急管理局三楼会议室。",
        "四、参加人员。镇长、分管副镇长。",
    ):
        assert line in lines
    assert "决定对你镇进行约谈" in lines[4]
    assert "2026年11月3日 09:30" in pdf_text(render_notice(home, item, "pdf"))
    assert notice_name(home, item, "docx") == f"约谈通知书_渔歌镇_督办{item}号.docx"


def test_changing_the_arrangements_keeps_one_and_audits_each(home):
    item = listed(home, "约谈", "T1")
    set_interview(home, item, meets_at=MEETS_AT, place="甲会议室", attendees="镇长", by=SYSTEM)
    later = datetime(2026, 11, 4, 14, 0, tzinfo=BEIJING)
    set_interview(home, item, meets_at=later, place="乙会议室", attendees="镇长、站长", by=SYSTEM)
    interview = get_interview(home, item)
    assert (interview.when, interview.place, interview.attendees) == ("2026年11月4日 14:00", "乙会议室", "镇长、站长")
    events = read_audit(home, action="supervision_interview")
    assert len(events) == 2
    assert f"督办事项 {item}（渔歌镇）约谈安排：2026-11-04 14:00，乙会议室，参加人员 镇长、站长" in list(events["what"])


def test_arrangements_are_refused_where_they_do_not_belong(home):
    plain, interview = listed(home, "挂牌督办"), listed(home, "约谈", "T1")
    arrangements = {"meets_at": MEETS_AT, "place": "会议室", "attendees": "镇长"}
    with pytest.raises(SupervisionError, match="不是约谈"):
        set_interview(home, plain, by=SYSTEM, **arrangements)
    with pytest.raises(Forbidden):
        set_interview(home, interview, by=CLERK, **arrangements)
    with pytest.raises(SupervisionError, match="请填写约谈地点"):
        set_interview(home, interview, by=SYSTEM, **{**arrangements, "place": "  "})
    with pytest.raises(SupervisionError, match="没有编号为 999 的督办事项"):
        set_interview(home, 999, by=SYSTEM, **arrangements)
    answer(home, interview, "已整改。", by=CLERK)
    close(home, interview, by=SYSTEM)
    with pytest.raises(SupervisionError, match="已销号，不能再安排约谈"):
        set_interview(home, interview, by=SYSTEM, **arrangements)
    assert get_interview(home, interview) is None


def test_render_notice_refuses_an_unknown_item_or_format(home):
    with pytest.raises(SupervisionError, match="没有编号为 7 的督办事项"):
        render_notice(home, 7, "pdf")
    with pytest.raises(ValueError, match="不支持的通知书格式“odt”"):
        render_notice(home, listed(home, "通报批评"), "odt")
