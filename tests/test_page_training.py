"""AppTest: page 3, Live training (driven with the Step button: run_every timers do not fire here)."""

import numpy as np
from apptest_util import figs, open_page, open_sections
from plotly_json import arr

PAGE = "pages/live_training.py"


def _curve(at, method_name="HRA", panel="x2"):
    for tr in figs(at)[0]["data"]:
        if tr.get("name") == method_name and tr.get("xaxis", "x") == panel:
            return arr(tr["x"]), arr(tr["y"])
    return np.array([]), np.array([])


def test_renders_and_step_advances_training():
    at = open_page(PAGE, steps="20")
    assert at.title[0].value == "Live training"
    assert "Device" in at.caption[0].value or any("Device" in c.value for c in at.caption)
    x0, _ = _curve(at)
    assert len(x0) == 0  # nothing trained yet
    at.button(key="train_step").click().run()
    assert not at.exception
    x1, y1 = _curve(at)
    assert x1.max() == 10 and np.all((y1 >= 0) & (y1 <= 1))
    names = {tr.get("name") for tr in figs(at)[0]["data"]}
    assert {"HRA", "LoRA"} <= names  # method + compare (default lora), same seed, side by side
    gram = arr(figs(at)[1]["data"][0]["z"])
    assert gram.shape == (8, 8) and np.allclose(np.diag(gram), 1.0)
    at.button(key="train_step").click().run()
    assert _curve(at)[0].max() == 20
    assert any("finished" in c.value for c in at.caption)  # 20 steps: done, status shown
    at.button(key="train_reset").click().run()
    assert len(_curve(at)[0]) == 0


def test_controls_change_the_figures():
    at = open_page(PAGE, task="moons-rotate", r="4", steps="20")
    at.button(key="train_step").click().run()
    assert not at.exception
    assert len(figs(at)) == 2  # issue 13: curves and Gram on arrival; the boundary opens on a click
    data = figs(open_sections(at))
    assert arr(data[1]["data"][0]["z"]).shape == (4, 4)  # Gram of Û is r × r
    assert any(tr["type"] == "contour" for tr in data[2]["data"])  # moons: decision boundary
    at.multiselect(key="compare").set_value(["lora", "oft", "full"]).run()
    at.button(key="train_step").click().run()
    names = {tr.get("name") for tr in figs(at)[0]["data"]}
    assert {"HRA", "LoRA", "OFT", "Full fine-tuning"} <= names


def test_japanese_and_bad_params():
    at = open_page(
        PAGE, lang="ja", task="moons-rotate", r="999", compare=["lora", "tpu"], lr="7", steps="1e9"
    )
    assert at.title[0].value == "リアルタイム学習"
    text = " ".join(w.value for w in at.warning)
    for k in ("r=", "compare=", "lr=", "steps="):
        assert k in text, k
    assert at.slider(key="r").value == 64
    assert at.multiselect(key="compare").value == ["lora"]
    assert any("32" in i.value for i in at.info)  # r capped at the narrowest layer (32 for moons)


def test_japanese_status_and_odd_r_note():
    at = open_page(PAGE, lang="ja", r="3", steps="10")
    assert any("準備完了" in c.value for c in at.caption)  # the run status, translated
    assert any("奇数" in w.value for w in at.warning)  # the engine's odd-r note, translated
    at.button(key="train_step").click().run()
    assert any("完了：10 ステップ" in c.value for c in at.caption)
    assert not any("finished" in c.value for c in at.caption)


def test_presentation_mode_shows_one_section():
    at = open_page(PAGE, steps="10")
    at.toggle(key="present").set_value(True).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1  # only the current slide's figure
    at.radio(key="slide_training").set_value(2).run()
    assert not at.exception
    assert figs(at)[0]["layout"]["title"]["text"].startswith("predicted")  # the digits slide
    at.button(key="train_step").click().run()
    assert not at.exception and any("10 / 10" in c.value for c in at.caption)


def test_a_diverging_run_stops_with_a_message_and_keeps_its_last_good_state(monkeypatch):
    """The URL cannot ask for a diverging learning rate (it is clamped), so the loss is made to
    overflow from its 16th evaluation on. HRA and LoRA step in turn, 10 steps each per click: LoRA
    meets the overflow at its step 6, HRA at its step 11. Each page must say so and keep a finite
    curve; nothing raises."""
    import torch.nn.functional as F

    real = F.cross_entropy
    calls = {"n": 0}

    def overflowing(*args, **kwargs):
        calls["n"] += 1
        loss = real(*args, **kwargs)
        return loss * float("inf") if calls["n"] > 15 else loss

    at = open_page(PAGE, steps="100")
    monkeypatch.setattr(F, "cross_entropy", overflowing)
    at.button(key="train_step").click().run()
    at.button(key="train_step").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "inf at step 6" in errors and "inf at step 11" in errors, errors
    x, y = _curve(at, "HRA")
    assert x.max() == 10 and np.all(np.isfinite(y))
    x, y = _curve(at, "LoRA")  # evaluated points only: step 1, then every 10
    assert x.max() <= 5 and np.all(np.isfinite(y))
    assert at.button(key="train_step").disabled  # both runs stopped: nothing left to step


def test_a_stepped_run_that_is_not_playing_says_paused():
    at = open_page(PAGE, steps="100")
    at.button(key="train_step").click().run()
    captions = " ".join(c.value for c in at.caption)
    assert "step 10 / 100 · paused" in captions and "running" not in captions
    at = open_page(PAGE, lang="ja", steps="100")
    at.button(key="train_step").click().run()
    assert "一時停止中" in " ".join(c.value for c in at.caption)


def test_the_page_says_it_is_one_seed():
    at = open_page(PAGE, steps="20")
    at.number_input(key="seed").set_value(7).run()
    assert any("one seed (seed 7)" in c.value and "A/B pilot" in c.value for c in at.caption)
    at = open_page(PAGE, lang="ja", steps="20")
    assert any("1 つのシード" in c.value for c in at.caption)
