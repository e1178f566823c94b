"""The morning rush (design §10 and 13: 60 people opening the dashboard at once on a 2-core
machine). Starts the dashboard against a fresh demo city on free loopback ports — as `make run`
does (deploy/: supervisord, two server processes, HAProxy), or as one `streamlit run app.py`
process with `--single` — then opens N sessions at once over Streamlit's websocket, as browsers
do; each opens 总览 and then 每日排名 twice. Each page is timed from the request (the BackMsg
`rerun_script`) to the end of its run (the ForwardMsg `script_finished`). Not a pass/fail
test: prints the median and worst of each page for each N and the ratio to one session.

    .venv/bin/python benchmarks/load.py                    # N = 1, 30, 60 through make run's deployment
    .venv/bin/python benchmarks/load.py --single           # the same on one streamlit run app.py
    .venv/bin/python benchmarks/load.py --sessions 1,10 --home DIR --rounds 5
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:8501   # a dashboard already running

Each round is bounded in time (--limit seconds) and the servers are stopped on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

from deployment import deployment  # noqa: E402 - the test suite's runner of deploy/, found through ROOT
from visit import PageRun, visit  # noqa: E402

# What a visitor opens, in order: the url path of each page ('' is the default page, 总览).
VISIT = ("", "ranking", "ranking")
PAGE_NAMES = {"": "overview", "ranking": "ranking"}


@dataclass
class Session:
    """One simulated browser tab: the pages it opened, in VISIT order, and what went wrong."""

    runs: list[PageRun] = field(default_factory=list)
    error: str | None = None

    @property
    def times(self) -> list[float]:
        return [run.seconds for run in self.runs]

    @property
    def elements(self) -> list[set[str]]:
        return [run.elements for run in self.runs]

    @property
    def exceptions(self) -> list[str]:
        return [e for run in self.runs for e in run.exceptions]

    @property
    def finished(self) -> bool:
        return self.error is None and len(self.runs) == len(VISIT)


# ------------------------------------------------------------------ the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def python_env(**extra: str) -> dict[str, str]:
    """This checkout's code first on the path, whatever the venv has installed."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def make_demo_home(directory: Path) -> Path:
    """The demo city with its last 5 days published (readers see published days only)."""
    home = directory / "home"
    subprocess.run(
        [sys.executable, "-m", "sanse", "--home", str(home), "init", "--demo", "--publish-days", "5"],
        cwd=ROOT,
        env=python_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )
    return home


@dataclass
class Dashboard:
    url: str
    pid: int | None = None  # when this benchmark started it

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the dashboard's processes (supervisord, HAProxy and the servers; Linux)."""
        if self.pid is None:
            return None
        try:
            return sum(_cpu_seconds(pid) for pid in _process_tree(self.pid))
        except OSError:
            return None


def _process_tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid] + [p for child in children for p in _process_tree(int(child))]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


