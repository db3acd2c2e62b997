"""Every precision path of the adapters, against float64 references (issue 10).

Paths: adapt then cast (bf16, fp16, float64), cast then adapt, and torch.autocast (bf16 on the CPU;
bf16 and fp16 on CUDA in the ``cuda`` tests at the end, run on the GPU machine).

Dtype policy under test (``hra_viz.core.adapters.base.FloatAdapterMixin``): adapter parameters are a
float32 master copy (float64 on a float64 model) that half-precision casts leave unrounded; the big
products run in the compute dtype (the base weight's, or autocast's); the r × r algebra of HRA (norms,
ÛᵀÛ, Γ, the triangular solve) runs in float32 or better.

Tolerances. The reference is float64 arithmetic on the *same* rounded inputs (the half-precision
weights and input, the float32 U), so what remains is the arithmetic's own rounding. A result rounded
to a format with unit roundoff u has relative error u/2 per element; the layer adds a few rounded
intermediates in series (Z = xM, x' = x + ZÛᵀ or ZAᵀ, y), each contributing ≲ u, and two layers with a
tanh between double that: ‖err‖/‖ref‖ ≲ 4u for outputs. Gradients pass through two more rounded
products per layer (dZ, dM, Q, dx') before the float32 r × r part: ≲ 8u. With u = 2⁻⁸ (bf16) and
2⁻¹¹ (fp16): outputs 1.6e-2 / 2.0e-3, gradients 3.1e-2 / 3.9e-3. Measured: 1.1-1.5 u, i.e. 15-35 % of
these (printed by ``-s``). float32 paths use 1e-5 and float64 paths 1e-12. The test MLP uses tanh, not
ReLU: a ReLU input that rounds across 0 flips a whole gradient entry, an O(√u) effect of the model,
not of the arithmetic.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hra_viz import HRAConv2d, HRALinear, adapt, orthogonality_loss
from hra_viz.core import householder as hh
from hra_viz.core import peft_io
from hra_viz.core.adapters import hra_kernels as K

F64 = torch.float64
HALF = (torch.bfloat16, torch.float16)
U_ROUND = {torch.bfloat16: 2.0**-8, torch.float16: 2.0**-11, torch.float32: 2.0**-24, torch.float64: 2.0**-53}


def tol(dtype: torch.dtype, grad: bool = False) -> float:
    if dtype == torch.float64:
        return 1e-12
    if dtype == torch.float32:
        return 1e-5
    return (8.0 if grad else 4.0) * U_ROUND[dtype]


def mlp(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(48, 40), nn.Tanh(), nn.Linear(40, 24))  # smooth: no ReLU mask flips


def adapted(seed: int = 0, method: str = "hra", **kw) -> nn.Sequential:
    m = adapt(mlp(seed), method, r=6, seed=seed, init="random", **kw)
    if method == "hra":  # a generic U (random init is already generic; make it independent of the seed path)
        g = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for layer in m:
                if isinstance(layer, HRALinear):
                    layer.u.copy_(torch.randn(layer.u.shape, generator=g, dtype=layer.u.dtype))
    return m


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    return float((a - b).norm() / b.norm().clamp_min(1e-300))


def reference(model: nn.Sequential, x: torch.Tensor):
    """float64 forward of an adapted HRA MLP through the *definition* H = H_1 … H_r (dense), from the
    model's own (possibly rounded) weights; returns (y, [U leaves], x leaf)."""
    xr = x.detach().to("cpu", F64).requires_grad_(True)
    h, us = xr, []
    for layer in model:
        if isinstance(layer, HRALinear):
            u = layer.u.detach().to("cpu", F64).requires_grad_(True)
            us.append(u)
            W, b = layer.base.weight.detach().to("cpu", F64), layer.base.bias.detach().to("cpu", F64)
            h = F.linear(h, W @ hh.householder_chain(u), b)
        else:
            h = layer(h)
    return h, us, xr


