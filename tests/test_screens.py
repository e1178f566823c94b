"""What clerks and leaders see on screen, under AppTest: no English or raw values in the Chinese
UI, a funnel plot a person can read, lists that summarise, and the small frictions gone."""

from __future__ import annotations

import base64
import io
import json
from datetime import date
from types import SimpleNamespace

import numpy as np
import pandas as pd
import plotly.io
import pytest
import test_pages
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest
from test_pages import LAST_DAY, LEADER, members_only, open_page, sign_in_with_the_form

from sanse.access.audit import read_audit
from sanse.access.roles import SYSTEM
from sanse.deployment.demo import demo_settings
from sanse.deployment.towns import read_towns
from sanse.facts.periods import parse_period
from sanse.pipelines.build.warehouse import build
from sanse.publishing.publish import Draft, publish_bulletin
from sanse.ranking.warehouse import Warehouse
from sanse.statistics.funnel import funnel
from sanse.supervision.ledger import list_items, overdue_at_end_of
from sanse.ui import data as ui_data
from sanse.ui.tables import rate_column

home_with_accounts, home = test_pages.home_with_accounts, test_pages.home  # the pages' demo city and accounts


def test_audit_log_names_towns_and_opens_on_the_whole_span_without_a_date_placeholder(home):
    at = open_page("audit")
    shown = at.dataframe[0].value
    created = shown[shown["操作"] == "账号变更"]["内容"].tolist()
    assert "新建账号 clerk（镇街 澄波街道）" in created  # T03, by its name
    assert not any(code in text for text in shown["内容"] for code in ("（T", " T0", " T1", " T2"))
    first, last = at.date_input(key="audit.between").value
    assert first == read_audit(home)["at"].min().date() and first <= last


def test_issue_picker_says_which_version_a_correction_is(home):
    publish_bulletin(home, LAST_DAY, by=SYSTEM)
    publish_bulletin(home, LAST_DAY, by=SYSTEM, draft=Draft(signer="王科长", correction_note="补签发人"))
    at = open_page("bulletin")
    labels = at.selectbox(key="bulletin.pick.day").options  # as shown
    assert labels[0].endswith("（第2版，更正）")
    assert not any(" v2" in label for label in labels)


def test_an_undefined_rate_says_why_instead_of_none():
    ranking = pd.DataFrame(
        {
            "major_hazard_rate": [0.05, float("nan"), float("nan"), float("nan")],
            "not_reported": [False, True, False, False],
            "no_inspections": [False, True, True, False],
        }
    )
    assert list(rate_column(ranking, "major_hazard_rate")) == ["5.00%", "未报送", "无检查", "—"]
    assert rate_column(ranking.iloc[:1], "major_hazard_rate").tolist() == [5.0]  # numbers while all are defined


def numbers(values) -> list[float]:
    """A Plotly array as sent to the browser (typed arrays travel as base64)."""
    if isinstance(values, dict):
        return list(np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]))
    return list(values)


def test_funnel_fits_its_axis_names_its_limits_and_labels_only_towns_beyond_them(home):
    at = open_page("confidence")
    figure = plotly.io.from_json(at.get("plotly_chart")[0].proto.spec)
    towns = next(trace for trace in figure.data if trace.mode == "markers+text")
    low, high = figure.layout.yaxis.range
    assert low == 0 and max(numbers(towns.y)) < high < 20  # every demo town is under 12%: not 0–100%
    legend = {trace.name for trace in figure.data if trace.showlegend is not False}
    assert {"95% 控制限", "99.8% 控制限", "镇街（颜色为等级）"} <= legend and "镇街详情" not in legend
    block = Warehouse.open(home).window_sums(LAST_DAY, "cumulative")

    plot = funnel(block, "major_hazard_rate", demo_settings().rules_on(LAST_DAY))
    beyond = set(plot.points.loc[plot.points["band"].isin(["above_998", "below_998"]), "town"])
    assert {text for text in towns.text if text} == beyond and len(beyond) < len(towns.text)
    assert all(name in " ".join(towns.hovertext) for name in plot.points["town"])  # every town on hover
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["等级"]["width"] >= 100  # "蓝（待定）" whole


def test_streamlit_words_are_replaced_in_the_chosen_language(home):
    css = " ".join(str(e.proto) for e in open_page("overview").get("html"))
    assert "选择文件" in css and "单个文件不超过 20MB" in css and "菜单" in css
    english = " ".join(str(e.proto) for e in open_page("overview", **{"sanse.lang": "en"}).get("html"))
    assert "Choose files" in english and "选择文件" not in english


def two_counties(home) -> None:
    """The demo city as two county groups: T01–T12 东县, T13–T23 西县."""
    lines = home.towns_csv.read_text(encoding="utf-8").splitlines()
    rows = [lines[0]]
    for line in lines[1:]:
        fields = line.split(",")
        fields[3] = "东县" if int(fields[0][1:]) <= 12 else "西县"
        rows.append(",".join(fields))
    home.towns_csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    build(home)


