"""The deployment runs the sender (deploy/supervisord.conf, what `make run` starts): a
publication reaches a town's robot without anyone running `sanse notify`."""

from __future__ import annotations

import threading

import pytest
from conftest import copy_home
from deployment import deployment
from robots import Robot, start

from sanse.access.roles import SYSTEM
from sanse.publishing.publish import publish_bulletin
from sanse.ranking.warehouse import Warehouse
from sanse.sending.publication import queue_messages
from sanse.sending.queue import queue_new_items

pytestmark = pytest.mark.deploy


def test_supervisord_keeps_a_sender_that_delivers_a_publication(demo_home_readonly, tmp_path):
    robot = start(Robot("wecom"))
    home = copy_home(demo_home_readonly, tmp_path / "home")
    (home.root / "channels.toml").write_text(
        f'[[channels]]\nname = "T05安监群"\nkind = "wecom"\nurl = "{robot.url}"\ntown = "T05"\nsends = ["town"]\n',
        encoding="utf-8",
    )
    warehouse = Warehouse.open(home)
    day = warehouse.dates()[-1]
    warehouse.close()
    try:
        with deployment(home.root) as running:
            assert running.pid("sender") > 0
            publish_bulletin(home, day, by=SYSTEM, then=queue_messages, announce=queue_new_items)
            arrived = threading.Event()
            for _ in range(600):  # the sender polls the outbox every second
                if robot.received:
                    break
                arrived.wait(0.1)
            (text,) = robot.texts()
            assert text.startswith("**【本镇街】") and "第1期" in text
    finally:
        robot.server.shutdown()
