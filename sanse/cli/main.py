"""The `sanse` command line (design §7). Exit codes: 0 ok; 1 bad input or a refusal,
nothing written; 2 a malformed argument or configuration file; 3 a failure after something was
committed (the message says what). No traceback reaches the terminal: an unexpected failure is
one plain line, its detail in the home's log."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import logging.handlers
import shutil
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from sanse.access.roles import Forbidden, User
from sanse.deployment.config import ConfigError, read_settings, read_towns, write_settings, write_towns
from sanse.deployment.home import Home
from sanse.facts import clock
from sanse.publishing.exports import EXPORTS
from sanse.ranking.rulebook import settings_in_force
from sanse.store import StoreError, database_url, open_store

OK, BAD_INPUT, USAGE, COMMITTED = 0, 1, 2, 3
DRAFT_OPTIONS = {
    "editor_note": "编者按/工作要求",
    "signer": "签发人",
    "report_to": "报送",
    "copy_to": "抄送",
    "correction_note": "更正说明 (required to publish a day again)",
}
MAX_DEMO_TOWNS, MAX_DEMO_DAYS = 100_000, 3_650
FIRST_DAY = date(2000, 1, 1)  # no campaign runs earlier: a date before it is a slip of the keyboard
WARNINGS_SHOWN = 20  # a month of files can raise hundreds; the upload page lists them all


log = logging.getLogger(__name__)
# What this run has committed to the store, in the user's words: if a later step fails, the
# exit code is 3 and the message lists these (exit 1 promises that nothing was written).
_committed: list[str] = []


class BadInput(Exception):
    """Reported to the user on stderr; exit code 1 (3 once something was committed)."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args, rest = parser.parse_known_args(argv)
        if rest and getattr(args, "command", None) != "serve":  # only serve passes options on
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
    except SystemExit as exc:  # argparse has printed the usage error (or the help)
        return USAGE if exc.code else OK
    args.rest = rest
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return USAGE
    home = Home.resolve(args.home)
    _committed.clear()
    logged = _HomeLog(home)
    root = logging.getLogger()
    root.addHandler(logged)  # also keeps Python's last-resort handler from printing tracebacks
    try:
        if not getattr(args, "makes_home", False) and not home.root.is_dir():
            raise BadInput(f"没有 home 目录 {home.root}：请检查 --home 或 SANSE_HOME（新建请用 sanse init）")
        return args.run(home, args) or OK
    except ConfigError as exc:  # design §7: towns.csv or rules.toml (MalformedConfig among them) is a usage error
        return _failed(str(exc), USAGE)
    except (BadInput, Forbidden, StoreError) as exc:
        return _failed(str(exc), BAD_INPUT, detail=getattr(exc, "detail", None))
    except (Exception, KeyboardInterrupt) as exc:
        log.error("sanse %s failed", args.command, exc_info=exc)
        return _failed(_unexpected(exc, logged), BAD_INPUT)
    finally:
        root.removeHandler(logged)
        logged.close()


def _noted(what: str) -> None:
    """Say that `what` is committed: kept whatever fails after it."""
    _committed.append(what)


def _failed(message: str, code: int, *, detail: str | None = None) -> int:
    print(f"错误：{message}", file=sys.stderr)
    if detail:  # the operator at the shell may read where and why
        print(detail, file=sys.stderr)
    if not _committed:
        return code
    print("在此之前已保存（不会因这次失败丢失，无需重新提交）：", file=sys.stderr)
    for what in _committed:
        print(f"  {what}", file=sys.stderr)
    return COMMITTED


def _unexpected(exc: BaseException, logged: _HomeLog) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "已中断"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        what = "磁盘空间已满，未能完成：请腾出空间后再试"
    elif isinstance(exc, OSError):
        what = f"读写文件失败（{exc.strerror or type(exc).__name__}），未能完成"
    else:
        what = f"出现未预料的错误（{type(exc).__name__}），未能完成"
    return what + (f"。详情已记入 home 目录下的 {logged.relative}" if logged.written else "")