def check_against_reference(model, x, dtype, x_grad: bool, autocast: bool = False, device="cpu"):
    """One forward + backward of ``model`` on x; compare output and every gradient with float64."""
    x = x.detach().clone().requires_grad_(x_grad)
    g = torch.Generator().manual_seed(7)
    if autocast:
        with torch.autocast(device, dtype=dtype):
            y = model(x)
    else:
        y = model(x)
    gy = torch.randn(y.shape, generator=g).to(device=y.device, dtype=y.dtype)
    y.backward(gy)
    ref, us, xr = reference(model, x.to(dtype) if autocast else x)
    ref.backward(gy.to("cpu", F64))
    errs = {"y": rel(y, ref)}
    layers = [m for m in model if isinstance(m, HRALinear)]
    for i, (layer, u) in enumerate(zip(layers, us, strict=True)):
        assert layer.u.grad is not None and layer.u.grad.dtype == layer.u.dtype
        errs[f"dU{i}"] = rel(layer.u.grad, u.grad)
    if x_grad:
        errs["dx"] = rel(x.grad, xr.grad)
    print(f"{dtype} x_grad={x_grad} autocast={autocast}:", " ".join(f"{k}={v:.1e}" for k, v in errs.items()))
    assert errs["y"] < tol(dtype), errs
    for k, v in errs.items():
        if k != "y":
            assert v < tol(dtype, grad=True), (k, errs)
    return y


# ------------------------------------------------------------------------------------------
# the dtype policy


@pytest.mark.parametrize("cast", ["to_bf16", "half", "bfloat16", "to_f64", "double"])
@pytest.mark.parametrize("method", ["hra", "lora", "oft"])
def test_adapt_then_cast_keeps_a_float32_master_copy(cast, method):
    m = adapt(mlp(), method, r=4, block_size=4, seed=0)
    opt_params = [p for p in m.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in opt_params]
    m(torch.randn(3, 48)).sum().backward()
    grads = [p.grad.clone() for p in opt_params]
    {
        "to_bf16": lambda: m.to(torch.bfloat16),
        "half": m.half,
        "bfloat16": m.bfloat16,
        "to_f64": lambda: m.to(F64),
        "double": m.double,
    }[cast]()
    half = cast in ("to_bf16", "half", "bfloat16")
    base_dtype = {"to_bf16": torch.bfloat16, "half": torch.float16, "bfloat16": torch.bfloat16}.get(cast, F64)
    assert m[0].base.weight.dtype == base_dtype
    after = [p for p in m.parameters() if p.requires_grad]
    assert [id(p) for p in after] == [id(p) for p in opt_params]  # an optimizer built before still holds them
    for p, b, g in zip(after, before, grads, strict=True):
        assert p.dtype == (torch.float32 if half else F64)
        assert p.grad.dtype == p.dtype
        assert torch.equal(p.detach().to(b.dtype), b)  # not rounded through half precision
        assert torch.equal(p.grad.to(g.dtype), g)
    if half:  # back to float32: still the unrounded master
        m.float()
        assert all(torch.equal(p.detach(), b) for p, b in zip(m.parameters(), before, strict=False)
                   if p.requires_grad)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, F64])
def test_cast_then_adapt_creates_float32_or_float64_adapters(dtype):
    for method in ("hra", "lora", "oft"):
        m = adapt(mlp().to(dtype), method, r=4, block_size=4, seed=0)
        want = F64 if dtype == F64 else torch.float32
        assert all(p.dtype == want for p in m.parameters() if p.requires_grad)


