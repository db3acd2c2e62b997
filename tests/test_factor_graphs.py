"""CUDA side of ``hra_graphs``: the LoRA form's r × r kernels replayed from CUDA graphs give the
launched kernels' results bit for bit, in every situation where static buffers could go wrong.

Skipped without a GPU and triton (CI has neither); run on the lent H200 (``benchmarks/device_issue10.sh``).
"""

from __future__ import annotations

import gc

import pytest
import torch
from torch import nn

from hra_viz import HRALinear
from hra_viz.core.adapters import hra_kernels as K

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


@pytest.fixture
def G():
    if not K.triton_available():
        pytest.skip("needs triton")
    from hra_viz.core.adapters import hra_graphs

    keep = hra_graphs.ENABLED
    hra_graphs.ENABLED = True
    yield hra_graphs
    hra_graphs.ENABLED = keep


def _pair(d_in, d_out, r, dtype):
    """Two layers with the same W, b and U: the first replays graphs, the second launches the kernels."""
    torch.manual_seed(0)
    base = nn.Linear(d_in, d_out).to("cuda", dtype).requires_grad_(False)
    a = HRALinear(base, r, init="random", generator=torch.Generator().manual_seed(1))
    base2 = nn.Linear(d_in, d_out).to("cuda", dtype).requires_grad_(False)
    base2.load_state_dict(base.state_dict())
    b = HRALinear(base2, r, init="random", generator=torch.Generator().manual_seed(1))
    assert torch.equal(a.u, b.u)
    return a, b


def _step(layer, x, gy, G, graphs: bool):
    keep, G.ENABLED = G.ENABLED, graphs
    try:
        layer.u.grad = None
        if x.requires_grad:
            x.grad = None
        y = layer(x)
        y.backward(gy)
    finally:
        G.ENABLED = keep
    return y.detach(), layer.u.grad.clone(), (x.grad.clone() if x.requires_grad else None)


def _entries(G, layer):
    return list(G._CACHE.get(id(layer.u), {}).values())


# (d_in, d_out, r): above TOKEN_PASS_MAX_D, so the cuBLAS route; 4096 splits the reductions, 3072 not
SHAPES = [(4096, 4096, 8), (4096, 4096, 32), (3072, 3072, 16), (2560, 4096, 8)]


@pytest.mark.parametrize("d_in,d_out,r", SHAPES)
@pytest.mark.parametrize("x_grad", [False, True])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_replayed_graphs_equal_launched_kernels(d_in, d_out, r, x_grad, dtype, G):
    a, b = _pair(d_in, d_out, r, dtype)
    n = 1024
    for step in range(4):  # warm-up, capture, replays
        x = torch.randn(n, d_in, device="cuda", dtype=dtype, requires_grad=x_grad)
        gy = torch.randn(n, d_out, device="cuda", dtype=dtype)
        ga = _step(a, x, gy, G, True)
        gb = _step(b, x, gy, G, False)
        for u, v in zip(ga, gb, strict=True):
            assert (u is None and v is None) or torch.equal(u, v), f"step {step}"
    # from d = 4096 the LoRA form in both regimes (``gemm_accum``), else the activation form with x grad
    lora = not x_grad or min(d_in, d_out) >= K.GEMM_ACCUM_MIN_D["cuda"]
    assert a.route(x) == ("lora" if lora else "activation")
    ents = _entries(G, a)
    if not lora:  # the activation form launches its kernels
        assert not ents
    else:
        assert len(ents) == 1 and all(g is not None for g in ents[0].graphs), "the graphs were not used"
    assert not _entries(G, b)


def test_two_forwards_before_one_backward(G):
    """The second forward is the capture: it rewrites the saved buffers while the first forward's
    backward is pending; both backward passes stay exact."""
    a, b = _pair(4096, 4096, 8, torch.bfloat16)
    xs = [torch.randn(512, 4096, device="cuda", dtype=torch.bfloat16) for _ in range(3)]
    gy = torch.randn(512, 4096, device="cuda", dtype=torch.bfloat16)
    outs = []
    for layer, graphs in ((a, True), (b, False)):
        keep, G.ENABLED = G.ENABLED, graphs
        try:
            layer(xs[0]).backward(gy)  # warm-up
            layer.u.grad = None
            y1, y2 = layer(xs[1]), layer(xs[2])
            (y1 * gy).sum().add((y2 * gy).sum()).backward()
        finally:
            G.ENABLED = keep
        outs.append((y1.detach(), y2.detach(), layer.u.grad.clone()))
    for u, v in zip(*outs, strict=True):
        assert torch.equal(u, v)
    assert _entries(G, a)[0].graphs[0] is not None


