"""The page "A real model" in a real browser, English and Japanese: it renders, Play advances, Pause stops."""

import pytest
from e2e_util import drawn_trace_len, exceptions, goto, main_text, screenshot, trace_len, wait_idle

CURVES = "fig_real_curves"


def _n(page) -> int:
    return trace_len(page, CURVES, "HRA", "x")  # points of HRA's loss curve (one per step)


@pytest.mark.parametrize("lang, title", [("en", "A real model"), ("ja", "実際のモデル")])
def test_real_model_play_advances(page, base_url, lang, title):
    goto(page, f"{base_url}/real-model?lang={lang}&real_steps=1000&real_top_k=1")
    assert exceptions(page) == []
    assert title in main_text(page)
    assert drawn_trace_len(page, CURVES, "HRA", "x") == 0
    page.locator(".st-key-real_play button").click()
    page.wait_for_function(
        f"""() => {{
            const el = document.querySelector('.st-key-{CURVES} .js-plotly-plot');
            if (!el || !el._fullData) return false;
            const tr = el._fullData.find(t => t.name === 'HRA' && (t.xaxis || 'x') === 'x');
            return tr && (tr.x || []).length >= 3;
        }}""",
        polling=200,
        timeout=90_000,
    )
    page.locator(".st-key-real_pause button").click()
    wait_idle(page)
    n = _n(page)
    assert n >= 3
    wait_idle(page)
    assert _n(page) == n  # paused: no more steps
    assert exceptions(page) == []
    screenshot(page, f"real-model-paused-{lang}")
