"""The 数据报送 page under AppTest: a rejected upload lists its errors and offers the clerk's own
file back with the errors marked; a file that is no spreadsheet gets the list only."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.reports import HEADERS
from sanse.access import User
from sanse.accounts import add_user
from sanse.home import Home
from sanse.sessions import start_session

APP = str(Path(__file__).parents[1] / "app.py")
ADMIN = User("office", "admin")


@pytest.fixture
def home(demo_home: Home, monkeypatch) -> Home:
    add_user(demo_home, ADMIN.name, role="admin", password="office password 1")
    monkeypatch.setenv("SANSE_HOME", str(demo_home.root))
    return demo_home


def upload(name: str, content: bytes, mime: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["sanse.session"] = start_session(Home.resolve(), ADMIN).token  # signed in as a browser is
    at.run()
    at.switch_page("pages/work/submit.py").run()
    at.file_uploader(key="submit.file").upload(name, content, mime).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def error_file_buttons(at: AppTest) -> list:
    return [b for b in at.get("download_button") if b.proto.id.endswith("submit.error_file")]


def test_rejected_file_offers_the_file_back_with_its_errors_marked(home):
    rows = [",".join(HEADERS.values()), "2026-10-30,无名镇,5,1,0,1,0,0,0,0"]
    at = upload("日报.csv", "\n".join(rows).encode(), "text/csv")
    assert at.error and "未导入任何数据" in at.error[0].value
    assert "未知镇街“无名镇”" in at.dataframe[0].value.iloc[0, 2]
    [button] = error_file_buttons(at)
    assert button.label == "下载标注了错误的原文件（XLSX）"


def test_a_pdf_gets_the_error_list_but_no_marked_file(home):
    at = upload("日报.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "text/csv")
    assert "PDF" in at.dataframe[0].value.iloc[0, 2]
    assert error_file_buttons(at) == []
