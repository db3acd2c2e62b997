"""AppTest: page 5, Spectra and geometry (four 20-step runs)."""

import numpy as np
from apptest_util import figs, open_page, open_sections
from plotly_json import arr

PAGE = "pages/spectra_geometry.py"


def test_spectra_kept_by_hra_and_oft_only():
    at = open_page(PAGE, steps="20", r="4")
    at.button(key="spec_run").click().run()
    assert not at.exception
    assert len(figs(at)) == 1  # issue 13: the first paint draws one chart; the others open on a click
    open_sections(at)
    # the labels hold a no-break space and word joiners (so "max |Δσ|" never breaks): read them plain
    plain = {m.label.replace("\u00a0", " ").replace("\u2060", ""): m for m in at.metric}
    metrics = {k: float(m.value) for k, m in plain.items() if "max |Δσ|" in k}
    assert metrics["HRA · max |Δσ|"] < 1e-4 and metrics["OFT · max |Δσ|"] < 1e-4
    assert metrics["LoRA · max |Δσ|"] > 1e-3 and metrics["Full fine-tuning · max |Δσ|"] > 1e-3
    data = figs(at)
    hra_delta = arr([tr for tr in data[1]["data"] if tr["name"] == "HRA"][0]["y"])
    assert (hra_delta > 1e-6 * hra_delta.max()).sum() <= 4  # rank ΔW ≤ r
    pairs = arr(data[3]["data"][-1]["y"])
    assert len(pairs) == 2  # r/2 pair rotation angles
    before = arr(data[0]["data"][0]["y"])
    at.slider(key="layer").set_value(3).run()
    assert not np.array_equal(before, arr(figs(at)[0]["data"][0]["y"]))


def test_japanese_and_bad_params():
    at = open_page(PAGE, lang="ja", layer="7", task="<b>")
    assert at.title[0].value == "学習後の特異値と幾何"
    text = " ".join(w.value for w in at.warning)
    assert "layer=" in text and "task=" in text
    assert at.slider(key="layer").value == 3


def test_presentation_mode_before_the_study_offers_presets_and_a_way_back():
    """Settings whose study has not run yet: the page stops early, with its presets and the way back."""
    at = open_page(PAGE, steps="20", r="4")
    at.toggle(key="present").set_value(True).run()
    keys = {b.key for b in at.button}
    assert {"spec_run", "leave_spectra", "preset_slide_spectra_r8"} <= keys
    at.button(key="preset_slide_spectra_r8").click().run()
    assert not at.exception and at.slider(key="r").value == 8