class _HomeLog(logging.handlers.RotatingFileHandler):
    """Warnings and failures of this run, with their detail, in the home's logs/sanse.log:
    opened only when there is something to write, and only in a home that exists."""

    relative = "logs/sanse.log"

    def __init__(self, home: Home) -> None:
        self.home = home
        self.written = False
        super().__init__(home.root / self.relative, maxBytes=1024 * 1024, backupCount=3, delay=True)
        self.setLevel(logging.WARNING)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if not self.home.root.is_dir():
                return
            Path(self.baseFilename).parent.mkdir(exist_ok=True)
        except OSError:
            return
        self.failed = False
        super().emit(record)
        self.written = self.written or not self.failed

    def handleError(self, record: logging.LogRecord) -> None:
        """A log that cannot be written (a full disk) is dropped: the user's message still goes out."""
        self.failed = True
        self.written = False

    def close(self) -> None:
        try:
            super().close()
        except OSError:  # what could not be flushed to a full disk is lost; the message was shown
            self.written = False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sanse", description="三色晾晒：镇街每日排名与《每日工作动态》")
    parser.add_argument("--home", help="home directory (default: $SANSE_HOME, else ./data)")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("init", help="create a home directory (towns.csv, rules.toml)")
    p.add_argument("--demo", action="store_true", help="the demo city with 60 days of reports")
    p.add_argument("--end", type=_iso_date, help="with --demo: the demo's last day (default: yesterday, Beijing)")
    p.add_argument("--towns", type=Path)
    p.add_argument("--rules", type=Path)
    p.add_argument(
        "--publish-days",
        type=int,
        default=0,
        metavar="N",
        help="with --demo: publish the bulletins of the last N days (for readers to see)",
    )
    p.set_defaults(run=cmd_init, makes_home=True)

    p = sub.add_parser("ingest", help="import daily report files (CSV/XLSX)")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--as", dest="user", help="the account whose rights apply")
    p.add_argument("--no-build", action="store_true", help="only store the reports, do not rebuild")
    p.set_defaults(run=cmd_ingest)

    p = sub.add_parser("ingest-records", help="import record-level tables (inspections, hazards, enforcement)")
    p.add_argument("folder", type=Path)
    p.add_argument("--as", dest="user", help="the account whose rights apply")
    p.add_argument("--no-build", action="store_true", help="only store the reports, do not rebuild")
    p.set_defaults(run=cmd_ingest_records)

    p = sub.add_parser("build", help="bring this server's warehouse up to date with the store")
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("upgrade", help="carry a home made by release 0.1 into the store")
    p.set_defaults(run=cmd_upgrade)

    p = sub.add_parser("rank", help="print one day's or one period's ranking")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=_iso_date)
    when.add_argument("--period", type=_period, help="2026-10, 2026-Q3, 2026-W43, 2026-H1, 2026-B5, 2026 or FROM..TO")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(run=cmd_rank)

    p = sub.add_parser("publish", help="publish the bulletin of a day (第N期) or a period's 通报")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=_iso_date)
    when.add_argument("--period", type=_period, help="a whole week, month, ... or FROM..TO")
    p.add_argument("--by", default=None, help="the publishing account")
    p.add_argument(
        "--confirm-missing",
        action="store_true",
        help="publish a day before its reporting deadline although towns have not reported",
    )
    for field, what in DRAFT_OPTIONS.items():
        p.add_argument(f"--{field.replace('_', '-')}", default="", help=what)
    p.set_defaults(run=cmd_publish)

    p = sub.add_parser("export", help="download a published bulletin")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=_iso_date)
    when.add_argument("--period", type=_period, help="a period's 通报")
    p.add_argument("--format", required=True, choices=tuple(EXPORTS))
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("supervise", help="督办事项: list, check, add, answer, close, return, withdraw")
    supervise = p.add_subparsers(dest="supervise_command", required=True)
    q = supervise.add_parser("list", help="the items, overdue first")
    q.add_argument("--town", help="one town (name, code or alias)")
    shown = q.add_mutually_exclusive_group()
    shown.add_argument("--open", action="store_true", help="only items not closed or withdrawn")
    shown.add_argument("--overdue", action="store_true", help="only items past their deadline (Beijing date)")
    q.set_defaults(run=cmd_supervise_list)
    q = supervise.add_parser("check", help="make the items the consequence rules call for (also after every build)")
    q.set_defaults(run=cmd_supervise_check)
    q = supervise.add_parser("add", help="make an item by hand")
    q.add_argument("--town", required=True)
    q.add_argument("--measure", required=True, help="约谈, 挂牌督办, 通报批评, 白牌, 黄牌 or 红牌")
    q.add_argument("--reason", required=True)
    q.add_argument("--deadline", required=True, type=_iso_date)
    q.add_argument("--by", default=None, help="the acting account")
    q.set_defaults(run=cmd_supervise_add)
    q = supervise.add_parser("answer", help="a town's 整改报告 on its item")
    q.add_argument("id", type=int)
    q.add_argument("--text", required=True)
    q.add_argument("--file", action="append", type=Path, default=[], help="an attachment (may be repeated)")
    q.add_argument("--by", default=None, help="the acting account")
    q.set_defaults(run=cmd_supervise_answer)
    q = supervise.add_parser("close", help="销号: accept an item as done")
    q.add_argument("id", type=int)
    q.add_argument("--note", default="")
    q.add_argument("--by", default=None, help="the acting account")
    q.set_defaults(run=cmd_supervise_close)
    q = supervise.add_parser("return", help="send a 整改报告 back with a comment")
    q.add_argument("id", type=int)
    q.add_argument("--comment", required=True)
    q.add_argument("--by", default=None, help="the acting account")
    q.set_defaults(run=cmd_supervise_return)
    q = supervise.add_parser("withdraw", help="withdraw an item (it is kept, marked withdrawn)")
    q.add_argument("id", type=int)
    q.add_argument("--note", required=True)
    q.add_argument("--by", default=None, help="the acting account")
    q.set_defaults(run=cmd_supervise_withdraw)

    p = sub.add_parser("notify", help="send what is due to DingTalk, WeCom, email and webhooks (channels.toml)")
    p.add_argument("what", nargs="?", choices=("log",), help="log: the deliveries, newest first")
    p.add_argument("--dry-run", action="store_true", help="list what is due; send and record nothing")
    p.add_argument("--retry", action="store_true", help="retry failed deliveries now, not after their back-off")
    p.add_argument("--watch", action="store_true", help="keep sending (the sender process)")
    p.add_argument("--failed", action="store_true", help="with log: failures and expired messages only")
    p.set_defaults(run=cmd_notify)

    p = sub.add_parser("user", help="manage accounts")
    user_sub = p.add_subparsers(dest="user_command", required=True)
    q = user_sub.add_parser("add", help="add an account (password from SANSE_PASSWORD, else asked twice)")
    q.add_argument("name")
    q.add_argument("--role", required=True, choices=("admin", "town", "viewer"))
    q.add_argument("--town", help="the town of a town account (name, code or alias)")
    q.set_defaults(run=cmd_user_add)
    q = user_sub.add_parser("passwd", help="set a new password (also lifts a sign-in lock-out)")
    q.add_argument("name")
    q.set_defaults(run=cmd_user_passwd)
    q = user_sub.add_parser("disable", help="stop an account from signing in")
    q.add_argument("name")
    q.add_argument("--enable", action="store_true", help="allow it again")
    q.set_defaults(run=cmd_user_disable)
    q = user_sub.add_parser("list", help="list the accounts")
    q.set_defaults(run=cmd_user_list)

    p = sub.add_parser("backup", help="write an archive of the store and the home's files (while the app runs)")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(run=cmd_backup)

    p = sub.add_parser("restore", help="fill an empty home (SQLite or SANSE_DATABASE_URL) from a backup")
    p.add_argument("archive", type=Path)
    p.set_defaults(run=cmd_restore, makes_home=True)

    p = sub.add_parser(
        "serve",
        help="start the dashboard in this process (options of `streamlit run`, e.g. --server.port 8502)",
    )
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("demo-data", help="write synthetic demo data")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--towns", type=int, default=23)
    p.add_argument("--days", type=int, default=60)
    p.add_argument("--records", action="store_true", help="record-level tables instead of daily reports")
    p.add_argument("--seed", type=int, default=None)
    p.set_defaults(run=cmd_demo_data, makes_home=True)  # writes a folder, not a home
    return parser


