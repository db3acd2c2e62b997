"""Metrics against independent, naive float64 references."""

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn

from hra_viz.core import householder as hh
from hra_viz.core.adapters import HRALinear, LoRALinear, adapt
from hra_viz.training import metrics as M


def _rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _orthogonal(d, seed=0):
    Q, _ = torch.linalg.qr(_rand(d, d, seed=seed))
    return Q


@pytest.mark.parametrize("d_out,d_in,s", [(5, 3, 1.0), (12, 7, 1.0), (12, 7, 2.0), (30, 64, 1.0)])
def test_hyperspherical_energy_matches_a_double_loop(d_out, d_in, s):
    W = _rand(d_out, d_in, seed=d_out)
    rows = [w / np.linalg.norm(w) for w in W.numpy()]
    ref = 0.0
    for i in range(d_out):
        for j in range(i + 1, d_out):
            ref += np.linalg.norm(rows[i] - rows[j]) ** (-s)
    assert M.hyperspherical_energy(W, s=s) == pytest.approx(ref, rel=1e-12)


def test_hyperspherical_energy_is_kept_by_orthogonal_maps_only():
    W = _rand(16, 8)
    he = M.hyperspherical_energy(W)
    assert M.hyperspherical_energy(W @ _orthogonal(8)) == pytest.approx(he, rel=1e-10)
    assert M.hyperspherical_energy(W * 3.0) == pytest.approx(he, rel=1e-12)  # scale-free
    low_rank = _rand(16, 1, seed=1) @ _rand(1, 8, seed=2)
    assert abs(M.hyperspherical_energy(W + low_rank) - he) > 1e-3 * he


def _naive_principal_angles(U, W, k):
    """Gram–Schmidt basis of span(U) in float64, V from NumPy's SVD, cos θ = σ(QᵀV)."""
    U, W = U.numpy(), W.numpy()
    basis = []
    for col in U.T:
        v = col.copy()
        for b in basis:
            v -= (b @ v) * b
        if np.linalg.norm(v) > 1e-8 * np.linalg.norm(col):
            basis.append(v / np.linalg.norm(v))
    Q = np.stack(basis, 1)
    V = np.linalg.svd(W)[2][:k].T
    cos = np.clip(np.linalg.svd(Q.T @ V, compute_uv=False), -1, 1)
    return np.sort(np.arccos(cos))


@pytest.mark.parametrize("d_in,r,k", [(8, 2, 2), (16, 4, 4), (16, 4, 6), (64, 8, 8)])
def test_principal_angles_match_a_naive_reference(d_in, r, k):
    U, W = _rand(d_in, r, seed=r), _rand(24, d_in, seed=d_in)
    ours = M.principal_angles(U, W, k=k).numpy()
    assert np.allclose(ours, _naive_principal_angles(U, W, k), atol=1e-7)


