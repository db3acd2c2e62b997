"""Pure figure builders of the training pages: data in, the same data in the figure."""

import numpy as np
import pytest

from hra_viz.training.train import Run, RunConfig
from hra_viz.views import figures as F
from hra_viz.views import live


@pytest.fixture(scope="module")
def runs():
    out = {m: Run(RunConfig(method=m, steps=20, r=4)) for m in ("hra", "lora")}
    for r in out.values():
        r.step(20)
    return out


def test_live_curves_colours_and_values(runs):
    hist = live.history_frame(runs)
    fig = F.live_curves(hist, "en", steps=20)
    hra = [tr for tr in fig.data if tr.name == "HRA"]
    assert {tr.line.color for tr in hra} == {F.METHOD_COLORS["hra"]}
    assert np.allclose(hra[0].y, hist[hist.method == "hra"].loss)
    assert fig.layout.title.text == "Live training"
    assert F.live_curves(hist, "ja").layout.title.text == "リアルタイム学習"


def test_gram_and_digits(runs):
    grams = live.hra_grams(runs["hra"].model)
    fig = F.gram_heatmaps(grams, "en")
    assert np.allclose(fig.data[0].z, grams["net.0"]) and len(fig.data) == 3
    s = {m: live.digit_samples(r) for m, r in runs.items()}
    fig = F.digit_grid(s, "en")
    assert len(fig.data) == 2  # one heatmap per method: the 8 images side by side
    assert np.allclose(np.asarray(fig.data[0].z)[:, :8], s["hra"]["images"][0][::-1])
    assert np.allclose(np.asarray(fig.data[1].z)[:, 9:17], s["lora"]["images"][1][::-1])
    assert len(fig.layout.annotations) == 2 * 8 + 2


def test_steps_for_tick_bounds():
    assert live.steps_for_tick(None, 4, first=True) == 1
    assert live.steps_for_tick(2e-3, 4) == int(live.TICK_BUDGET_S / 8e-3)
    assert live.steps_for_tick(10.0, 4) == 1 and live.steps_for_tick(1e-9, 1) == live.MAX_STEPS_PER_TICK


