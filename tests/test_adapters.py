"""Adapter layers against naive float64 references: forward, gradients, merge, counts, errors."""

import copy
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hra_viz.core import adapters as ad
from hra_viz.core import householder as hh
from hra_viz.core.adapters import hra as hra_module

F64 = torch.float64


def naive_h(U: torch.Tensor) -> torch.Tensor:
    """H_1 … H_r from the definition (numpy float64, independent of the engine)."""
    A = U.detach().double().cpu().numpy()
    d, r = A.shape
    H = np.eye(d)
    for i in range(r):
        u = A[:, i] / np.linalg.norm(A[:, i])
        H = H @ (np.eye(d) - 2 * np.outer(u, u))
    return torch.from_numpy(H)


def naive_h_autograd(U: torch.Tensor) -> torch.Tensor:
    """H_1 … H_r from the definition in float64 torch ops, differentiable in U: the reference that
    gradients are checked against (independent of the engine's WY form and kernels)."""
    U = U.double()
    Un = U / U.norm(dim=0, keepdim=True)
    H = torch.eye(U.shape[0], dtype=torch.float64, device=U.device)
    for i in range(U.shape[1]):
        H = H - 2.0 * (H @ Un[:, i : i + 1]) @ Un[:, i : i + 1].T  # H (I − 2 û ûᵀ)
    return H


def naive_h_orthonormal(U: torch.Tensor) -> torch.Tensor:
    """λ = ∞: I − 2QQᵀ with Q from a float64 SVD of U (any orthonormal basis of span U)."""
    A = U.detach().double().cpu().numpy()
    Q = np.linalg.svd(A, full_matrices=False)[0]
    return torch.from_numpy(np.eye(A.shape[0]) - 2 * Q @ Q.T)


def linear(d_in, d_out, seed=0, dtype=F64, bias=True):
    torch.manual_seed(seed)
    return nn.Linear(d_in, d_out, bias=bias).to(dtype)


