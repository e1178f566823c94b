"""Start the dashboard: `python -m ui.serve [--processes N] [streamlit options]` (what `make run`
starts). It takes the options of `streamlit run` (`--server.port 8501`, `--server.address ...`).

One process per core. A Streamlit server runs the pages of all its sessions in one Python
process, which computes on one core at a time, so when many people open the dashboard at once
they queue for that core. With N > 1 processes (default: one per core, at most 8), this starts
N Streamlit servers on free loopback ports, opens the first pages on each once (ui.visit), and
then answers on the address and port asked for through ui.front, which keeps each browser on
one of them. `--processes 1` runs a single server on that address.

Each server is `streamlit run app.py`, with the modules the pages need imported before it
answers and Streamlit's theme options kept between config parses (keep_theme_options).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"
START_LIMIT = 120  # seconds a server process may take to answer its health check
WARM_PAGES = ("", "ranking")  # url paths opened once on each new process: 总览 and 每日排名
WARM_LIMIT = 60  # seconds the warm-up of a process may take
RESTART_PAUSE = 5  # seconds between restarts of a server process that died
DEFAULT_MAX_PROCESSES = 8  # one per core up to this many, unless --processes says otherwise


def main() -> None:
    processes, options = _processes(sys.argv[1:])
    if processes == 1:
        run_streamlit(options)
    else:
        host, port, base = _listen_address(options)
        asyncio.run(serve_processes(processes, host, port, base, _without(options, "server.port", "server.address")))


# What the pages import, imported before the server answers: otherwise the first visitor after
# a start waits a second or more for them, and every visitor behind that one waits too. (Not
# ui.*: their caches are made as the server runs. streamlit.emojis compiles the pattern that
# st.set_page_config checks the page icon with, 0.1 s.)
PRELOAD = (
    "pandas",
    "duckdb",
    "plotly.express",
    "sanse.ranking",
    "sanse.warehouse",
    "sanse.accounts",
    "sanse.i18n",
    "streamlit.emojis",
)


def run_streamlit(options: list[str]) -> None:
    from streamlit.web import cli

    keep_theme_options()
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            if not name.startswith("streamlit."):  # a Streamlit release may move its own modules
                raise
    sys.argv = ["streamlit", "run", str(APP), *options]
    cli.main()


def keep_theme_options() -> None:
    """Streamlit sends the theme with every page run, gathering it each time by scanning all of
    its config options once for each of six theme sections: a fifth of the work of a page run
    once the pages themselves are cached. The options change only when the config is parsed
    again (at start, or when config.toml changes), so each section's answer is kept until then.
    Without the function this relies on (another Streamlit release), nothing changes."""
    from streamlit import config

    scan = getattr(config, "get_options_for_section", None)
    if scan is None or not hasattr(config, "on_config_parsed"):
        return
    kept: dict[str, dict] = {}

    def options_for_section(section: str) -> dict:
        if not section.startswith("theme"):
            return scan(section)
        if section not in kept:
            kept[section] = scan(section)
        return dict(kept[section])

    config.on_config_parsed(kept.clear, force_connect=True)
    config.get_options_for_section = options_for_section


async def serve_processes(count: int, host: str | None, port: int, base: str, options: list[str]) -> None:
    """Start `count` servers on loopback ports and the front on host:port; stop all of them on
    SIGTERM or Ctrl-C. A server process that dies is started again on its port."""
    from ui.front import start

    ports = [_free_port() for _ in range(count)]
    servers = [_start(p, options) for p in ports]
    stop = asyncio.Event()
    restarts: set[asyncio.Task] = set()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.gather(*(_ready(server, f"http://127.0.0.1:{p}{base}") for server, p in zip(servers, ports)))
        front = await start(host, port, [("127.0.0.1", p) for p in ports])
        shown = host if host not in (None, "", "0.0.0.0", "::") else "localhost"
        print(f"三色晾晒 dashboard: http://{shown}:{port}{base} ({count} server processes)", flush=True)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), RESTART_PAUSE)
            except TimeoutError:
                pass
            for i, server in enumerate(servers):
                if server.poll() is not None and not stop.is_set():
                    print(
                        f"server process on port {ports[i]} ended ({server.returncode}); starting it again",
                        file=sys.stderr,
                        flush=True,
                    )
                    servers[i] = _start(ports[i], options)
                    restart = asyncio.create_task(
                        _ready(servers[i], f"http://127.0.0.1:{ports[i]}{base}", required=False)
                    )
                    restarts.add(restart)  # held until done: the loop keeps only weak references
                    restart.add_done_callback(restarts.discard)
        front.close()  # open websockets end with the processes behind them
    finally:
        for server in servers:
            server.terminate()
        deadline = time.monotonic() + 20
        for server in servers:
            try:
                server.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                server.kill()


def _start(port: int, options: list[str]) -> subprocess.Popen:
    # The banner with a URL is Streamlit's own and names the loopback port: the front prints
    # the address to use. Logs (stderr) go where the front's go.
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ui.serve",
            "--processes",
            "1",
            *options,
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        preexec_fn=_end_with_parent,
    )


def _end_with_parent() -> None:
    """In the child, before it starts: be sent SIGTERM when the front ends, however it ends."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _prctl():
    try:  # looked up in the parent: a child between fork and exec must not import anything
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return None


