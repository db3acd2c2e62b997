"""CUDA side of issue 10: a Run's step captured in CUDA graphs gives the eager numbers, divergence is
still caught and undone, and the Triton r × r kernels agree with the torch ones. Skipped without a GPU
(CI has none); run on the lent H200 (``benchmarks/device_issue10.sh``)."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from test_precision import (  # same float64 reference, tolerances
    check_against_reference,
    reference,
    tol,
    toy_reference,
)
from test_precision import tol as tol_of
from test_precision import toy_step as _toy_step
from torch import nn

from hra_viz import HRALinear, adapt
from hra_viz.core import householder as hh
from hra_viz.core.adapters import hra_kernels as K
from hra_viz.training import train as T
from hra_viz.training.train import Run, RunConfig

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


def rel(a, b) -> float:
    a, b = torch.as_tensor(a).double().cpu(), torch.as_tensor(b).double().cpu()
    return float((a - b).norm() / b.norm().clamp_min(1e-300))


def history(run: Run, keys=("loss", "target_acc", "source_acc", "orth_penalty")) -> dict[str, list]:
    return {k: [m.get(k, float("nan")) for m in run.history] for k in keys}


def eager_and_graphed(cfg: RunConfig, steps: int, monkeypatch) -> tuple[Run, Run]:
    monkeypatch.setattr(T, "CUDA_GRAPHS", False)
    eager = Run(cfg)
    eager.step(steps)
    monkeypatch.setattr(T, "CUDA_GRAPHS", True)
    graphed = Run(cfg)
    graphed.step(steps)
    return eager, graphed


# ------------------------------------------------------------------------------------------
# Run: graphs against eager, on the same device


@pytest.mark.parametrize(
    "cfg",
    [
        RunConfig(method="hra", steps=60, device="cuda"),
        RunConfig(method="hra", steps=60, lam=1e-3, device="cuda"),
        RunConfig(method="hra", steps=60, variant="orthonormal", device="cuda"),
        RunConfig(method="lora", steps=60, device="cuda"),
        RunConfig(method="oft", steps=60, device="cuda"),
        RunConfig(method="full", steps=60, device="cuda", batch_size=4096),  # full batch: no gather
        RunConfig(method="hra", task="moons-rotate", steps=60, optimizer="sgd", device="cuda"),
    ],
    ids=["hra", "hra-lam", "hra-orthonormal", "lora", "oft", "full-fullbatch", "hra-moons-sgd"],
)
def test_graphed_run_equals_eager(cfg, monkeypatch):
    eager, graphed = eager_and_graphed(cfg, cfg.steps, monkeypatch)
    assert graphed.graph_error == "" and graphed._gstep is not None and graphed._geval
    assert eager._gstep is None
    he, hg = history(eager), history(graphed)
    assert len(he["loss"]) == len(hg["loss"]) == cfg.steps
    # same kernels in the same order on the same device: equal up to float32 reassociation
    assert rel(hg["loss"], he["loss"]) < 1e-5
    for k in ("target_acc", "source_acc"):
        assert max(abs(a - b) for a, b in zip(hg[k], he[k], strict=True)) <= 1.5 / 360  # ≤ 1 test row
    if cfg.method == "hra":
        assert rel(hg["orth_penalty"], he["orth_penalty"]) < 1e-5
    for p, q in zip(graphed.params, eager.params, strict=True):
        assert rel(p, q) < 1e-4


def test_graphed_run_close_to_cpu():
    """Same config on the CPU and on the GPU (graphed): the first 30 losses agree."""
    cpu = Run(RunConfig(method="hra", steps=30, device="cpu")).run_to_end()
    gpu = Run(RunConfig(method="hra", steps=30, device="cuda")).run_to_end()
    assert gpu._gstep is not None
    a, b = history(gpu)["loss"], history(cpu)["loss"]
    assert rel(a, b) < 1e-3  # float32 sums in another order, through 30 Adam steps


def test_divergence_is_caught_and_undone_in_graphs(monkeypatch):
    cfg = RunConfig(method="lora", steps=60, lr=1.0, optimizer="sgd", device="cuda")  # NaN at step ~5
    eager, graphed = eager_and_graphed(cfg, 60, monkeypatch)
    assert eager.diverged and graphed.diverged
    assert graphed._gstep is not None and graphed.status_args["step"] >= 3  # it diverged inside a replay
    assert graphed.status_args == eager.status_args
    assert history(graphed)["loss"] == pytest.approx(history(eager)["loss"], rel=1e-5)
    for p, q in zip(graphed.params, eager.params, strict=True):  # the same restored state
        assert torch.isfinite(p).all() and rel(p, q) < 1e-5
    for p, q in zip(graphed.params, eager.params, strict=True):
        se, sg = eager.opt.state.get(q, {}), graphed.opt.state.get(p, {})
        for k in se:
            if torch.is_tensor(se[k]):
                assert rel(sg[k], se[k]) < 1e-5


def test_capture_failure_falls_back_to_eager(monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("no graphs today")

    monkeypatch.setattr(T, "GraphedStep", broken)
    run = Run(RunConfig(method="hra", steps=20, device="cuda")).run_to_end()
    assert run.status_code == "finished" and "no graphs today" in run.graph_error
    assert all(math.isfinite(m["loss"]) for m in run.history)


# ------------------------------------------------------------------------------------------
# the Triton r × r kernels against the torch ones


SHAPES = [(64, 1), (100, 3), (1024, 8), (1000, 8), (4096, 32), (8192, 32), (333, 17), (2048, 64), (96, 64)]


@pytest.mark.parametrize("d,r", SHAPES)
@pytest.mark.parametrize("cdt", [torch.float32, torch.bfloat16, torch.float16])
def test_triton_factors_match_torch(d, r, cdt):
    if not K.triton_available():
        pytest.skip("triton missing")
    g = torch.Generator(device="cuda").manual_seed(d + r)
    U = torch.randn(d, r, device="cuda", generator=g)
    x = torch.randn(64, d, device="cuda", generator=g)
    dy = torch.randn(64, d, device="cuda", generator=g)
    y64, dU64, G = toy_reference(U, x, dy)
    got = {be: _toy_step(U, cdt, be, x.to(cdt), dy.to(cdt)) for be in ("torch", "triton")}
    tol = tol_of(cdt, grad=True)
    for be, (y, dU, Gam) in got.items():
        assert dU.dtype == U.dtype and dU.shape == U.shape and torch.isfinite(dU).all(), be
        assert rel(Gam, G) < 1e-5, be  # Γ of the unit vectors, float32 algebra in every dtype
        assert rel(y, y64) < tol, be
        assert rel(dU, dU64) < tol, be
    assert rel(got["triton"][1], got["torch"][1]) < tol


TOKEN_CASES = [(64, 64, 1, True), (300, 130, 20, False), (8192, 1024, 8, True), (20000, 256, 32, False),
               (96, 2048, 64, True)]  # (tokens, d, r, x needs grad)


@pytest.mark.parametrize("n,d,r,need_x", TOKEN_CASES)
@pytest.mark.parametrize("cdt", [torch.float32, torch.bfloat16, torch.float16])
def test_token_pass_against_float64(n, d, r, need_x, cdt):
    """The token-pass kernels (x' = x + Z Ûᵀ forward; dU and dx from dx' backward, through per-block
    partial sums, more than one block of rows per program at 20000 tokens) against float64 autograd."""
    if not K.triton_available():
        pytest.skip("triton missing")
    g = torch.Generator(device="cuda").manual_seed(n + d + r)
    U = torch.randn(d, r, device="cuda", generator=g) * torch.logspace(-1, 1, r, device="cuda")
    x = torch.randn(n, d, device="cuda", generator=g)
    dxp = torch.randn(n, d, device="cuda", generator=g)
    xp, Z, saved = K.act_fwd(x.to(cdt), U)
    dU, dx = K.act_bwd(dxp.to(cdt, copy=True), x.to(cdt), Z, saved, need_x)  # dx overwrites dx'
    U64 = U.double().requires_grad_(True)
    x64 = x.double().requires_grad_(need_x)
    Un, G = hh.wy_factors(U64)
    Z64 = (x64 @ Un) @ G.T
    xp64 = x64 + Z64 @ Un.T
    (xp64 * dxp.double()).sum().backward()
    t = tol_of(cdt, grad=True)
    assert xp.dtype == cdt and dU.dtype == U.dtype and Z.dtype == torch.float32
    assert rel(xp, xp64) < tol_of(cdt) and rel(Z, Z64) < t
    assert rel(K.gamma(saved, "triton"), G.detach()) < 1e-5
    assert rel(dU, U64.grad) < t
    assert (dx is None) == (not need_x)
    if need_x:
        assert dx.dtype == cdt and rel(dx, x64.grad) < tol_of(cdt)


# (tokens, d_in, d_out, r, x needs grad)
LORA_CASES = [(64, 64, 64, 1, True), (300, 130, 200, 20, False), (8192, 4096, 1024, 8, True),
              (20000, 256, 320, 32, False), (96, 2048, 512, 64, True)]


@pytest.mark.parametrize("n,d,do,r,need_x", LORA_CASES)
@pytest.mark.parametrize("cdt", [torch.float32, torch.bfloat16, torch.float16])
def test_lora_pass_against_float64(n, d, do, r, need_x, cdt):
    """The LoRA-pass kernels (y += Z (W Û)ᵀ forward; dU, and dx over dx' = dy W, backward from dy
    through per-block partial sums of dZᵀ x, Zᵀ dy and Zᵀ dZ) against float64 autograd of
    y = x Wᵀ + (x Û Γᵀ)(W Û)ᵀ, with d_in ≠ d_out and the split r × r reductions (d = 4096)."""
    if not K.triton_available():
        pytest.skip("triton missing")
    g = torch.Generator(device="cuda").manual_seed(n + d + r)
    U = torch.randn(d, r, device="cuda", generator=g) * torch.logspace(-1, 1, r, device="cuda")
    x = torch.randn(n, d, device="cuda", generator=g)
    W = torch.randn(do, d, device="cuda", generator=g) / d**0.5
    dy = torch.randn(n, do, device="cuda", generator=g)
    xc, Wc, dyc = x.to(cdt), W.to(cdt), dy.to(cdt)
    Ut, _, _, saved = K.triton_fwd(U, cdt, None)
    At = Ut @ Wc.T
    y = xc @ Wc.T
    Z = K.lora_fwd(xc, y, Ut, At, saved)
    dU, dx = K.lora_bwd(dyc, xc, Z, Ut, At, Wc, saved, dyc @ Wc if need_x else None)
    U64 = U.double().requires_grad_(True)
    x64 = x.double().requires_grad_(need_x)
    Un, G = hh.wy_factors(U64)
    Z64 = (x64 @ Un) @ G.T
    y64 = x64 @ W.double().T + Z64 @ (W.double() @ Un).T
    (y64 * dy.double()).sum().backward()
    t = tol_of(cdt, grad=True)
    assert y.dtype == cdt and dU.dtype == U.dtype and Z.dtype == torch.float32
    assert rel(y, y64) < tol_of(cdt) and rel(Z, Z64) < t
    assert rel(dU, U64.grad) < t
    assert (dx is None) == (not need_x)
    if need_x:
        assert dx.dtype == cdt and rel(dx, x64.grad) < tol_of(cdt)


def test_lora_pass_token_counts_in_turn():
    """One layer's shapes called with token counts whose launch keys share a specialisation class but
    not their block counts (64 tokens: one dZ block, 96: two): each call still matches float64, so no
    compiled launch is reused where triton would have specialised an int differently."""
    if not K.triton_available():
        pytest.skip("triton missing")
    d, do, r = 256, 192, 8
    g = torch.Generator(device="cuda").manual_seed(7)
    U = torch.randn(d, r, device="cuda", generator=g)
    W = torch.randn(do, d, device="cuda", generator=g) / d**0.5
    for n in (64, 96, 16, 4160, 64):
        x = torch.randn(n, d, device="cuda", generator=g)
        dy = torch.randn(n, do, device="cuda", generator=g)
        Ut, _, _, saved = K.triton_fwd(U, torch.float32, None)
        y = x @ W.T
        Z = K.lora_fwd(x, y, Ut, Ut @ W.T, saved)
        dU, _ = K.lora_bwd(dy, x, Z, Ut, Ut @ W.T, W, saved, None)
        U64 = U.double().requires_grad_(True)
        Un, G = hh.wy_factors(U64)
        y64 = x.double() @ W.double().T + ((x.double() @ Un) @ G.T) @ (W.double() @ Un).T
        (y64 * dy.double()).sum().backward()
        assert rel(y, y64) < 1e-5 and rel(dU, U64.grad) < 1e-5, n


@pytest.mark.parametrize("d,r", [(1000, 8), (333, 17), (2048, 64)])
def test_triton_split_reduction_matches_one_launch(d, r, monkeypatch):
    """The split reductions (partial sums in parallel, added in a fixed order; d ≥ SPLIT_MIN_D) give
    what each program's own serial reduction gives, to float32 rounding, and float64's answer."""
    if not K.triton_available():
        pytest.skip("triton missing")
    from hra_viz.core.adapters import hra_triton as TR

    g = torch.Generator(device="cuda").manual_seed(d * r)
    U = torch.randn(d, r, device="cuda", generator=g)
    x = torch.randn(64, d, device="cuda", generator=g)
    dy = torch.randn(64, d, device="cuda", generator=g)
    y64, dU64, G = toy_reference(U, x, dy)
    got = {}
    for split in (False, True):
        monkeypatch.setattr(TR, "SPLIT_MIN_D", 256 if split else 1 << 30)
        assert (TR._parts(d) > 0) == split
        got[split] = _toy_step(U, torch.float32, "triton", x, dy)
        y, dU, Gam = got[split]
        assert rel(Gam, G) < 1e-5 and rel(y, y64) < 1e-5 and rel(dU, dU64) < 1e-5
    for a, b in zip(got[True], got[False], strict=True):
        assert rel(a, b) < 2e-6
    monkeypatch.setattr(TR, "SPLIT_MIN_D", 256)
    again = _toy_step(U, torch.float32, "triton", x, dy)  # deterministic: no atomics
    assert all(torch.equal(a, b) for a, b in zip(again, got[True], strict=True))


@pytest.mark.parametrize("where", ["forward", "backward"])
def test_failing_kernels_fall_back_to_torch_on_the_gpu(where, monkeypatch):
    """A kernel that raises (standing for a triton that cannot build it) on the real CUDA route: the
    step completes on the torch back end with the torch back end's numbers (CPU side:
    tests/test_kernel_fallback.py)."""
    if not K.triton_available():
        pytest.skip("triton missing")
    monkeypatch.setattr(K, "_TRITON", K._triton())  # restored after the fallback turns it off

    def boom(*args, **kwargs):
        raise RuntimeError("simulated kernel failure")

    # backward: the token pass's forward kernels run for real, then its backward raises
    monkeypatch.setattr(K, "act_fwd" if where == "forward" else "act_bwd", boom)
    torch.manual_seed(0)
    base = nn.Linear(512, 384).to("cuda")
    out = {}
    for backend in ("torch", "auto"):
        K.set_backend(backend)
        try:
            layer = HRALinear(base, 8, init="random", generator=torch.Generator().manual_seed(0))
            x = torch.randn(256, 512, device="cuda", generator=torch.Generator("cuda").manual_seed(1))
            x.requires_grad_(True)
            if backend == "auto":
                assert layer.route(x) == "activation"
                assert K.backend_for(layer.u, base.weight.dtype) == "triton"
                with pytest.warns(K.KernelFallbackWarning, match="simulated kernel failure"):
                    y = layer(x)
                    y.square().mean().backward()
                assert not K.triton_available()
            else:
                y = layer(x)
                y.square().mean().backward()
            out[backend] = (y.detach(), layer.u.grad, x.grad)
        finally:
            K.set_backend("auto")
    for a, b in zip(out["auto"], out["torch"], strict=True):
        assert rel(a, b) < 1e-5


@pytest.mark.parametrize("route", ["token-pass", "lora-pass", "W-in-kernels", "W-by-cuBLAS", "gemm-accum"])
@pytest.mark.parametrize("x_grad", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_layer_backends_agree(x_grad, dtype, route, monkeypatch):
    if not K.triton_available():
        pytest.skip("triton missing")
    monkeypatch.setattr(K, "TOKEN_PASS_MAX_D", 2048 if route == "token-pass" else 0)
    monkeypatch.setattr(K, "LORA_PASS", route == "lora-pass")
    monkeypatch.setattr(K, "TRITON_FUSE_MAX_D", 2048 if route == "W-in-kernels" else 0)
    if route == "gemm-accum":  # the LoRA form in both regimes, the frozen GEMMs adding onto its terms
        monkeypatch.setattr(K, "GEMM_ACCUM_MIN_D", {"cuda": 0})
        monkeypatch.setattr(HRALinear, "_lora_form", lambda self, x, u=None, W=None: True)
    torch.manual_seed(0)
    base = nn.Linear(512, 384).to("cuda", dtype)
    out = {}
    for backend in ("torch", "triton"):
        K.set_backend(backend)
        try:
            layer = HRALinear(base, 8, init="random", generator=torch.Generator().manual_seed(0))
            gen = torch.Generator("cuda").manual_seed(1)
            x = torch.randn(256, 512, device="cuda", dtype=dtype, generator=gen).requires_grad_(x_grad)
            y = layer(x)
            y.float().square().mean().backward()
            out[backend] = (y.detach(), layer.u.grad, x.grad)
        finally:
            K.set_backend("auto")
    # bf16: the torch path forms Q = (Zᵀ dy) W in float32, the Triton path in bf16: a few u apart (8u)
    tol = 1e-5 if dtype == torch.float32 else tol_of(torch.bfloat16, grad=True)
    for a, b in zip(out["triton"], out["torch"], strict=True):
        if b is not None:
            assert rel(a, b) < tol


@pytest.mark.parametrize("route", ["token", "lora-pass", "lora", "activation"])
def test_triton_fast_launch_equals_jit_launch(route, monkeypatch):
    """Repeated calls launch the compiled kernels through their C launcher directly: bit for bit what
    triton's JIT launch gives (the last call may go through neither ``CompiledKernel.__getitem__`` nor
    the launcher's Python ``__call__``)."""
    if not K.triton_available():
        pytest.skip("triton missing")
    from triton.compiler.compiler import CompiledKernel

    from hra_viz.core.adapters import hra_triton as T

    if route != "token":  # the LoRA pass, or the r × r kernels with cuBLAS products
        monkeypatch.setattr(K, "TOKEN_PASS_MAX_D", 0)
        monkeypatch.setattr(K, "LORA_PASS", route == "lora-pass")
        from hra_viz.core.adapters import hra_graphs

        monkeypatch.setattr(hra_graphs, "ENABLED", False)  # launches, not graph replays (test_factor_graphs)
    torch.manual_seed(0)
    base = nn.Linear(320, 200).to("cuda", torch.bfloat16)
    layer = HRALinear(base, 8, init="random", generator=torch.Generator().manual_seed(0))
    x = torch.randn(128, 320, device="cuda", dtype=torch.bfloat16, requires_grad=not route.startswith("lora"))
    outs = []
    for mode in ("jit", "fast, first call", "fast"):
        T.FAST_LAUNCH = mode != "jit"
        if mode == "fast":
            def no_runner(self, grid):
                raise AssertionError("the lean launch fell back to CompiledKernel.__getitem__")

            monkeypatch.setattr(CompiledKernel, "__getitem__", no_runner)
            try:  # and, where triton has it, the launcher's Python __call__ (the C launch is direct)
                from triton.backends.nvidia.driver import CudaLauncher

                def no_python_launcher(self, *a, **k):
                    raise AssertionError("the lean launch went through CudaLauncher.__call__")

                monkeypatch.setattr(CudaLauncher, "__call__", no_python_launcher)
            except ImportError:
                pass
        try:
            layer.u.grad, x.grad = None, None
            y = layer(x)
            y.float().square().mean().backward()
            outs.append((y.detach(), layer.u.grad, x.grad))
        finally:
            T.FAST_LAUNCH = True
    assert layer.route(x) == ("lora" if route.startswith("lora") else "activation")
    for got in outs[1:]:
        for a, b in zip(got, outs[0], strict=True):
            assert (a is None and b is None) or torch.equal(a, b)
    from hra_viz.core.adapters import hra_token as TK

    kernels = {"token": (TK._act_fwd_kernel, TK._act_bwd_kernel, TK._act_du_kernel),
               "lora-pass": (T._fwd_kernel, TK._lora_fwd_kernel, TK._lora_dz_kernel, TK._lora_sp_kernel,
                             TK._act_du_kernel),
               }.get(route, (T._fwd_kernel, T._bwd_kernel))
    assert all(any(k[0] is kern for k in T._FAST) for kern in kernels)


