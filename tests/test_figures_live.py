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




def test_sweep_scatter_draws_seed_means_with_their_confidence_intervals():
    """The CLI's sweep.html: with several seeds per setting, the line joins the means and the error bars
    are the 95 % Student-t interval of the mean (computed here with scipy); HRA over several λ gives one
    line per λ; with one seed per setting the line is the runs themselves, without error bars."""
    import pandas as pd
    from scipy import stats as sps

    from hra_viz.views.figures import sweep_scatter

    rows = []
    for method, params in (("hra", (384, 768)), ("lora", (660, 1320))):
        for lam in ((0.0, 1e-3) if method == "hra" else (0.0,)):
            for p in params:
                for seed, acc in enumerate((0.5, 0.6, 0.8)):
                    rows.append(dict(method=method, lam=lam, trainable_params=p, seed=seed, budget_r=p // 96,
                                     target_acc=acc + p / 1e4 + lam, source_acc=0.9 - seed / 10,
                                     status="finished (300 steps)"))
    rows.append(dict(method="lora", lam=0.0, trainable_params=660, seed=3, budget_r=6, target_acc=0.1,
                     source_acc=0.1, status="diverged at step 3"))  # not drawn
    df = pd.DataFrame(rows)
    fig = sweep_scatter(df)
    main = {tr.name: tr for tr in fig.data if tr.xaxis == "x" and tr.mode == "lines+markers"}
    assert set(main) == {"hra λ=0", "hra λ=0.001", "lora"}
    lora = main["lora"]
    for i, p in enumerate((660, 1320)):
        vals = np.array([0.5, 0.6, 0.8]) + p / 1e4
        half = sps.t.ppf(0.975, 2) * vals.std(ddof=1) / np.sqrt(3)
        assert lora.x[i] == p and lora.y[i] == pytest.approx(vals.mean(), abs=1e-12)
        assert lora.error_y.array[i] == pytest.approx(half, rel=1e-9)
        assert lora.error_y.arrayminus[i] == pytest.approx(half, rel=1e-9)
    a, b = main["hra λ=0"], main["hra λ=0.001"]
    assert a.y[0] == pytest.approx(b.y[0] - 1e-3, abs=1e-12)  # the λ lines are not averaged together
    assert a.x[0] < 384 < b.x[0]  # drawn a little apart
    assert a.customdata[0][2] == b.customdata[0][2] == 384  # the hover keeps the true x
    one = sweep_scatter(df[df["seed"] == 0])
    lines = [tr for tr in one.data if tr.mode == "lines+markers" and tr.xaxis == "x"]
    assert all(tr.error_y.array is None for tr in lines)
    assert not any(tr.mode == "markers" for tr in one.data)
    assert "95 % CI" in fig.layout.title.text and "95 % CI" not in one.layout.title.text


def _panels_with_a_trace(fig) -> set[str]:
    return {tr.xaxis or "x" for tr in fig.data}


def _panels(fig) -> set[str]:
    return {k.replace("axis", "") for k in fig.layout.to_plotly_json() if k.startswith("xaxis")}


def test_curves_before_the_first_point_draw_every_panel(runs):
    """plotly.js draws no axes in a subplot without a trace: before Play, the live figures showed the
    first panel's axes and only the titles of the others. Each panel now holds a trace (empty, no
    legend), and the first real point replaces them."""
    import pandas as pd

    from hra_viz.views import real_model as RV

    empty = live.history_frame({})
    assert empty.empty
    fig = F.live_curves(empty, "en", steps=300)
    assert _panels_with_a_trace(fig) == _panels(fig) == {"x", "x2", "x3"}
    assert all(len(tr.x) == 0 and tr.showlegend is False and tr.meta == "empty-panel" for tr in fig.data)
    assert not F.refresh_live_curves(fig, live.history_frame(runs))  # rebuilt with the data
    cols = ["method", "step", "loss", "evaluated", *RV.CURVES]
    fig = RV.curves_figure(pd.DataFrame(columns=cols), 0.9, "ja", steps=200)
    assert _panels_with_a_trace(fig) == {"x", "x2", "x3", "x4", "x5"}
    full = F.live_curves(live.history_frame(runs), "en")
    assert all(len(tr.x) > 0 for tr in full.data if tr.xaxis in (None, "x"))  # none added with data
    assert len(full.data) == 2 * 3