@contextmanager
def running_server(home: Path, *, single: bool = False, options: tuple[str, ...] = (), start_limit: float = 90):
    """The dashboard on loopback ports, yielded as a Dashboard: as `make run` starts it
    (supervisord, two server processes, HAProxy), or with `single` one `streamlit run app.py`."""
    if not single:
        with deployment(home, limit=start_limit) as running:
            yield Dashboard(running.url, running.process.pid)
        return
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            *options,
        ],
        cwd=ROOT,
        env=python_env(SANSE_HOME=str(home)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, start_limit)
        yield Dashboard(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until_healthy(url: str, process: subprocess.Popen | None, limit: float) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline or (process is not None and process.poll() is not None):
            raise RuntimeError(f"the dashboard at {url} did not start")
        time.sleep(0.2)


# ------------------------------------------------------------------ one browser tab


def landing_cookie(url: str) -> str | None:
    """GET / as a browser does before opening the websocket; returns the cookies it set
    (HAProxy's, which keeps the browser on one server process). Static files are left
    out: a returning visitor's browser has them cached."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", "/")
        answer = connection.getresponse()
        answer.read()
        cookies = [value.split(";", 1)[0] for key, value in answer.getheaders() if key.lower() == "set-cookie"]
    finally:
        connection.close()
    return "; ".join(cookies) or None


async def open_session(url: str, session: Session, start: asyncio.Event) -> None:
    await start.wait()
    cookie = await asyncio.to_thread(landing_cookie, url)
    await visit(url, VISIT, cookie=cookie, runs=session.runs)


async def rush(url: str, sessions: int, limit: float) -> list[Session]:
    """`sessions` tabs opened at the same moment; gives up after `limit` seconds."""
    results = [Session() for _ in range(sessions)]
    start = asyncio.Event()

    async def one(session: Session) -> None:
        try:
            await open_session(url, session, start)
        except Exception as exc:  # noqa: BLE001 - reported per session, the round goes on
            session.error = f"{type(exc).__name__}: {exc}"

    tasks = [asyncio.create_task(one(s)) for s in results]
    start.set()
    done, pending = await asyncio.wait(tasks, timeout=limit)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for session in results:
        if not session.finished and session.error is None:
            session.error = f"not finished within {limit:.0f} s"
    return results


# ------------------------------------------------------------------ the report


def page_times(results: list[Session]) -> dict[str, list[float]]:
    """Seconds per page kind, over every finished page of every session."""
    times: dict[str, list[float]] = {}
    for session in results:
        for path, seconds in zip(VISIT, session.times):
            times.setdefault(PAGE_NAMES[path], []).append(seconds)
    return times


def report(rounds: dict[int, list[Session]]) -> str:
    base = {page: statistics.median(t) for page, t in page_times(rounds[min(rounds)]).items()}
    lines = [
        f"{'sessions':>8}  {'page':<9}{'median ms':>10}{'worst ms':>10}{'× 1 median':>12}{'× 1 worst':>11}  failed"
    ]
    for n, results in rounds.items():
        failed = sum(not s.finished or bool(s.exceptions) for s in results)
        for page, times in page_times(results).items():
            median, worst = statistics.median(times), max(times)
            lines.append(
                f"{n:>8}  {page:<9}{median * 1000:>10.0f}{worst * 1000:>10.0f}"
                f"{median / base[page]:>12.1f}{worst / base[page]:>11.1f}  {failed}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,30,60", help="comma-separated numbers of simultaneous sessions")
    parser.add_argument("--home", type=Path, help="a built home; default: a fresh demo city in a temp dir")
    parser.add_argument("--url", help="measure a dashboard already running there instead of starting one")
    parser.add_argument("--limit", type=float, default=120, help="seconds a round may take at most")
    parser.add_argument("--pause", type=float, default=2, help="seconds of calm between rounds")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="no warm-up sessions from here: the first round meets just-started processes",
    )
    parser.add_argument("--single", action="store_true", help="one `streamlit run app.py` process, no balancer")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of each N; times are pooled over them")
    args, options = parser.parse_known_args()  # the rest goes to streamlit run (with --single)
    counts = [int(n) for n in args.sessions.split(",")]

    with tempfile.TemporaryDirectory() as scratch:
        home = args.home or make_demo_home(Path(scratch))
        server = running_server(home, single=args.single, options=tuple(options)) if args.url is None else None
        with server or _given(args.url) as dashboard:
            url = dashboard.url
            if not args.cold:  # warm the imports and caches of every server process (HAProxy spreads sessions)
                asyncio.run(rush(url, 2 * (os.cpu_count() or 1), args.limit))
            rounds, client_cpu, server_cpu = {}, {}, {}
            for n in counts:
                rounds[n], client_cpu[n] = [], 0.0
                for _ in range(args.rounds):
                    time.sleep(args.pause)
                    before, served = resource.getrusage(resource.RUSAGE_SELF), dashboard.cpu_seconds()
                    results = asyncio.run(rush(url, n, args.limit))
                    rounds[n] += results
                    after = resource.getrusage(resource.RUSAGE_SELF)
                    client_cpu[n] += (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / args.rounds
                    if served is not None:
                        server_cpu[n] = server_cpu.get(n, 0.0) + (dashboard.cpu_seconds() - served) / args.rounds
                    for session in results:
                        for problem in ([session.error] if session.error else []) + session.exceptions:
                            print(f"  N={n}: {problem}", file=sys.stderr)
    served_by = "one streamlit run app.py" if args.single else "make run's deployment (HAProxy, two processes)"
    print(
        f"{len(VISIT)} pages a session ({', '.join(PAGE_NAMES[p] for p in VISIT)}); {os.cpu_count()} cores; {served_by}"
    )
    print(report(rounds))
    print(
        "CPU seconds of this client (on the same cores as the server): "
        + ", ".join(f"{n} sessions {seconds:.2f}" for n, seconds in client_cpu.items())
    )
    if server_cpu:  # what the round cost the dashboard, whatever else the machine was doing
        print(
            "CPU seconds of the dashboard's processes: "
            + ", ".join(
                f"{n} sessions {seconds:.2f} ({seconds * 1000 / (n * len(VISIT)):.0f} ms a page)"
                for n, seconds in server_cpu.items()
            )
        )


@contextmanager
def _given(url: str):
    wait_until_healthy(url, None, 10)
    yield Dashboard(url.rstrip("/"))


if __name__ == "__main__":
    main()