def test_backend_selection():
    U = torch.randn(64, 8, device="cuda")
    want = "triton" if K.triton_available() else "torch"
    assert K.backend_for(U, torch.bfloat16) == want
    assert K.backend_for(torch.randn(256, 65, device="cuda"), torch.bfloat16) == "torch"  # r > 64
    assert K.backend_for(torch.randn(8192, 32, device="cuda"), torch.bfloat16) == want  # auto: d ≤ 8192
    assert K.backend_for(torch.randn(16384, 8, device="cuda"), torch.bfloat16) == "torch"  # auto: d > 8192
    assert K.backend_for(torch.randn(1024, 48, device="cuda"), torch.bfloat16) == "torch"  # auto: r > 32
    assert K.fuse_w(torch.empty(2048, 1024)) and not K.fuse_w(torch.empty(4096, 1024))
    assert K.token_pass(torch.empty(2048, 1024)) and not K.token_pass(torch.empty(1024, 4096))
    K.set_backend("triton")
    try:
        assert K.backend_for(torch.randn(8192, 48, device="cuda"), torch.bfloat16) == want  # forced
    finally:
        K.set_backend("auto")
    assert K.backend_for(U.double(), torch.float64) == "torch"
    assert K.backend_for(U.cpu(), torch.float32) == "torch"