def test_principal_angles_known_cases_and_symmetric_init_rank():
    W = _rand(10, 12)
    V = torch.linalg.svd(W)[2]
    assert torch.allclose(M.principal_angles(V[:3].T, W, k=3), torch.zeros(3, dtype=torch.float64), atol=1e-6)
    right = torch.full((3,), math.pi / 2, dtype=torch.float64)
    assert torch.allclose(M.principal_angles(V[-3:].T, W, k=3), right, atol=1e-6)
    U = hh.symmetric_init(12, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert M.principal_angles(U, W).shape == (3,)  # span of a symmetric init has dimension r/2


@pytest.mark.parametrize("d,r,seed", [(6, 1, 0), (10, 3, 1), (16, 8, 2), (32, 5, 3)])
def test_h_minus_identity_norms_match_the_dense_chain(d, r, seed):
    U = _rand(d, r, seed=seed)
    D = hh.householder_chain(U) - torch.eye(d, dtype=torch.float64)
    fro, spec = M.h_minus_identity_norms(U)
    assert fro == pytest.approx(torch.linalg.matrix_norm(D).item(), rel=1e-10)
    assert spec == pytest.approx(torch.linalg.matrix_norm(D, ord=2).item(), rel=1e-10)
    # the same through the (Û, Γ) factors
    assert M.h_minus_identity_norms(factors=hh.wy_factors(U))[0] == pytest.approx(fro, rel=1e-10)


def test_orthonormal_variant_is_a_distance_two_reflection():
    layer = HRALinear(nn.Linear(16, 4).double(), 4, variant="orthonormal")
    d = M.hra_layer_diagnostics(layer)
    assert d["h_minus_i_spec"] == pytest.approx(2.0, abs=1e-9)
    assert d["h_minus_i_fro"] == pytest.approx(2.0 * math.sqrt(4), abs=1e-9)
    assert d["orth_penalty"] == 0.0


@pytest.mark.parametrize("theta_deg", [0.0, 10.0, 45.0, 90.0, 120.0, 179.0])
def test_pair_rotation_angle_is_twice_the_angle_between_the_vectors(theta_deg):
    th = math.radians(theta_deg)
    d = 5
    basis = _orthogonal(d, seed=7)[:, :2]  # an arbitrary plane in R^5
    u1 = basis[:, 0] * 2.0
    u2 = (math.cos(th) * basis[:, 0] + math.sin(th) * basis[:, 1]) * 0.5
    U = torch.stack([u1, u2], 1)
    # independent reference: tr(H1 H2) = (d − 2) + 2 cos α
    tr = torch.trace(hh.householder_chain(U)).item()
    alpha_ref = math.acos(max(-1.0, min(1.0, (tr - (d - 2)) / 2)))
    ours = M.pair_rotation_angles(U)
    assert ours.shape == (1,)
    assert ours.item() == pytest.approx(alpha_ref, abs=1e-6)
    folded = (2 * th) % (2 * math.pi)
    assert ours.item() == pytest.approx(min(folded, 2 * math.pi - folded), abs=1e-6)


def test_gram_and_gamma():
    U = _rand(9, 4)
    G = M.gram(U)
    assert torch.allclose(torch.diagonal(G), torch.ones(4, dtype=torch.float64))
    Un = U / U.norm(dim=0)
    assert torch.allclose(G, Un.T @ Un)
    assert torch.allclose(M.gamma(U), hh.wy_gamma_recurrence(U), atol=1e-12)


def test_drift_is_mean_kl_from_base():
    a, b = _rand(7, 3, seed=1), _rand(7, 3, seed=2)
    pa, pb = torch.softmax(a, -1).numpy(), torch.softmax(b, -1).numpy()
    ref = np.mean([sum(pa[n, c] * math.log(pa[n, c] / pb[n, c]) for c in range(3)) for n in range(7)])
    assert M.drift(a, b) == pytest.approx(ref, rel=1e-12)
    assert M.drift(a, a) == pytest.approx(0.0, abs=1e-12)
    assert M.drift(a, a + 5.0) == pytest.approx(0.0, abs=1e-12)  # softmax ignores a shift
    assert M.retention(0.45, 0.9) == pytest.approx(0.5)


def test_singular_spectra_orthogonal_versus_low_rank():
    W = _rand(12, 8)
    sp = M.singular_spectra(W, W @ _orthogonal(8))
    assert sp["max_abs_dsigma"] < 1e-12
    lr = _rand(12, 2, seed=3) @ _rand(2, 8, seed=4)
    sp = M.singular_spectra(W, W + lr)
    assert sp["max_abs_dsigma"] > 1e-2
    assert int((sp["delta"] > 1e-9).sum()) == 2  # rank(ΔW) = 2
    assert torch.allclose(sp["before"], torch.linalg.svdvals(W))


@pytest.mark.parametrize("method", ["hra", "lora", "oft", "full"])
def test_effective_weights_reproduce_each_layers_output(method):
    torch.manual_seed(0)
    base = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 4))
    model = adapt(copy.deepcopy(base), method, r=2, block_size=4, seed=0)
    with torch.no_grad():  # move every adapter off its identity init
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.3 * torch.randn_like(p))
    W = M.effective_weights(model)
    assert set(W) == {"0", "2"} == set(M.effective_weights(base))
    x = torch.randn(5, 8)
    with torch.no_grad():
        h = model[0](x)
        ref = x @ W["0"].T + (model[0].base.bias if method != "full" else model[0].bias)
    assert torch.allclose(h, ref, atol=1e-5)
    spectra = M.layer_spectra(base, model)
    keeps = method in ("hra", "oft")
    assert (spectra["0"]["max_abs_dsigma"] < 1e-5) == keeps


def test_effective_weights_of_lora_is_base_plus_scaled_product():
    layer = LoRALinear(nn.Linear(6, 3), 2, alpha=4.0)
    with torch.no_grad():
        layer.lora_B.normal_()
    W = M.effective_weights(nn.Sequential(layer))["0"]
    assert torch.allclose(W, layer.base.weight + 2.0 * layer.lora_B @ layer.lora_A)


def test_peak_memory_sees_a_large_allocation():
    with M.PeakMemory("cpu") as pm:
        x = torch.ones(8_000_000)  # 32 MB, touched
        x += 1
    del x
    assert pm.peak_bytes >= 16_000_000
