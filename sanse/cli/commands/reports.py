"""`sanse ingest` and `ingest-records`: daily report files and record-level tables, each
checked in full before anything is written, then the warehouse rebuilt."""

from __future__ import annotations

import sys

from sanse.access.roles import Forbidden, User
from sanse.cli.commands.accounts import acting_as
from sanse.cli.commands.store import build_warehouse
from sanse.cli.outcome import OK, BadInput, noted
from sanse.deployment.home import Home

WARNINGS_SHOWN = 20  # a month of files can raise hundreds; the upload page lists them all


def cmd_ingest(home: Home, args) -> int:
    user = acting_as(home, args.user)
    contents = []
    for path in args.files:
        if not path.is_file():
            raise BadInput(f"找不到文件 {path}")
        contents.append((path.name, path.read_bytes()))
    ingest_all(home, contents, by=user)
    if not args.no_build:
        build_warehouse(home)
    return OK


def ingest_all(home: Home, contents: list[tuple[str, bytes]], *, by: User, show_warnings: bool = True) -> None:
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
        noted(done)
        print(done)


def cmd_ingest_records(home: Home, args) -> int:
    from sanse.pipelines.records.ingest import ingest_records

    user = acting_as(home, args.user)
    if user.role != "admin":  # record-level tables cover many towns at once
        raise BadInput(f"账号 {user.name}：记录级数据只能由管理员导入")
    result = ingest_records(home, args.folder, by=user.name)
    if not result.ok:
        raise BadInput("记录数据有错误，没有导入任何数据：\n" + "\n".join(str(p) for p in result.errors))
    noted(result.summary)
    print(result.summary)
    if not args.no_build:
        build_warehouse(home)
    return OK
