"""design §9 with real processes: parallel imports both land, a killed import or build leaves the
last good state, and the ranking is answered while an import and a build run."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from sanse.access import audit
from sanse.access.roles import SYSTEM
from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns
from sanse.pipelines.build.warehouse import build
from sanse.pipelines.reports.ingest import ingest_file
from sanse.publishing.issue import list_issues
from sanse.publishing.publish import publish_bulletin
from sanse.ranking.warehouse import Manifest, Warehouse
from sanse.store.reports import current_reports, history

SANSE = Path(sys.executable).with_name("sanse")
HEADER = "日期,镇街,检查企业数,发现隐患数,重大隐患数,整改隐患数,停产停业数,立案数,行政拘留人数,罚款金额（万元）\n"
DAY = date(2026, 10, 30)
TIMEOUT = 90  # seconds: only reached when something hangs

# A child process that imports and/or builds, stopping at one chosen moment: it either dies
# there (SIGKILL, as a crash would) or prints the moment's name and waits for a line on stdin.
CHILD = r"""
import os, signal, sys
from pathlib import Path

root, action, hook, *files = sys.argv[1:]
home_root = Path(root)

def stop(moment):
    if hook == "die-" + moment:
        os.kill(os.getpid(), signal.SIGKILL)
    if hook == "pause-" + moment or hook == "pause-all":
        print(moment, flush=True)
        sys.stdin.readline()

import sanse.pipelines.build.warehouse
import sanse.pipelines.reports.ingest
import sanse.store.reports

real_write_versions = sanse.store.reports.write_versions
def write_versions(*args, **kwargs):
    real_write_versions(*args, **kwargs)
    stop("store-write")  # every row written, the transaction not yet committed
sanse.store.reports.write_versions = write_versions

real_ingest_file = sanse.pipelines.reports.ingest.ingest_file
def ingest_file(*args, **kwargs):
    ingested = real_ingest_file(*args, **kwargs)  # returns right after its transaction commits
    stop("committed")
    return ingested
sanse.pipelines.reports.ingest.ingest_file = ingest_file

import sanse.access.audit
real_record_in = sanse.access.audit.record_in
def record_in(conn, who, action, **detail):
    real_record_in(conn, who, action, **detail)
    if action == "publication":
        stop("publish-write")  # the issue and its event written, the transaction not yet committed
sanse.access.audit.record_in = record_in

real_install = sanse.pipelines.build.warehouse.write_text_atomically
def install(*args, **kwargs):
    stop("build-install")  # every segment written, the manifest not yet replaced
    return real_install(*args, **kwargs)
sanse.pipelines.build.warehouse.write_text_atomically = install

from datetime import date

from sanse.pipelines.build.warehouse import build
from sanse.pipelines.reports.ingest import ingest_file
from sanse.access.roles import SYSTEM
from sanse.publishing.publish import publish_bulletin
from sanse.deployment.home import Home

home = Home(home_root)
if "ingest" in action:
    for name in files:
        path = Path(name)
        result = ingest_file(home, path.read_bytes(), path.name, by=SYSTEM)
        assert result.ok, [str(p) for p in result.report.errors]
if "build" in action:
    build(home)
if "publish" in action:
    publish_bulletin(home, date.fromisoformat(files[0]), by=SYSTEM)
print("done", flush=True)
"""


class Child:
    """A child process driven through its stdin/stdout, with a deadline on every wait."""

    def __init__(self, home: Home, action: str, hook: str = "none", *files: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(home.root), action, hook, *map(str, files)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )
        self.buffer = b""

    def expect(self, moment: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no “{moment}” from the child in time"
            ready, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                assert chunk, f"child ended before “{moment}”: {self.proc.stderr.read().decode()}"
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        assert line.decode() == moment

    def go_on(self) -> None:
        self.proc.stdin.write(b"\n")

    def finish(self) -> int:
        try:
            self.proc.wait(TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.stderr = self.proc.stderr.read().decode()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()
        return self.proc.returncode


def corrections(tmp_path: Path, name: str, inspections: dict[str, int], day: date = DAY) -> Path:
    """A daily report correcting the given towns' inspections on `day`."""
    rows = [f"{day},{town},{count},20,2,10,1,1,0,0\n" for town, count in inspections.items()]
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def inspections_in_warehouse(home: Home, town_code: str, day: date = DAY) -> int:
    warehouse = Warehouse.open(home)
    try:
        counts = warehouse.daily_counts(day, day)
    finally:
        warehouse.con.close()
    return int(counts.loc[counts["town_code"] == town_code, "inspections"].iloc[0])


