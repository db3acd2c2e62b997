"""Real-browser end-to-end fixtures: a Streamlit server per test module and one headless Chromium.

The server starts the way Streamlit's own e2e suite starts it (see e2e_util.start_server). Chromium is
Debian's ``/usr/bin/chromium`` driven by the ``playwright`` Python package (``playwright install``
cannot download browsers here). Without Chromium the tests skip locally and FAIL in CI (``$CI`` set).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from e2e_util import CHROMIUM, CHROMIUM_ARGS, ROOT, dialogs, goto, server_tracebacks, start_server

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Everything under tests/e2e is marked e2e; without Chromium: skip locally, fail in CI."""
    skip_locally = not CHROMIUM.exists() and not os.environ.get("CI")
    for item in items:
        if HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if skip_locally:
            item.add_marker(
                pytest.mark.skip(reason=f"e2e: {CHROMIUM} missing (apt-get install chromium); CI never skips")
            )


@pytest.fixture(scope="session")
def hra_cache(tmp_path_factory) -> Path:
    """The servers' $HRA_VIZ_CACHE: pre-warmed from the checkout's .cache when there is one; otherwise
    the first server pretrains the base models once and later servers reuse them."""
    d = tmp_path_factory.mktemp("hra_viz_cache")
    local = ROOT / ".cache" / "hra_viz"
    if local.is_dir():
        for f in local.glob("*.safetensors"):
            shutil.copy2(f, d / f.name)
    return d


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():  # only reached in CI (locally the tests were skipped)
        pytest.fail(f"{CHROMIUM} not found: CI must install chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        br = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield br
        finally:
            br.close()
    finally:
        pw.stop()


@pytest.fixture(scope="module")
def server(hra_cache, tmp_path_factory, browser):
    """A fresh Streamlit server for this test module (``.url``, ``.pid``, ``.rss_mb()``), warmed up by one
    visit; stopped (with its process group) afterwards. A traceback in its log fails.

    The warm-up visit is the server's very first session and goes straight to a page link: it must
    show that page with no "Page not found" dialog (serve.py's fix for Streamlit's first-run quirk)."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    srv = start_server(hra_cache, log)
    try:
        ctx = browser.new_context()
        try:
            first = ctx.new_page()
            goto(first, srv.url + "/reflect")  # first session: imports torch, loads/pretrains tasks
            assert not [d for d in dialogs(first) if "not found" in d.lower()], dialogs(first)
            assert first.url.rstrip("/").endswith("/reflect")
        finally:
            ctx.close()
        yield srv
    finally:
        srv.stop()
    text = log.read_text(errors="replace")
    assert not server_tracebacks(text), text[-4000:]


@pytest.fixture(scope="module")
def base_url(server) -> str:
    return server.url


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    ctx.set_default_timeout(60_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()
