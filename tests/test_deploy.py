"""The product as deploy/ runs it (what `make run` starts): supervisord keeping two server
processes and HAProxy up, HAProxy keeping each browser on one process, answering its health
check, and taking a process that dies or hangs out of rotation."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_home
from deployment import COOKIE, ROOT, deployment, healthy, served_by, wait_until

pytestmark = pytest.mark.deploy


@pytest.fixture(scope="module")
def running(demo_home_readonly, tmp_path_factory):
    home = copy_home(demo_home_readonly, tmp_path_factory.mktemp("deploy") / "home")
    with deployment(home.root) as running:
        yield running


def haproxy_log(home: Path) -> str:
    return (home / "logs" / "haproxy.log").read_text()


def test_the_balancer_answers_the_health_check_and_spreads_new_browsers(running):
    assert healthy(running.url)
    assert set(served_by(running.url, times=6)) == {"app1", "app2"}


def test_a_browser_stays_on_the_process_its_cookie_names(running):
    for program in ("app1", "app2"):
        assert served_by(running.url, cookie=f"{COOKIE}={program}", times=5) == ["kept"] * 5


def test_a_killed_process_is_taken_out_of_rotation_and_started_again(running):
    home = Path(running.env["SANSE_HOME"])
    before = running.pid("app1")
    os.kill(before, signal.SIGKILL)

    # its browsers go to the other process (and are told so by a new cookie) ...
    assert served_by(running.url, cookie=f"{COOKIE}=app1") == ["app2"]
    # ... while supervisord starts it again and HAProxy puts it back once it is healthy
    wait_until(lambda: running.pid("app1") not in (0, before))
    wait_until(lambda: healthy(running.servers["app1"]))
    wait_until(lambda: served_by(running.url, cookie=f"{COOKIE}=app1") == ["kept"])
    assert "Server servers/app1 is DOWN" in haproxy_log(home)


def test_a_hung_process_is_taken_out_of_rotation_until_it_answers_again(running):
    pid = running.pid("app2")
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_until(lambda: served_by(running.url, cookie=f"{COOKIE}=app2") == ["app1"], 60)
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_until(lambda: served_by(running.url, cookie=f"{COOKIE}=app2") == ["kept"], 60)
    assert running.pid("app2") == pid  # not restarted: it answered again


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="no systemd-analyze on this machine")
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    """The units as shipped, with the package's command where this environment has it."""
    for unit in (ROOT / "deploy" / "systemd").iterdir():
        text = unit.read_text().replace("/opt/sanse/bin", str(Path(sys.executable).parent))
        (tmp_path / unit.name).write_text(text)
    done = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "./sanse@8601.service", "./sanse.target"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
