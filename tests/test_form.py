"""The on-screen report form: a town's day typed in is checked by the upload's own rules and
stored by the upload's own path; a second report of a day is a correction that says why."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import fixture_city, stored

from sanse.access.audit import read_audit
from sanse.access.roles import User
from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns
from sanse.pipelines.reports.file_kind import display_name
from sanse.pipelines.reports.form import check_form, form_file, submit_form
from sanse.pipelines.reports.read import parse_report
from sanse.store.reports import current_reports, history

FIXTURES = Path(__file__).parent / "fixtures"
TOWNS = read_towns(FIXTURES / "towns.csv")  # campaign from 2023-06-01
DONGHU, XISHAN = TOWNS[0], TOWNS[1]
DAY, TODAY = date(2023, 6, 10), date(2023, 6, 10)
OFFICE = User("office", "admin")
CLERK = User("xishan", "town", XISHAN.code)
GOOD = {
    "inspections": 12,
    "hazards": 5,
    "major_hazards": 1,
    "rectified": 4,
    "halted": 0,
    "cases": 1,
    "detentions": 0,
    "fines_wan": 0.5,
}


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return fixture_city(tmp_path)


def figures(**changed) -> dict:
    return {**GOOD, **changed}


def messages(check, key: str = "") -> list[str]:
    return [p.message for p in check.problems(key)]


def test_the_form_is_the_one_row_file_an_upload_would_be():
    content, name = form_file(XISHAN, DAY, figures(fines_wan=0.00001, detentions=None))
    assert name == "在线填报-西山镇-2023-06-10.csv"
    assert content.decode().splitlines()[1] == "2023-06-10,西山镇,12,5,1,4,0,1,,0.00001"
    report = parse_report(content, name, TOWNS, today=TODAY)
    assert report.ok and not report.warnings
    [row] = report.rows.to_dict("records")
    assert (row["town_code"], row["date"], row["inspections"], row["detentions"], row["fines_wan"]) == (
        "A02",
        DAY,
        12,
        0,
        0.00001,
    )


def test_the_forms_file_name_keeps_a_town_name_with_a_slash_whole():
    _, name = form_file(replace(XISHAN, name="西山/新区"), DAY, GOOD)
    assert name == "在线填报-西山／新区-2023-06-10.csv"
    assert display_name(name) == name


def test_more_major_hazards_than_hazards_is_an_error_on_the_major_hazards_field(home):
    check = check_form(home, XISHAN, DAY, figures(hazards=2, major_hazards=3), by=CLERK, today=TODAY)
    assert not check.ok
    assert messages(check, "major_hazards") == ["重大隐患数（3）不能大于发现隐患数（2）"]
    assert messages(check, "hazards") == []


def test_an_empty_count_must_be_filled_but_empty_detentions_and_fines_are_zero(home):
    check = check_form(
        home, XISHAN, DAY, figures(inspections=None, detentions=None, fines_wan=None), by=CLERK, today=TODAY
    )
    assert messages(check, "inspections") == ["不能为空，没有请填 0"]
    assert [p.column for p in check.report.errors] == ["检查企业数"]


def test_a_fraction_where_a_count_belongs_is_refused_as_in_a_file(home):
    check = check_form(home, XISHAN, DAY, figures(cases=1.5), by=CLERK, today=TODAY)
    assert messages(check, "cases") == ["应为整数，不能是小数（1.5）"]


def test_the_upload_warnings_appear_beside_their_fields_and_do_not_block(home):
    for back in range(1, 8):  # a week of 20 inspections a day
        submit_form(home, XISHAN, DAY - timedelta(days=back), figures(inspections=20), by=CLERK, today=TODAY)
    check = check_form(home, XISHAN, DAY, figures(inspections=4, halted=5), by=CLERK, today=TODAY)
    assert check.ok
    assert messages(check, "halted") == ["停产停业数（5）大于检查企业数（4），请核实"]
    assert messages(check, "inspections") == ["西山镇 检查企业数 4 不到本镇街前7天平均（20.0）的一半，请核实"]
    assert check.previous["inspections"] == 20 and check.stored is None


def test_a_date_in_the_future_or_before_the_campaign_is_refused(home):
    assert messages(check_form(home, XISHAN, TODAY + timedelta(days=1), GOOD, by=CLERK, today=TODAY), "date") == [
        "日期 2023-06-11 晚于今天，不能报送未来的数据"
    ]
    assert messages(check_form(home, XISHAN, date(2023, 5, 31), GOOD, by=CLERK, today=TODAY), "date") == [
        "日期 2023-05-31 早于活动开始日期 2023-06-01"
    ]


def test_a_town_account_cannot_report_for_another_town(home):
    before = stored(home)
    check = check_form(home, DONGHU, DAY, GOOD, by=CLERK, today=TODAY)
    assert messages(check, "town") == ["本账号只能报送本镇街的数据，不能报送东湖街道"]
    assert not submit_form(home, DONGHU, DAY, GOOD, by=CLERK, today=TODAY).ok
    assert stored(home) == before


def test_a_submitted_form_is_stored_kept_and_audited_like_an_upload(home):
    result = submit_form(home, XISHAN, DAY, GOOD, by=CLERK, today=TODAY)
    assert result.ok and result.submission.written == 1
    current = current_reports(home.store, towns=["A02"])
    assert current[["inspections", "major_hazards", "fines_wan"]].values.tolist() == [[12, 1, 0.5]]
    [version] = history(home.store, "A02").to_dict("records")
    assert (version["submitted_by"], version["source_name"], version["reason"]) == (
        "xishan",
        "在线填报-西山镇-2023-06-10.csv",
        "",
    )
    event = read_audit(home, action="submission").iloc[0]
    assert event["who"] == "xishan" and event["file"] == "在线填报-西山镇-2023-06-10.csv"


def test_a_second_report_of_the_day_is_a_correction_that_needs_a_reason(home):
    submit_form(home, XISHAN, DAY, GOOD, by=CLERK, today=TODAY)
    check = check_form(home, XISHAN, DAY, figures(major_hazards=2), by=CLERK, today=TODAY)
    assert check.correction and not check.unchanged and check.stored["major_hazards"] == 1
    before = stored(home)
    refused = submit_form(home, XISHAN, DAY, figures(major_hazards=2), by=CLERK, reason="  ", today=TODAY)
    assert not refused.ok
    assert [str(p) for p in refused.report.errors] == [
        "文件“更正原因”列：西山镇 2023-06-10 已经报送过，再次报送是更正：请写明更正原因"
    ]
    assert stored(home) == before

    corrected = submit_form(
        home, XISHAN, DAY, figures(major_hazards=2), by=OFFICE, reason="漏报 1 处重大隐患", today=TODAY
    )
    assert corrected.ok and corrected.submission.corrected == (("A02", DAY),)
    newest, first = history(home.store, "A02").to_dict("records")
    assert (newest["major_hazards"], newest["reason"], newest["submitted_by"]) == (2, "漏报 1 处重大隐患", "office")
    assert first["major_hazards"] == 1
    assert read_audit(home, action="correction").iloc[0]["reason"] == "漏报 1 处重大隐患"


def test_sending_the_stored_figures_again_needs_no_reason_and_changes_nothing(home):
    submit_form(home, XISHAN, DAY, figures(detentions=0, fines_wan=0.0), by=CLERK, today=TODAY)
    check = check_form(home, XISHAN, DAY, figures(detentions=None, fines_wan=None), by=CLERK, today=TODAY)
    assert check.unchanged
    again = submit_form(home, XISHAN, DAY, figures(detentions=None, fines_wan=None), by=CLERK, today=TODAY)
    assert again.ok and again.submission.written == 0
    assert len(history(home.store, "A02")) == 1