def inspections_in_log(home: Home, town_code: str, day: date = DAY) -> int:
    current = current_reports(home.store)
    return int(current.loc[(current["town_code"] == town_code) & (current["date"] == day), "inspections"].iloc[0])


def unused_segments(home: Home) -> set[str]:
    """Segment files the current manifest does not name."""
    folder = home.warehouse.parent
    on_disk = {f"segments/{p.name}" for p in (folder / "segments").iterdir() if p.suffix == ".parquet"}
    return on_disk - Manifest.read(home.warehouse).files()


def run_sanse(home: Home, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(SANSE), "--home", str(home.root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)  # polling interval, not a synchronisation delay


# ---------------------------------------------------------------- two writers at once


def test_two_imports_at_once_both_land_and_the_build_after_shows_both(demo_home, tmp_path):
    first = corrections(tmp_path, "yunxiu.csv", {"云岫": 501})
    second = corrections(tmp_path, "qinghe.csv", {"青禾": 502})
    runs = [run_sanse(demo_home, "ingest", str(first)), run_sanse(demo_home, "ingest", str(second))]
    for run in runs:
        _, err = run.communicate(timeout=TIMEOUT)
        assert run.returncode == 0, err.decode()
    assert {"yunxiu.csv", "qinghe.csv"} <= set(history(demo_home.store)["source_name"])
    assert (inspections_in_warehouse(demo_home, "T01"), inspections_in_warehouse(demo_home, "T02")) == (501, 502)


def test_a_build_that_read_the_log_earlier_never_replaces_a_newer_one(demo_home, tmp_path):
    early = corrections(tmp_path, "early.csv", {"云岫": 510})
    assert ingest_file(demo_home, early.read_bytes(), early.name, by=SYSTEM).ok
    slow = Child(demo_home, "build", "pause-build-install")
    slow.expect("build-install")  # its file is built from the log as it was, not yet installed
    newer = run_sanse(demo_home, "ingest", str(corrections(tmp_path, "late.csv", {"云岫": 503})))
    lock = os.stat(demo_home.warehouse.parent / ".build.lock").st_ino

    def waits_for_the_build_lock() -> bool:
        text = Path("/proc/locks").read_text()
        return any("->" in line and f" {newer.pid} " in line and f":{lock} " in line for line in text.splitlines())

    wait_until(lambda: newer.poll() is not None or waits_for_the_build_lock(), "the second import to build")
    slow.go_on()
    assert slow.finish() == 0, slow.stderr
    _, err = newer.communicate(timeout=TIMEOUT)
    assert newer.returncode == 0, err.decode()
    assert inspections_in_warehouse(demo_home, "T01") == 503


# ---------------------------------------------------------------- a killed import


@pytest.mark.parametrize(
    ("hook", "lands"),
    [
        ("die-store-write", False),  # killed with every row written, before the commit
        ("die-committed", True),  # killed right after the commit
    ],
)
def test_killed_import_leaves_the_whole_submission_or_none(demo_home, tmp_path, hook, lands):
    before = inspections_in_log(demo_home, "T01")
    events = len(audit.read_audit(demo_home))
    upload = corrections(tmp_path, "killed.csv", {"云岫": 504, "青禾": 505})
    child = Child(demo_home, "ingest", hook, upload)
    assert child.finish() == -signal.SIGKILL, child.stderr

    logged = history(demo_home.store)
    assert (logged["source_name"] == "killed.csv").sum() == (2 if lands else 0)
    assert inspections_in_log(demo_home, "T01") == (504 if lands else before)
    assert len(audit.read_audit(demo_home)) == events + (1 if lands else 0)  # the event commits with its rows
    build(demo_home)
    assert inspections_in_warehouse(demo_home, "T02") == (505 if lands else inspections_in_log(demo_home, "T02"))
    again = ingest_file(demo_home, upload.read_bytes(), upload.name, by=SYSTEM)
    assert again.ok and again.submission.written == (0 if lands else 2)


def test_import_killed_at_random_moments_leaves_all_or_nothing(demo_home, tmp_path):
    towns = [t.name for t in read_towns(demo_home.towns_csv)]
    cells = [(date(2026, 9, 1 + d), town) for d in range(30) for town in towns]
    chance = random.Random(20260901)
    for trial in range(4):
        big = tmp_path / f"big{trial}.csv"
        big.write_text(
            HEADER
            + "".join(f"{day},{town},{1000 * trial + i},20,2,10,1,1,0,0\n" for i, (day, town) in enumerate(cells)),
            encoding="utf-8",
        )
        run = run_sanse(demo_home, "ingest", str(big), "--no-build")
        time.sleep(chance.uniform(0.2, 1.5))  # a random kill point, not a synchronisation
        run.kill()
        run.communicate(timeout=TIMEOUT)
        landed = (history(demo_home.store)["source_name"] == big.name).sum()
        assert landed in (0, len(cells))
    build(demo_home)
    final = corrections(tmp_path, "final.csv", {"云岫": 509}, date(2026, 9, 1))
    assert ingest_file(demo_home, final.read_bytes(), final.name, by=SYSTEM).ok
    build(demo_home)
    assert inspections_in_warehouse(demo_home, "T01", date(2026, 9, 1)) == 509


# ---------------------------------------------------------------- a killed build


def test_build_killed_before_install_leaves_the_last_good_warehouse_and_the_next_build_repairs(demo_home, tmp_path):
    before = inspections_in_warehouse(demo_home, "T01")
    upload = corrections(tmp_path, "fix.csv", {"云岫": 506})
    assert ingest_file(demo_home, upload.read_bytes(), upload.name, by=SYSTEM).ok
    child = Child(demo_home, "build", "die-build-install")
    assert child.finish() == -signal.SIGKILL, child.stderr
    left_behind = unused_segments(demo_home)
    assert left_behind  # what the killed build wrote and never installed

    assert inspections_in_warehouse(demo_home, "T01") == before
    build(demo_home)
    assert inspections_in_warehouse(demo_home, "T01") == 506
    assert not left_behind & unused_segments(demo_home)  # removed; the build before stays for its readers


def test_build_killed_while_writing_keeps_the_warehouse_readable(demo_home, tmp_path):
    before = inspections_in_warehouse(demo_home, "T01")
    upload = corrections(tmp_path, "fix.csv", {"云岫": 507})
    assert ingest_file(demo_home, upload.read_bytes(), upload.name, by=SYSTEM).ok
    run = run_sanse(demo_home, "build")
    wait_until(lambda: unused_segments(demo_home) or run.poll() is not None, "the first new segment")
    run.kill()
    run.communicate(timeout=TIMEOUT)
    assert inspections_in_warehouse(demo_home, "T01") in (before, 507)  # killed before or after the swap
    build(demo_home)
    assert inspections_in_warehouse(demo_home, "T01") == 507


# ---------------------------------------------------------------- a killed publication


def test_publication_killed_before_its_commit_leaves_no_issue(demo_home):
    child = Child(demo_home, "publish", "die-publish-write", DAY.isoformat())
    assert child.finish() == -signal.SIGKILL, child.stderr
    assert list_issues(demo_home) == []
    assert "publication" not in set(audit.read_audit(demo_home).get("action", []))
    issue = publish_bulletin(demo_home, DAY, by=SYSTEM)
    assert (issue.number, issue.version) == (1, 1)


# ---------------------------------------------------------------- readers while writers run


def test_ranking_is_answered_while_an_import_and_a_build_run(demo_home, tmp_path):
    before = inspections_in_warehouse(demo_home, "T01")
    child = Child(demo_home, "ingest+build", "pause-all", corrections(tmp_path, "live.csv", {"云岫": 508}))

    child.expect("store-write")  # written in a transaction not yet committed
    assert inspections_in_log(demo_home, "T01") == before
    assert len(Warehouse.open(demo_home).ranking(DAY)) == 23
    child.go_on()

    child.expect("committed")
    assert inspections_in_log(demo_home, "T01") == 508
    child.go_on()

    child.expect("build-install")  # the new warehouse is complete beside the live one
    held = Warehouse.open(demo_home)
    assert len(held.ranking(DAY)) == 23
    assert inspections_in_warehouse(demo_home, "T01") == before
    child.go_on()

    child.expect("done")
    assert child.finish() == 0, child.stderr
    assert len(held.ranking(DAY)) == 23  # a reader opened before the swap keeps its view
    assert not held.fresh()
    assert inspections_in_warehouse(demo_home, "T01") == 508