def test_group_view_ranks_the_counties_on_their_towns_summed_counts(home):
    two_counties(home)
    at = open_page("overview")
    at.switch_page("pages/read/groups.py").run()
    assert not at.exception
    shown = at.dataframe(key="groups.table").value
    ranking = Warehouse.open(home).ranking(LAST_DAY)
    east = ranking[ranking["group"] == "东县"]
    row = shown.set_index("分组").loc["东县"]
    assert row["镇街数"] == 12 and row["蓝"] + row["黄"] + row["红"] == 12
    assert row["重大隐患发现率"] == pytest.approx(100 * east["major_hazards"].sum() / east["inspections"].sum())
    assert sorted(shown["排名"]) == [1, 2] and "逾期督办事项" in shown.columns
    overdue = overdue_at_end_of(list_items(home), LAST_DAY)
    assert shown["逾期督办事项"].sum() == len(overdue)


def test_group_view_colours_the_counties_only_when_rules_toml_asks(home):
    two_counties(home)
    at = open_page("overview")
    at.switch_page("pages/read/groups.py").run()
    assert "等级" not in at.dataframe(key="groups.table").value.columns
    with home.rules_toml.open("a", encoding="utf-8") as rules:
        rules.write("\n[groups]\ntiers = true\nblue = 1\nred = 1\n")
    at = open_page("overview")
    at.switch_page("pages/read/groups.py").run()
    assert not at.exception
    shown = at.dataframe(key="groups.table").value.set_index("排名")
    assert shown.loc[1, "等级"] == "蓝" and shown.loc[2, "等级"] == "红"  # two counties: B = R = 1
    assert "#0070C0" in str(at.dataframe(key="groups.table").proto).upper()  # the tier cell's colour
    assert any("分蓝黄红" in c.value for c in at.caption)


def test_overview_of_one_county_counts_that_county_and_says_so(home):
    two_counties(home)
    at = open_page("overview", **{"sanse.group": "东县"})
    assert at.title[0].value == "总览 · 东县 · 2026年10月30日"
    for page in ("ranking", "confidence"):
        assert " · 东县 · " in open_page(page, **{"sanse.group": "东县"}).title[0].value, page
    assert any("已报送 12/12 个镇街" in c.value for c in at.caption)
    every = open_page("overview", **{"sanse.group": None})
    assert "全部分组" in every.title[0].value
    assert any("已报送 23/23 个镇街" in c.value for c in every.caption)
    alert = next(w.value for w in every.warning if "逾期未销号" in w.value)
    assert "按分组" in alert


def county_names(home, county: str) -> set[str]:
    return {town.name for town in read_towns(home.towns_csv) if town.group == county}


def status_page(group: str | None) -> AppTest:
    at = open_page("overview", **{"sanse.group": group})
    at.switch_page("pages/work/status.py").run()
    assert not at.exception
    return at


def test_reporting_status_of_one_county_counts_that_county_and_says_so(home):
    two_counties(home)
    at = status_page("东县")
    assert at.title[0].value == "报送情况 · 东县"
    assert at.metric[0].value.endswith("/12")
    assert set(at.dataframe[0].value["镇街"]) == county_names(home, "东县")
    every = status_page(None)
    assert every.title[0].value == "报送情况 · 全部分组"
    assert every.metric[0].value.endswith("/23") and len(every.dataframe[0].value) == 23


def test_period_ranking_of_one_county_ranks_that_county_and_says_so(home):
    two_counties(home)
    at = open_page("periods", **{"sanse.group": "西县"})
    assert at.title[0].value == "周期排名 · 西县"
    shown = at.dataframe[0].value
    assert set(shown["镇街"]) == county_names(home, "西县") and sorted(shown["排名"]) == list(range(1, 12))
    assert open_page("periods", **{"sanse.group": None}).title[0].value == "周期排名 · 全部分组"


def test_town_detail_compares_a_town_with_its_own_countys_median_whatever_the_sidebar_says(home):
    # its figures are the town's and its group's, not the sidebar's group: the heading names that group
    two_counties(home)
    at = open_page("town", **{"sanse.group": "西县", "town.pick": "T01"})
    assert at.title[0].value == "镇街详情"
    assert any(s.value == "三项比率与东县中位数" for s in at.subheader)
    east = Warehouse.open(home).ranking(LAST_DAY).query("group == '东县'")
    median = numbers(json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]["y"])  # 重大隐患发现率's chart
    assert median[-1] == pytest.approx(100 * east["major_hazard_rate"].median())


