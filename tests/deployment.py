"""Helpers for the tests that run the product as it is deployed: free loopback ports, waiting
for a server's health check, and the whole product under supervisord and HAProxy (deploy/)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from ports import free_port

START_LIMIT = 120  # seconds a server may take to answer its health check


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def wait_until_healthy(url: str, process: subprocess.Popen | None = None, limit: float = START_LIMIT) -> None:
    """Until `url` answers its health check; an error if `process` ends or the limit passes."""
    deadline = time.monotonic() + limit
    while not healthy(url):
        if time.monotonic() > deadline or (process is not None and process.poll() is not None):
            raise RuntimeError(f"{url} did not answer its health check")
        time.sleep(0.2)


ROOT = Path(__file__).resolve().parents[1]
SUPERVISORD_CONF = ROOT / "deploy" / "supervisord.conf"
HAPROXY = Path("/usr/sbin/haproxy")  # Debian's package
PROGRAMS = ("app1", "app2")  # the server processes of deploy/supervisord.conf


@dataclass
class Deployment:
    """The product as deploy/supervisord.conf runs it: HAProxy at `url`, the server processes
    behind it at `servers` (program name -> url)."""

    url: str
    servers: dict[str, str]
    env: dict[str, str]
    process: subprocess.Popen

    def ctl(self, *args: str) -> str:
        """supervisorctl's answer (it exits non-zero for a stopped program, so no check here)."""
        done = subprocess.run(
            [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(SUPERVISORD_CONF), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout.strip()

    def pid(self, program: str) -> int:
        answer = self.ctl("pid", program)
        return int(answer) if answer.isdigit() else 0


@contextmanager
def deployment(home: Path, *, database_url: str | None = None, limit: float = START_LIMIT) -> Iterator[Deployment]:
    """supervisord in the foreground with deploy/'s configuration on free loopback ports, as
    `make run` starts it; everything stopped on the way out."""
    if not HAPROXY.exists():
        pytest.skip("haproxy is not installed: `make test` installs Debian's package")
    ports = {"SANSE_PORT": free_port(), "SANSE_APP_PORT_1": free_port(), "SANSE_APP_PORT_2": free_port()}
    (home / "logs").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("SANSE_HOME", "SANSE_DATABASE_URL")}
    env.update(
        SANSE_HOME=str(home),
        SANSE_BIN=str(Path(sys.executable).parent),
        SANSE_ADDRESS="127.0.0.1",
        **{k: str(v) for k, v in ports.items()},
    )
    if database_url:
        env["SANSE_DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "supervisord"), "-c", str(SUPERVISORD_CONF)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    running = Deployment(
        f"http://127.0.0.1:{ports['SANSE_PORT']}",
        {name: f"http://127.0.0.1:{ports[f'SANSE_APP_PORT_{n}']}" for n, name in enumerate(PROGRAMS, 1)},
        env,
        process,
    )
    try:
        for url in running.servers.values():
            wait_until_healthy(url, process, limit)
        wait_until(lambda: set(served_by(running.url, times=6)) == set(PROGRAMS), limit)
        yield running
    finally:
        process.terminate()  # supervisord stops its programs, then itself
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def served_by(url: str, *, cookie: str | None = None, times: int = 1) -> list[str]:
    """Which server process HAProxy sent each of `times` fresh requests for the page to: the
    process its cookie names (the cookie sent back, if the browser's was kept)."""
    names = []
    for _ in range(times):
        request = urllib.request.Request(f"{url}/", headers={"Cookie": cookie} if cookie else {})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                answer.read()
                names.append(_cookie_value(answer.headers.get_all("Set-Cookie") or []) or "kept")
        except OSError:
            names.append("failed")
    return names


def _cookie_value(headers: list[str]) -> str | None:
    for header in headers:
        name, _, rest = header.partition("=")
        if name.strip() == COOKIE:
            return rest.split(";", 1)[0]
    return None


COOKIE = "sanse_server"  # deploy/haproxy.cfg's affinity cookie


def wait_until(condition, limit: float = START_LIMIT) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not so within {limit:.0f} s")
        time.sleep(0.2)


async def try_signing_in(url: str, name: str, password: str, *, headers: dict | None = None, sock=None) -> None:
    """One sign-in attempt through the sidebar's form, over Streamlit's websocket as a browser
    sends it (no browser: a client is free to write any header). `sock`: a connection already
    open to `url`, on which the websocket's request is then the next one."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    stream = url.replace("http://", "ws://", 1) + "/_stcore/stream"
    async with connect(
        stream,
        sock=sock,
        subprotocols=["streamlit"],
        additional_headers=headers or {},
        origin=url,
        max_size=None,
        compression=None,
        ping_interval=None,
        proxy=None,
    ) as ws:

        async def run(request: BackMsg) -> dict[str, str]:
            """Send a page run; the ids of the widgets it drew by their keys, and the page hashes."""
            await ws.send(request.SerializeToString())
            widgets = {}
            while True:
                message = ForwardMsg()
                message.ParseFromString(await ws.recv())
                kind = message.WhichOneof("type")
                if kind == "navigation":
                    widgets.update({p.url_pathname: p.page_script_hash for p in message.navigation.app_pages})
                elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                    element = message.delta.new_element
                    widget = getattr(element, element.WhichOneof("type"))
                    if getattr(widget, "id", ""):
                        widgets[widget.id.rsplit("-", 1)[-1]] = widget.id
                elif kind == "script_finished" and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    return widgets

        first = BackMsg()
        first.rerun_script.page_name = ""
        page = (await run(first))[""]  # the default page's hash, from the navigation
        again = BackMsg()  # a widget's id depends on the page that drew it: ask for it by hash
        again.rerun_script.page_script_hash = page
        ids = await run(again)
        submit = BackMsg()
        submit.rerun_script.page_script_hash = page
        for key, value in (("sanse.signin.name", name), ("sanse.signin.password", password)):
            state = submit.rerun_script.widget_states.widgets.add()
            state.id, state.string_value = ids[key], value
        state = submit.rerun_script.widget_states.widgets.add()
        state.id, state.trigger_value = ids["sanse.signin.submit"], True
        await run(submit)
