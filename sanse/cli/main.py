"""The `sanse` command line (design §7): its parser, and the guard around every command. Exit
codes: 0 ok; 1 bad input or a refusal, nothing written; 2 a malformed argument or configuration
file; 3 a failure after something was committed (the message says what). No traceback reaches
the terminal: an unexpected failure is one plain line, its detail in the home's log. The
commands are in sanse/cli/commands/."""

from __future__ import annotations

import argparse
import errno
import logging
import logging.handlers
import sys
from pathlib import Path

from sanse.access.roles import Forbidden
from sanse.cli import outcome
from sanse.cli.arguments import PERIOD_HELP, iso_date, period
from sanse.cli.commands import accounts, homes, publishing, ranking, reports, sending, store, supervision
from sanse.cli.outcome import BAD_INPUT, COMMITTED, OK, USAGE, BadInput
from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.publishing.exports import EXPORTS
from sanse.store import StoreError

log = logging.getLogger(__name__)


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
    outcome.committed.clear()
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


def _failed(message: str, code: int, *, detail: str | None = None) -> int:
    print(f"错误：{message}", file=sys.stderr)
    if detail:  # the operator at the shell may read where and why
        print(detail, file=sys.stderr)
    if not outcome.committed:
        return code
    print("在此之前已保存（不会因这次失败丢失，无需重新提交）：", file=sys.stderr)
    for what in outcome.committed:
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
    p.add_argument("--end", type=iso_date, help="with --demo: the demo's last day (default: yesterday, Beijing)")
    p.add_argument("--towns", type=Path)
    p.add_argument("--rules", type=Path)
    p.add_argument(
        "--publish-days",
        type=int,
        default=0,
        metavar="N",
        help="with --demo: publish the bulletins of the last N days (for readers to see)",
    )
    p.set_defaults(run=homes.cmd_init, makes_home=True)

    p = sub.add_parser("ingest", help="import daily report files (CSV/XLSX)")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--as", dest="user", help="the account whose rights apply")
    p.add_argument("--no-build", action="store_true", help="only store the reports, do not rebuild")
    p.set_defaults(run=reports.cmd_ingest)

    p = sub.add_parser("ingest-records", help="import record-level tables (inspections, hazards, enforcement)")
    p.add_argument("folder", type=Path)
    p.add_argument("--as", dest="user", help="the account whose rights apply")
    p.add_argument("--no-build", action="store_true", help="only store the reports, do not rebuild")
    p.set_defaults(run=reports.cmd_ingest_records)

    p = sub.add_parser("build", help="bring this server's warehouse up to date with the store")
    p.set_defaults(run=store.cmd_build)

    p = sub.add_parser("upgrade", help="carry a home made by release 0.1 into the store")
    p.set_defaults(run=store.cmd_upgrade)

    p = sub.add_parser("rank", help="print one day's or one period's ranking")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=iso_date)
    when.add_argument("--period", type=period, help=PERIOD_HELP)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(run=ranking.cmd_rank)

    p = sub.add_parser("publish", help="publish the bulletin of a day (第N期) or a period's 通报")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=iso_date)
    when.add_argument("--period", type=period, help="a whole week, month, ... or FROM..TO")
    p.add_argument("--by", default=None, help="the publishing account")
    p.add_argument(
        "--confirm-missing",
        action="store_true",
        help="publish a day before its reporting deadline although towns have not reported",
    )
    for field, what in publishing.DRAFT_OPTIONS.items():
        p.add_argument(f"--{field.replace('_', '-')}", default="", help=what)
    p.set_defaults(run=publishing.cmd_publish)

    p = sub.add_parser("export", help="download a published bulletin")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=iso_date)
    when.add_argument("--period", type=period, help="a period's 通报")
    p.add_argument("--format", required=True, choices=tuple(EXPORTS))
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(run=publishing.cmd_export)

    p = sub.add_parser("supervise", help="督办事项: list, check, add, answer, close, return, withdraw")
    supervise = p.add_subparsers(dest="supervise_command", required=True)
    q = supervise.add_parser("list", help="the items, overdue first")
    q.add_argument("--town", help="one town (name, code or alias)")
    shown = q.add_mutually_exclusive_group()
    shown.add_argument("--open", action="store_true", help="only items not closed or withdrawn")
    shown.add_argument("--overdue", action="store_true", help="only items past their deadline (Beijing date)")
    q.set_defaults(run=supervision.cmd_supervise_list)
    q = supervise.add_parser("check", help="make the items the consequence rules call for (also after every build)")
    q.set_defaults(run=supervision.cmd_supervise_check)
    q = supervise.add_parser("add", help="make an item by hand")
    q.add_argument("--town", required=True)
    q.add_argument("--measure", required=True, help="约谈, 挂牌督办, 通报批评, 白牌, 黄牌 or 红牌")
    q.add_argument("--reason", required=True)
    q.add_argument("--deadline", required=True, type=iso_date)
    q.add_argument("--by", default=None, help="the acting account")
    q.set_defaults(run=supervision.cmd_supervise_add)
    q = supervise.add_parser("answer", help="a town's 整改报告 on its item")
    q.add_argument("id", type=int)
    q.add_argument("--text", required=True)
    q.add_argument("--file", action="append", type=Path, default=[], help="an attachment (may be repeated)")
    q.add_argument("--by", default=None, help="the acting account")
    q.set_defaults(run=supervision.cmd_supervise_answer)
    q = supervise.add_parser("close", help="销号: accept an item as done")
    q.add_argument("id", type=int)
    q.add_argument("--note", default="")
    q.add_argument("--by", default=None, help="the acting account")
    q.set_defaults(run=supervision.cmd_supervise_close)
    q = supervise.add_parser("return", help="send a 整改报告 back with a comment")
    q.add_argument("id", type=int)
    q.add_argument("--comment", required=True)
    q.add_argument("--by", default=None, help="the acting account")
    q.set_defaults(run=supervision.cmd_supervise_return)
    q = supervise.add_parser("withdraw", help="withdraw an item (it is kept, marked withdrawn)")
    q.add_argument("id", type=int)
    q.add_argument("--note", required=True)
    q.add_argument("--by", default=None, help="the acting account")
    q.set_defaults(run=supervision.cmd_supervise_withdraw)

    p = sub.add_parser("notify", help="send what is due to DingTalk, WeCom, email and webhooks (channels.toml)")
    p.add_argument("what", nargs="?", choices=("log",), help="log: the deliveries, newest first")
    p.add_argument("--dry-run", action="store_true", help="list what is due; send and record nothing")
    p.add_argument("--retry", action="store_true", help="retry failed deliveries now, not after their back-off")
    p.add_argument("--watch", action="store_true", help="keep sending (the sender process)")
    p.add_argument("--failed", action="store_true", help="with log: failures and expired messages only")
    p.set_defaults(run=sending.cmd_notify)

    p = sub.add_parser("user", help="manage accounts")
    user_sub = p.add_subparsers(dest="user_command", required=True)
    q = user_sub.add_parser("add", help="add an account (password from SANSE_PASSWORD, else asked twice)")
    q.add_argument("name")
    q.add_argument("--role", required=True, choices=("admin", "town", "viewer"))
    q.add_argument("--town", help="the town of a town account (name, code or alias)")
    q.set_defaults(run=accounts.cmd_user_add)
    q = user_sub.add_parser("passwd", help="set a new password (also lifts a sign-in lock-out)")
    q.add_argument("name")
    q.set_defaults(run=accounts.cmd_user_passwd)
    q = user_sub.add_parser("disable", help="stop an account from signing in")
    q.add_argument("name")
    q.add_argument("--enable", action="store_true", help="allow it again")
    q.set_defaults(run=accounts.cmd_user_disable)
    q = user_sub.add_parser("list", help="list the accounts")
    q.set_defaults(run=accounts.cmd_user_list)

    p = sub.add_parser("backup", help="write an archive of the store and the home's files (while the app runs)")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(run=store.cmd_backup)

    p = sub.add_parser("restore", help="fill an empty home (SQLite or SANSE_DATABASE_URL) from a backup")
    p.add_argument("archive", type=Path)
    p.set_defaults(run=store.cmd_restore, makes_home=True)

    p = sub.add_parser(
        "serve",
        help="start the dashboard in this process (options of `streamlit run`, e.g. --server.port 8502)",
    )
    p.set_defaults(run=homes.cmd_serve)

    p = sub.add_parser("demo-data", help="write synthetic demo data")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--towns", type=int, default=23)
    p.add_argument("--days", type=int, default=60)
    p.add_argument("--records", action="store_true", help="record-level tables instead of daily reports")
    p.add_argument("--seed", type=int, default=None)
    p.set_defaults(run=homes.cmd_demo_data, makes_home=True)  # writes a folder, not a home
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
