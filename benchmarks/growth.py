"""How the daily cost grows with the campaign (design §10): every town uploads its own one-row
report every day, and each upload is followed by a build.

For 23 and for 1,400 towns it times, at day 2, 30 and 365 of the campaign, one town's upload
(sanse.pipelines.reports.ingest.ingest_file: the code path of the upload page and `sanse ingest`) and the
build after it, with the ratio to day 2 measured in the same run; then 50 uploads from
separate processes at the same moment. The history before each measured day is stored a day
at a time (one submission per day holds every town's row, as many versions as the towns'
own uploads would make), so a year of history takes minutes, not hours.

    .venv/bin/python benchmarks/growth.py                    # 23 and 1,400 towns
    .venv/bin/python benchmarks/growth.py --towns 23 --samples 5
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
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
from sanse.store import close_all  # noqa: E402
from sanse.store.reports import append_submission  # noqa: E402

CHECKPOINTS = (2, 30, 365)
HEADER = ",".join(HEADERS.values())  # the report form's own headers, in its own order
COLUMNS = list(HEADERS)


def campaign_start() -> date:
    """A year that ends yesterday, so that no measured day lies in the future."""
    return clock.today() - timedelta(days=max(CHECKPOINTS) + 1)


def one_row(report) -> bytes:
    return (HEADER + "\n" + ",".join(str(getattr(report, c)) for c in COLUMNS) + "\n").encode("utf-8")


def city(root: Path, towns: int):
    home = Home(root).ensure()
    listed = demo_towns(towns)
    write_towns(listed, home.towns_csv)
    settings = demo_settings()
    write_settings(
        Settings(Campaign(**{**settings.campaign.__dict__, "start": campaign_start()}), settings.versions),
        home.rules_toml,
    )
    reports = demo_reports(listed, days=max(CHECKPOINTS), start=campaign_start())
    codes = {t.name: t.code for t in listed}
    return home, listed, reports.assign(town_code=reports["town"].map(codes))


def fill(home: Home, reports, first: date, last: date) -> None:
    """Store the days first..last, one submission a day, and build after them. SQLite then
    folds its write-ahead log into the database, as it does bit by bit over a year of daily
    uploads: otherwise the first measured upload would pay for the whole bulk fill."""
    for day, rows in reports[(reports["date"] >= first) & (reports["date"] <= last)].groupby("date"):
        append_submission(
            home.store,
            rows.assign(row_number=range(2, len(rows) + 2)),
            by="history",
            source_name=f"{day}.csv",
            source_sha256="0" * 64,
        )
    build(home)
    if home.store.engine.dialect.name == "sqlite":
        with home.store.engine.connect() as conn:
            conn.exec_driver_sql("pragma wal_checkpoint(truncate)")


def measure_day(home: Home, listed, reports, day: date, samples: int) -> tuple[list[float], list[float]]:
    """`samples` towns upload their own row of `day`, each followed by a build."""
    uploads, builds = [], []
    todays = reports[reports["date"] == day].head(samples)
    for report in todays.itertuples(index=False):
        clerk = User(f"clerk-{report.town_code}", "town", report.town_code)
        started = time.perf_counter()
        result = ingest_file(home, one_row(report), f"{report.town}.csv", by=clerk, today=day)
        uploads.append(time.perf_counter() - started)
        assert result.ok, [str(p) for p in result.report.errors]
        started = time.perf_counter()
        build(home)
        builds.append(time.perf_counter() - started)
    return uploads, builds


def growth(towns: int, samples: int) -> dict[int, tuple[float, float]]:
    with tempfile.TemporaryDirectory(prefix="sanse-growth-") as folder:
        home, listed, reports = city(Path(folder) / "home", towns)
        start = campaign_start()
        measure_day(home, listed, reports, start, 1)  # warm up: imports, first build
        filled_to = start
        medians = {}
        for checkpoint in CHECKPOINTS:
            day = start + timedelta(days=checkpoint - 1)
            fill(home, reports, filled_to + timedelta(days=1), day - timedelta(days=1))
            uploads, builds = measure_day(home, listed, reports, day, samples)
            medians[checkpoint] = (statistics.median(uploads), statistics.median(builds))
            rest = reports[(reports["date"] == day)].iloc[samples:]
            fill(home, rest, day, day)
            filled_to = day
        close_all()
    return medians


def _upload(root: str, report, start, results) -> None:
    home = Home(root)
    clerk = User(f"clerk-{report.town_code}", "town", report.town_code)
    start.wait(120)
    started = time.perf_counter()
    result = ingest_file(home, one_row(report), f"{report.town}.csv", by=clerk, today=report.date)
    results.put((time.perf_counter() - started, result.ok))


def at_once(towns: int, uploads: int = 50) -> list[float]:
    """`uploads` towns upload their day from separate processes at the same moment."""
    with tempfile.TemporaryDirectory(prefix="sanse-at-once-") as folder:
        home, listed, reports = city(Path(folder) / "home", max(towns, uploads))
        day = campaign_start() + timedelta(days=29)
        fill(home, reports, campaign_start(), day - timedelta(days=1))
        close_all()
        context = multiprocessing.get_context("fork")
        start, results = context.Barrier(uploads), context.Queue()
        todays = list(reports[reports["date"] == day].head(uploads).itertuples(index=False))
        children = [context.Process(target=_upload, args=(str(home.root), r, start, results)) for r in todays]
        for child in children:
            child.start()
        times = [results.get(timeout=300) for _ in children]
        for child in children:
            child.join(60)
        assert all(ok for _, ok in times), "an upload did not land"
        return sorted(t for t, _ in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--towns", type=int, nargs="+", default=[23, 1400])
    parser.add_argument("--samples", type=int, default=5, help="uploads measured at each checkpoint")
    args = parser.parse_args()
    for towns in args.towns:
        medians = growth(towns, args.samples)
        upload_2, build_2 = medians[CHECKPOINTS[0]]
        print(f"\n{towns} towns, one town's upload and the build after it (median of {args.samples}):")
        print(f"{'day':>5} {'upload':>9} {'x day 2':>8} {'build':>9} {'x day 2':>8}")
        for day, (upload, built) in medians.items():
            print(
                f"{day:>5} {upload * 1000:>7.0f}ms {upload / upload_2:>8.2f} {built * 1000:>7.0f}ms {built / build_2:>8.2f}"
            )
    times = at_once(23)
    print(
        f"\n50 uploads from separate processes at once: all landed; median {statistics.median(times) * 1000:.0f} ms,"
        f" worst {times[-1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
