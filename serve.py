"""Start the app: ``python serve.py [streamlit options]``, which is ``streamlit run app.py`` plus one fix.

app.py navigates with ``st.navigation`` but the design keeps its page files in ``pages/``. Streamlit
1.67 decides per process whether ``pages/`` means the old directory-based navigation, and only
learns otherwise when ``st.navigation`` first runs: so the very first visitor of a fresh server who
opens a page link (``/training``, ``/reflect``, …) got a "Page not found" dialog. Declaring the
directory unused before the server starts removes it. Streamlit's own settings still apply
(``STREAMLIT_SERVER_PORT`` and the other ``STREAMLIT_*`` variables, or ``--server.port`` here), with
``.streamlit/config.toml`` (production serving: no file watcher).

Two more things for a classroom server: the import-time heap is frozen out of the garbage
collector's full scans (see ``_freeze_import_heap``), and the default studies of the study pages
start computing in the background as soon as the server runs (``ui.studies``).
"""

import gc
import os
import sys
import threading
import time
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = str(Path(__file__).with_name("app.py"))


def _warm_when_ready(timeout_s: float = 120.0) -> None:
    """Start the default studies (ui.studies) as soon as Streamlit's runtime exists, so that
    they share its cache: the first visitor finds them done or under way, never not started."""
    from streamlit.runtime import Runtime

    deadline = time.monotonic() + timeout_s
    while not Runtime.exists() and time.monotonic() < deadline:
        time.sleep(0.2)  # bounded by the deadline
    if Runtime.exists():
        from ui import studies

        studies.start_warmup()


def _freeze_import_heap() -> None:
    """Import what every page needs, then move those objects out of the garbage collector's sight.

    Streamlit runs a full ``gc.collect(2)`` after every script run and every fragment tick
    (``runner.postScriptGC``). With torch, plotly and pandas loaded that scan walks ~300,000
    long-lived objects and took 0.23 s under load, holding the GIL, so every session waited for it.
    Frozen at start-up (no session exists yet, so nothing of a user's is frozen), those objects are
    skipped and the collection takes microseconds; garbage made later is still collected.
    """
    import plotly.graph_objects  # noqa: F401
    import torch  # noqa: F401

    import hra_viz.views.figures  # noqa: F401
    import hra_viz.views.live  # noqa: F401
    import ui.studies  # noqa: F401  (state, ui, text, views: what the pages import)

    gc.collect()
    gc.freeze()


def main() -> int:
    PagesManager.uses_pages_directory = False  # app.py's st.navigation owns the pages
    if os.environ.get("HRA_VIZ_GC_FREEZE", "1") != "0":  # 0: for the before/after benchmark only
        _freeze_import_heap()
    threading.Thread(target=_warm_when_ready, name="hra-viz-warm-start", daemon=True).start()
    sys.argv = ["streamlit", "run", APP, *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
