"""AppTest: page 1, reflections in 2D and 3D."""

import json

import numpy as np
from apptest_util import open_page
from plotly_json import arr
from streamlit.testing.v1 import AppTest

from hra_viz.core import householder as hh
from hra_viz.views import geometry


def _run(lang: str = "en", **query) -> AppTest:
    return open_page("pages/reflections.py", lang, **query)


def _fig(at):
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def _bold(fig):
    return [
        tr for tr in fig["data"] if tr.get("line", {}).get("color") == "#0072B2" and tr.get("name") != "u₁"
    ][-1]


def test_default_page_matches_the_math():
    at = _run()
    assert at.title[0].value.startswith("Reflections")
    U = geometry.mirror_vectors([20, 65])
    P, _, _ = geometry.shape_points("F", 2)
    bold = _bold(_fig(at))
    assert np.allclose(
        np.c_[arr(bold["x"]), arr(bold["y"])], (P @ hh.householder_chain(U).T).numpy(), atol=1e-12
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["predicted rotation 2θ"] == "90.00°"
    assert metrics["rotation measured on the shape"] == "90.0000°"


def test_odd_chain_flips_and_controls_change_the_figure():
    at = _run()
    before = _bold(_fig(at))
    at.slider(key="mirrors").set_value(3).run()
    assert not at.exception
    after = _bold(_fig(at))
    assert not np.array_equal(arr(before["x"]), arr(after["x"]))
    assert {m.label: m.value for m in at.metric}["det H"] == "-1.000000"
    assert {m.label: m.value for m in at.metric}["orientation"] == "mirrored"
    at.slider(key="a1").set_value(100).run()
    assert not np.array_equal(arr(_bold(_fig(at))["x"]), arr(after["x"]))


def test_3d_and_preset():
    at = _run(dim="3D")
    assert any(tr["type"] == "scatter3d" for tr in _fig(at)["data"])
    at.button(key="preset_geo_odd").click().run()
    assert not at.exception
    assert at.slider(key="mirrors").value == 3 and at.segmented_control(key="dim").value == "2D"


def test_japanese():
    at = _run(lang="ja")
    assert at.title[0].value == "反射：HRA を構成する部品"
    assert _fig(at)["layout"]["title"]["text"].endswith("図形")


def test_bad_query_params():
    at = _run(mirrors="99", a1="<script>", dim="4D", stage="nan")
    text = " ".join(w.value for w in at.warning)
    assert "mirrors=" in text and "a1=" in text and "dim=" in text and "stage=" in text
    assert "<script>" not in text
    assert at.slider(key="mirrors").value == 6 and at.slider(key="a1").value == 20


def test_presentation_mode_moves_the_controls_onto_the_slide():
    """Presentation mode hides the sidebar; the page's controls move to a Settings popover on the
    slide, so that a presenter can still step through the chain, and the intro says where they are."""
    at = _run()
    assert any("angles in the sidebar" in m.value for m in at.markdown)
    assert at.sidebar.slider(key="stage") is not None
    at.toggle(key="present").set_value(True).run()
    assert not at.exception
    assert "stage" not in {s.key for s in at.sidebar.slider}
    assert "stage" in {s.key for s in at.main.slider}
    intro = [m.value for m in at.markdown if m.value.startswith("A Householder reflection")]
    assert intro and "Settings (top left)" in intro[0] and "sidebar" not in intro[0]
    assert not [b.key for b in at.button if b.key and b.key.startswith("preset_") and
                not b.key.startswith("preset_slide_")], "the presets are drawn once, in the slide's bar"
    at.slider(key="stage").set_value(1).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["reflections applied"] == "1 / 2"


def test_presentation_mode_turns_slides_with_previous_and_next():
    """The presenter's toolbar turns the slides (a clicker's PageUp / PageDown are these buttons'
    shortcuts): Previous is off on the first slide, Next on the last, and each shows its neighbour."""
    at = _run()
    at.toggle(key="present").set_value(True).run()
    titles = ["The chain, one mirror at a time", "Two reflections make a rotation",
              "An odd chain flips orientation", "Nothing is stretched"]
    assert at.subheader[0].value == titles[0]
    assert at.button(key="prev_reflect").disabled and not at.button(key="next_reflect").disabled
    for i in range(1, len(titles)):
        at.button(key="next_reflect").click().run()
        assert not at.exception and at.radio(key="slide_reflect").value == i
        assert at.subheader[0].value == titles[i]
    assert at.button(key="next_reflect").disabled and not at.button(key="prev_reflect").disabled
    at.button(key="prev_reflect").click().run()
    assert at.subheader[0].value == titles[2]
