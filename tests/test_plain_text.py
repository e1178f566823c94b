"""No text a user or the configuration wrote is rendered as Markdown or HTML (design §8): every
page is walked under AppTest with a town (towns.csv), an account, a 督办事由, a 整改报告 and an
attachment whose names are Markdown images, links and tags. Where the page draws Markdown (a
label, a caption, a heading, a message), the text is there escaped; nowhere is an image
drawn, a link made, or a tag let through."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from sanse.access import accounts
from sanse.access.accounts import add_user
from sanse.access.roles import SYSTEM, User
from sanse.access.sessions import start_session
from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns, write_towns
from sanse.facts import clock
from sanse.pipelines.build.warehouse import build
from sanse.publishing.publish import publish_bulletin
from sanse.ranking.warehouse import Warehouse
from sanse.sending.queue import queue_new_items
from sanse.supervision.lifecycle import add_item, answer
from sanse.ui.navigation import PAGES
from sanse.ui.session import plain

APP = str(Path(__file__).parents[1] / "app.py")
HOST = "https:127.0.0.1:9"  # never fetched: nothing on the page may point there
TOWN = f"![t]({HOST}?t)<b>粗</b>镇"
ACCOUNT = f"![n]({HOST}?n)"
PUBLISHER = f"![o]({HOST}?o)"
REASON = f"**急** [点此]({HOST}?r) ![r]({HOST}?r) <img src=x onerror=alert(1)> :red[红] $x$"
REPORT = f"![a]({HOST}?a) <script>alert(1)</script> 已整改"
FILE = f"![p]({HOST}?x)整改照片.png"
MARKDOWN_KINDS = ("markdown", "caption", "title", "header", "subheader", "warning", "error", "info", "success")


@pytest.fixture
def home(demo_home: Home, monkeypatch) -> Home:
    """The demo city with its T03 renamed, its clerk and an admin named like images, the
    admin's issue of the last day published."""
    monkeypatch.setenv("SANSE_HOME", str(demo_home.root))
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    towns = read_towns(demo_home.towns_csv)
    write_towns([replace(t, name=TOWN) if t.code == "T03" else t for t in towns], demo_home.towns_csv)
    add_user(demo_home, "office", role="admin", password="office password 1")
    add_user(demo_home, ACCOUNT, role="town", town="T03", password="clerk password 1")
    add_user(demo_home, PUBLISHER, role="admin", password="office password 2")
    build(demo_home)  # the new name in the ranking
    publish_bulletin(demo_home, Warehouse.open(demo_home).dates()[-1], by=User(PUBLISHER, "admin"))
    return demo_home


def answered_item(home: Home) -> int:
    item = add_item(
        home,
        "T03",
        measure="通报批评",
        reason=REASON,
        deadline=clock.today() + timedelta(days=7),
        by=SYSTEM,
        announce=queue_new_items,
    )
    answer(home, item.id, REPORT, by=User(ACCOUNT, "town", "T03"), files=[(FILE, b"\x89PNG")])
    return item.id


def walk(home: Home, name: str, item: int, pages) -> list[AppTest]:
    runs = []
    for entry in pages:
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["sanse.session"] = start_session(home, accounts.get_user(home, name)).token
        at.session_state["town.pick"] = "T03"
        at.session_state["supervision.pick"] = item
        at.run()
        at.switch_page(f"pages/{entry.path}").run()
        assert not at.exception, (entry.key, [e.value for e in at.exception])
        runs.append(at)
    return runs


def markdown_bodies(at: AppTest) -> list[str]:
    bodies = [str(e.value) for kind in MARKDOWN_KINDS for e in at.get(kind)]
    bodies += [b.label for b in at.button]
    bodies += [b.proto.label for b in at.get("download_button")]
    return bodies


def assert_shown_as_written(at: AppTest) -> None:
    assert not at.get("imgs"), "no image on any page"
    for body in markdown_bodies(at):
        assert "![" not in body and f"]({HOST}" not in body, body  # no image or link made of it
        assert not re.search(r"(?<!\\)<(b>|img|script)", body), body  # no tag (an escaped \< shows a plain <)
        assert ":red[" not in body and "$x$" not in body, body  # no Streamlit colour, no formula
    for html in at.get("html"):
        body = str(html.proto)
        assert "<b>粗" not in body and "<img src=x" not in body and "<script>alert" not in body, body


def test_every_page_shows_user_text_as_written(home):
    item = answered_item(home)
    runs = walk(home, "office", item, [e for e in PAGES if not e.needs_groups])  # a city of one group
    runs += walk(home, ACCOUNT, item, [e for e in PAGES if e.key in ("town", "supervision", "submit")])
    for at in runs:
        assert_shown_as_written(at)
    bodies = "\n".join(body for at in runs for body in markdown_bodies(at))
    texts = "\n".join(str(e.value) for at in runs for e in at.text)
    assert plain(FILE) in bodies, "the attachment's button names it, escaped"
    assert plain(PUBLISHER) in bodies, "the issue names who published it, escaped"
    assert plain(TOWN) in bodies and plain(REASON) in bodies  # the town page's list, the ledger's heading
    assert REASON in texts and REPORT in texts and ACCOUNT in texts  # as plain text, exactly as written


def test_the_offices_attachment_button_names_the_file_as_written(home):
    item = answered_item(home)
    (at,) = walk(home, "office", item, [e for e in PAGES if e.key == "supervision"])
    labels = [b.proto.label for b in at.get("download_button") if ".file." in b.proto.id]
    assert labels == [f"附件：{plain(FILE)}"]
    assert [e.value for e in at.text if e.value == REASON], "督办事由 as plain text"
    assert not [m for m in at.markdown if "![" in m.value]


def test_plain_leaves_nothing_markdown_would_turn_into_a_link_an_entity_or_a_heading():
    assert plain("li@yunxiu.example.cn") == r"li\@yunxiu\.example\.cn"  # no mailto: link
    assert plain("www.example.cn") == r"www\.example\.cn"
    assert plain("&lt;b&gt;") == r"\&lt;b\&gt;"  # shown as typed, not as <b>
    assert plain("甲镇\n===") == "甲镇\n\\=\\=\\="  # not a heading
