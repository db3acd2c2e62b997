"""A fresh server as `make run` starts it, warm-up on: the first visitor of a study page sees the default
study's progress (never a blank page), and once the warm-up has logged it done, a new visitor sees the
study drawn with no button pressed."""

import time

import pytest
from e2e_util import exceptions, goto, server_tracebacks, start_server

WARM_LIMIT_S = 600  # the whole warm-up on a busy 2-core machine; it logs each study as it ends


@pytest.fixture(scope="module")
def warm_server(hra_cache, tmp_path_factory):
    log = tmp_path_factory.mktemp("streamlit-warm") / "server.log"
    srv = start_server(hra_cache, log, env_extra={"HRA_VIZ_WARM": "1"})
    try:
        yield srv
    finally:
        srv.stop()
    text = log.read_text(errors="replace")
    assert not server_tracebacks(text), text[-4000:]


def _charts_drawn(page) -> int:
    return page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')]"
        ".filter(el => el._fullLayout && el.querySelector('.main-svg')).length"
    )


def _wait_logged(server, needle: str) -> None:
    deadline = time.monotonic() + WARM_LIMIT_S
    while needle not in server.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"{needle!r} not in the server log after {WARM_LIMIT_S} s"
        time.sleep(1.0)  # bounded by the deadline


def test_first_visitor_sees_progress_then_the_default_study(browser, warm_server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(90_000)
    try:
        page = ctx.new_page()
        goto(page, f"{warm_server.url}/chain-length")  # first visitor, right after start-up
        assert exceptions(page) == []
        assert page.locator("[data-testid=stMain] h1").count() == 1
        done = "hra-viz warm-up: chain done" in warm_server.log.read_text(errors="replace")
        # not blank: the study (if the warm-up already got there) or its progress bar
        page.wait_for_function(
            "() => document.querySelector('[data-testid=stProgress]') !== null"
            " || document.querySelector('[data-testid=stPlotlyChart] .main-svg') !== null",
            timeout=60_000,
        )
        if not done:
            assert "runs done" in page.locator("[data-testid=stMain]").inner_text()
    finally:
        ctx.close()

    _wait_logged(warm_server, "hra-viz warm-up: chain done")
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(90_000)
    try:
        page = ctx.new_page()
        goto(page, f"{warm_server.url}/chain-length")  # a later visitor, default settings, no click
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')]"
            ".some(el => el._fullLayout && el.querySelector('.main-svg'))",
            timeout=60_000,
        )
        assert _charts_drawn(page) >= 1
        assert page.locator("[data-testid=stProgress]").count() == 0
        assert exceptions(page) == []
        # other settings: the button and its hint, no precomputed result
        goto(page, f"{warm_server.url}/chain-length?steps=20")
        assert _charts_drawn(page) == 0
        assert page.locator(".st-key-chain_run button").count() == 1
    finally:
        ctx.close()
