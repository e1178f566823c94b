"""The address sign-in throttling counts is the client's (design §13), against the attacks on the
hand-written front it replaces: a header forged straight at a server process, and a second
request smuggled on a connection that asked for a websocket, through HAProxy."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import copy_home
from deployment import deployment, try_signing_in, wait_until_healthy
from ports import free_port

from sanse.access.accounts import add_user
from sanse.deployment.home import Home
from sanse.store import close_all, schema

pytestmark = pytest.mark.deploy
FORGED = {"X-Forwarded-For": "6.6.6.6"}


@pytest.fixture
def home(demo_home_readonly, tmp_path) -> Home:
    home = copy_home(demo_home_readonly, tmp_path / "home")
    add_user(home, "office", role="admin", password="correct horse battery")
    close_all()
    return home


def counted_addresses(home: Home) -> set[str]:
    with home.store.reading() as conn:
        keys = conn.execute(sa.select(schema.signin_throttle.c.key)).scalars()
        return {key.split(" ", 1)[1] for key in keys if key.startswith("address ")}


def connection_from(address: str, url: str) -> socket.socket:
    """A connection to `url` from the loopback address `address` (any 127.x.y.z is this machine)."""
    host, port = url.rsplit("/", 1)[-1].split(":")
    sock = socket.socket()
    sock.bind((address, 0))
    sock.connect((host, int(port)))
    return sock


def test_a_forged_header_straight_at_a_server_process_is_not_believed(home):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SANSE_HOME", "SANSE_DATABASE_URL")}
    sanse = Path(sys.executable).parent / "sanse"
    server = subprocess.Popen(
        [str(sanse), "--home", str(home.root), "serve", "--server.port", str(port), "--server.headless", "true"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server)
        # 127.0.0.2 is this machine too, but not a trusted proxy (those are 127.0.0.1 and ::1)
        sock = connection_from("127.0.0.2", url)
        asyncio.run(try_signing_in(url, "office", "wrong", headers=FORGED, sock=sock))
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert counted_addresses(home) == {"127.0.0.2"}


def test_a_request_smuggled_after_a_websocket_request_gets_the_address_haproxy_saw(home):
    with deployment(home.root) as running:
        sock = connection_from("127.0.0.3", running.url)
        # A request naming a websocket that the server answers as plain HTTP (the front took
        # it for a websocket and relayed the rest of the connection untouched): the next
        # request on the connection is read, and its forwarded address set, like any other.
        sock.sendall(
            b"GET /_stcore/health HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n"
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
        )
        while length:
            length -= len(sock.recv(length))
        assert head.startswith(b"HTTP/1.1 200") and b"close" not in head.lower()  # the connection stays open
        asyncio.run(try_signing_in(running.url, "office", "wrong", headers=FORGED, sock=sock))
    assert counted_addresses(home) == {"127.0.0.3"}