def _period(text: str):
    from sanse.ranking.periods import PeriodError, parse_period

    try:
        return parse_period(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写成 YYYY-MM-DD，而不是“{text}”") from None


# ---------------------------------------------------------------- commands


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
        content = frame.to_csv(index=False).encode("utf-8")
        _ingest_all(home, [("demo-reports.csv", content)], by=User("demo", "admin"), show_warnings=False)
    _build(home)
    if args.demo and args.publish_days > 0:
        _publish_demo(home, args.publish_days)
    print(f"已初始化 {home.root}")
    return OK


def _publish_demo(home: Home, days: int) -> None:
    """The bulletins of the demo's last `days` days after the last one published: readers see
    published days only, and a demo loaded again on a later day publishes its new days."""
    from sanse.publishing.issue import list_issues
    from sanse.publishing.publish import publish_bulletin
    from sanse.ranking.warehouse import Warehouse
    from sanse.sending.publication import queue_messages

    published = [issue.day for issue in list_issues(home) if issue.period_kind == "day"]
    warehouse = Warehouse.open(home)
    try:
        last_days = warehouse.dates()[-days:]
    finally:
        warehouse.close()
    for day in last_days:
        if not published or day > max(published):
            issue = publish_bulletin(home, day, by=User("demo", "admin"), then=queue_messages)
            _noted(f"已发布《{issue.title}》{issue.number_label}（{day}）")


def cmd_ingest(home: Home, args) -> int:
    user = _acting_user(home, args.user)
    contents = []
    for path in args.files:
        if not path.is_file():
            raise BadInput(f"找不到文件 {path}")
        contents.append((path.name, path.read_bytes()))
    _ingest_all(home, contents, by=user)
    if not args.no_build:
        _build(home)
    return OK


def _acting_user(home: Home, name: str | None) -> User:
    """`--as NAME`: that account's rights apply; without it, the shell operator's."""
    from sanse.access.accounts import AccountError, acting_user

    try:
        return acting_user(home, name)
    except AccountError as exc:
        raise BadInput(str(exc)) from exc


def _ingest_all(home: Home, contents: list[tuple[str, bytes]], *, by: User, show_warnings: bool = True) -> None:
    """Validate every file first; write only when all are clean."""
    from sanse.pipelines.reports.ingest import check_report, ingest_file

    try:
        reports = [(name, check_report(home, content, name, by=by)) for name, content in contents]
    except Forbidden as exc:
        raise BadInput(f"账号 {by.name}：{exc}") from exc
    bad = [(name, r) for name, r in reports if not r.ok]
    warnings = [f"提醒 {name} {warning}" for name, report in reports for warning in report.warnings]
    if show_warnings and warnings:
        print("\n".join(warnings[:WARNINGS_SHOWN]), file=sys.stderr)
        if len(warnings) > WARNINGS_SHOWN:
            print(f"……另有 {len(warnings) - WARNINGS_SHOWN} 条提醒未列出（共 {len(warnings)} 条）", file=sys.stderr)
    if bad:
        lines = [f"{name} {problem}" for name, report in bad for problem in report.errors]
        raise BadInput("以下文件有错误，没有导入任何数据：\n" + "\n".join(lines))
    for name, content in contents:
        result = ingest_file(home, content, name, by=by)
        if not result.ok:  # the log changed between check and write; nothing of this file written
            raise BadInput("\n".join(f"{name} {p}" for p in result.report.errors))
        done = f"{name}: 新增或更正 {result.submission.written} 行，未变 {result.submission.unchanged} 行"
        _noted(done)
        print(done)


def cmd_build(home: Home, args) -> int:
    import duckdb

    from sanse.pipelines.records.objects import catch_up

    try:  # this server's copies of the records received, for the next import: derived, so never in the way
        fetched = catch_up(home)
        if fetched:
            print(f"已从存储取回 {fetched} 个记录文件", file=sys.stderr)
    except (duckdb.Error, OSError, StoreError) as exc:
        print(f"记录文件未能取回（下次导入记录时再取）：{str(exc).splitlines()[0]}", file=sys.stderr)
    _build(home)
    return OK


def cmd_upgrade(home: Home, args) -> int:
    from sanse.store.upgrade import carry_in

    counts = carry_in(open_store(database_url(home.root)), home.root)
    if counts is None:
        print(f"{home.root} 没有需要迁入的旧版数据（或已迁入）")
    else:
        _noted(f"已迁入数据库：{counts}")
        print(f"已迁入数据库：{counts}")
        # exactly what the old home held: its 督办事项 come with the next build (or page visit)
        _build(home, supervise=False)
    return OK


def _build(home: Home, *, supervise: bool = True) -> None:
    from sanse.pipelines.build.warehouse import CheckFailed, build

    try:
        result = build(home)
    except CheckFailed as exc:
        raise BadInput(str(exc)) from exc
    if result.repaired:
        print(result.repaired, file=sys.stderr)
    print(f"已生成数据仓库：{result.towns} 个镇街，{result.days} 个排名日", file=sys.stderr)
    if supervise:
        _check_supervision(home)


def _check_supervision(home: Home, *, always: bool = False) -> None:
    """Make the 督办事项 the consequence rules call for on the build just made."""
    from sanse.supervision.items import check, check_if_behind

    result = check(home) if always else check_if_behind(home)
    if result.created or result.withdrawn or result.reinstated:
        _noted(result.summary)
    if always or result.created or result.withdrawn or result.reinstated:
        print(result.summary, file=sys.stderr)


def cmd_rank(home: Home, args) -> int:
    from sanse.ranking.rank import public_ranking
    from sanse.ranking.warehouse import NotBuilt, Warehouse

    try:
        warehouse = Warehouse.open(home)
    except NotBuilt as exc:
        raise BadInput(str(exc)) from exc
    settings = settings_in_force(home)
    try:
        _within_campaign(settings, args.period or args.date, "没有数据" if args.period else "没有排名")
        if args.period is not None:
            table = _period_table(warehouse, args.period, settings)
        else:
            frame = warehouse.ranking(args.date)
            if frame.empty:
                raise BadInput(warehouse.why_unranked(args.date))
            table = public_ranking(frame, settings.rules_on(args.date))
    finally:
        warehouse.close()
    if args.format == "json":
        print(json.dumps(_json_records(table), ensure_ascii=False, indent=1))
    elif args.format == "csv":
        sys.stdout.write(_csv_text(table))
    else:
        print(_plain_table(table))
    return OK


def _within_campaign(settings, when, refused: str) -> None:
    """A day or period asked for must overlap the campaign: from its start to today (Beijing)."""
    first, last = (when, when) if isinstance(when, date) else (when.first, when.last)
    start, today = settings.campaign.start or FIRST_DAY, clock.today()
    if last < start or first > today:
        what = when if isinstance(when, date) else f"{when.label}（{when.span}）"
        raise BadInput(f"{what} {refused}：不在运动期间（{start} 至今天 {today}）内")


def _period_table(warehouse, period, settings) -> pd.DataFrame:
    """A period's ranking in the columns of a day's; what a reader should know on stderr."""
    from sanse.ranking.periods import PeriodError, rank_period
    from sanse.ranking.rank import public_ranking

    try:
        ranked = rank_period(warehouse, period, settings)
    except PeriodError as exc:
        raise BadInput(str(exc)) from exc
    print(f"{ranked.period.label}（{ranked.period.span}）排名", file=sys.stderr)
    for note in ranked.notes:
        print(note, file=sys.stderr)
    return public_ranking(ranked.ranking, ranked.rules)


def cmd_ingest_records(home: Home, args) -> int:
    from sanse.pipelines.records.ingest import ingest_records

    user = _acting_user(home, args.user)
    if user.role != "admin":  # record-level tables cover many towns at once
        raise BadInput(f"账号 {user.name}：记录级数据只能由管理员导入")
    result = ingest_records(home, args.folder, by=user.name)
    if not result.ok:
        raise BadInput("记录数据有错误，没有导入任何数据：\n" + "\n".join(str(p) for p in result.errors))
    _noted(result.summary)
    print(result.summary)
    if not args.no_build:
        _build(home)
    return OK


def cmd_publish(home: Home, args) -> int:
    from sanse.access.roles import Forbidden
    from sanse.publishing.issue import BulletinError
    from sanse.publishing.publish import Draft, MissingReports, publish_bulletin
    from sanse.sending.publication import queue_messages

    _within_campaign(settings_in_force(home), args.period or args.date, "不能发布")
    try:
        draft = Draft(**{field: getattr(args, field) for field in DRAFT_OPTIONS})
        issue = publish_bulletin(
            home,
            args.period or args.date,
            by=_publisher(home, args.by),
            draft=draft,
            confirm_missing=args.confirm_missing,
            then=queue_messages,
        )
    except MissingReports as exc:
        raise BadInput(f"{exc}。等截止时间过后再发布，或确认现在发布：加 --confirm-missing") from exc
    except (Forbidden, BulletinError) as exc:
        raise BadInput(str(exc)) from exc
    when = issue.day if issue.period_kind == "day" else issue.when
    done = f"已发布《{issue.title}》{issue.number_label}（{when}）{'更正版' if issue.correction else ''}"
    _noted(done)
    print(done)
    return OK


def _publisher(home: Home, name: str | None):
    """The shell operator by default; with --by, that account (and its rights)."""
    from sanse.access.accounts import get_user
    from sanse.access.roles import SYSTEM

    if not name:
        return SYSTEM
    user = get_user(home, name)
    if user is None:
        raise BadInput(f"没有名为“{name}”的账号：请先用 sanse user add 添加")
    return user


def cmd_export(home: Home, args) -> int:
    from sanse.publishing.exports import export_issue
    from sanse.publishing.issue import load_issue

    issue = load_issue(home, args.period or args.date)
    if issue is None and args.period is not None:
        raise BadInput(f"{args.period.label}还没有发布通报：请先 sanse publish --period {args.period.key}")
    if issue is None:
        raise BadInput(f"{args.date} 还没有发布《每日工作动态》：请先 sanse publish --date {args.date}")
    content = export_issue(issue, args.format)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.out.with_name(f".{args.out.name}.tmp")
    temporary.write_bytes(content)
    temporary.replace(args.out)  # a reader never sees half a file
    print(f"已导出 {args.out}")
    return OK


def cmd_supervise_list(home: Home, args) -> int:
    from sanse.facts import clock
    from sanse.supervision.items import list_items

    towns = read_towns(home.towns_csv)
    code = _town_code(towns, args.town) if args.town else None
    today = clock.today()
    status = ("open", "answered", "returned") if args.open else None
    items = list_items(home, town_code=code, status=status, overdue_on=today if args.overdue else None)
    names = {t.code: t.name for t in towns}
    for item in items:
        late = "逾期" if item.overdue(today) else ""
        print(
            f"{item.id}\t{names.get(item.town_code, item.town_code)}\t{item.measure_label}\t期限 {item.deadline}"
            f"\t{item.status_label}\t{late}\t{item.reason}"
        )
    if not items:
        print("没有符合条件的督办事项", file=sys.stderr)
    return OK


def _town_code(towns, spelling: str) -> str:
    from sanse.deployment.config import normalize_spelling, town_lookup

    town = town_lookup(towns).get(normalize_spelling(spelling))
    if town is None:
        raise BadInput(f"“{spelling}”不是 towns.csv 里的镇街")
    return town.code


def cmd_supervise_check(home: Home, args) -> int:
    _check_supervision(home, always=True)
    return OK


def _supervision_step(step) -> int:
    """Run one step on an item; a refused step is bad input (exit 1)."""
    from sanse.supervision.items import SupervisionError

    try:
        item = step()
    except (SupervisionError, Forbidden) as exc:
        raise BadInput(str(exc)) from exc
    _noted(f"督办事项 {item.id}：{item.status_label}")
    print(f"督办事项 {item.id}：{item.status_label}")
    return OK


def cmd_supervise_add(home: Home, args) -> int:
    from sanse.supervision.items import add_item

    return _supervision_step(
        lambda: add_item(
            home,
            args.town,
            measure=args.measure,
            reason=args.reason,
            deadline=args.deadline,
            by=_publisher(home, args.by),
        )
    )


def cmd_supervise_answer(home: Home, args) -> int:
    from sanse.supervision.items import answer

    files = []
    for path in args.file:
        if not path.is_file():
            raise BadInput(f"找不到文件 {path}")
        files.append((path.name, path.read_bytes()))
    return _supervision_step(lambda: answer(home, args.id, args.text, by=_publisher(home, args.by), files=files))


def cmd_supervise_close(home: Home, args) -> int:
    from sanse.supervision.items import close

    return _supervision_step(lambda: close(home, args.id, by=_publisher(home, args.by), note=args.note))


def cmd_supervise_return(home: Home, args) -> int:
    from sanse.supervision.items import return_item

    return _supervision_step(lambda: return_item(home, args.id, args.comment, by=_publisher(home, args.by)))


def cmd_supervise_withdraw(home: Home, args) -> int:
    from sanse.supervision.items import withdraw

    return _supervision_step(lambda: withdraw(home, args.id, by=_publisher(home, args.by), note=args.note))


def cmd_notify(home: Home, args) -> int:
    """Exit 0 when everything due was delivered, 1 when a delivery failed, 2 when channels.toml
    (or a variable it names) cannot be used; then nothing is sent."""
    from sanse.sending.channels import ChannelsError
    from sanse.sending.log import delivery_log
    from sanse.sending.sender import Sender, load_channels

    if args.what == "log":
        for line in delivery_log(home, failed_only=args.failed):
            print(line)
        return OK
    try:
        sender = Sender(home, load_channels(home))
    except ChannelsError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return USAGE
    if args.dry_run:
        for message in sender.due():
            print(f"待发送\t{message['channel']}\t{message['title']}")
        return OK
    if args.watch:
        return _watch(sender)
    outcome = sender.run_once(retry=args.retry)
    print(f"已发送 {outcome.sent} 条，失败 {outcome.failed} 条，过期 {outcome.expired} 条，取消 {outcome.dropped} 条")
    for channel, title, why in outcome.failures:
        print(f"失败：{channel}：{title}：{why}", file=sys.stderr)
    return OK if outcome.ok else BAD_INPUT


def _watch(sender) -> int:
    """Send until SIGTERM or Ctrl-C (the process manager stops it so)."""
    import logging
    import signal
    import threading

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"发送进程已启动：{len(sender.channels.channels)} 个渠道", file=sys.stderr)
    sender.watch(stop)
    return OK


