"""Helpers for the tests that run the product as it is deployed: free loopback ports, and
waiting for a server's health check."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request

START_LIMIT = 120  # seconds a server may take to answer its health check


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
