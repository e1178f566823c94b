"""What a publication queues (design §12): the bulletin for the channels that take it, and each
town's own message for its town's or group's channels. What takes time (what it would take to
move up a tier, the open items) is worked out from the frozen issue before the publication's
transaction; inside it the messages are only formatted and stored. `queue_messages` is what
the interfaces hand `publish_bulletin` as its `then`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.engine import Connection

from sanse.deployment.home import Home
from sanse.publishing.issue import Issue
from sanse.ranking.what_it_takes import what_it_takes_each
from sanse.sending.channels import Channels
from sanse.sending.messages import TownFacts, bulletin_message, lift_sentence, town_message
from sanse.sending.queue import configured, queue, rendered
from sanse.supervision.items import DONE, STATUSES
from sanse.supervision.ledger import list_items


def queue_messages(home: Home, frozen: Issue) -> Callable[[Connection, Issue, int], int]:
    """The messages of a publication: their facts worked out now from the frozen issue, and
    what queues them inside the publication's transaction once the issue is stored."""
    prepared = prepare_publication(home, frozen)
    return lambda conn, issue, seq: queue_publication(conn, prepared, issue, seq)


@dataclass(frozen=True)
class Prepared:
    channels: Channels
    facts: dict[str, TownFacts] = field(default_factory=dict)  # by town code, for towns with a channel


def prepare_publication(home: Home, issue: Issue) -> Prepared:
    """The channels configured now, and the facts of each town that has a channel wanting its
    message, from the frozen issue (`issue`: number and version may still be unset)."""
    channels = configured(home.root)
    towns = {row["code"] for row in issue.ranking if channels.wanting("town", row["code"])}
    if not towns:
        return Prepared(channels)
    open_items: dict[str, list[dict]] = {}
    for item in list_items(home, status=tuple(s for s in STATUSES if s not in DONE)):
        if item.town_code in towns:
            entry = {"measure": item.measure_label, "reason": item.reason, "deadline": item.deadline.isoformat()}
            open_items.setdefault(item.town_code, []).append(entry)
    lifts = _lifts(issue, towns)
    facts = {code: TownFacts(tuple(lifts.get(code, ())), tuple(open_items.get(code, ()))) for code in towns}
    return Prepared(channels, facts)


def _lifts(issue: Issue, towns: set[str]) -> dict[str, list[str]]:
    """What it would take each of `towns` (not blue) to move up a tier, from the issue's own
    window sums and rules: the sentence the town's page shows."""
    rows = [r for r in issue.ranking if r["code"] in towns and r["tier"] not in ("blue", None)]
    if not rows:
        return {}
    rules = issue.rules_used()
    # only what the ranking reads: each trial copies the block hundreds of times
    counts = [c for i in rules.indicators for c in (i.numerator, i.denominator)] + list(rules.tie_break)
    columns = list(dict.fromkeys(["group", "code", "inspections", *counts]))
    frame = pd.DataFrame([r for r in issue.ranking if r["tier"] is not None])  # as ranked: 未报送 towns are not
    frame = frame[[c for c in columns if c in frame.columns]].assign(date=issue.day)
    lifts = {}
    climbing = {row["code"]: row for row in rows}
    for _, block in frame.groupby("group", sort=False):
        mine = [code for code in block["code"] if code in climbing]
        if not mine:
            continue
        for code, found in what_it_takes_each(block, mine, rules).items():
            has_inspections = (climbing[code].get("inspections") or 0) > 0
            lifts[code] = [lift_sentence(lift, has_inspections=has_inspections) for lift in found]
    return lifts


def queue_publication(conn: Connection, prepared: Prepared, issue: Issue, seq: int) -> int:
    """Queue, in the publication's transaction, the bulletin and every town's message of the
    issue stored as `seq`."""
    channels, public = prepared.channels, prepared.channels.public_url
    deliveries = list(rendered(channels.wanting("bulletin"), lambda esc: bulletin_message(issue, seq, public, esc)))
    for row in issue.ranking:
        facts = prepared.facts.get(row["code"])
        if facts is None:
            continue
        wanting = channels.wanting("town", row["code"])
        deliveries += rendered(
            wanting, lambda esc, row=row, facts=facts: town_message(issue, seq, row, facts, public, esc)
        )
    return queue(conn, deliveries)
