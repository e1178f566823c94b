"""`sanse init`, `demo-data` and `serve`: a home made (the demo city among them), demo files
written, and the dashboard started on a home."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from sanse.access.roles import User
from sanse.cli.arguments import FIRST_DAY
from sanse.cli.commands.reports import ingest_all
from sanse.cli.commands.store import build_warehouse
from sanse.cli.outcome import OK, BadInput, noted
from sanse.deployment.home import Home
from sanse.deployment.rules_file import read_settings, write_settings
from sanse.deployment.towns import read_towns, write_towns
from sanse.facts import clock
from sanse.pipelines.records.counts import current_between

MAX_DEMO_TOWNS, MAX_DEMO_DAYS = 100_000, 3_650


def cmd_init(home: Home, args) -> int:
    from sanse.deployment.demo import DEMO_DAYS, demo_end, demo_reports, demo_settings, demo_start, demo_towns

    end = args.end or demo_end()
    if (args.end or args.publish_days) and not args.demo:
        raise BadInput("--end 和 --publish-days 只用于 --demo")
    if not FIRST_DAY <= end <= clock.today():
        raise BadInput(f"--end 应在 {FIRST_DAY} 至今天（{clock.today()}）之间，而不是 {end}")
    if not 0 <= args.publish_days <= DEMO_DAYS:
        raise BadInput(f"--publish-days 应在 0 到 {DEMO_DAYS} 之间")
    if args.towns:
        read_towns(args.towns)  # validate before copying
    if args.rules:
        read_settings(args.rules)
    home.ensure()
    if args.towns:
        shutil.copyfile(args.towns, home.towns_csv)
    elif args.demo and not home.towns_csv.exists():
        write_towns(demo_towns(), home.towns_csv)
    if args.rules:
        shutil.copyfile(args.rules, home.rules_toml)
    elif args.demo and not home.rules_toml.exists():
        write_settings(demo_settings(demo_start(end)), home.rules_toml)
    if not home.towns_csv.exists():
        raise BadInput("没有 towns.csv：请用 --towns FILE 指定镇街名单，或用 --demo 生成演示城市")
    if not home.rules_toml.exists():
        write_settings(read_settings(home.rules_toml), home.rules_toml)
    if args.demo:
        frame = demo_reports(read_towns(home.towns_csv), end=end)
        start = read_settings(home.rules_toml).campaign.start
        if start is not None:  # a home whose campaign began later takes the demo's days from then
            frame = frame[frame["date"] >= start]
        frame = _not_reported(home, frame)
        if frame.empty:
            print("演示数据：没有新的镇街日，已有的数据不变")
        else:
            content = frame.to_csv(index=False).encode("utf-8")
            ingest_all(home, [("demo-reports.csv", content)], by=User("demo", "admin"), show_warnings=False)
    build_warehouse(home)
    if args.demo and args.publish_days > 0:
        _publish_demo(home, args.publish_days)
    print(f"已初始化 {home.root}")
    return OK


def _not_reported(home: Home, frame: pd.DataFrame) -> pd.DataFrame:
    """The demo's reports of the town-days that have no figure yet: loaded again (each `make
    run`), the demo adds its new days and leaves alone what anyone sent since (a correction, a
    batch of records)."""
    if frame.empty:
        return frame
    codes = {town.name: town.code for town in read_towns(home.towns_csv)}
    standing = current_between(home.store, frame["date"].min(), frame["date"].max())
    reported = set(zip(standing["town_code"], standing["date"]))
    return frame[[(codes.get(name), day) not in reported for name, day in zip(frame["town"], frame["date"])]]


def _publish_demo(home: Home, days: int) -> None:
    """The bulletins of the demo's last `days` days after the last one published: readers see
    published days only, and a demo loaded again on a later day publishes its new days."""
    from sanse.publishing.issue import list_issues
    from sanse.publishing.publish import publish_bulletin
    from sanse.ranking.warehouse import Warehouse
    from sanse.sending.publication import queue_messages
    from sanse.sending.queue import queue_new_items

    published = [issue.day for issue in list_issues(home) if issue.period_kind == "day"]
    warehouse = Warehouse.open(home)
    try:
        last_days = warehouse.dates()[-days:]
    finally:
        warehouse.close()
    for day in last_days:
        if not published or day > max(published):
            issue = publish_bulletin(home, day, by=User("demo", "admin"), then=queue_messages, announce=queue_new_items)
            noted(f"已发布《{issue.title}》{issue.number_label}（{day}）")


def cmd_demo_data(home: Home, args) -> int:
    from sanse.deployment.demo import DEMO_SEED, demo_reports, demo_settings, demo_start, demo_towns

    if not (1 <= args.towns <= MAX_DEMO_TOWNS and 1 <= args.days <= MAX_DEMO_DAYS):
        raise BadInput(f"--towns 应在 1 到 {MAX_DEMO_TOWNS:,} 之间，--days 应在 1 到 {MAX_DEMO_DAYS:,} 之间")
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise BadInput("--seed 应为不小于 0 的整数（小于 2 的 63 次方）")
    seed = DEMO_SEED if args.seed is None else args.seed
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    towns = demo_towns(args.towns)
    write_towns(towns, out / "towns.csv")
    start = demo_start(days=args.days)  # the days end yesterday: data dated in the future is refused
    write_settings(demo_settings(start), out / "rules.toml")
    if args.records:
        from sanse.pipelines.records.ingest import write_demo_records

        write_demo_records(towns, out / "records", days=args.days, seed=seed, start=start)
        print(f"已写入 {out / 'records'}")
        return OK
    reports = demo_reports(towns, days=args.days, start=start, seed=seed)
    folder = out / "reports"
    folder.mkdir(exist_ok=True)
    from sanse.pipelines.reports.read import HEADERS

    for day, part in reports.groupby("date"):
        part.rename(columns=HEADERS).to_csv(folder / f"{day}.csv", index=False, encoding="utf-8-sig")
    print(f"已写入 {len(reports)} 行日报到 {folder}")
    return OK


def cmd_serve(home: Home, args) -> int:
    import os

    from sanse.cli import serve

    os.environ["SANSE_HOME"] = str(home.root)  # the server's pages open this home
    serve.main(args.rest)
    return OK
