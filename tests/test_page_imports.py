"""The pages and app.py import only the dashboard's layer (sanse.ui), Streamlit and the standard
library: what a page shows comes through a sanse.ui function that calls the domain. (The pages
are files Streamlit runs, not a package, so import-linter does not see them.)"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
ALLOWED = ("sanse.ui", "streamlit")


def page_files() -> list[Path]:
    return sorted([ROOT / "app.py", *(ROOT / "pages").rglob("*.py")])


def imported(path: Path) -> set[str]:
    """The modules a file imports, at any depth of its code."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: a relative import"
            names.add(node.module)
    return names


def allowed(module: str) -> bool:
    top = module.partition(".")[0]
    return top in sys.stdlib_module_names or any(module == a or module.startswith(f"{a}.") for a in ALLOWED)


def test_pages_and_app_import_only_sanse_ui_streamlit_and_the_standard_library():
    below = {}
    for path in page_files():
        outside = {module for module in imported(path) if not allowed(module)}
        if outside:
            below[path.relative_to(ROOT).as_posix()] = outside
    assert below == {}
