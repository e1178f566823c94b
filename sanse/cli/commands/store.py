"""`sanse build`, `upgrade`, `backup` and `restore`: the warehouse brought up to date with the
store (and the 督办事项 its build calls for), a 0.1 home carried into the store, and the store
written to an archive and filled from one."""

from __future__ import annotations

import sys

from sanse.cli.outcome import OK, BadInput, noted
from sanse.deployment.home import Home
from sanse.store import StoreError, database_url, open_store


def cmd_build(home: Home, args) -> int:
    import duckdb

    from sanse.pipelines.records.objects import catch_up

    try:  # this server's copies of the records received, for the next import: derived, so never in the way
        fetched = catch_up(home)
        if fetched:
            print(f"已从存储取回 {fetched} 个记录文件", file=sys.stderr)
    except (duckdb.Error, OSError, StoreError) as exc:
        print(f"记录文件未能取回（下次导入记录时再取）：{str(exc).splitlines()[0]}", file=sys.stderr)
    build_warehouse(home)
    return OK


def cmd_upgrade(home: Home, args) -> int:
    from sanse.store.upgrade import carry_in

    counts = carry_in(open_store(database_url(home.root)), home.root)
    if counts is None:
        print(f"{home.root} 没有需要迁入的旧版数据（或已迁入）")
    else:
        noted(f"已迁入数据库：{counts}")
        print(f"已迁入数据库：{counts}")
        # exactly what the old home held: its 督办事项 come with the next build (or page visit)
        build_warehouse(home, supervise=False)
    return OK


def build_warehouse(home: Home, *, supervise: bool = True) -> None:
    from sanse.pipelines.build.models import CheckFailed
    from sanse.pipelines.build.warehouse import build

    try:
        result = build(home)
    except CheckFailed as exc:
        raise BadInput(str(exc)) from exc
    if result.repaired:
        print(result.repaired, file=sys.stderr)
    print(f"已生成数据仓库：{result.towns} 个镇街，{result.days} 个排名日", file=sys.stderr)
    if supervise:
        check_supervision(home)


def check_supervision(home: Home, *, always: bool = False) -> None:
    """Make the 督办事项 the consequence rules call for on the build just made."""
    from sanse.sending.queue import queue_new_items
    from sanse.supervision.triggers import check, check_if_behind

    result = check(home, announce=queue_new_items) if always else check_if_behind(home, announce=queue_new_items)
    if result.created or result.withdrawn or result.reinstated:
        noted(result.summary)
    if always or result.created or result.withdrawn or result.reinstated:
        print(result.summary, file=sys.stderr)


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
    noted(done)
    print(f"{done}；登录会话不随备份恢复")
    build_warehouse(home)
    return OK
