"""Shared helpers for the AppTest page tests: open the app, go to a page with a query string."""

import json

from streamlit.testing.v1 import AppTest


def open_page(page: str, lang: str = "en", **query) -> AppTest:
    """Open the app (st.navigation registers the pages), then switch to ``page`` with ``query`` in the URL."""
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_sections(at) -> AppTest:
    """Open every folded section of the page (``ui.show_sections``: closed expanders whose content is
    built once opened) and rerun, as a visitor who clicks each one. Returns ``at``."""
    keys = [k for k in at.session_state.keys() if str(k).startswith("open_")]
    for k in keys:
        at.session_state[k] = True
    if keys:
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
