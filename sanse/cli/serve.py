"""Start one dashboard server in this process: `sanse serve [streamlit options]`, which is
`streamlit run app.py` from wherever the package is installed, with the project's server
settings (.streamlit/config.toml) whatever the working folder. Several processes behind a
balancer are the process manager's and HAProxy's job (deploy/).

Before the server answers, the modules the pages need are imported and Streamlit's theme
options are kept between config parses (keep_theme_options): the first visitor after a start
does not wait for either.
"""

from __future__ import annotations

import importlib
import os
import sys
import tomllib
from importlib.resources import files
from pathlib import Path

# The dashboard's frame as the package carries it (sanse/ui/frame/__init__.py says why there);
# found by its place in the package, not by importing the dashboard's code.
FRAME = Path(str(files("sanse.ui.frame")))
APP = (FRAME / "app.py").resolve()
STREAMLIT_CONFIG = FRAME / ".streamlit" / "config.toml"

# What the pages import, imported before the server answers: otherwise the first visitor after
# a start waits a second or more for them, and every visitor behind that one waits too. (Not
# ui.*: their caches are made as the server runs. streamlit.emojis compiles the pattern that
# st.set_page_config checks the page icon with, 0.1 s.)
PRELOAD = (
    "pandas",
    "duckdb",
    "plotly.express",
    "sanse.ranking.rank",
    "sanse.ranking.warehouse",
    "sanse.access.signin",
    "sanse.i18n",
    "streamlit.emojis",
)


def main(options: list[str]) -> None:
    from streamlit.web import cli

    # Streamlit's web server would take X-Forwarded-For from any loopback peer on its own;
    # which peers may say who the client is is [access] trusted_proxies, applied by the app.
    os.environ["FORWARDED_ALLOW_IPS"] = ""
    route_with_navigation()
    keep_theme_options()
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            if not name.startswith("streamlit."):  # a Streamlit release may move its own modules
                raise
    sys.argv = ["streamlit", "run", str(APP), *project_settings(), *options]
    cli.main()


def project_settings() -> list[str]:
    """The project's .streamlit/config.toml as `streamlit run` options (options given after
    them win), so that the settings hold wherever the server is started from."""
    with STREAMLIT_CONFIG.open("rb") as file:
        sections = tomllib.load(file)
    return list(_options(sections, ""))


def _options(table: dict, prefix: str):
    for name, value in table.items():
        if isinstance(value, dict):  # a nested section, as [theme.sidebar]
            yield from _options(value, f"{prefix}{name}.")
        else:
            yield f"--{prefix}{name}"
            yield str(value).lower() if isinstance(value, bool) else str(value)


def route_with_navigation() -> None:
    """Tell Streamlit from the start that app.py routes with st.navigation. Seeing a pages/
    folder (ui/entry.py says why there is one), it would otherwise run the first page of a new
    process as an old-style multipage app: the sidebar's widgets of that first session would
    get other ids than on its later runs, and its first sign-in would go unanswered."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # another Streamlit release: the first session after a start may need a reload
        return
    PagesManager.uses_pages_directory = False


def keep_theme_options() -> None:
    """Streamlit sends the theme with every page run, gathering it each time by scanning all of
    its config options once for each of six theme sections: a fifth of the work of a page run
    once the pages themselves are cached. The options change only when the config is parsed
    again (at start, or when config.toml changes), so each section's answer is kept until then.
    Without the function this relies on (another Streamlit release), nothing changes."""
    from streamlit import config

    scan = getattr(config, "get_options_for_section", None)
    if scan is None or not hasattr(config, "on_config_parsed"):
        return
    kept: dict[str, dict] = {}

    def options_for_section(section: str) -> dict:
        if not section.startswith("theme"):
            return scan(section)
        if section not in kept:
            kept[section] = scan(section)
        return dict(kept[section])

    config.on_config_parsed(kept.clear, force_connect=True)
    config.get_options_for_section = options_for_section


if __name__ == "__main__":
    main(sys.argv[1:])
