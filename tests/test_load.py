"""Smoke test of the morning rush: 10 browser sessions at once over Streamlit's websocket against
the dashboard as `make run` starts it. Every session must see every page through to the end of
its run with no exception. How long they take is the benchmark's business (benchmarks/load.py)."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.load

ROOT = Path(__file__).parents[1]


def _load_client():
    spec = importlib.util.spec_from_file_location("sanse_load_benchmark", ROOT / "benchmarks" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


load = _load_client()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    home = load.make_demo_home(tmp_path_factory.mktemp("load"))
    with load.running_server(home) as server:
        yield server.url


def test_ten_sessions_at_once_each_open_every_page_without_an_exception(dashboard):
    sessions = asyncio.run(load.rush(dashboard, 10, limit=300))

    assert [s.error for s in sessions if s.error] == []
    assert [e for s in sessions for e in s.exceptions] == []
    assert all(len(s.times) == len(load.VISIT) for s in sessions)
    for session in sessions:
        overview, ranking, again = session.elements
        assert "html" in overview  # the colour board
        assert {"dataframe", "plotly_chart"} <= ranking  # the table and the bar chart
        assert again == ranking
