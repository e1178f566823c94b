"""What a run of `sanse` comes to: its exit codes, the refusal a command raises, and what it
has committed to the store so far (design §7)."""

from __future__ import annotations

OK, BAD_INPUT, USAGE, COMMITTED = 0, 1, 2, 3

# What this run has committed to the store, in the user's words: if a later step fails, the
# exit code is 3 and the message lists these (exit 1 promises that nothing was written).
committed: list[str] = []


class BadInput(Exception):
    """Reported to the user on stderr; exit code 1 (3 once something was committed)."""


def noted(what: str) -> None:
    """Say that `what` is committed: kept whatever fails after it."""
    committed.append(what)
