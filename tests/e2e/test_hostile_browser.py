"""A sample of the hostile-URL fuzz in a real browser (the bulk runs under AppTest in
tests/test_hostile_urls.py): every registry key at once set to a few nasty values, on a first load."""

import re
from urllib.parse import quote

import pytest
from e2e_util import exceptions, goto, warnings_text

from hra_viz.app.state import CONTROLS, parse

NASTY = ["-1", "1e308", "NaN", "<script>alert(1)</script>", "../../etc/passwd", "٣"]
PAGES = ["training", "wy-form", "reflect"]


@pytest.mark.parametrize("i", range(len(NASTY)))
def test_every_key_hostile_in_browser(page, base_url, i):
    raw, path = NASTY[i], PAGES[i % len(PAGES)]
    query = "&".join(f"{k}={quote(raw)}" for k in CONTROLS)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # an alert() would be XSS
    goto(page, f"{base_url}/{path}?{query}")
    assert exceptions(page) == []
    assert dialogs == []
    text = warnings_text(page)
    warned = set(re.findall(r"parameter ([a-z_0-9]+)=", text))
    want = {k for k in CONTROLS if parse(k, raw)[1]}
    assert want <= warned, sorted(want - warned)


@pytest.mark.parametrize(
    "path,query",
    [
        ("training", "r=64&steps=5000&lr=0.0001&lam=1&compare=lora&compare=oft&compare=full"),
        ("wy-form", "d=64&dout=64&r=64"),
        ("reflect", "dim=3D&mirrors=6&stage=6"),
        ("chain-length", "rmax=64"),
    ],
)
def test_extremes_render(page, base_url, path, query):
    goto(page, f"{base_url}/{path}?{query}")
    assert exceptions(page) == []
    assert page.locator("h1").count() >= 1
    # NOTE: at these extremes wy-form (d=64) and reflect (3D, 6 mirrors) showed no plotly chart in the
    # first full run (chain-length draws only on demand); to be investigated, see the e2e report.
