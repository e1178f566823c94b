"""The door from a top-level file in pages/ to app.py, for the first page a fresh server runs.

Streamlit starts every server believing a folder named pages/ next to app.py is a legacy
multipage app (one page per top-level pages/*.py file, addressed by its name) until app.py
first calls st.navigation. The very first page run therefore looks the address up among
those files alone: a link to /ranking with no pages/ranking.py would get Streamlit's English
"Page not found" before app.py's navigation opens the page. So each page address has a
top-level file in pages/ that only runs app.py, which then routes as on every other run.
"""

import runpy
from pathlib import Path

# The top of the project in a checkout; the package's ui/frame in an installed `sanse`
# (ui/frame/app.py links to the checkout's app.py, so both name the same file there).
APP = (Path(__file__).parent / "frame" / "app.py").resolve()


def run_app() -> None:
    runpy.run_path(str(APP), run_name="__main__")
