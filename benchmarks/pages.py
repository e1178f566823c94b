"""How long each dashboard page takes to run on the server (design §10: under 300 ms on the demo
city, under 1 s for a province day). Not a pass/fail test: prints medians and each page's
ratio to the overview measured in the same run.

    .venv/bin/python benchmarks/pages.py                   # the demo city, built in a temp dir
    .venv/bin/python benchmarks/pages.py --home DIR        # any built home (e.g. the province)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

PAGES = {
    "overview": None,
    "ranking": "read/ranking.py",
    "periods": "read/periods.py",
    "town": "read/town.py",
    "bulletin": "read/bulletin.py",
    "rules": "read/rules.py",
    "confidence": "read/confidence.py",
    "submit": "work/submit.py",
    "supervision": "work/supervision.py",
    "audit": "work/audit.py",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="a built home; default: a fresh demo city")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from sanse.cli.main import main as sanse

    if args.home is None:
        args.home = Path(tempfile.mkdtemp()) / "home"
        sanse(["--home", str(args.home), "init", "--demo", "--publish-days", "5"])
    os.environ["SANSE_HOME"] = str(args.home)

    from streamlit.testing.v1 import AppTest

    from sanse.access.roles import User

    admin = User("bench", "admin")
    from sanse.access.accounts import add_user, get_user
    from sanse.access.sessions import start_session
    from sanse.deployment.home import Home

    if get_user(Home(args.home), admin.name) is None:
        add_user(Home(args.home), admin.name, role="admin", password="benchmark only 1")

    print(f"home: {args.home}\n{'page':<12}{'median ms':>10}{'min ms':>9}{'× overview':>12}")
    medians = {}
    for page, path in PAGES.items():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["sanse.session"] = start_session(Home(args.home), admin).token  # signed in as a browser is
        at.run()  # warm: imports, caches of this process
        if path:
            at.switch_page(f"pages/{path}")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - start) * 1000)
            assert not at.exception, [e.value for e in at.exception]
        medians[page] = statistics.median(times)
        ratio = medians[page] / medians["overview"]
        print(f"{page:<12}{medians[page]:>10.0f}{min(times):>9.0f}{ratio:>12.2f}")


if __name__ == "__main__":
    main()
