"""/supervision on a freshly started server: hands over to app.py (see ui/entry.py)."""

from sanse.ui.entry import run_app

run_app()