def test_overdue_items_are_counted_as_of_the_overviews_day_as_its_issue_counts_them(home):
    issue = publish_bulletin(home, date(2026, 10, 20), by=SYSTEM)
    at = open_page("overview", **{"sanse.date": date(2026, 10, 20)})
    alert = next(w.value for w in at.warning if "逾期未销号" in w.value)
    assert f"截至2026年10月20日，逾期未销号 {len(issue.overdue_items)} 项" in alert
    assert len(overdue_at_end_of(list_items(home), date(2026, 10, 20))) < len(
        overdue_at_end_of(list_items(home), LAST_DAY)
    )


def test_overdue_alert_names_the_worst_ten_towns_and_links_to_the_ledger(home, monkeypatch):
    towns = [town for town in read_towns(home.towns_csv)][:15]
    items = [SimpleNamespace(town_code=town.code, card=None) for i, town in enumerate(towns) for _ in range(i + 1)]
    monkeypatch.setattr("sanse.ui.data.supervision_summary", lambda day, group=None: (items, []))
    at = open_page("overview")
    alert = next(w.value for w in at.warning if "逾期未销号" in w.value)
    assert f"逾期未销号 {len(items)} 项" in alert and "等，共 15 个镇街" in alert
    assert towns[-1].name in alert and towns[4].name not in alert  # the ten with most, not the rest
    assert alert.count(" 项、") == 9


def test_a_wrong_password_keeps_the_account_name_and_says_account_not_user_name(home):
    members_only(home)
    at = open_page("overview", None)
    sign_in_with_the_form(at, "office", "not the password")
    assert any(e.value == "账号或密码错误" for e in at.error)
    assert at.text_input(key="sanse.signin.page.name").value == "office"
    assert at.text_input(key="sanse.signin.page.password").value == ""
    sign_in_with_the_form(at, "office", "office password 1")
    assert at.session_state["sanse.user"].name == "office"


def test_the_sign_in_page_names_the_page_asked_for(home):
    # (that a link to 数据报送 opens this page is checked in Chromium, test_browser.py)
    def script():
        from sanse.ui.signin import signin_page

        signin_page("数据报送")

    at = AppTest.from_function(script, default_timeout=60).run()
    assert [i.value for i in at.info] == ["请先登录后使用“数据报送”。"]


def test_the_period_ranking_downloads_as_xlsx_and_csv_in_the_bulletin_columns(home):
    at = open_page("periods")
    buttons = {b.proto.id: b for b in at.get("download_button")}
    assert len(buttons) == 2
    labels = sorted(b.proto.label for b in at.get("download_button"))
    assert labels == ["CSV", "Excel（XLSX）"]
    october = parse_period("2026-10")
    table = at.dataframe[0].value
    workbook = load_workbook(io.BytesIO(ui_data._period_download(str(home.root), october, "xlsx", None, 0)))
    rows = list(workbook["排名"].iter_rows(min_row=3, values_only=True))
    assert [row[1] for row in rows] == list(table["镇街"])  # the towns in the page's order
    text = ui_data._period_download(str(home.root), october, "csv", None, 0).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("排名,镇街,检查企业数")


def test_the_import_preview_gives_every_column_room_and_the_rules_the_window_words(home):
    at = open_page("submit")
    rows = ["日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）"]
    rows.append("2026-10-30,云岫街道,41,10,2,5,1,1,0,12.5")
    at.file_uploader(key="submit.file.0").upload("日报.csv", "\n".join(rows).encode(), "text/csv").run()
    preview = next(frame for frame in at.dataframe if "罚款金额（万元）" in frame.value.columns)
    widths = {name: column["width"] for name, column in json.loads(preview.proto.columns).items() if name != "_index"}
    assert widths["罚款金额（万元）"] >= 110 and sum(widths.values()) <= 900  # all inside the page at 1366 px
    assert preview.value["罚款金额（万元）"].iloc[0] == 12.5
    rules = open_page("rules")
    assert rules.metric[0].value == "活动开始至当日累计"
    assert rules.columns[0].proto.weight > rules.columns[1].proto.weight  # wide enough for it whole


def test_readers_see_the_group_view_of_published_days_only(home):
    two_counties(home)
    issue = publish_bulletin(home, date(2026, 10, 29), by=SYSTEM)
    at = open_page("overview", LEADER)
    at.switch_page("pages/read/groups.py").run()
    assert not at.exception
    assert "2026年10月29日" in at.title[0].value  # the one published day, not the latest data
    shown = at.dataframe[0].value.set_index("分组")
    frozen = pd.DataFrame(issue.ranking)
    east = frozen[frozen["group"] == "东县"]
    assert shown.at["东县", "检查企业数"] == east["inspections"].sum()
    anonymous = open_page("overview", None)
    anonymous.switch_page("pages/read/groups.py").run()
    assert "逾期督办事项" not in anonymous.dataframe[0].value.columns  # the ledger is for signed-in users
