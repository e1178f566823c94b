"""The days and periods a command is given: how they are read from the command line, and the
campaign they must fall in."""

from __future__ import annotations

import argparse
from datetime import date

from sanse.cli.outcome import BadInput
from sanse.facts import clock
from sanse.facts.periods import KIND_OF, PERIOD_KINDS, PeriodError, parse_period

PERIOD_HELP = f"{', '.join(KIND_OF[kind].example for kind in PERIOD_KINDS)} or FROM..TO"
FIRST_DAY = date(2000, 1, 1)  # no campaign runs earlier: a date before it is a slip of the keyboard


def period(text: str):
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写成 YYYY-MM-DD，而不是“{text}”") from None


def within_campaign(settings, when, refused: str) -> None:
    """A day or period asked for must overlap the campaign: from its start to today (Beijing)."""
    first, last = (when, when) if isinstance(when, date) else (when.first, when.last)
    start, today = settings.campaign.start or FIRST_DAY, clock.today()
    if last < start or first > today:
        what = when if isinstance(when, date) else f"{when.label}（{when.span}）"
        raise BadInput(f"{what} {refused}：不在运动期间（{start} 至今天 {today}）内")
