"""The home page's numbers (``hra_viz.views.overview``): the step-cost comparison times what it says."""

import math

import pytest
import torch
from test_adapters import naive_h, naive_h_autograd

from hra_viz.views import figures as F
from hra_viz.views import overview


@pytest.mark.parametrize("d_in,d_out,r", [(24, 16, 4), (16, 32, 3)])
def test_dense_hra_is_the_same_function_and_gradient(d_in, d_out, r):
    """The timed PEFT-style route and the app's route compute one function: outputs and ∂L/∂U agree with
    each other and with a naive float64 W H built reflection by reflection."""
    layer = overview._adapted("hra", d_in, d_out, r, 32, seed=3, dtype=torch.float64)[0]
    dense = overview.DenseHRA(layer)
    assert dense.base is layer.base and not dense.base.weight.requires_grad
    x = torch.randn(7, d_in, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    W, b = layer.base.weight.detach(), layer.base.bias.detach()
    U = layer.u.detach().clone().requires_grad_(True)
    Wp = W @ naive_h(U)
    ref = x @ Wp.T + b
    y_fast, y_dense = layer(x), dense(x)
    assert torch.allclose(y_fast, ref, atol=1e-12, rtol=0)
    assert torch.allclose(y_dense, ref, atol=1e-12, rtol=0)
    gy = torch.randn_like(ref)
    (g_fast,) = torch.autograd.grad(y_fast, layer.u, gy)
    (g_dense,) = torch.autograd.grad(y_dense, dense.u, gy)
    # reference gradient: autograd through the naive product, in float64
    (g_ref,) = torch.autograd.grad(x @ (W @ naive_h_autograd(U)).T, U, gy)
    assert torch.allclose(g_fast, g_ref, atol=1e-10, rtol=0)
    assert torch.allclose(g_dense, g_ref, atol=1e-10, rtol=0)


def test_step_cost_rows_and_figure():
    df = overview.step_cost(64, 48, r=4, oft_block=8, n_tokens=16, reps=2)
    assert list(df.method) == ["frozen", *overview.COMPARED, "hra_dense"]
    assert all(math.isfinite(v) and v > 0 for v in df.ms_per_step)
    lora = float(df.loc[df.method == "lora", "ms_per_step"].iloc[0])
    assert df.vs_lora.tolist() == pytest.approx((df.ms_per_step / lora).tolist())
    fig = F.step_cost_bars(df, "en")
    assert len(fig.data[0].y) == 5  # the dense route is left to the caption
    assert sorted(fig.data[0].y) == sorted(df.ms_per_step[df.method != "hra_dense"])


def test_step_cost_times_each_step_warm_and_turns_the_order(monkeypatch):
    """Each timed step follows an untimed one of the same method (the dense route excepted), the
    round's first method turns, and the figure is the fastest of the method's timed steps alone."""
    calls, clock = [], [0.0]  # the method of every step run, in order; a fake clock the steps advance

    def duration(i: int) -> float:  # the i-th step's length, varied so that the minimum tells which counted
        return 1.0 + (i * 7) % 5

    def fake_make_step(model, x, train):
        name = fake_make_step.names.pop(0)

        def step():
            calls.append(name)
            clock[0] += duration(len(calls))

        return step

    fake_make_step.names = ["frozen", *overview.COMPARED, "hra_dense"]
    monkeypatch.setattr(overview, "_make_step", fake_make_step)
    monkeypatch.setattr(overview.time, "perf_counter", lambda: clock[0])
    reps = 8
    df = overview.step_cost(24, 16, r=2, oft_block=8, n_tokens=4, reps=reps)
    names = ["frozen", *overview.COMPARED, "hra_dense"]
    expected, timed = list(names), {m: [] for m in names}  # the warm-up first
    for rep in range(reps):
        k = rep % len(names)
        for m in names[k:] + names[:k]:
            if m == "hra_dense" and rep >= overview.DENSE_REPS:
                continue
            if m != "hra_dense":
                expected.append(m)  # the untimed step
            expected.append(m)
            timed[m].append(duration(len(expected)))
    assert calls == expected
    best = {m: 1e3 * min(v) for m, v in timed.items()}
    assert df.set_index("method").ms_per_step.to_dict() == pytest.approx(best)
