"""AppTest: page 2, Chain = I + ÛΓÛᵀ."""

import json

import numpy as np
from apptest_util import open_page, open_sections
from plotly_json import arr
from streamlit.testing.v1 import AppTest

from hra_viz.core import householder as hh
from hra_viz.views import wy_view


def _run(lang: str = "en", **query) -> AppTest:
    return open_sections(open_page("pages/wy_form.py", lang, **query))


def _figs(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_heatmap_is_the_householder_chain():
    at = _run()
    figs = _figs(at)
    assert len(figs) == 5
    U, _ = wy_view.make_u(12, 8, 0, "random")
    assert np.allclose(arr(figs[0]["data"][0]["z"]), hh.householder_chain(U).numpy(), atol=1e-15)
    assert np.allclose(arr(figs[0]["data"][1]["z"]), hh.wy_matrix(U).numpy(), atol=1e-15)
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["max |H − (I + ÛΓÛᵀ)|"]) < 1e-12
    assert metrics["non-zero singular values"] == "8"


def test_first_paint_draws_one_figure_and_the_others_open_on_a_click():
    at = open_page("pages/wy_form.py", "ja")
    assert len(_figs(at)) == 1  # issue 13: a new visitor's browser draws one chart
    assert [h.value for h in at.subheader] == ["同じ H の 2 通りの書き方"]
    keys = sorted(k for k in at.session_state.keys() if str(k).startswith("open_"))
    assert keys == ["open_wy-form_sec_cost", "open_wy-form_sec_gamma", "open_wy-form_sec_lora",
                    "open_wy-form_sec_rank"]
    at.session_state["open_wy-form_sec_gamma"] = True
    at.run()
    figs = _figs(at)
    assert len(figs) == 2 and arr(figs[1]["data"][0]["z"]).shape == (8, 8)  # Γ, r × r
    assert len(at.get("download_button")) == 8  # every figure and table can be downloaded all along


def test_controls_change_the_figures():
    at = _run()
    at.slider(key="d").set_value(20).run()
    assert not at.exception
    assert arr(_figs(at)[0]["data"][0]["z"]).shape == (20, 20)
    at.slider(key="r").set_value(3).run()
    assert arr(_figs(at)[1]["data"][0]["z"]).shape == (3, 3)  # Γ is r × r
    at.segmented_control(key="init").set_value("symmetric").run()
    assert any("even r" in w.value for w in at.warning)  # r = 3 is odd: falls back to random, says so


def test_r_is_capped_by_d_and_bad_params_warn():
    at = _run(d="4", r="10")
    assert any("r = 4" in i.value for i in at.info)
    at = open_page("pages/wy_form.py", "en", d="1e99", r="abc", init="<b>x</b>")  # URL warnings: first run
    text = " ".join(w.value for w in at.warning)
    assert "d=" in text and "r=" in text and "init=" in text
    assert at.slider(key="d").value == 64 and at.slider(key="r").value == 8


def test_japanese_and_preset():
    at = _run(lang="ja")
    assert at.title[0].value == "反射の連鎖 = I + ÛΓÛᵀ"
    at.button(key="preset_wy_symmetric").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["0 でない特異値の数"] == "0"
