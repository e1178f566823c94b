"""The 数据报送 page under AppTest: a rejected upload lists its errors and offers the clerk's own
file back with the errors marked; a file that is no spreadsheet gets the list only; a confirmed
file leaves the screen and moves the sidebar to its day; the on-screen form checks as the clerk
types, submits, and asks why when it corrects a day; the history is in Beijing time."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import count_by_records
from streamlit.testing.v1 import AppTest

from sanse.access.accounts import add_user
from sanse.access.roles import User
from sanse.access.sessions import start_session
from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns
from sanse.facts import clock
from sanse.facts.clock import BEIJING
from sanse.pipelines.reports.form import submit_form
from sanse.pipelines.reports.ingest import ingest_file
from sanse.pipelines.reports.read import HEADERS
from sanse.ranking.warehouse import Warehouse
from sanse.store.records import batches
from sanse.store.reports import current_reports, history
from sanse.ui.report_form import field_key, reason_key

APP = str(Path(__file__).parents[1] / "app.py")
ADMIN = User("office", "admin")
CLERK = User("clerk", "town", "T03")


@pytest.fixture
def home(demo_home: Home, monkeypatch) -> Home:
    add_user(demo_home, ADMIN.name, role="admin", password="office password 1")
    add_user(demo_home, CLERK.name, role="town", town=CLERK.town_code, password="clerk password 1")
    monkeypatch.setenv("SANSE_HOME", str(demo_home.root))
    return demo_home


def upload(name: str, content: bytes, mime: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["sanse.session"] = start_session(Home.resolve(), ADMIN).token  # signed in as a browser is
    at.run()
    at.switch_page("pages/work/submit.py").run()
    at.file_uploader(key="submit.file.0").upload(name, content, mime).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def error_file_buttons(at: AppTest) -> list:
    return [b for b in at.get("download_button") if b.proto.id.endswith("submit.error_file")]


def test_rejected_file_offers_the_file_back_with_its_errors_marked(home):
    rows = [",".join(HEADERS.values()), "2026-10-30,无名镇,5,1,0,1,0,0,0,0"]
    at = upload("日报.csv", "\n".join(rows).encode(), "text/csv")
    assert at.error and "未导入任何数据" in at.error[0].value
    assert "未知镇街“无名镇”" in at.dataframe[0].value["说明"].iloc[0]
    assert at.dataframe[0].value["镇街"].iloc[0] == "无名镇"  # the row's town, as the file writes it
    [button] = error_file_buttons(at)
    assert button.label == "下载标注了错误的原文件（XLSX）"


def test_a_pdf_gets_the_error_list_but_no_marked_file(home):
    at = upload("日报.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "text/csv")
    assert "PDF" in at.dataframe[0].value["说明"].iloc[0]
    assert error_file_buttons(at) == []


# ---------------------------------------------------------------- 确认导入


def test_confirming_a_file_clears_it_shows_the_result_and_moves_the_sidebar_to_its_day(home):
    rows = [",".join(HEADERS.values()), "2026-10-31,云岫街道,12,5,1,4,0,1,0,0.5", "2026-10-31,青禾街道,9,3,0,3,1,0,0,0"]
    at = upload("日报.csv", "\n".join(rows).encode(), "text/csv")
    assert at.session_state["sanse.date"] == date(2026, 10, 30)
    at.button(key="submit.confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value == "已导入：新增或更正 2 行，未变 0 行。排名已更新。排名日期已切换到 2026年10月31日。"
    assert not [b for b in at.button if b.key == "submit.confirm"]
    assert not [d for d in at.dataframe if d.proto.id.endswith("submit.preview")]
    assert at.file_uploader(key="submit.file.1").value is None
    assert at.session_state["sanse.date"] == at.session_state["sanse.date.pick"] == date(2026, 10, 31)
    assert date(2026, 10, 31) in Warehouse.open(home).dates()


def test_submission_history_is_in_beijing_time_with_the_reason(home):
    submit_form(home, town(home, "T03"), date(2026, 10, 30), FIGURES, by=ADMIN, reason="补报漏填的立案数")
    at = open_submit(ADMIN)
    shown = at.dataframe[-1].value.iloc[0]
    stored = history(home.store, limit=1).iloc[0]
    assert shown["报送时间"] == f"{stored['submitted_at'].astimezone(BEIJING):%Y-%m-%d %H:%M}"
    assert shown["更正原因"] == "补报漏填的立案数"


def test_the_history_lists_the_town_days_a_batch_of_records_counted(home):
    received = clock.now_utc()
    count_by_records(home.store, date(2026, 10, 31), ["T03", "T05"], at=received, by="importer")
    batch = batches(home.store)[-1].seq
    counted = [str(date(2026, 10, 31)), "1", f"{received.astimezone(BEIJING):%Y-%m-%d %H:%M}", "importer"]
    source = f"记录.zip 记录数据（第{batch}批）"
    office = newest(open_submit(ADMIN), 3)
    assert office[:2] == [[town(home, code).name, *counted, source] for code in ("T05", "T03")]
    assert office[2][-1] != source  # what was sent before the batch
    clerk = newest(open_submit(CLERK), 2)
    assert clerk[0] == [town(home, "T03").name, *counted, source]
    assert clerk[1][0] == town(home, "T03").name  # the clerk sees its own town only


def newest(at: AppTest, rows: int) -> list[list[str]]:
    """The history's newest rows: the town, the day, its inspections, when, by whom, from where."""
    shown = at.dataframe[-1].value[["镇街", "日期", "检查企业数", "报送时间", "报送人", "文件"]]
    return [[str(value) for value in row] for row in shown.head(rows).values.tolist()]