class _OpDtypes(torch.utils._python_dispatch.TorchDispatchMode):
    """Records (op name, dtype of the first tensor argument) of every ATen call."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        t = next((a for a in args if isinstance(a, torch.Tensor)), None)
        if t is not None:
            self.seen.append((func.overloadpacket.__name__, t.dtype, tuple(t.shape)))
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("path", ["bf16_model", "fp16_model", "autocast_bf16"])
def test_r_by_r_algebra_runs_in_float32(path):
    m = adapted()
    if path == "bf16_model":
        m = m.to(torch.bfloat16)
    elif path == "fp16_model":
        m = m.half()
    x = torch.randn(16, 48, dtype=m[0].base.weight.dtype if "model" in path else torch.float32)
    rec = _OpDtypes()
    with rec:
        if path == "autocast_bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                y = m(x)
                pen = orthogonality_loss(m)
        else:
            y = m(x)
            pen = orthogonality_loss(m)
        (y.float().sum() + pen).backward()
    solves = [dt for name, dt, _ in rec.seen if "solve_triangular" in name]
    norms = [dt for name, dt, _ in rec.seen if "norm" in name]
    r_by_r = [dt for name, dt, shape in rec.seen if name in ("mm", "addmm") and shape == (6, 6)]
    assert solves and norms
    assert all(dt == torch.float32 for dt in solves + norms + r_by_r), rec.seen
    assert pen.dtype == torch.float32
    # and the big products did run in half precision
    big = [dt for name, dt, shape in rec.seen if name in ("mm", "addmm", "linear") and 16 in shape]
    assert any(dt in HALF for dt in big)


# ------------------------------------------------------------------------------------------
# forward and gradients on every path, against float64


@pytest.mark.parametrize("x_grad", [False, True])
@pytest.mark.parametrize(
    "path,dtype",
    [
        ("adapt_then_cast", torch.bfloat16),
        ("adapt_then_cast", torch.float16),
        ("adapt_then_cast", F64),
        ("cast_then_adapt", torch.bfloat16),
        ("cast_then_adapt", torch.float16),
        ("cast_then_adapt", F64),
        ("float32", torch.float32),
    ],
)
def test_every_cast_path_matches_float64(path, dtype, x_grad):
    if path == "cast_then_adapt":
        m = mlp().to(dtype)
        m = adapt(m, "hra", r=6, seed=0, init="random")
    else:
        m = adapted().to(dtype)
    assert m[0].u.dtype == (F64 if dtype == F64 else torch.float32)
    x = torch.randn(64, 48).to(dtype)
    y = check_against_reference(m, x, dtype, x_grad)
    assert y.dtype == dtype


@pytest.mark.parametrize("x_grad", [False, True])
def test_cpu_autocast_bf16_matches_float64(x_grad):
    m = adapted()
    # under autocast the layer computes with bf16 copies of W and x: the reference uses those
    x = torch.randn(64, 48)
    ref_model = copy.deepcopy(m)
    for layer in ref_model:
        if isinstance(layer, HRALinear):
            layer.base.to(torch.bfloat16)
    xg = x.clone().requires_grad_(x_grad)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = m(xg)
    assert y.dtype == torch.bfloat16 and m[0].u.dtype == torch.float32
    gy = torch.randn(y.shape, generator=torch.Generator().manual_seed(7)).to(y.dtype)
    y.backward(gy)
    ref, us, xr = reference(ref_model, x.to(torch.bfloat16))
    ref.backward(gy.double())
    assert rel(y, ref) < tol(torch.bfloat16)
    for layer, u in zip([m[0], m[2]], us, strict=True):
        assert layer.u.grad.dtype == torch.float32
        assert rel(layer.u.grad, u.grad) < tol(torch.bfloat16, grad=True)
    if x_grad:
        assert x.dtype == xg.grad.dtype == torch.float32
        assert rel(xg.grad, xr.grad) < tol(torch.bfloat16, grad=True)


def test_autocast_gradients_agree_with_float32_training():
    """The same model trained a few Adam steps in float32 and under bf16 autocast stays close."""
    torch.manual_seed(0)
    x, t = torch.randn(128, 48), torch.randint(0, 24, (128,))
    runs = {}
    for mode in ("float32", "autocast"):
        m = adapted()
        opt = torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=1e-2)
        for _ in range(5):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=mode == "autocast"):
                loss = F.cross_entropy(m(x).float(), t)
            opt.zero_grad()
            loss.backward()
            opt.step()
        runs[mode] = (float(loss), [p.detach().clone() for p in m.parameters() if p.requires_grad])
    (l32, p32), (l16, p16) = runs["float32"], runs["autocast"]
    assert abs(l16 - l32) / l32 < 2e-2
    for a, b in zip(p16, p32, strict=True):
        assert a.dtype == torch.float32
        assert rel(a, b) < 2e-2


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, F64])
@pytest.mark.parametrize("variant", ["orthonormal", "unfrozen_base"])
def test_generic_path_in_every_dtype(dtype, variant):
    """The λ = ∞ variant and an unfrozen base take the plain autograd path: same dtype rules."""
    base = nn.Linear(32, 20).to(dtype)
    layer = HRALinear(base, 4, init="random", variant="orthonormal" if variant == "orthonormal" else "chain")
    if variant == "unfrozen_base":
        base.weight.requires_grad_(True)
    x = torch.randn(16, 32).to(dtype)
    y = layer(x)
    assert y.dtype == dtype
    y.float().sum().backward()
    assert layer.u.grad.dtype == layer.u.dtype and torch.isfinite(layer.u.grad).all()
    # against float64 on the same rounded numbers
    ref_layer = copy.deepcopy(layer).double()
    ref_layer.u.grad = None
    yr = ref_layer(x.double())
    assert rel(y, yr) < tol(dtype)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ya = copy.deepcopy(layer).float()(x.float())
    assert ya.dtype == torch.bfloat16 and torch.isfinite(ya.float()).all()


@pytest.mark.parametrize("path", ["bf16", "fp16", "autocast", "f64"])
def test_conv2d_paths(path):
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 8, 3, padding=1)
    layer = HRAConv2d(conv, 4, init="random")
    x = torch.randn(2, 3, 6, 6)
    if path in ("bf16", "fp16", "f64"):
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "f64": F64}[path]
        layer = layer.to(dtype)
        x = x.to(dtype)
        y = layer(x)
    else:
        dtype = torch.bfloat16
        with torch.autocast("cpu", dtype=dtype):
            y = layer(x)
    assert y.dtype == dtype
    y.float().sum().backward()
    assert layer.u.dtype == (F64 if path == "f64" else torch.float32) and torch.isfinite(layer.u.grad).all()
    W = layer.base.weight.detach().double().flatten(1)
    Wp = (W @ hh.householder_chain(layer.u.detach().double())).view_as(layer.base.weight)
    xr = x.double() if path != "autocast" else x.to(dtype).double()
    ref = F.conv2d(xr, Wp, layer.base.bias.detach().double(), padding=1)
    assert rel(y, ref) < tol(dtype)


# ------------------------------------------------------------------------------------------
# merge, unmerge and PEFT export from every dtype


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32, F64])
@pytest.mark.parametrize("method", ["hra", "lora", "oft"])
def test_merge_unmerge_every_dtype(dtype, method):
    m = adapt(mlp(), method, r=4, block_size=4, seed=0, init="random") if method == "hra" else adapt(
        mlp(), method, r=4, block_size=4, seed=0)
    with torch.no_grad():  # non-trivial adapters
        for p in m.parameters():
            if p.requires_grad:
                p.add_(0.3 * torch.randn_like(p))
    m = m.to(dtype)
    x = torch.randn(32, 48).to(dtype)
    with torch.no_grad():
        y0 = m(x)
        W0 = m[0].base.weight.clone()
        for layer in (m[0], m[2]):
            layer.merge()
        y1 = m(x)
        assert m[0].base.weight.dtype == dtype
        for layer in (m[0], m[2]):
            layer.unmerge()
        y2 = m(x)
    # merged W H is rounded to the weight's dtype once; unmerge rounds again
    assert rel(y1, y0) < tol(dtype) and rel(y2, y0) < tol(dtype)
    assert rel(m[0].base.weight, W0) < 2 * tol(dtype)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, F64])
def test_peft_export_from_every_dtype(dtype, tmp_path):
    """U exported from a half/float64 model loads in peft and computes what our layer computes."""
    peft = pytest.importorskip("peft")
    m = adapted().to(dtype)
    x = torch.randn(8, 48)
    vectors = peft_io.run_vectors(m)
    assert all(v.dtype == torch.float32 and v.device.type == "cpu" for v in vectors.values())
    assert torch.equal(vectors["0"], m[0].u.detach().float())
    peft_io.save_hra_adapter(vectors, tmp_path)
    back = peft_io.load_hra_adapter(tmp_path).vectors
    assert torch.equal(back["0"], vectors["0"])
    # peft on the same (rounded) base weights in float64 against our model evaluated in float64
    base64 = mlp().double()
    with torch.no_grad():
        for i in (0, 2):
            base64[i].weight.copy_(m[i].base.weight.double())
            base64[i].bias.copy_(m[i].base.bias.double())
    ours = copy.deepcopy(m).double()
    pm = peft.PeftModel.from_pretrained(copy.deepcopy(base64), tmp_path).eval()
    with torch.no_grad():
        got, want = pm(x.double()), ours(x.double())
    assert rel(got, want) < 1e-10


def toy_step(U, cdt, backend, x, dy):
    """y = x Hᵀ = x + (x M) A through one back end's factors, and dU for the loss ⟨dy, y⟩.

    The back ends may keep different scalings of (A, Mᵀ) (raw U or Û): only H and dU must agree."""
    A, Mt, saved = K.factors_fwd(U, cdt, backend)
    assert A.shape == Mt.shape == (U.shape[1], U.shape[0]) and A.dtype == Mt.dtype == cdt
    Z = x @ Mt.T
    y = x + Z @ A
    dZ = dy @ A.T
    S, Q = dZ.T @ x, Z.T @ dy  # ∂L/∂Mᵀ and ∂L/∂A
    return y, K.factors_bwd(saved, S, Q, backend), K.gamma(saved, backend)


def toy_reference(U, x, dy):
    """float64 (y, dU, Γ) of ``toy_step``: the closed form (``householder.wy_factors``) through autograd."""
    U64 = U.detach().double().requires_grad_(True)
    Un, G = hh.wy_factors(U64)
    y64 = x.double() + ((x.double() @ Un) @ G.T) @ Un.T
    (y64 * dy.double()).sum().backward()
    return y64.detach(), U64.grad, G.detach()


@pytest.mark.parametrize("cdt", [torch.float32, torch.bfloat16, torch.float16, torch.float64])
@pytest.mark.parametrize("d,r", [(40, 1), (96, 8), (257, 17)])
def test_torch_backend_against_float64(cdt, d, r):
    """The r × r back end alone (raw U; Û on the float16 route), forward and backward, against float64."""
    g = torch.Generator().manual_seed(d * r)
    U = torch.randn(d, r, generator=g) * torch.logspace(-1, 1, r)  # columns of different lengths
    x, dy = torch.randn(32, d, generator=g), torch.randn(32, d, generator=g)
    y, dU, Gam = toy_step(U.to(torch.float64 if cdt == torch.float64 else torch.float32), cdt, "torch",
                          x.to(cdt), dy.to(cdt))
    y64, dU64, G64 = toy_reference(U, x, dy)
    t = tol(cdt, grad=True) if cdt != torch.float64 else 1e-10
    assert rel(Gam, G64) < max(t, 1e-5) and rel(y, y64) < t and rel(dU, dU64) < t


def test_bf16_gradients_keep_float32_accuracy_where_terms_cancel():
    """A small model whose first layer's dU is a near-cancelling sum (Q + P + K A): under bf16 autocast
    its gradients stay within bf16's tolerance of float32's. On the raw-U route the rounding of the
    terms' radial part stays in dU (14 % off here); the projection through Û removes it."""
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(16, 24), nn.ReLU(), nn.Linear(24, 8))
    m = adapt(m, "hra", r=4, seed=0, init="random")
    x = torch.randn(10, 16)

    def grads():
        m.zero_grad(set_to_none=True)
        (m(x).float() ** 2).mean().backward()
        return [p.grad.clone() for p in m.parameters() if p.requires_grad]

    ref = grads()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        half = grads()
    for g, h in zip(half, ref, strict=True):
        assert rel(g, h) < tol(torch.bfloat16, grad=True)


