"""Live training in a real browser: Play / Pause / Step, changing r, sharing the URL, the downloads."""

import zipfile
from io import BytesIO

import pytest
from e2e_util import drawn_trace_len, exceptions, goto, screenshot, trace_len, trace_xy, wait_idle

CURVES = "fig_live_curves"


def _n(page) -> int:
    return trace_len(page, CURVES, "HRA", "x2")  # points of HRA's target-accuracy curve


def _last_step(page) -> int:
    x, _ = trace_xy(page, CURVES, "HRA", "x2")
    return int(max(x)) if x else 0


def _wait_n(page, pred_js: str, timeout_ms: int = 60_000) -> None:
    """Wait (bounded) until the HRA target-accuracy trace length satisfies ``pred_js`` (a JS expr of n)."""
    page.wait_for_function(
        f"""() => {{
            const el = document.querySelector('.st-key-{CURVES} .js-plotly-plot');
            if (!el || !el._fullData) return false;
            const tr = el._fullData.find(t => t.name === 'HRA' && (t.xaxis || 'x') === 'x2');
            const n = tr ? (tr.x || []).length : 0;
            const last = tr && tr.x && tr.x.length ? Math.max(...tr.x) : 0;
            return {pred_js};
        }}""",
        polling=100,
        timeout=timeout_ms,
    )


def _slider_value(page, key: str) -> int:
    return int(page.locator(f".st-key-{key} input[type=range]").first.input_value())


GRAM_JS = (
    "(() => { const el = document.querySelector('.st-key-fig_live_gram .js-plotly-plot');"
    " return el && el._fullData ? el._fullData[0].z.length : -1; })()"
)


def _gram_size(page) -> int:
    return page.evaluate("() => " + GRAM_JS)


def _click(page, key: str) -> None:
    page.locator(f".st-key-{key} button").click()


def test_play_pause_step_r_and_shared_url(browser, page, base_url):
    goto(page, f"{base_url}/training?steps=2000&r=8")
    assert exceptions(page) == []
    assert drawn_trace_len(page, CURVES, "HRA", "x2") == 0
    _click(page, "train_play")
    _wait_n(page, "n >= 2")  # the run_every timer fires and the chart grows: at least two new points
    _wait_n(page, f"n >= {_n(page) + 2}")  # ... and keeps growing
    _click(page, "train_pause")
    wait_idle(page)
    assert page.locator(".st-key-train_play button").is_enabled()
    n1, s1 = _n(page), _last_step(page)
    assert n1 >= 2 and 10 <= s1 < 2000
    wait_idle(page)
    assert (_n(page), _last_step(page)) == (n1, s1)  # paused: no more steps
    screenshot(page, "training-paused-en")

    _click(page, "train_step")  # +10 optimiser steps: one more evaluated point
    try:
        _wait_n(page, f"last === {s1 + 10}")
    except Exception as e:  # say what the chart shows instead (a flake was seen once under load)
        tail = trace_xy(page, CURVES, "HRA", "x2")[0][-5:]
        raise AssertionError(f"after Step from step {s1} ({n1} points) the chart ends at {tail}") from e
    wait_idle(page)
    assert _last_step(page) == s1 + 10 and _n(page) == n1 + 1

    # change r with the keyboard on the slider: the URL, the Gram heatmap (r × r) and the run follow
    assert _gram_size(page) == 8
    page.locator(".st-key-r input[type=range]").first.focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => new URL(location.href).searchParams.get('r') === '6'", timeout=30_000)
    page.wait_for_function(GRAM_JS + " === 6", polling=100, timeout=30_000)  # the rerun with r = 6
    wait_idle(page)
    assert _slider_value(page, "r") == 6
    assert _gram_size(page) == 6
    assert _n(page) == 0  # new settings: a new run
    assert exceptions(page) == []

    # the URL carries the state into a fresh browser context
    url = page.url
    assert "steps=2000" in url and "r=6" in url
    ctx2 = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        p2 = ctx2.new_page()
        goto(p2, url)
        assert exceptions(p2) == []
        assert _slider_value(p2, "r") == 6
        assert _slider_value(p2, "steps") == 2000
        assert _gram_size(p2) == 6
        assert p2.locator("[data-testid=stAlertContentWarning]").count() == 0  # a clean URL: no warnings
    finally:
        ctx2.close()


def _download(page, locator) -> tuple[str, bytes]:
    with page.expect_download(timeout=60_000) as info:
        locator.click()
    d = info.value
    path = d.path()
    return d.suggested_filename, open(path, "rb").read()


@pytest.mark.parametrize("task", ["moons-rotate"])
def test_every_download_button_gives_a_file_of_its_kind(page, base_url, task):
    goto(page, f"{base_url}/training?steps=20&task={task}")
    _click(page, "train_step")
    _wait_n(page, "last === 10")
    wait_idle(page)
    for i in range(page.locator("[data-testid=stExpander] summary").count()):  # folded sections: a
        page.locator("[data-testid=stExpander] summary").nth(i).click()  # figure's download comes
        wait_idle(page)  # with its drawing (issue 13)
    buttons = page.locator("[data-testid=stDownloadButton] button:visible")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=stDownloadButton] button').length >= 4", timeout=30_000
    )
    kinds = {}
    for i in range(buttons.count()):
        name, data = _download(page, buttons.nth(i))
        assert len(data) > 0, name
        ext = name.rsplit(".", 1)[-1]
        kinds[ext] = kinds.get(ext, 0) + 1
        if ext == "csv":
            header = data.decode("utf-8").splitlines()[0]
            assert header.startswith("method,step,loss,target_acc"), header
            assert len(data.decode().splitlines()) > 1
        elif ext == "html":
            assert b"<html" in data[:2000].lower(), name
            assert b"plotly" in data.lower()
        elif ext == "zip":
            assert data[:2] == b"PK", name
            assert zipfile.ZipFile(BytesIO(data)).namelist()
        else:
            raise AssertionError(f"unexpected download {name}")
    assert kinds.get("csv", 0) >= 1 and kinds.get("html", 0) >= 3 and kinds.get("zip", 0) == 1, kinds
    assert exceptions(page) == []
