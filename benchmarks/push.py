"""How long a publication takes to reach every channel (design §10, 12): the office publishes a
day, and the sender delivers the bulletin to 3 office channels (a signed DingTalk robot, a WeCom
robot, a webhook) and each town's own message to its town's robot.

For 23 towns and for 1,400 towns (a province, in peer groups of about 15), with fake robots on
127.0.0.1 answering each message after 50 ms, it reports:
- the publication itself: the same day published without channels (before channels.toml is
  written) and with them (what it would take and the open items of each town worked out
  before the transaction; the messages formatted and stored in it), and the time inside the
  transaction spent queuing;
- from the publication's commit to the last delivery, with a sender of 16 channels at once
  (what `notify --watch` does the moment a publication lands);
- the share of that time spent waiting for a robot's pace (20 messages a minute per robot).

    .venv/bin/python benchmarks/push.py                 # 23 and 1,400 towns
    .venv/bin/python benchmarks/push.py --towns 23
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sanse.access.roles import User  # noqa: E402
from sanse.deployment.demo import demo_reports, demo_settings, demo_towns  # noqa: E402
from sanse.deployment.home import Home  # noqa: E402
from sanse.deployment.rules_file import write_settings  # noqa: E402
from sanse.deployment.settings import Campaign, Settings  # noqa: E402
from sanse.deployment.towns import write_towns  # noqa: E402
from sanse.facts import clock  # noqa: E402
from sanse.pipelines.build.warehouse import build  # noqa: E402
from sanse.pipelines.reports.ingest import ingest_file  # noqa: E402
from sanse.pipelines.reports.read import HEADERS  # noqa: E402
from sanse.publishing.publish import publish_bulletin  # noqa: E402
from sanse.sending import publication  # noqa: E402
from sanse.sending.queue import queue_new_items  # noqa: E402
from sanse.sending.sender import Sender, load_channels  # noqa: E402

DAYS = 8
OFFICE = User("office", "admin")


class Robots:
    """Every fake robot on one loopback server (a robot per path), answering after `delay`."""

    def __init__(self, delay: float) -> None:
        self.received = 0
        self.last = 0.0
        lock = threading.Lock()
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                with lock:
                    robots.received += 1
                    robots.last = time.monotonic()
                reply = b'{"errcode": 0, "errmsg": "ok"}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # as many connections at once as the sender opens
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


def city(root: Path, towns: int) -> tuple[Home, date]:
    home = Home(root).ensure()
    listed = demo_towns(towns)
    write_towns(listed, home.towns_csv)
    start = clock.today() - timedelta(days=DAYS + 1)
    settings = demo_settings()
    write_settings(
        Settings(Campaign(**{**settings.campaign.__dict__, "start": start}), settings.versions), home.rules_toml
    )
    reports = demo_reports(listed, days=DAYS, start=start)
    ingest_file(home, reports.rename(columns=HEADERS).to_csv(index=False).encode(), "reports.csv", by=OFFICE)
    build(home)
    return home, start + timedelta(days=DAYS - 1)


def channels_toml(towns: int, base: str) -> str:
    lines = [
        '[server]\npublic_url = "https://sanse.example.gov.cn"\n',
        f'[[channels]]\nname = "市安委办工作群"\nkind = "dingtalk"\nurl = "{base}/ding?access_token=t"\nsecret_env = "BENCH_DING_SECRET"\n',
        f'[[channels]]\nname = "专班企业微信群"\nkind = "wecom"\nurl = "{base}/wecom-office?key=k"\n',
        f'[[channels]]\nname = "OA"\nkind = "webhook"\nurl = "{base}/oa"\nsends = ["bulletin", "items"]\n',
    ]
    for town in demo_towns(towns):
        lines.append(
            f'[[channels]]\nname = "{town.name}安监群"\nkind = "wecom"\nurl = "{base}/wecom/{town.code}?key=k"\n'
            f'town = "{town.code}"\nsends = ["town"]\n'
        )
    return "\n".join(lines)


def measure(towns: int, delay: float, workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="sanse-push-") as folder:
        started = time.perf_counter()
        home, last_day = city(Path(folder) / "home", towns)
        setup = time.perf_counter() - started
        robots = Robots(delay)

        publish_bulletin(
            home, last_day - timedelta(days=2), by=OFFICE, then=publication.queue_messages, announce=queue_new_items
        )  # warm: the build's 督办 check
        started = time.perf_counter()
        publish_bulletin(
            home, last_day - timedelta(days=1), by=OFFICE, then=publication.queue_messages, announce=queue_new_items
        )  # no channels.toml yet
        bare = time.perf_counter() - started

        (home.root / "channels.toml").write_text(channels_toml(towns, robots.base), encoding="utf-8")
        Sender(home, load_channels(home), workers=workers).run_once()  # what fell due before: 逾期 notices
        spent = {}

        def timed(name, call):  # the publication's own calls, timed
            def run(*args):
                began = time.perf_counter()
                try:
                    return call(*args)
                finally:
                    spent[name] = time.perf_counter() - began

            return run

        publication.prepare_publication = timed("preparing", publication.prepare_publication)
        publication.queue_publication = timed("queuing", publication.queue_publication)
        started = time.perf_counter()
        publish_bulletin(home, last_day, by=OFFICE, then=publication.queue_messages, announce=queue_new_items)
        committed = time.monotonic()
        with_channels = time.perf_counter() - started

        received_before = robots.received
        sender = Sender(home, load_channels(home), workers=workers)
        outcome = sender.run_once()
        total = robots.last - committed
        robots.server.shutdown()
    return {
        "towns": towns,
        "setup": setup,
        "bare": bare,
        "published": with_channels,
        "preparing": spent["preparing"],
        "queuing": spent["queuing"],
        "sent": outcome.sent,
        "failed": outcome.failed,
        "received": robots.received - received_before,
        "to_last": total,
        "waited": outcome.waited,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--towns", type=int, action="append", help="23, 1400 (repeatable); default both")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds each robot takes to answer")
    parser.add_argument("--workers", type=int, default=16, help="channels the sender delivers to at once")
    args = parser.parse_args()
    os.environ.setdefault("BENCH_DING_SECRET", "SEC-benchmark")
    for towns in args.towns or (23, 1400):
        r = measure(towns, args.delay, args.workers)
        share = r["waited"] / r["to_last"] if r["to_last"] > 0 else 0.0
        print(
            f"{r['towns']} towns + 3 office channels: {r['sent']} messages sent ({r['failed']} failed, "
            f"{r['received']} received); commit → last delivery {r['to_last']:.2f} s, of it waiting on pace "
            f"{share:.0%}; publishing without channels {r['bare']:.2f} s, with them {r['published']:.2f} s: "
            f"the towns' messages worked out before the transaction {r['preparing']:.2f} s, queued inside it "
            f"{r['queuing'] * 1000:.0f} ms; setup {r['setup']:.1f} s"
        )


if __name__ == "__main__":
    main()
