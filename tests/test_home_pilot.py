"""The home page's multi-seed comparison: shipped with its provenance, served at once, shown with CIs."""

import json

import pytest
from apptest_util import figs
from streamlit.testing.v1 import AppTest

from hra_viz.views import pilot as PV


def test_the_shipped_result_matches_the_spec_and_says_where_it_came_from():
    raw = json.loads(PV.HOME_PILOT_PATH.read_text(encoding="utf-8"))
    p = PV.load_pilot(PV.HOME_PILOT_PATH)
    s = p["setup"]
    assert {k: s[k] for k in PV.HOME_PILOT} == PV.HOME_PILOT and len(s["seeds"]) >= 5
    assert s["command"].startswith("python -m hra_viz pilot") and "--seeds 5" in s["command"]
    assert s["date"] and s["device"] and {"hra_viz", "torch"} <= set(s["versions"])
    for m in PV.HOME_PILOT["methods"]:
        e = raw["methods"][m]["target_acc"]
        assert len(e["values"]) == 5 and e["ci95"][0] <= e["mean"] <= e["ci95"][1]
        assert raw["methods"][m]["status_code"] == ["finished"] * 5


def test_home_pilot_serves_the_shipped_copy_without_training(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the first visitor must not wait for training")

    monkeypatch.setattr(PV, "run_pilot", boom)
    monkeypatch.setattr(PV, "_HOME", None)
    p = PV.home_pilot()
    assert PV.home_pilot_source() == "shipped" and p is PV.home_pilot()  # loaded once, then cached


def test_a_stale_or_broken_file_is_recomputed(monkeypatch, tmp_path):
    bad = tmp_path / "home.json"
    bad.write_text("{not json")
    calls = []

    def fake(*a, **k):
        calls.append((a, k))
        return {"setup": {"seeds": [0]}}

    monkeypatch.setattr(PV, "HOME_PILOT_PATH", bad)
    monkeypatch.setattr(PV, "_HOME", None)
    monkeypatch.setattr(PV, "run_pilot", fake)
    assert PV.home_pilot() == {"setup": {"seeds": [0]}} and PV.home_pilot_source() == "computed"
    assert calls[0][0][:5] == ("digits-rotate", ["hra", "lora", "oft", "full"], 8, [0, 1, 2, 3, 4], 300)
    monkeypatch.setattr(PV, "_HOME", None)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_home_page_shows_means_with_intervals_and_provenance(lang):
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    acc = [f for f in figs(at) if any(tr.get("error_y") for tr in f["data"])]
    assert len(acc) == 1 and len(acc[0]["data"]) == 2  # target accuracy and retention, with CI whiskers
    ci = "95 % CI" if lang == "en" else "95 % 信頼区間"
    deltas = [m.delta for m in at.metric if m.delta and ci in m.delta]
    assert len(deltas) == 4
    captions = " ".join(c.value for c in at.caption)
    assert "python -m hra_viz pilot" in captions and (
        "seeds 0, 1, 2, 3, 4" in captions or "シード 0, 1, 2, 3, 4" in captions
    )
    said = " ".join(x.value for x in [*at.warning, *at.info, *at.success])
    assert ("5 seeds" in said) if lang == "en" else ("シード 5 個" in said)
