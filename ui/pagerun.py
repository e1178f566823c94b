"""What one page run asks of the store and the warehouse, asked once in that run.

Every read of the dashboard is keyed by the state of the data (the build's identity, the
newest publication, the rules' generation), so that a new build or publication shows on the
very next page run; a page run asked for those a dozen times, each a query of the store.
Inside `one_run()` (every page run is in it: sanse.ui.guard) a function marked `per_run` answers
every call after the first with the same arguments from that first answer; outside a run (a
button's callback, which runs before the page; a file made for a download) it asks afresh.
`forget()` drops the answers after a write from this process within the run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_run = threading.local()  # a page run keeps to its script thread


@contextmanager
def one_run() -> Iterator[None]:
    """The page run in this block asks each `per_run` question once."""
    _run.answers = {}
    try:
        yield
    finally:
        _run.answers = None


def forget() -> None:
    """Ask again from here on (this run has just written to the store or built the warehouse)."""
    if getattr(_run, "answers", None) is not None:
        _run.answers = {}


def per_run(func: Callable[P, R]) -> Callable[P, R]:
    """`func` answered once per page run and arguments (the arguments must be hashable)."""

    @wraps(func)
    def answer(*args: P.args, **kwargs: P.kwargs) -> R:
        answers = getattr(_run, "answers", None)
        if answers is None:
            return func(*args, **kwargs)
        key = (func, args, tuple(kwargs.items()))
        if key not in answers:
            answers[key] = func(*args, **kwargs)
        return answers[key]

    return answer
