"""`pip install .` (not editable) gives a working `sanse`: the wheel is built, installed into a
fresh virtual environment (its dependencies taken from this one's, so nothing is downloaded),
and the installed command makes the demo city, ranks it, writes every export and serves the
dashboard — from a folder that holds no checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from deployment import wait_until_healthy
from ports import free_port

from sanse.publishing.exports import EXPORTS

pytestmark = pytest.mark.deploy
ROOT = Path(__file__).parents[1]


_LEFT_BEHIND = shutil.ignore_patterns(".*venv", ".git", "*.egg-info", "__pycache__")


def _left_behind(folder: str, names: list[str]) -> set[str]:
    """What a build must not see: environments, caches, and at the top the earlier build/ and the
    home's data (pipelines/build/ is code)."""
    top = {"build", "data", "screenshots"} if Path(folder) == ROOT else set()
    return set(_LEFT_BEHIND(folder, names)) | (top & set(names))


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a fresh virtual environment with the built wheel installed."""
    folder = tmp_path_factory.mktemp("package")
    # A copy of the project without what earlier builds and runs left in it (a stale build/
    # would carry removed modules into the wheel).
    source = folder / "source"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=_left_behind,
    )
    wheels = folder / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
        ],
        check=True,
        capture_output=True,
    )
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # The dependencies come from this environment's site-packages, added as a plain path: the
    # .pth files there (this checkout's editable install among them) are not read.
    purelib = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    (purelib / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (wheel,) = wheels.glob("sanse-*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return venv / "bin"


def run(bin_folder: Path, cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("SANSE_HOME", "SANSE_DATABASE_URL", "PYTHONPATH")}
    done = subprocess.run(
        [str(bin_folder / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_installed_package_runs_from_its_own_files(installed, tmp_path):
    where = run(
        installed, tmp_path, "python", "-c", "import sanse, sanse.ui.entry; print(sanse.__file__, sanse.ui.entry.APP)"
    )
    assert all(str(installed.parent) in path for path in where.split())
    assert "frame" in where  # the dashboard's app.py from the package, not a checkout's


def test_the_installed_sanse_makes_the_demo_ranks_it_and_writes_every_export(installed, tmp_path):
    home = tmp_path / "home"
    run(installed, tmp_path, "sanse", "--home", str(home), "init", "--demo", "--publish-days", "1")
    last_day = run(
        installed,
        tmp_path,
        "python",
        "-c",
        f"from sanse.publishing.issue import list_issues; from sanse.deployment.home import Home; print(list_issues(Home({str(home)!r}))[-1].day)",
    ).strip()

    ranking = run(installed, tmp_path, "sanse", "--home", str(home), "rank", "--date", last_day, "--format", "csv")
    assert len(ranking.splitlines()) == 1 + 23  # the header and the demo's 23 towns

    for fmt in EXPORTS:
        out = tmp_path / f"bulletin.{fmt}"
        run(
            installed,
            tmp_path,
            "sanse",
            "--home",
            str(home),
            "export",
            "--date",
            last_day,
            "--format",
            fmt,
            "--out",
            str(out),
        )
        assert out.stat().st_size > 0


def test_sanse_serve_starts_the_dashboard_with_the_project_settings(installed, tmp_path):
    home = tmp_path / "home"
    run(installed, tmp_path, "sanse", "--home", str(home), "init", "--demo")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SANSE_HOME", "SANSE_DATABASE_URL")}
    server = subprocess.Popen(
        [
            str(installed / "sanse"),
            "--home",
            str(home),
            "serve",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", server)
    finally:
        server.terminate()
        server.wait(timeout=30)
