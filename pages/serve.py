"""Start the dashboard: `python -m pages.serve [streamlit run options]` (what `make run` does).

Streamlit treats a folder named `pages/` beside the entry script as its old automatic multipage
mode until `st.navigation` has run once in the server process. A deep link opened as the first
request after a restart (a shared `/weekly-review?site=...`) would then land on the wrong page.
Declaring up front that this app routes with `st.navigation` makes every first request behave."""
import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

ENTRY = Path(__file__).resolve().parents[1] / "dashboard.py"


def main() -> None:
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(ENTRY), *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
