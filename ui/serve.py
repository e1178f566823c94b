"""Start the dashboard: `python -m ui.serve [streamlit options]`, which is `streamlit run app.py`
with one difference.

app.py chooses its pages with st.navigation, and the project keeps them in a folder named
pages/, which Streamlit also reads as a legacy multipage app. On the first run after the
server starts it would run app.py as that legacy app's main page and answer a link to any
other page with "Page not found" before app.py's navigation takes over. Telling Streamlit
up front that the folder is not a legacy app makes the first link open its page like any other.
"""

import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"


def main() -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
