"""The messages the sender queues when they fall due (design §12): 催报 `remind_before` minutes
before the reporting deadline (never in quiet hours, never after the deadline) to each town
still missing and the list to the office; and an 逾期 notice once for each item that has just
passed its deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns
from sanse.facts import clock
from sanse.ranking.rulebook import settings_in_force
from sanse.reporting.status import day_reporting, reporting_settings
from sanse.sending.channels import Channels
from sanse.sending.messages import office_reminder, overdue_digest, overdue_message, town_reminder
from sanse.sending.queue import escape_for, queue, rendered
from sanse.supervision.items import DONE, STATUSES
from sanse.supervision.ledger import list_items

OVERDUE_NOTICE_DAYS = 2  # an item that passed its deadline longer ago than this is not announced


def queue_due(home: Home, channels: Channels, now: datetime) -> int:
    """Queue the reminders and overdue notices due at `now`; queuing them again changes nothing."""
    if not channels.channels:
        return 0
    towns = read_towns(home.towns_csv)
    deliveries, expiry = _reminders(home, channels, towns, now)
    overdue = _overdue(home, channels, towns, now)
    if not deliveries and not overdue:
        return 0
    with home.store.writing() as conn:
        queued = queue(conn, deliveries, now=now, expires_at=expiry) if deliveries else 0
        return queued + (queue(conn, overdue, now=now) if overdue else 0)


def _reminders(home: Home, channels: Channels, towns, now: datetime):
    if not channels.wanting("remind"):
        return [], None
    rules = reporting_settings(settings_in_force(home))
    day = clock.beijing(now).date() - timedelta(days=rules.days_after)
    due = rules.due(day)
    if not due - timedelta(minutes=rules.remind_before) <= now < due or rules.quiet(now):
        return [], None
    missing = day_reporting(home.store, towns, day, rules=rules, now=now).missing
    if not missing:
        return [], None
    public = channels.public_url
    deliveries = []
    for town in missing:
        entry = {"code": town.code, "name": town.name}
        for channel in channels.wanting("remind", town.code):
            mobiles = channel.at_mobiles if channel.kind == "dingtalk" else ()
            deliveries.append((channel, town_reminder(day, due, entry, public, mobiles, escape_for(channel))))
    listed = [{"code": t.code, "name": t.name} for t in missing]
    deliveries += rendered(channels.office("remind"), lambda esc: office_reminder(day, due, listed, public, esc))
    return deliveries, due


def _overdue(home: Home, channels: Channels, towns, now: datetime):
    """Each item that has just passed its deadline, to its town's channels; to the office, the
    items of one deadline day in one message (an item is overdue from the day after it)."""
    if not channels.wanting("overdue"):
        return []
    today = clock.beijing(now).date()
    names = {t.code: t.name for t in towns}
    still_open = tuple(s for s in STATUSES if s not in DONE)
    public = channels.public_url
    deliveries, by_deadline = [], {}
    for item in sorted(list_items(home, status=still_open), key=lambda i: (i.deadline, i.id)):
        if not today - timedelta(days=OVERDUE_NOTICE_DAYS) <= item.deadline < today:
            continue
        listed = {
            "id": item.id,
            "code": item.town_code,
            "town": names.get(item.town_code, item.town_code),
            "measure": item.measure_label,
            "reason": item.reason,
            "deadline": item.deadline.isoformat(),
        }
        by_deadline.setdefault(listed["deadline"], []).append(listed)
        wanting = channels.wanting("overdue", item.town_code)
        deliveries += rendered(wanting, lambda esc, listed=listed: overdue_message(listed, public, esc))
    for deadline, items in by_deadline.items():
        office = channels.office("overdue")
        deliveries += rendered(office, lambda esc, d=deadline, i=items: overdue_digest(i, d, public, esc))
    return deliveries