# ---------------------------------------------------------------- 在线填报

FIGURES = {
    "inspections": 12,
    "hazards": 5,
    "major_hazards": 1,
    "rectified": 4,
    "halted": 0,
    "cases": 1,
    "detentions": 0,
    "fines_wan": 0.5,
}


def town(home: Home, code: str):
    return next(t for t in read_towns(home.towns_csv) if t.code == code)


def open_submit(user: User) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["sanse.session"] = start_session(Home.resolve(), user).token  # signed in as a browser is
    at.run()
    at.switch_page("pages/work/submit.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def fill(at: AppTest, code: str, day: date, **figures) -> AppTest:
    for key, value in figures.items():
        at.number_input(key=field_key(code, day, key)).set_value(value)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_admin_fills_in_a_towns_day_and_it_is_stored_by_the_upload_path(home):
    at = open_submit(ADMIN)
    at.selectbox(key="form.town").set_value("T05")
    at.date_input(key="form.day").set_value(date(2026, 10, 31)).run()
    assert at.button(key="form.submit").disabled
    assert "还有 6 项未填" in "\n".join(c.value for c in at.caption)
    fill(at, "T05", date(2026, 10, 31), **{k: v for k, v in FIGURES.items() if k not in ("detentions", "fines_wan")})
    assert not at.button(key="form.submit").disabled
    at.button(key="form.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    name = town(home, "T05").name
    assert at.success[0].value == f"{name} 2026年10月31日 已报送，排名已更新。排名日期已切换到 2026年10月31日。"
    [version] = history(home.store, "T05", limit=1).to_dict("records")
    assert (version["date"], version["inspections"], version["fines_wan"], version["submitted_by"]) == (
        date(2026, 10, 31),
        12,
        0.0,
        "office",
    )
    assert version["source_name"] == f"在线填报-{name}-2026-10-31.csv"
    assert at.session_state["sanse.date"] == date(2026, 10, 31)


def test_the_form_says_more_major_hazards_than_hazards_as_the_clerk_types(home):
    at = open_submit(CLERK)
    at.date_input(key="form.day").set_value(date(2026, 10, 31)).run()
    fill(at, "T03", date(2026, 10, 31), **{**FIGURES, "hazards": 2, "major_hazards": 3})
    assert [e.value for e in at.error] == ["重大隐患数（3）不能大于发现隐患数（2）"]
    assert at.button(key="form.submit").disabled
    fill(at, "T03", date(2026, 10, 31), major_hazards=1, halted=20)
    assert not at.error and not at.button(key="form.submit").disabled
    assert "停产停业数（20）大于检查企业数（12），请核实" in [w.value for w in at.warning]


def test_a_town_clerk_cannot_choose_another_town(home):
    at = open_submit(CLERK)
    picker = at.selectbox(key="form.town")
    assert picker.options == [town(home, "T03").name] and picker.disabled


def test_the_form_shows_yesterdays_figure_beside_each_field(home):
    at = open_submit(CLERK)
    at.date_input(key="form.day").set_value(date(2026, 10, 31)).run()
    yesterday = history(home.store, "T03", limit=1).iloc[0]
    assert yesterday["date"] == date(2026, 10, 30)
    label = at.number_input(key=field_key("T03", date(2026, 10, 31), "inspections")).label
    assert label == f"检查企业数 :gray[昨日 {yesterday['inspections']}]"


def test_a_second_report_of_a_day_asks_why_and_keeps_the_reason(home):
    day = date(2026, 10, 30)  # the demo city has reported it
    at = open_submit(CLERK)
    at.date_input(key="form.day").set_value(day).run()
    stored = current_reports(home.store, towns=["T03"], first=day, last=day).iloc[0]
    assert at.number_input(key=field_key("T03", day, "inspections")).value == stored["inspections"]
    assert at.button(key="form.submit").label == "确认更正" and at.button(key="form.submit").disabled
    assert "与已报送的数据相同" in "\n".join(c.value for c in at.caption)
    fill(at, "T03", day, cases=int(stored["cases"]) + 1)
    assert at.button(key="form.submit").disabled
    assert "这是更正：请写明更正原因。" in "\n".join(c.value for c in at.caption)
    at.text_input(key=reason_key("T03", day)).input("漏报 1 起立案").run()
    at.button(key="form.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.startswith(f"{town(home, 'T03').name} 2026年10月30日 已更正")
    newest = history(home.store, "T03", limit=1).iloc[0]
    assert (newest["cases"], newest["reason"], newest["submitted_by"]) == (
        stored["cases"] + 1,
        "漏报 1 起立案",
        "clerk",
    )


def test_a_town_name_reaches_the_forms_messages_as_written_never_as_markdown(home):
    hostile = "![x](http://example.invalid/x.png)<b>粗</b>镇"
    name = town(home, "T03").name
    home.towns_csv.write_text(
        home.towns_csv.read_text(encoding="utf-8").replace(f",{name},", f",{hostile},"), encoding="utf-8"
    )
    day = date(2026, 10, 31)
    at = open_submit(CLERK)
    at.date_input(key="form.day").set_value(day).run()
    fill(at, "T03", day, **{**FIGURES, "inspections": 1, "cases": 0})  # far below its week: a warning naming it
    at.button(key="form.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value for kind in ("markdown", "caption", "error", "warning", "success") for e in at.get(kind)]
    assert any("粗" in value for value in shown)
    assert not any(hostile in value for value in shown), "never a live image or markup"


def test_the_history_neutralises_file_names_a_spreadsheet_would_run(home):
    rows = [",".join(HEADERS.values()), "2026-10-30,云岫街道,41,10,2,5,1,1,0,0"]
    content = "\n".join(rows).encode()
    assert ingest_file(home, content, "=HYPERLINK(x).csv", by=ADMIN).ok
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["sanse.session"] = start_session(Home.resolve(), ADMIN).token
    at.run()
    at.switch_page("pages/work/submit.py").run()
    shown = at.dataframe[-1].value
    names = list(shown["文件"])
    assert list(shown.columns[:2]) == ["日期", "镇街"]  # the day and its figures first, who and whence after
    assert "'=HYPERLINK(x).csv" in names and "=HYPERLINK(x).csv" not in names
