"""What clerks and leaders see on screen, under AppTest: no English or raw values in the Chinese
UI, a funnel plot a person can read, lists that summarise, and the small frictions gone."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import plotly.io
import test_pages
from test_pages import LAST_DAY, open_page

from sanse.access import SYSTEM
from sanse.audit import read_audit
from sanse.bulletin import Draft, publish_bulletin
from sanse.demo import demo_settings
from sanse.funnel import funnel
from sanse.warehouse import Warehouse
from ui.tables import rate_column

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