def cmd_user_add(home: Home, args) -> int:
    from sanse.access.accounts import AccountError, add_user, read_new_password
    from sanse.access.roles import ROLE_LABELS

    try:
        user = add_user(home, args.name, role=args.role, town=args.town, password=read_new_password())
    except (AccountError, Forbidden) as exc:
        raise BadInput(str(exc)) from exc
    town = f"：{user.town_code}" if user.town_code else ""
    print(f"已添加账号 {user.name}（{ROLE_LABELS[user.role]}{town}）")
    return OK


def cmd_user_passwd(home: Home, args) -> int:
    from sanse.access.accounts import AccountError, read_new_password, set_password

    try:
        set_password(home, args.name, read_new_password())
    except AccountError as exc:
        raise BadInput(str(exc)) from exc
    print(f"已修改账号 {args.name} 的密码，并解除登录锁定")
    return OK


def cmd_user_disable(home: Home, args) -> int:
    from sanse.access.accounts import AccountError, disable_user, enable_user

    try:
        (enable_user if args.enable else disable_user)(home, args.name)
    except AccountError as exc:
        raise BadInput(str(exc)) from exc
    print(f"已{'启用' if args.enable else '停用'}账号 {args.name}")
    return OK


def cmd_user_list(home: Home, args) -> int:
    from sanse.access.accounts import list_users
    from sanse.access.roles import ROLE_LABELS

    for account in list_users(home):
        state = "" if account.active else "（已停用）"
        print(f"{account.name}\t{ROLE_LABELS[account.role]}\t{account.town_code or ''}{state}")
    return OK


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


