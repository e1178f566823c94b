"""A page run's frame: the state of the data asked once in the run (sanse.ui.pagerun), never a
traceback for a user (a store that cannot be reached or is full says so in its own plain
words), and the garbage collector settled after it (sanse.ui.memory)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from sanse.store import StoreError
from sanse.ui.memory import settle
from sanse.ui.pagerun import one_run
from sanse.ui.session import t


def run_page(run: Callable[[], None], log: logging.Logger) -> None:
    """Run the page; a failure is logged to `log` and shown as one plain message."""
    try:
        with one_run():  # the state of the data asked once in this run
            run()
    except StoreError as failure:  # the database is unreachable or full: its own plain message
        log.exception("page run failed")
        st.error(str(failure))
    except Exception:  # never a traceback for a user (Streamlit's own stop and rerun are not Exceptions)
        log.exception("page run failed")
        st.error(t("error.unexpected"))
    finally:
        settle()  # the garbage collector leaves alone what the run imported