def test_kernel_backend_switch_on_cpu():
    """The r × r back end: torch on a CPU whatever the setting; bad names are refused."""
    U = torch.randn(16, 4)
    for name in ("auto", "torch", "triton"):
        K.set_backend(name)
        try:
            assert K.backend_for(U, torch.float32) == "torch"
        finally:
            K.set_backend("auto")
    with pytest.raises(ValueError, match="backend must be"):
        K.set_backend("cuda")
    assert K.use_node()
    # the generic entry points agree with the layer's own torch calls
    Ut, Mt, saved = K.factors_fwd(U, torch.float32, "torch")
    Uh = hh.normalize_columns(U.double())
    assert rel(K.gamma(saved, "torch"), hh.gamma_from_unit_rows(Uh.T)) < 1e-6
    # H − I = Aᵀ Mᵀ whatever the scaling the back end keeps (raw U here), against float64's Û Γ Ûᵀ
    assert rel(Ut.T @ Mt, Uh @ hh.gamma_from_unit_rows(Uh.T) @ Uh.T) < 1e-6


@pytest.mark.parametrize("x_grad", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_aten_setting_runs_the_layer_as_plain_ops_with_the_same_result(x_grad, dtype):
    """``HRA_VIZ_KERNELS=aten``: no hand-written node (the graph holds only ATen backward nodes), and
    the same output and gradients as the node, both routes, against the float64 closed form."""
    torch.manual_seed(0)
    base = nn.Linear(48, 40).to(dtype)
    out = {}
    for name in ("auto", "aten"):
        K.set_backend(name)
        try:
            layer = HRALinear(base, 6, init="random", generator=torch.Generator().manual_seed(0))
            x = torch.randn(24, 48, dtype=dtype, generator=torch.Generator().manual_seed(1))
            x.requires_grad_(x_grad)
            y = layer(x)
            names = set()
            stack = [y.grad_fn]
            while stack:
                fn = stack.pop()
                if fn is not None and type(fn).__name__ not in names:
                    names.add(type(fn).__name__)
                    stack += [f for f, _ in fn.next_functions]
            assert any("HRAChainFn" in n for n in names) == (name == "auto"), names
            y.square().mean().backward()
            out[name] = (y.detach(), layer.u.grad, x.grad)
        finally:
            K.set_backend("auto")
    layer = HRALinear(base, 6, init="random", generator=torch.Generator().manual_seed(0))
    Un, G = hh.wy_factors(layer.u.detach().double())
    W = base.weight.detach().double()
    x64 = torch.randn(24, 48, dtype=dtype, generator=torch.Generator().manual_seed(1)).double()
    y64 = x64 @ (W @ (torch.eye(48, dtype=torch.float64) + Un @ G @ Un.T)).T + base.bias.detach().double()
    t = 1e-5 if dtype == torch.float32 else 1e-12
    assert rel(out["auto"][0], y64) < t and rel(out["aten"][0], y64) < t
    for a, b in zip(out["aten"], out["auto"], strict=True):
        assert (a is None and b is None) or rel(a, b) < t
