"""The garbage collector told what stays: what a server imports lives as long as it does.

Python's full collection walks every object the process holds, the hundreds of thousands that
pandas, Plotly, DuckDB and Streamlit bring, though none of them ever becomes garbage; with 60
sessions at once one came every second or so and held the interpreter for 0.1–0.4 s, every
visitor waiting behind it. After a page run that imported something new, everything that
exists is frozen (`gc.freeze`): later collections walk only what was made since. Only the
runs that import freeze, so what little of theirs becomes garbage later stays, once.
"""

from __future__ import annotations

import gc
import sys

_modules = 0  # how many modules the last freeze saw


def settle() -> None:
    """After a page run: freeze what exists if the run imported a module."""
    global _modules
    if len(sys.modules) != _modules:
        _modules = len(sys.modules)
        gc.freeze()
