"""Start the app: ``python serve.py [streamlit options]``, which is ``streamlit run app.py`` plus one fix.

app.py navigates with ``st.navigation`` but the design keeps its page files in ``pages/``. Streamlit
1.67 decides per process whether ``pages/`` means the old directory-based navigation, and only
learns otherwise when ``st.navigation`` first runs: so the very first visitor of a fresh server who
opens a page link (``/training``, ``/reflect``, …) got a "Page not found" dialog. Declaring the
directory unused before the server starts removes it. Streamlit's own settings still apply
(``STREAMLIT_SERVER_PORT`` and the other ``STREAMLIT_*`` variables, or ``--server.port`` here).
"""

import sys
import threading
import time
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = str(Path(__file__).with_name("app.py"))


def _warm_when_ready(timeout_s: float = 120.0) -> None:
    """Start the default studies (hra_viz.app.studies) as soon as Streamlit's runtime exists, so that
    they share its cache: the first visitor finds them done or under way, never not started."""
    from streamlit.runtime import Runtime

    deadline = time.monotonic() + timeout_s
    while not Runtime.exists() and time.monotonic() < deadline:
        time.sleep(0.2)  # bounded by the deadline
    if Runtime.exists():
        from hra_viz.app import studies

        studies.start_warmup()


def main() -> int:
    PagesManager.uses_pages_directory = False  # app.py's st.navigation owns the pages
    threading.Thread(target=_warm_when_ready, name="hra-viz-warm-start", daemon=True).start()
    sys.argv = ["streamlit", "run", APP, *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
