"""AppTest: the page "A real model" (driven with the Step button: run_every timers do not fire here)."""

import io
import zipfile

import numpy as np
from apptest_util import figs, open_page, open_sections
from plotly_json import arr, x_titles_over_panels

PAGE = "pages/real_model.py"


def _by_title(at, word):
    return [f for f in figs(at) if word in f["layout"]["title"]["text"]]


def _curve_steps(at, name="HRA"):
    curves = _by_title(at, "Training all-MiniLM")[0]
    xs = [arr(tr["x"]) for tr in curves["data"] if tr.get("name") == name and tr.get("xaxis", "x") == "x"]
    return xs[0] if xs else np.array([])


def test_renders_steps_and_shows_every_section():
    at = open_page(PAGE, real_steps="20", real_top_k="1")
    assert at.title[0].value.startswith("A real model")
    assert any("baseline" in i.value for i in at.info)  # the head-only baseline is measured first
    assert len(_curve_steps(at)) == 0  # nothing trained yet
    assert len(figs(at)) == 1 and not at.table  # issue 13: the other sections open on a click
    at.button(key="real_step").click().run()
    open_sections(at)
    assert not at.exception, [e.value for e in at.exception]
    assert _curve_steps(at).max() == 10
    assert all(x_titles_over_panels(f) == [] for f in figs(at))  # "step" under each column's last panel
    names = {tr.get("name") for tr in _by_title(at, "Training all-MiniLM")[0]["data"]}
    assert {"HRA", "LoRA"} <= names  # the default methods, side by side
    # spectra: HRA's Δσ of the real weights is at round-off level, LoRA's is not
    spec = _by_title(at, "σ_i(W′) − σ_i(W)")[0]
    d = {tr["name"]: np.abs(arr(tr["y"])).max() for tr in spec["data"] if tr["name"] in ("HRA", "LoRA")}
    assert d["HRA"] < 1e-4 < d["LoRA"]
    gram = _by_title(at, "ÛᵀÛ")[0]
    assert arr(gram["data"][0]["z"]).shape == (8, 8)
    assert len(_by_title(at, "principal components")[0]["data"]) == 3  # before + 2 methods
    assert len(_by_title(at, "Measured cost")[0]["data"]) == 3
    table = at.table[0].value
    assert len(table) == 6 and "before (head only)" in table.columns
    text = " ".join(m.value for m in at.markdown)
    assert "max over the adapted layers" in text and "HRA" in text
    at.button(key="real_step").click().run()
    assert _curve_steps(at).max() == 20
    assert any("finished" in c.value for c in at.caption)
    dl = [b for b in at.get("download_button") if "PEFT" in b.proto.label]
    assert dl
    at.button(key="real_reset").click().run()
    assert len(_curve_steps(at)) == 0


def test_japanese_preset_values_and_bad_url():
    at = open_page(PAGE, lang="ja", real_steps="99999", real_top_k="9", real_methods=["hra", "qlora"])
    assert at.title[0].value.startswith("実際のモデル")
    warn = " ".join(w.value for w in at.warning)
    for k in ("real_steps=", "real_top_k=", "real_methods="):
        assert k in warn, k
    assert at.slider(key="real_steps").value == 1000
    assert at.multiselect(key="real_methods").value == ["hra"]


def test_export_zip_is_a_peft_adapter():
    at = open_page(PAGE, real_steps="10", real_top_k="1", real_methods=["hra"])
    at.button(key="real_step").click().run()
    assert not at.exception
    runs = at.session_state["real_runs"]
    from hra_viz.training.real import export_zip

    zf = zipfile.ZipFile(io.BytesIO(export_zip(runs["hra"])))
    assert "hra-adapter/adapter_config.json" in zf.namelist()