# ------------------------------------------------------------------------------------------
# every precision path on CUDA (the CPU ones are in test_precision.py)


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(256, 192), nn.Tanh(), nn.Linear(192, 128))


@pytest.mark.parametrize("path", ["adapt_bf16", "adapt_fp16", "bf16_adapt", "autocast_bf16", "autocast_fp16",
                                  "f64"])
@pytest.mark.parametrize("x_grad", [False, True])
def test_cuda_precision_paths(path, x_grad):
    dtype = {"adapt_bf16": torch.bfloat16, "adapt_fp16": torch.float16, "bf16_adapt": torch.bfloat16,
             "autocast_bf16": torch.bfloat16, "autocast_fp16": torch.float16, "f64": torch.float64}[path]
    if path == "bf16_adapt":
        m = adapt(_mlp().to("cuda", dtype), "hra", r=8, seed=0, init="random")
    else:
        m = adapt(_mlp(), "hra", r=8, seed=0, init="random").cuda()
        if not path.startswith("autocast"):
            m = m.to(dtype)
    assert m[0].u.dtype == (torch.float64 if dtype == torch.float64 else torch.float32)
    x = torch.randn(128, 256, device="cuda")
    if not path.startswith("autocast"):
        x = x.to(dtype)
        y = check_against_reference(m, x, dtype, x_grad, device="cuda")
    else:
        ref = copy_with_base(m, dtype)
        y = check_autocast(m, ref, x, dtype, x_grad)
    assert y.dtype == dtype