def randomize_u(layer, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        layer.u.copy_(torch.randn(layer.u.shape, generator=g, dtype=layer.u.dtype))


# ------------------------------------------------------------------------------------------
# HRALinear forward = F.linear(x, W H, b), every route, shapes and dtypes

FORWARD_CASES = [
    # (d_in, d_out, r, x_shape_prefix, variant)
    (8, 8, 1, (5,), "chain"),
    (16, 4, 3, (2, 7), "chain"),
    (12, 30, 6, (4,), "chain"),
    (64, 64, 8, (3, 5), "chain"),
    (33, 17, 32, (9,), "chain"),
    (20, 10, 4, (6,), "orthonormal"),
    (5, 5, 5, (), "chain"),
]


@pytest.mark.parametrize("d_in,d_out,r,prefix,variant", FORWARD_CASES)
@pytest.mark.parametrize("mode", ["no_grad", "u_grad", "x_grad"])
def test_hra_forward_and_gradients_match_dense_reference(d_in, d_out, r, prefix, variant, mode):
    base = linear(d_in, d_out, seed=d_in + r)
    layer = ad.HRALinear(base, r, init="random", variant=variant)
    randomize_u(layer, seed=r)
    x = torch.randn(*prefix, d_in, dtype=F64)
    H = naive_h(layer.u) if variant == "chain" else naive_h_orthonormal(layer.u)
    ref = F.linear(x, base.weight @ H, base.bias)
    if mode == "no_grad":
        with torch.no_grad():
            assert layer.route(x) == "activation"
            y = layer(x)
        assert (y - ref).abs().max() < 1e-12
        return
    if mode == "x_grad":
        x.requires_grad_(True)
    y = layer(x)
    assert y.shape == (*prefix, d_out)
    assert (y - ref).abs().max() < 1e-12
    # gradients against autograd through the dense product (float64)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    u_ref = layer.u.detach().clone().requires_grad_(True)
    x_ref = x.detach().clone().requires_grad_(True)
    if variant == "chain":
        Hd = hh.householder_chain(u_ref)
    else:
        Q = hh.orthonormalize(u_ref)
        Hd = torch.eye(d_in, dtype=F64) - 2 * Q @ Q.T
    (F.linear(x_ref, base.weight @ Hd, base.bias) * g).sum().backward()
    assert (layer.u.grad - u_ref.grad).abs().max() < 1e-10 * max(1.0, u_ref.grad.abs().max().item())
    if mode == "x_grad":
        assert (x.grad - x_ref.grad).abs().max() < 1e-10
    assert base.weight.grad is None and base.bias.grad is None


def test_route_choice_follows_cost_model():
    base = linear(256, 256, dtype=torch.float32)
    layer = ad.HRALinear(base, 8)
    x = torch.randn(64, 256)
    assert layer.route(x) == "lora"  # training, input needs no grad: avoid the backward through W
    assert layer.route(x.requires_grad_(True)) == "activation"
    with torch.no_grad():
        assert layer.route(x) == "activation"
    c = ad.route_flops(256, 1024, 1024, 8, input_grad=False)
    assert c["lora"] < c["activation"] < c["materialise"]
    c = ad.route_flops(256, 1024, 1024, 8, input_grad=True)
    assert c["activation"] < c["lora"] < c["materialise"]


def test_unfrozen_base_gets_correct_gradients():
    """If a user unfreezes W, the generic activation route must still be exact."""
    base = linear(10, 6)
    layer = ad.HRALinear(base, 4, init="random")
    base.weight.requires_grad_(True)
    x = torch.randn(3, 10, dtype=F64)
    layer(x).sum().backward()
    W_ref = base.weight.detach().clone().requires_grad_(True)
    F.linear(x, W_ref @ naive_h(layer.u), base.bias).sum().backward()
    assert (base.weight.grad - W_ref.grad).abs().max() < 1e-12


@pytest.mark.parametrize("dtype,rtol", [(torch.float32, 1e-5), (torch.bfloat16, 3e-2)])
def test_hra_forward_low_precision(dtype, rtol):
    base = linear(128, 96, seed=1, dtype=dtype)
    layer = ad.HRALinear(base, 8, init="random")
    assert layer.u.dtype == torch.float32  # the adapter trains in float32 even on a bf16 base
    randomize_u(layer, 2)
    x = torch.randn(32, 128, dtype=dtype)
    ref = F.linear(x.double(), base.weight.double() @ naive_h(layer.u), base.bias.double())
    for xin in (x, x.clone().requires_grad_(True)):
        y = layer(xin)
        assert y.dtype == dtype
        rel = (y.double() - ref).norm() / ref.norm()
        assert rel < rtol


# ------------------------------------------------------------------------------------------
# init, merge, penalty


@pytest.mark.parametrize("r", [2, 4, 8])
def test_symmetric_init_is_identity(r):
    base = linear(16, 9)
    layer = ad.HRALinear(base, r)
    x = torch.randn(4, 16, dtype=F64)
    assert (layer(x) - base(x)).abs().max() < 1e-12
    assert layer.delta_weight().abs().max() < 1e-12
    assert layer.u.shape == (16, r)  # PEFT's hra_u layout


def test_odd_r_warns_and_falls_back_to_random():
    base = linear(16, 9)
    with pytest.warns(ad.OddRankWarning, match="det H = −1"):
        layer = ad.HRALinear(base, 3)
    assert not torch.equal(layer.u[:, 0], layer.u[:, 1])
    assert math.isclose(float(torch.linalg.det(naive_h(layer.u))), -1.0, abs_tol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ad.HRALinear(base, 3, init="random")  # no warning when random is asked for


def test_orthonormal_variant_null_init():
    """λ = ∞ can never be I (‖H − I‖₂ = 2); its init makes W H = W when W has a null space of dim ≥ r."""
    base = linear(24, 10, seed=3)
    layer = ad.HRALinear(base, 6, variant="orthonormal")  # symmetric asked → null init
    Un, G = layer.factors()
    assert (Un.T @ Un - torch.eye(6, dtype=F64)).abs().max() < 1e-12
    H = naive_h_orthonormal(layer.u)
    assert math.isclose(float(torch.linalg.matrix_norm(H - torch.eye(24, dtype=F64), 2)), 2.0, rel_tol=1e-9)
    assert layer.delta_weight().abs().max() < 1e-10  # rank W = 10 ≤ 24 − 6
    assert float(layer.orthogonality_penalty()) == 0.0
    # with no null space left, the init is the smallest possible change: 2‖W Q‖ with Q = weakest directions
    sq = linear(8, 8, seed=4)
    layer = ad.HRALinear(sq, 2, variant="orthonormal")
    s = torch.linalg.svdvals(sq.weight.detach())
    assert math.isclose(float(layer.delta_weight().norm()), 2 * float(s[-2:].norm()), rel_tol=1e-9)


@pytest.mark.parametrize("variant", ["chain", "orthonormal"])
@pytest.mark.parametrize("dtype,tol", [(F64, 1e-12), (torch.float32, 1e-5)])
def test_merge_unmerge_round_trip(variant, dtype, tol):
    base = linear(40, 24, dtype=dtype)
    W0 = base.weight.detach().clone()
    layer = ad.HRALinear(base, 6, init="random", variant=variant)
    randomize_u(layer, 5)
    x = torch.randn(7, 40, dtype=dtype)
    with torch.no_grad():
        y = layer(x)
        layer.merge()
        assert layer.merged
        assert (layer(x) - y).abs().max() < tol * 10
        H = naive_h(layer.u) if variant == "chain" else naive_h_orthonormal(layer.u)
        assert (base.weight.double() - W0.double() @ H).abs().max() < tol
        layer.unmerge()
    assert (base.weight - W0).abs().max() < tol
    assert (layer(x) - y).abs().max() < tol * 10


def test_delta_weight_has_rank_at_most_r():
    base = linear(50, 30)
    layer = ad.HRALinear(base, 4, init="random")
    randomize_u(layer)
    s = torch.linalg.svdvals(layer.delta_weight())
    assert (s[4:] < 1e-12).all() and (s[:4] > 1e-6).all()
    ref = base.weight @ naive_h(layer.u) - base.weight
    assert (layer.delta_weight() - ref).abs().max() < 1e-12


def test_layer_penalty_and_model_loss():
    model = nn.Sequential(nn.Linear(12, 12), nn.ReLU(), nn.Linear(12, 5)).double()
    ad.adapt(model, "hra", r=4, seed=0)
    pens = [m.orthogonality_penalty() for _, m in ad.adapter_layers(model)]
    assert len(pens) == 2
    assert torch.allclose(ad.orthogonality_loss(model), sum(pens))
    for _, m in ad.adapter_layers(model):
        A = m.u.detach().numpy() / np.linalg.norm(m.u.detach().numpy(), axis=0)
        assert math.isclose(float(m.orthogonality_penalty()), float(((np.eye(4) - A.T @ A) ** 2).sum()))


# ------------------------------------------------------------------------------------------
# spectrum preservation: HRA and OFT keep σ(W); LoRA does not after one step


def _one_step(layer, seed=0):
    torch.manual_seed(seed)
    opt = torch.optim.SGD([p for p in layer.parameters() if p.requires_grad], lr=0.5)
    x = torch.randn(32, layer.in_features, dtype=F64)
    loss = (layer(x) - torch.randn(32, layer.out_features, dtype=F64)).pow(2).mean()
    loss.backward()
    opt.step()


SPECTRUM_CASES = [
    ("hra", lambda b: ad.HRALinear(b, 4), True),
    ("hra-orthonormal", lambda b: ad.HRALinear(b, 4, variant="orthonormal"), True),
    ("oft", lambda b: ad.OFTLinear(b, 4), True),
    ("lora", lambda b: ad.LoRALinear(b, 4), False),
]


@pytest.mark.parametrize("name,make,keeps", SPECTRUM_CASES, ids=[c[0] for c in SPECTRUM_CASES])
def test_spectrum_and_neuron_angles(name, make, keeps):
    base = linear(16, 12, seed=2)
    W0 = base.weight.detach().clone()
    layer = make(base)
    _one_step(layer)
    with torch.no_grad():
        W1 = layer.merged_weight() if hasattr(layer, "merged_weight") else base.weight + layer.delta_weight()
    assert (W1 - W0).abs().max() > 1e-4, "the step must have changed the layer"
    ds = (torch.linalg.svdvals(W1) - torch.linalg.svdvals(W0)).abs().max()
    # angles between neurons (rows): the Gram matrix W Wᵀ is unchanged by W ↦ W R, R orthogonal
    dg = (W1 @ W1.T - W0 @ W0.T).abs().max()
    if keeps:
        assert ds < 1e-12 and dg < 1e-12
    else:
        assert ds > 1e-4 and dg > 1e-4


# ------------------------------------------------------------------------------------------
# LoRA and OFT


def test_lora_init_forward_and_merge():
    base = linear(20, 14)
    layer = ad.LoRALinear(base, 4, alpha=8)
    x = torch.randn(5, 20, dtype=F64)
    assert torch.equal(layer(x), base(x))  # B = 0
    with torch.no_grad():
        layer.lora_B.normal_()
    ref = F.linear(x, base.weight + 2.0 * layer.lora_B @ layer.lora_A, base.bias)
    assert (layer(x) - ref).abs().max() < 1e-12
    W0 = base.weight.detach().clone()
    layer.merge()
    assert (layer(x) - ref).abs().max() < 1e-12
    layer.unmerge()
    assert (base.weight - W0).abs().max() < 1e-14


def _naive_cayley(S: np.ndarray) -> np.ndarray:
    eye = np.eye(S.shape[0])
    return np.linalg.inv(eye - S) @ (eye + S)


@pytest.mark.parametrize("d_in,b", [(8, 2), (12, 4), (16, 8)])
def test_oft_is_block_cayley(d_in, b):
    base = linear(d_in, 6)
    layer = ad.OFTLinear(base, b)
    x = torch.randn(3, 2, d_in, dtype=F64)
    assert (layer(x) - base(x)).abs().max() < 1e-14  # identity at init
    with torch.no_grad():
        layer.oft_s.normal_()
    R = np.zeros((d_in, d_in))
    iu = np.triu_indices(b, 1)
    for k in range(d_in // b):
        S = np.zeros((b, b))
        S[iu] = layer.oft_s[k].detach().numpy()
        R[k * b : (k + 1) * b, k * b : (k + 1) * b] = _naive_cayley(S - S.T)
    assert np.abs(R.T @ R - np.eye(d_in)).max() < 1e-12
    Rt = torch.from_numpy(R)
    ref = F.linear(x, base.weight @ Rt, base.bias)
    assert (layer(x) - ref).abs().max() < 1e-12
    assert (layer.merged_weight() - base.weight @ Rt).abs().max() < 1e-12
    W0 = base.weight.detach().clone()
    layer.merge()
    assert (layer(x) - ref).abs().max() < 1e-12
    layer.unmerge()
    assert (base.weight - W0).abs().max() < 1e-12


# ------------------------------------------------------------------------------------------
# Conv2d against an F.unfold reference

CONV_CASES = [
    # (c_in, c_out, kernel, stride, padding, dilation, r)
    (3, 5, (3, 3), 1, 1, 1, 4),
    (2, 4, (2, 5), (2, 1), (0, 2), 1, 6),
    (4, 3, (3, 1), 1, 0, (2, 1), 3),
    (1, 2, 1, 1, 0, 1, 1),
]


@pytest.mark.parametrize("c_in,c_out,k,stride,pad,dil,r", CONV_CASES)
def test_hra_conv2d_matches_unfold_reference(c_in, c_out, k, stride, pad, dil, r):
    torch.manual_seed(0)
    conv = nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad, dilation=dil).double()
    layer = ad.HRAConv2d(conv, r, init="random")
    randomize_u(layer, 1)
    kh, kw = conv.kernel_size
    assert layer.u.shape == (c_in * kh * kw, r)
    x = torch.randn(2, c_in, 9, 11, dtype=F64)
    H = naive_h(layer.u)
    cols = F.unfold(
        x, (kh, kw), dilation=conv.dilation, padding=conv.padding, stride=conv.stride
    )  # (B, K, L)
    cols = torch.einsum("kj,bjl->bkl", H, cols)  # reflect each flattened patch: H p
    out = torch.einsum("ok,bkl->bol", conv.weight.flatten(1), cols) + conv.bias[None, :, None]
    ref_shape = conv(x).shape
    ref = out.reshape(ref_shape)
    y = layer(x)
    assert (y - ref).abs().max() < 1e-12
    # gradient reaches only U
    y.sum().backward()
    assert layer.u.grad is not None and conv.weight.grad is None
    W0 = conv.weight.detach().clone()
    with torch.no_grad():
        layer.merge()
        assert (layer(x) - ref).abs().max() < 1e-12
        layer.unmerge()
    assert (conv.weight - W0).abs().max() < 1e-12


def test_hra_conv2d_symmetric_identity_and_groups_error():
    conv = nn.Conv2d(4, 6, 3, padding=1).double()
    x = torch.randn(1, 4, 5, 5, dtype=F64)
    assert (ad.HRAConv2d(conv, 4)(x) - conv(x)).abs().max() < 1e-12
    with pytest.raises(ValueError, match="groups=2"):
        ad.HRAConv2d(nn.Conv2d(4, 6, 3, groups=2), 4)


# ------------------------------------------------------------------------------------------
# adapt(), parameter counts, gradient flow


def mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(32, 48), nn.ReLU(), nn.Linear(48, 48), nn.ReLU(), nn.Linear(48, 10))


LAYERS = [(32, 48), (48, 48), (48, 10)]
COUNT_CASES = [
    ("hra", {"r": 4}, sum(4 * i for i, _ in LAYERS)),
    ("hra", {"r": 8}, sum(8 * i for i, _ in LAYERS)),
    ("lora", {"r": 4}, sum(4 * (i + o) for i, o in LAYERS)),
    ("oft", {"block_size": 4}, sum((i // 4) * 4 * 3 // 2 for i, _ in LAYERS)),
    ("oft", {"block_size": 8}, sum((i // 8) * 8 * 7 // 2 for i, _ in LAYERS)),
    ("full", {}, sum(i * o + o for i, o in LAYERS)),
    ("head", {}, 48 * 10 + 10),
]


@pytest.mark.parametrize("method,cfg,expected", COUNT_CASES)
def test_trainable_parameter_counts(method, cfg, expected):
    model = ad.adapt(mlp(), method, seed=0, **cfg)
    assert ad.trainable_parameters(model) == expected


@pytest.mark.parametrize("method", ["hra", "lora", "oft"])
def test_gradients_reach_only_adapter_parameters(method):
    model = ad.adapt(mlp(), method, r=4, seed=0)
    x = torch.randn(16, 32)
    model(x).pow(2).sum().backward()
    for name, p in model.named_parameters():
        is_adapter = name.rsplit(".", 1)[-1] in {"u", "lora_A", "lora_B", "oft_s"}
        assert p.requires_grad == is_adapter, name
        if is_adapter:
            assert p.grad is not None, name
        else:
            assert p.grad is None, name


def test_adapt_targets_and_seed():
    a = ad.adapt(mlp(), "hra", targets=["2"], r=4, seed=3)
    b = ad.adapt(mlp(), "hra", targets=["2"], r=4, seed=3)
    assert isinstance(a[2], ad.HRALinear) and isinstance(a[0], nn.Linear)
    assert torch.equal(a[2].u, b[2].u)
    assert ad.trainable_parameters(a) == 4 * 48


def test_adapt_hra_reaches_conv_targets():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    ad.adapt(model, "hra", targets=["0", "2"], r=2, seed=0)
    assert isinstance(model[0], ad.HRAConv2d) and isinstance(model[2], ad.HRALinear)
    assert ad.trainable_parameters(model) == 2 * 27 + 2 * 64


BAD_ARGS = [
    (lambda: ad.HRALinear(nn.Linear(8, 8), 0), "r must be ≥ 1"),
    (lambda: ad.HRALinear(nn.Linear(8, 8), -3), "r must be ≥ 1"),
    (lambda: ad.HRALinear(nn.Linear(8, 8), 9), "larger than the input size d_in=8"),
    (lambda: ad.HRALinear(nn.Linear(8, 8), 2.5), "integer"),
    (lambda: ad.HRALinear(nn.Conv2d(2, 2, 1), 1), "wraps an nn.Linear"),
    (lambda: ad.HRALinear(nn.Linear(8, 8), 2, init="zeros"), "init must be one of"),
    (lambda: ad.HRALinear(nn.Linear(8, 8), 2, variant="qr"), "variant must be one of"),
    (lambda: ad.LoRALinear(nn.Linear(8, 8), 0), "r must be ≥ 1"),
    (lambda: ad.LoRALinear(nn.Linear(8, 8), 2, alpha=float("nan")), "alpha"),
    (lambda: ad.OFTLinear(nn.Linear(10, 8), 4), "does not divide d_in=10"),
    (lambda: ad.OFTLinear(nn.Linear(8, 8), 1), "block_size must be an integer ≥ 2"),
    (lambda: ad.adapt(mlp(), "dora"), "method must be one of"),
    (lambda: ad.adapt(mlp(), "hra", targets=["1"]), "is a ReLU, not an Linear or Conv2d"),
    (lambda: ad.adapt(mlp(), "lora", targets=["nope"]), "not a module of the model"),
    (lambda: ad.adapt(mlp(), "hra", r=40), "layer '0'.*larger than the input size d_in=32"),
    (lambda: ad.adapt(ad.adapt(mlp(), "hra"), "lora"), "already adapted"),
    (lambda: ad.adapt(nn.Sequential(nn.ReLU()), "hra"), "no nn.Linear"),
]


@pytest.mark.parametrize("call,msg", BAD_ARGS)
def test_bad_arguments_raise_clear_value_errors(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


def test_adapt_does_not_share_state_between_copies():
    base = mlp()
    a = ad.adapt(copy.deepcopy(base), "hra", r=4, seed=0)
    assert isinstance(base[0], nn.Linear)  # the original is untouched when a copy is adapted
    assert a[0].base.weight.data_ptr() != base[0].weight.data_ptr()


# ------------------------------------------------------------------------------------------
# CUDA (skipped without a GPU; run on the H200 for the notes)

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@cuda
@pytest.mark.cuda
@pytest.mark.parametrize("dtype,rtol", [(torch.float32, 1e-4), (torch.bfloat16, 3e-2)])
@pytest.mark.parametrize("input_grad", [False, True])
def test_cuda_forward_backward(dtype, rtol, input_grad):
    torch.manual_seed(0)
    base = nn.Linear(512, 384).to("cuda", dtype)
    layer = ad.HRALinear(base, 8, init="random")
    assert layer.u.is_cuda
    x = torch.randn(4, 64, 512, device="cuda", dtype=dtype, requires_grad=input_grad)
    y = layer(x)
    H = naive_h(layer.u).cuda()
    ref = F.linear(x.double(), base.weight.double() @ H, base.bias.double())
    assert (y.double() - ref).norm() / ref.norm() < rtol
    y.float().sum().backward()
    assert torch.isfinite(layer.u.grad).all()
    ub = layer.u.detach().double().requires_grad_(True)
    F.linear(
        x.detach().double(), base.weight.double() @ hh.householder_chain(ub), base.bias.double()
    ).sum().backward()
    assert (layer.u.grad.double() - ub.grad).norm() / ub.grad.norm() < rtol * 3


@cuda
@pytest.mark.cuda
def test_cuda_adapt_and_other_adapters():
    torch.manual_seed(0)
    for method in ("hra", "lora", "oft"):
        model = ad.adapt(mlp().cuda(), method, r=4, seed=0)
        x = torch.randn(8, 32, device="cuda")
        model(x).sum().backward()
        assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


# ------------------------------------------------------------------------------------------
# never a d × d matrix, and the hand-written backward against autograd's numerical check


class _ShapeRecorder(torch.utils._python_dispatch.TorchDispatchMode):
    """Records the shape of every tensor an operator returns (forward and backward)."""

    def __init__(self):
        super().__init__()
        self.shapes = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor):
                self.shapes.add(tuple(t.shape))
        return out


@pytest.mark.parametrize("input_grad", [False, True])
@pytest.mark.parametrize("grad_enabled", [False, True])
def test_hra_linear_never_builds_a_d_by_d_matrix(input_grad, grad_enabled):
    d_in, d_out, r = 96, 40, 8
    layer = ad.HRALinear(linear(d_in, d_out, dtype=torch.float32), r, init="random")
    x = torch.randn(2, 24, d_in, requires_grad=input_grad)
    rec = _ShapeRecorder()
    with rec, torch.set_grad_enabled(grad_enabled):
        y = layer(x)
        if grad_enabled:
            y.backward(torch.ones_like(y))
        layer.merged_weight()  # the weight side too
    assert (d_in, d_in) not in rec.shapes
    assert max(int(np.prod(s)) for s in rec.shapes) <= max(48 * d_in, d_out * d_in)
    # and the recorder does see a d × d product when one is built
    rec = _ShapeRecorder()
    with rec:
        hh.householder_chain(layer.u.detach())
    assert (d_in, d_in) in rec.shapes


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("x_grad", [False, True])
def test_gemm_accum_lora_form_matches_dense_reference(x_grad, bias, monkeypatch):
    """The LoRA form with its rank-r terms written first and the frozen GEMMs adding onto them
    (``hra_kernels.gemm_accum``: y = Z At + b, y += x Wᵀ; dx = dZ Mᵀ, dx += dy W), in both gradient
    regimes, against autograd through the dense W H (float64)."""
    from hra_viz.core.adapters import hra_kernels as K

    monkeypatch.setattr(K, "GEMM_ACCUM_MIN_D", {"cpu": 0})
    base = linear(24, 18, seed=3, bias=bias)
    layer = ad.HRALinear(base, 5, init="random")
    randomize_u(layer, seed=5)
    monkeypatch.setattr(layer, "_lora_form", lambda *a, **k: True)  # the LoRA form also with x grad
    x = torch.randn(3, 7, 24, dtype=F64, requires_grad=x_grad)
    y = layer(x)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    u_ref = layer.u.detach().clone().requires_grad_(True)
    x_ref = x.detach().clone().requires_grad_(True)
    ref = F.linear(x_ref, base.weight @ hh.householder_chain(u_ref), base.bias)
    (ref * g).sum().backward()
    assert (y - ref).abs().max() < 1e-12
    assert (layer.u.grad - u_ref.grad).abs().max() < 1e-10 * max(1.0, u_ref.grad.abs().max().item())
    if x_grad:
        assert (x.grad - x_ref.grad).abs().max() < 1e-10
    else:
        assert x.grad is None


@pytest.mark.parametrize("lora_form", [False, True])
def test_fused_kernel_gradcheck(lora_form, monkeypatch):
    torch.manual_seed(0)
    x = torch.randn(5, 7, dtype=F64, requires_grad=True)
    U = torch.randn(7, 3, dtype=F64, requires_grad=True)
    W, b = torch.randn(4, 7, dtype=F64), torch.randn(4, dtype=F64)
    fn = hra_module._HRAChainFn.apply
    assert torch.autograd.gradcheck(lambda x, U: fn(x, U, W, b, lora_form), (x, U))
    if lora_form:  # and with the rank-r terms accumulated inside the frozen GEMMs (``gemm_accum``)
        from hra_viz.core.adapters import hra_kernels as K

        monkeypatch.setattr(K, "GEMM_ACCUM_MIN_D", {"cpu": 0})
        assert torch.autograd.gradcheck(lambda x, U: fn(x, U, W, b, True), (x, U))


def test_chain_node_applied_without_python_wrapper_matches_function_apply():
    """The layer calls the node's C++ apply directly (host time): same output, same gradients, same
    node as ``Function.apply``; under a functorch transform it falls back to ``Function.apply``."""
    torch.manual_seed(0)
    x = torch.randn(6, 5, requires_grad=True)
    U = torch.randn(5, 2, requires_grad=True)
    W, b = torch.randn(3, 5), torch.randn(3)
    ys = [fn(x, U, W, b, True) for fn in (hra_module._HRAChainFn.apply, hra_module._chain_apply)]
    assert type(ys[0].grad_fn) is type(ys[1].grad_fn)
    assert torch.equal(ys[0], ys[1])
    g = [torch.autograd.grad(y.square().sum(), (x, U)) for y in ys]
    assert all(torch.equal(a, c) for a, c in zip(g[0], g[1], strict=True))
    layer = ad.HRALinear(nn.Linear(5, 3), 2, init="random")
    assert not hra_module._functorch_active()
    with pytest.raises(RuntimeError, match="setup_context"):  # Function.apply's own error under vmap
        torch.func.vmap(layer)(torch.randn(4, 6, 5))
