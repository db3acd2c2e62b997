"""AppTest: page 6, λ against symmetric init, and the λ = ∞ variant (20-step runs)."""

from apptest_util import figs, open_page
from plotly_json import arr

PAGE = "pages/regulariser.py"


def test_penalty_starts_at_r_per_layer_and_infinity_is_never_identity():
    at = open_page(PAGE, steps="20", r="4")
    at.button(key="lam_run").click().run()
    assert not at.exception
    fig = figs(at)[0]
    pen = [tr for tr in fig["data"] if tr["name"] == "λ = 0" and tr.get("xaxis", "x") == "x"][0]
    assert arr(pen["y"])[0] >= 4 * 3 - 1e-6  # ≥ r per layer at symmetric init, 3 layers
    inf = [tr for tr in fig["data"] if tr["name"].startswith("λ = ∞") and tr.get("xaxis") == "x2"][0]
    assert abs(arr(inf["y"]) - 2.0).max() < 1e-5  # ‖H − I‖₂ = 2 always
    assert float({m.label: m.value for m in at.metric}["‖H − I‖₂ (λ = ∞)"]) > 1.99999
    at.slider(key="r").set_value(6).run()
    at.button(key="lam_run").click().run()
    pen6 = [tr for tr in figs(at)[0]["data"] if tr["name"] == "λ = 0"][0]
    assert arr(pen6["y"])[0] >= 6 * 3 - 1e-6


def test_japanese_and_bad_params():
    at = open_page(PAGE, lang="ja", lam="-3", r="x")
    assert at.title[0].value.startswith("正則化 λ")
    text = " ".join(w.value for w in at.warning)
    assert "lam=" in text and "r=" in text
