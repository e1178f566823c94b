"""`sanse supervise`: list, check, add, answer, close, return and withdraw 督办事项."""

from __future__ import annotations

import sys

from sanse.access.roles import Forbidden
from sanse.cli.commands.accounts import publisher
from sanse.cli.commands.store import check_supervision
from sanse.cli.outcome import OK, BadInput, noted
from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns


def cmd_supervise_list(home: Home, args) -> int:
    from sanse.facts import clock
    from sanse.supervision.ledger import list_items

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
    from sanse.deployment.towns import normalize_spelling, town_lookup

    town = town_lookup(towns).get(normalize_spelling(spelling))
    if town is None:
        raise BadInput(f"“{spelling}”不是 towns.csv 里的镇街")
    return town.code


def cmd_supervise_check(home: Home, args) -> int:
    check_supervision(home, always=True)
    return OK


def _supervision_step(step) -> int:
    """Run one step on an item; a refused step is bad input (exit 1)."""
    from sanse.supervision.items import SupervisionError

    try:
        item = step()
    except (SupervisionError, Forbidden) as exc:
        raise BadInput(str(exc)) from exc
    noted(f"督办事项 {item.id}：{item.status_label}")
    print(f"督办事项 {item.id}：{item.status_label}")
    return OK


def cmd_supervise_add(home: Home, args) -> int:
    from sanse.sending.queue import queue_new_items
    from sanse.supervision.lifecycle import add_item

    return _supervision_step(
        lambda: add_item(
            home,
            args.town,
            measure=args.measure,
            reason=args.reason,
            deadline=args.deadline,
            by=publisher(home, args.by),
            announce=queue_new_items,
        )
    )


def cmd_supervise_answer(home: Home, args) -> int:
    from sanse.supervision.lifecycle import answer

    files = []
    for path in args.file:
        if not path.is_file():
            raise BadInput(f"找不到文件 {path}")
        files.append((path.name, path.read_bytes()))
    return _supervision_step(lambda: answer(home, args.id, args.text, by=publisher(home, args.by), files=files))


def cmd_supervise_close(home: Home, args) -> int:
    from sanse.supervision.lifecycle import close

    return _supervision_step(lambda: close(home, args.id, by=publisher(home, args.by), note=args.note))


def cmd_supervise_return(home: Home, args) -> int:
    from sanse.supervision.lifecycle import return_item

    return _supervision_step(lambda: return_item(home, args.id, args.comment, by=publisher(home, args.by)))


def cmd_supervise_withdraw(home: Home, args) -> int:
    from sanse.supervision.lifecycle import withdraw

    return _supervision_step(lambda: withdraw(home, args.id, by=publisher(home, args.by), note=args.note))
