"""AppTest: the home page "HRA in one minute" (and the app shell: sidebar, URL, presentation mode)."""

import json
import re

import numpy as np
import pytest
from plotly_json import arr
from streamlit.testing.v1 import AppTest


def _run(**query) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _charts(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_home_renders_with_live_numbers():
    at = _run()
    assert at.title[0].value == "HRA in one minute"
    assert len(at.get("plotly_chart")) == 4
    metrics = {m.label: m.value for m in at.metric}
    assert (
        metrics["HRA"] == "6,144" and metrics["LoRA"] == "12,288"
    )  # r·d_in and r·(d_in + d_out), r=8, d=768
    # accuracy and retention measured live; where HRA loses is said plainly
    assert any("target accuracy" in m.label for m in at.metric)
    assert any("Where HRA loses" in w.value or "conflicts" in w.value for w in at.warning)
    # the cost claim says plainly which is cheaper
    assert any("HRA" in w.value for w in at.warning) or any("HRA" in s.value for s in at.success)
    params = _charts(at)[0]["data"][0]
    assert arr(params["y"]).tolist() == [6144, 12288, 11904, 590592]
    # the PEFT-style route (H built as d × d) is timed too, and its numbers are the page's own
    dense = [c.value for c in at.caption if "PEFT 0.21" in c.value]
    assert len(dense) == 1
    m = re.search(r"took ([\d.]+) ms a step here: × ([\d.]+) LoRA's and × ([\d.]+) this app's", dense[0])
    assert m, dense[0]
    ms, vs_lora, vs_hra = map(float, m.groups())
    shown = {mt.label: mt.value for mt in at.metric}
    hra, lora = (float(shown[k].split()[0]) for k in ("HRA per step", "LoRA per step"))
    assert vs_lora == pytest.approx(ms / lora, rel=0.05) and vs_hra == pytest.approx(ms / hra, rel=0.05)
    assert vs_hra > 1  # building H every step is the slower route


def test_home_in_japanese():
    at = _run(lang="ja")
    assert at.title[0].value == "1 分でわかる HRA"
    assert any("学習するパラメータ" in s.value for s in at.subheader)
    assert at.radio(key="lang").value == "ja"


def test_changing_the_seed_changes_the_spectrum_figure():
    at = _run()
    before = arr(_charts(at)[1]["data"][0]["customdata"])
    at.number_input(key="seed").set_value(7).run()
    assert not at.exception
    after = arr(_charts(at)[1]["data"][0]["customdata"])
    assert not np.array_equal(before, after)


def test_bad_query_params_are_fixed_with_a_warning():
    at = _run(r="-5", lang="xx", seed="1e99", present="maybe", device="tpu")
    warnings = " ".join(w.value for w in at.warning)
    for key in ("r=", "lang=", "seed=", "present=", "device="):
        assert key in warnings, key
    assert at.number_input(key="seed").value == 2**31 - 1
    assert at.query_params["r"] == ["1"] or at.query_params["r"] == "1"
    assert "lang" not in at.query_params  # reset to the default, so removed from the URL


def test_presentation_mode_shows_one_idea_per_screen():
    at = _run(present="true")
    assert at.toggle(key="present").value is True
    assert len(at.subheader) == 1  # one section only
    at.button(key="leave_").click().run()
    assert not at.exception and at.toggle(key="present").value is False
    assert len(at.subheader) == 4