def cmd_backup(home: Home, args) -> int:
    from sanse.deployment.backup import write_backup

    counts = write_backup(home, args.out)
    print(f"已备份到 {args.out}：{sum(counts.values())} 行，{len(counts)} 张表")
    return OK


def cmd_restore(home: Home, args) -> int:
    from sanse.deployment.backup import BackupError, restore_backup

    if not args.archive.is_file():
        raise BadInput(f"找不到文件 {args.archive}")
    try:
        restored = restore_backup(home, args.archive)
    except BackupError as exc:
        raise BadInput(str(exc)) from exc
    done = f"已从备份恢复 {sum(restored.rows.values())} 行（数据库结构版本 {restored.revision}）"
    _noted(done)
    print(f"{done}；登录会话不随备份恢复")
    _build(home)
    return OK


def cmd_serve(home: Home, args) -> int:
    import os

    from sanse.cli import serve

    os.environ["SANSE_HOME"] = str(home.root)  # the server's pages open this home
    serve.main(args.rest)
    return OK


# ---------------------------------------------------------------- output


def _json_records(table: pd.DataFrame) -> list[dict]:
    records = []
    for row in table.to_dict("records"):
        records.append({k: _json_value(v) for k, v in row.items()})
    return records


def _json_value(value):
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def _csv_text(table: pd.DataFrame) -> str:
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == bool:
            out[column] = out[column].map({True: "true", False: "false"})
    return out.to_csv(index=False, lineterminator="\n")


def _plain_table(table: pd.DataFrame) -> str:
    shown = table.copy()
    for column in shown.columns:
        if column.endswith("_rate"):
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.2%}")
    shown["score"] = shown["score"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    shown["rank"] = shown["rank"].map(lambda v: "" if pd.isna(v) else str(v))
    shown["tier"] = shown["tier"].map(lambda v: "未报送" if pd.isna(v) else v)  # in a period, no data at all
    shown["rank_change"] = shown["rank_change"].map(lambda v: "" if pd.isna(v) else str(v))
    return shown.to_string(index=False)


if __name__ == "__main__":
    raise SystemExit(main())