@pytest.mark.parametrize("use_reentrant", [False, True])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_activation_checkpointing_equals_the_plain_step(use_reentrant, dtype, G):
    """Under ``torch.utils.checkpoint`` the forward runs once without saving (reentrant: under
    no_grad, so in the activation form) and again in the backward; the graphed layer gives the plain
    step's gradients bit for bit, over warm-up, capture and replays, and its output."""
    from torch.utils.checkpoint import checkpoint

    a, b = _pair(4096, 4096, 8, dtype)
    for _ in range(3):
        x = torch.randn(512, 4096, device="cuda", dtype=dtype, requires_grad=True)
        gy = torch.randn(512, 4096, device="cuda", dtype=dtype)
        outs = []
        for layer, ckpt in ((a, True), (b, False)):
            layer.u.grad, x.grad = None, None
            y = checkpoint(layer, x, use_reentrant=use_reentrant) if ckpt else layer(x)
            y.backward(gy)
            outs.append((y.detach(), layer.u.grad.clone(), x.grad.clone()))
        (ya, *ga), (yb, *gb) = outs
        for u, v in zip(ga, gb, strict=True):
            assert torch.equal(u, v)
        if use_reentrant:  # y came from the no_grad forward, whose route is the activation form
            tol = 2e-2 if dtype == torch.bfloat16 else 1e-5
            assert torch.allclose(ya.float(), yb.float(), rtol=tol, atol=tol)
        else:
            assert torch.equal(ya, yb)
    assert _entries(G, a)[0].graphs[0] is not None


def test_gradients_accumulate_and_returned_gradients_stay_the_callers(G):
    a, _ = _pair(4096, 4096, 8, torch.bfloat16)
    xs = [torch.randn(256, 4096, device="cuda", dtype=torch.bfloat16) for _ in range(4)]
    grads = []
    for x in xs:  # warm-up, capture, replay, replay
        (g,) = torch.autograd.grad(a(x).float().square().sum(), [a.u])
        grads.append((g, g.clone()))
    for g, copy in grads:  # a later backward must not have written into an earlier result
        assert torch.equal(g, copy)
    assert not torch.equal(grads[2][0], grads[3][0])
    a.u.grad = None
    a(xs[2]).float().square().sum().backward()
    a(xs[3]).float().square().sum().backward()
    assert torch.allclose(a.u.grad, grads[2][1] + grads[3][1], rtol=0, atol=0)


def test_u_changed_in_place_between_forward_and_backward_raises(G):
    a, _ = _pair(4096, 4096, 8, torch.bfloat16)
    x = torch.randn(256, 4096, device="cuda", dtype=torch.bfloat16)
    for _ in range(2):
        a(x).sum().backward()
    y = a(x)
    with torch.no_grad():
        a.u.mul_(1.5)
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()
    assert K.triton_available()


def test_inside_an_enclosing_capture_the_kernels_are_captured_as_they_are(G):
    """A whole step captured by the caller (the live page does this): no nested graph, and the replayed
    step equals the eager one."""
    a, b = _pair(4096, 4096, 8, torch.bfloat16)
    x = torch.randn(512, 4096, device="cuda", dtype=torch.bfloat16)
    gy = torch.randn(512, 4096, device="cuda", dtype=torch.bfloat16)

    def run():
        a.u.grad = None
        a(x).backward(gy)

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            run()
    torch.cuda.current_stream().wait_stream(side)
    G._CACHE.pop(id(a.u), None)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        run()
    assert not _entries(G, a)
    g.replay()
    torch.cuda.synchronize()
    ref = _step(b, x, gy, G, False)[1]
    assert torch.equal(a.u.grad, ref)


def test_entries_go_with_their_u_and_a_cast_weight_makes_none(G):
    a, _ = _pair(4096, 4096, 8, torch.float32)
    x = torch.randn(256, 4096, device="cuda")
    with torch.autocast("cuda", dtype=torch.bfloat16):  # W is cast for every call: no graph on it
        for _ in range(3):
            a(x).float().sum().backward()
    assert a.route(x) == "lora" and not _entries(G, a)
    for _ in range(3):
        a(x).sum().backward()
    assert _entries(G, a)
    key = id(a.u)
    del a
    gc.collect()
    assert key not in G._CACHE