_PRCTL = _prctl()


async def _ready(server: subprocess.Popen, url: str, *, required: bool = True) -> None:
    """Wait until the process answers, then open the pages the morning rush opens once, as a
    browser would: its page scripts compiled, its warehouse open and the day's pages drawn
    before the first visitor. A failed warm-up is reported, not fatal; a process that does not
    start is fatal when `required`."""
    from ui.visit import visit

    try:
        await asyncio.to_thread(_wait_until_healthy, server, url)
    except RuntimeError as exc:
        if required:
            raise
        print(exc, file=sys.stderr, flush=True)
        return
    try:
        runs = await asyncio.wait_for(visit(url, WARM_PAGES), WARM_LIMIT)
        problems = [e for run in runs for e in run.exceptions]
    except Exception as exc:  # noqa: BLE001 - the server still serves; say why it is cold
        problems = [f"{type(exc).__name__}: {exc}"]
    for problem in problems:
        print(f"warming the server process at {url}: {problem}", file=sys.stderr, flush=True)


def _wait_until_healthy(server: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server process at {url} did not start")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes(args: list[str]) -> tuple[int, list[str]]:
    """`--processes N` (or `=N`) taken out of the arguments; default one per core."""
    rest, count = [], None
    it = iter(args)
    for arg in it:
        if arg == "--processes":
            count = next(it, None)
        elif arg.startswith("--processes="):
            count = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    if count is None:  # each process holds its own caches (about 250 MB on the demo city)
        return max(1, min(DEFAULT_MAX_PROCESSES, len(os.sched_getaffinity(0)))), rest
    if not count.isdigit() or int(count) < 1:
        sys.exit(f"--processes wants a whole number of at least 1, not {count!r}")
    return int(count), rest


def _option(options: list[str], name: str) -> str | None:
    value = None
    for i, arg in enumerate(options):
        if arg == f"--{name}" and i + 1 < len(options):
            value = options[i + 1]
        elif arg.startswith(f"--{name}="):
            value = arg.split("=", 1)[1]
    return value


def _without(options: list[str], *names: str) -> list[str]:
    rest, skip = [], False
    for arg in options:
        if skip:
            skip = False
        elif arg in {f"--{n}" for n in names}:
            skip = True
        elif not any(arg.startswith(f"--{n}=") for n in names):
            rest.append(arg)
    return rest


def _listen_address(options: list[str]) -> tuple[str | None, int, str]:
    """The address, port and base path asked for, where `streamlit run` looks for them: the
    options, else STREAMLIT_SERVER_* variables, else the config (config.toml), else every
    interface on port 8501 at /."""
    from streamlit import config

    known = config.get_config_options()

    def asked(name: str):
        return _option(options, name) or os.environ.get(known[name].env_var) or config.get_option(name)

    host = asked("server.address") or None
    port = asked("server.port") or 8501
    base = (asked("server.baseUrlPath") or "").strip("/")
    return host, int(port), f"/{base}" if base else ""


if __name__ == "__main__":
    main()