def copy_with_base(m, dtype):
    ref = copy.deepcopy(m)
    for layer in ref:
        if isinstance(layer, HRALinear):
            layer.base.to(dtype)
    return ref


def check_autocast(m, ref_model, x, dtype, x_grad):
    xg = x.clone().requires_grad_(x_grad)
    with torch.autocast("cuda", dtype=dtype):
        y = m(xg)
    gy = torch.randn(y.shape, generator=torch.Generator().manual_seed(7)).to("cuda", y.dtype)
    y.backward(gy)
    r, us, xr = reference(ref_model, x.to(dtype))
    r.backward(gy.double().cpu())
    assert rel(y, r) < tol(dtype)
    for layer, u in zip([m[0], m[2]], us, strict=True):
        assert layer.u.grad.dtype == torch.float32
        assert rel(layer.u.grad, u.grad) < tol(dtype, grad=True)
    if x_grad:
        assert rel(xg.grad, xr.grad) < tol(dtype, grad=True)
    return y


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_cuda_merge_unmerge_and_graph_capture_of_a_layer(dtype):
    m = adapt(_mlp(), "hra", r=8, seed=0, init="random").to("cuda", dtype)
    x = torch.randn(64, 256, device="cuda", dtype=dtype)
    with torch.no_grad():
        y0 = m(x)
        m[0].merge()
        m[2].merge()
        y1 = m(x)
        m[0].unmerge()
        m[2].unmerge()
    assert rel(y1, y0) < tol(dtype)
    # one eager layer step captured whole (as benchmarks.gpu_graphs does)
    layer = m[0]
    xs = torch.randn(64, 256, device="cuda", dtype=dtype)
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(2):
            layer(xs).float().sum().backward()
    torch.cuda.current_stream().wait_stream(s)
    layer.u.grad = None
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        layer(xs).float().sum().backward()
    g.replay()
    want = layer.u.grad.clone()
    layer2 = HRALinear(nn.Linear(256, 192).to("cuda", dtype), 8)
    layer2.base.load_state_dict(layer.base.state_dict())
    with torch.no_grad():
        layer2.u.copy_(layer.u)
    layer2(xs).float().sum().backward()
    assert rel(want, layer2.u.grad) < 1e-5
