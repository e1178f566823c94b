"""Shared fixtures: a demo home built once per session, copied for tests that write."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sanse.cli import main
from sanse.home import Home


@pytest.fixture(scope="session")
def demo_home_readonly(tmp_path_factory) -> Home:
    """The demo city, initialised and built once. Do not write to it: use `demo_home`."""
    root = tmp_path_factory.mktemp("demo-home")
    assert main(["--home", str(root), "init", "--demo"]) == 0
    return Home(root)


@pytest.fixture
def demo_home(demo_home_readonly: Home, tmp_path: Path) -> Home:
    """A private copy of the built demo city."""
    root = tmp_path / "home"
    shutil.copytree(demo_home_readonly.root, root)
    return Home(root)
