"""Shared fixtures: a demo home built once per session, copied for tests that write."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from sanse.cli import main
from sanse.home import Home
from sanse.store import close_all, schema


def copy_home(source: Home, root: Path) -> Home:
    """A private copy of a home and its SQLite store (connections closed first, so the copy
    holds every committed write)."""
    close_all()
    shutil.copytree(source.root, root)
    return Home(root)


def stored(home: Home) -> dict[str, int]:
    """How many rows each table of the store holds: what a refused write must leave alone. (Reading
    the rules stores a new rules.toml, so the rules versions are not counted.)"""
    with home.store.reading() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in schema.metadata.sorted_tables if t.name not in ("turns", "rules_versions")}


@pytest.fixture(scope="session")
def demo_home_readonly(tmp_path_factory) -> Home:
    """The demo city, initialised and built once. Do not write to it: use `demo_home`."""
    root = tmp_path_factory.mktemp("demo-home")
    assert main(["--home", str(root), "init", "--demo"]) == 0
    return Home(root)


@pytest.fixture
def demo_home(demo_home_readonly: Home, tmp_path: Path) -> Home:
    """A private copy of the built demo city."""
    return copy_home(demo_home_readonly, tmp_path / "home")
