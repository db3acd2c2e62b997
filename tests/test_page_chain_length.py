"""AppTest: page 4, Chain length (a tiny sweep: r ∈ {2, 4}, 20 steps)."""

import numpy as np
from apptest_util import figs, open_page, open_sections
from plotly_json import arr, x_titles_over_panels

PAGE = "pages/chain_length.py"


def test_sweep_runs_on_demand_and_changes_with_controls():
    at = open_page(PAGE, rmax="4", steps="20")
    assert at.title[0].value.startswith("Chain length")
    assert not figs(at)  # nothing runs on page load
    at.button(key="chain_run").click().run()
    assert not at.exception
    fig = figs(at)[0]
    hra = [tr for tr in fig["data"] if tr.get("name") == "HRA" and tr.get("xaxis", "x") == "x3"][0]
    assert arr(hra["x"]).tolist() == [2.0, 4.0]
    assert arr(hra["y"]).tolist() == [2 * 64 * 3, 4 * 64 * 3]  # trainable params r·d_in, 3 layers of d_in 64
    assert x_titles_over_panels(fig) == []  # "r" under the bottom row only
    assert len(at.get("download_button")) == 2
    at.segmented_control(key="rmax").set_value("8").run()
    assert not figs(at)  # new settings: press again
    at.button(key="chain_run").click().run()
    hra = [tr for tr in figs(at)[0]["data"] if tr.get("name") == "HRA"][0]
    assert arr(hra["x"]).tolist() == [2.0, 4.0, 8.0]


def test_japanese_and_bad_params():
    at = open_page(PAGE, lang="ja", rmax="1000", steps="abc")
    assert at.title[0].value.startswith("反射の数")
    text = " ".join(w.value for w in at.warning)
    assert "rmax=" in text and "steps=" in text
    assert np.isclose(at.slider(key="steps").value, 300)


def test_presentation_mode_and_translated_status():
    at = open_page(PAGE, lang="ja", rmax="2", steps="10")
    at.button(key="chain_run").click().run()
    assert not at.dataframe  # issue 13: the full table is folded until opened (its grid is heavy)
    table = open_sections(at).dataframe[0].value
    assert table["status"].str.startswith("完了").all()  # the engine's English status, translated
    at.toggle(key="present").set_value(True).run()
    assert not at.exception
    assert len(at.subheader) == 1 and not at.dataframe  # one slide: the numbers
    at.radio(key="slide_chain-length").set_value(2).run()
    assert not at.exception and len(at.dataframe) == 1 and not figs(at)


def test_error_bands_over_seeds_and_the_recommended_r():
    at = open_page(PAGE, rmax="4", steps="20", chain_seeds="3")
    at.button(key="chain_run").click().run()
    assert not at.exception
    data = figs(at)[0]["data"]
    bands = [tr for tr in data if tr.get("name") == "HRA · 95 % CI"]
    assert len(bands) == 3 and all(tr["fill"] == "toself" for tr in bands)  # accuracy, retention, time
    hra = [tr for tr in data if tr.get("name") == "HRA"][0]
    band = bands[0]
    lo, hi = arr(band["y"])[2:][::-1], arr(band["y"])[:2]
    assert np.all(lo <= arr(hra["y"])) and np.all(arr(hra["y"]) <= hi)  # the mean lies in its CI
    rec = " ".join(s.value for s in at.success)
    assert "Recommended: **r = " in rec and "3 seeds" in rec
    captions = " ".join(c.value for c in at.caption)
    assert "Rule: the smallest r" in captions and "means over 3 seeds" in captions
    assert not at.table  # the evidence and the full table open on a click (issue 13)
    open_sections(at)
    assert len(at.table) == 1 and len(at.table[0].value) == 2  # evidence: one row per r
    assert at.dataframe[0].value["n_seeds"].max() == 3


def test_one_seed_says_so_and_japanese_recommendation():
    at = open_page(PAGE, lang="ja", rmax="4", steps="20", chain_seeds="1")
    at.button(key="chain_run").click().run()
    assert not at.exception
    assert not [tr for tr in figs(at)[0]["data"] if "95 % CI" in str(tr.get("name"))]
    assert "推奨：**r = " in " ".join(s.value for s in at.success)
    assert "シードが 1 個" in " ".join(c.value for c in at.caption)
