"""The Householder mathematics, checked against naive float64 references written here."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hra_viz.core import householder as hh

F64 = torch.float64


def naive_chain(U: np.ndarray) -> np.ndarray:
    """H_1 H_2 … H_r from the definition, in numpy float64 (independent of the torch code)."""
    d, r = U.shape
    H = np.eye(d)
    for i in range(r):
        u = U[:, i] / np.linalg.norm(U[:, i])
        H = H @ (np.eye(d) - 2.0 * np.outer(u, u))
    return H


def rand_u(d, r, seed=0, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(d, r, generator=g, dtype=dtype) * torch.rand(1, r, generator=g, dtype=dtype).add(0.1) * 5
    )


SHAPES = [(2, 1), (2, 2), (3, 3), (5, 2), (8, 3), (16, 8), (33, 7), (64, 32), (128, 1)]


@pytest.mark.parametrize("d,r", SHAPES)
def test_chain_orthogonal_det_and_matches_naive(d, r):
    U = rand_u(d, r, seed=d * 100 + r)
    H = hh.householder_chain(U)
    ref = naive_chain(U.numpy())
    assert np.abs(H.numpy() - ref).max() < 1e-12
    eye = torch.eye(d, dtype=F64)
    assert (H.T @ H - eye).abs().max() < 1e-12
    assert math.isclose(float(torch.linalg.det(H)), (-1.0) ** r, abs_tol=1e-10)


@pytest.mark.parametrize("d,r", SHAPES)
def test_wy_closed_form_equals_recurrence_and_product(d, r):
    U = rand_u(d, r, seed=7 + d + r)
    Un, G = hh.wy_factors(U)
    G_rec = hh.wy_gamma_recurrence(U)
    assert (G - G_rec).abs().max() < 1e-12
    # Γ: upper triangular, −2 on the diagonal
    assert torch.equal(G, torch.triu(G))
    assert torch.allclose(torch.diagonal(G), torch.full((r,), -2.0, dtype=F64), atol=1e-14)
    H_wy = torch.eye(d, dtype=F64) + Un @ G @ Un.T
    assert np.abs(H_wy.numpy() - naive_chain(U.numpy())).max() < 1e-12
    assert (hh.wy_matrix(U) - H_wy).abs().max() < 1e-14


@settings(max_examples=40, deadline=None)
@given(d=st.integers(2, 24), r=st.integers(1, 12), seed=st.integers(0, 10_000))
def test_wy_property(d, r, seed):
    r = min(r, d)
    U = rand_u(d, r, seed=seed)
    Un, G = hh.wy_factors(U)
    H = torch.eye(d, dtype=F64) + Un @ G @ Un.T
    assert np.abs(H.numpy() - naive_chain(U.numpy())).max() < 1e-11


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.bfloat16, 5e-2), (torch.float16, 1e-2)])
def test_wy_low_precision_dtypes(dtype, tol):
    U = rand_u(16, 4, seed=3)
    Un, G = hh.wy_factors(U.to(dtype))
    assert Un.dtype == dtype and G.dtype == dtype
    H = torch.eye(16, dtype=F64) + Un.double() @ G.double() @ Un.double().T
    assert np.abs(H.numpy() - naive_chain(U.numpy())).max() < tol


def test_wy_rejects_bad_shapes():
    with pytest.raises(ValueError, match="shape"):
        hh.wy_factors(torch.zeros(5))
    with pytest.raises(ValueError, match="at least one column"):
        hh.wy_factors(torch.zeros(5, 0))


@pytest.mark.parametrize("d,r", [(4, 2), (10, 4), (32, 8), (7, 6)])
def test_symmetric_init_is_identity_and_penalty_is_r(d, r):
    U = hh.symmetric_init(d, r, generator=torch.Generator().manual_seed(d), dtype=F64)
    assert torch.equal(U[:, 0::2], U[:, 1::2])
    H = hh.householder_chain(U)
    assert (H - torch.eye(d, dtype=F64)).abs().max() < 1e-13
    Un, G = hh.wy_factors(U)
    assert (Un @ G @ Un.T).abs().max() < 1e-13
    # a pair (u, u) adds 2; distinct pairs p < q add 8 cos²(u_p, u_q): exactly r when they are orthogonal
    V = (U[:, 0::2] / U[:, 0::2].norm(dim=0)).numpy()
    C = V.T @ V
    cross = sum(C[p, q] ** 2 for p in range(r // 2) for q in range(p + 1, r // 2))
    assert math.isclose(float(hh.orthogonality_penalty(U)), r + 8 * cross, rel_tol=1e-12)
    Q = torch.linalg.qr(U[:, 0::2])[0]
    assert math.isclose(float(hh.orthogonality_penalty(Q.repeat_interleave(2, dim=1))), r, rel_tol=1e-12)
    # PEFT's scale: kaiming_uniform(a=√5) on (d, r/2) is U(−1/√(r/2), 1/√(r/2))
    assert U.abs().max() <= 1 / math.sqrt(r // 2)


def test_symmetric_init_odd_r_raises():
    with pytest.raises(ValueError, match="even r"):
        hh.symmetric_init(8, 3)


@pytest.mark.parametrize("d,r", [(3, 1), (6, 3), (20, 5)])
def test_orthogonality_penalty_matches_naive(d, r):
    U = rand_u(d, r, seed=r)
    A = U.numpy() / np.linalg.norm(U.numpy(), axis=0)
    ref = sum((float(i == j) - A[:, i] @ A[:, j]) ** 2 for i in range(r) for j in range(r))
    assert math.isclose(float(hh.orthogonality_penalty(U)), ref, rel_tol=1e-12)
    Q = torch.linalg.qr(U)[0]
    assert float(hh.orthogonality_penalty(Q)) < 1e-24


def test_reflect_through_one_vector():
    u = torch.tensor([1.0, 2.0, -2.0], dtype=F64)
    pts = rand_u(50, 3, seed=1)
    out = hh.reflect(pts, u)
    H = naive_chain(u[:, None].numpy())
    assert np.abs(out.numpy() - pts.numpy() @ H.T).max() < 1e-13
    # points on the mirror u^⊥ stay, u itself flips
    assert torch.allclose(hh.reflect(u, u), -u)
    w = torch.tensor([2.0, -1.0, 0.0], dtype=F64)
    assert torch.allclose(hh.reflect(w, u), w)


@pytest.mark.parametrize("d", [2, 3, 9])
@pytest.mark.parametrize("seed", range(4))
def test_pair_is_rotation_by_twice_the_angle(d, seed):
    U = rand_u(d, 2, seed=seed)
    u1, u2 = U[:, 0], U[:, 1]
    basis, alpha = hh.pair_rotation(u1, u2)
    assert (basis.T @ basis - torch.eye(2, dtype=F64)).abs().max() < 1e-13
    theta = math.acos(float(u1 @ u2 / (u1.norm() * u2.norm())))  # angle from u1 to u2
    # |α| mod 2π is twice the angle between the two mirror lines
    line_angle = min(theta, math.pi - theta)
    a = abs(float(alpha)) % (2 * math.pi)
    assert math.isclose(min(a, 2 * math.pi - a), 2 * line_angle, abs_tol=1e-10)
    H = naive_chain(U.numpy())
    M = basis.numpy().T @ H @ basis.numpy()
    c, s = math.cos(float(alpha)), math.sin(float(alpha))
    assert np.abs(M - np.array([[c, -s], [s, c]])).max() < 1e-12
    # identity on the orthogonal complement of the plane
    P = np.eye(d) - basis.numpy() @ basis.numpy().T
    assert np.abs(H @ P - P).max() < 1e-12


def test_pair_rotation_parallel_vectors_is_identity():
    u = torch.tensor([1.0, 2.0, 3.0], dtype=F64)
    basis, alpha = hh.pair_rotation(u, -2 * u)
    assert abs(math.sin(float(alpha))) < 1e-12 and math.cos(float(alpha)) > 0.999999
    assert (basis.T @ basis - torch.eye(2, dtype=F64)).abs().max() < 1e-12


@pytest.mark.parametrize("d,r", [(6, 1), (10, 4), (40, 8), (9, 9)])
def test_delta_singular_values_match_dense(d, r):
    U = rand_u(d, r, seed=d)
    sv = hh.delta_singular_values(U)
    dense = np.linalg.svd(naive_chain(U.numpy()) - np.eye(d), compute_uv=False)
    assert sv.shape == (r,)
    assert np.abs(np.sort(sv.numpy())[::-1] - dense[:r]).max() < 1e-12
    assert np.all(dense[r:] < 1e-12)  # rank(H − I) ≤ r
    assert sv.max() <= 2.0 + 1e-12  # H orthogonal ⇒ ‖H − I‖₂ ≤ 2


@pytest.mark.parametrize("d,r", [(5, 2), (30, 6)])
def test_orthonormalize_qr(d, r):
    U = rand_u(d, r, seed=11)
    Q = hh.orthonormalize(U)
    assert (Q.T @ Q - torch.eye(r, dtype=F64)).abs().max() < 1e-13
    # same span, and diag(R) ≥ 0 convention: Qᵀ U is upper triangular with a positive diagonal
    R = Q.T @ U
    assert (torch.tril(R, -1)).abs().max() < 1e-12 and (torch.diagonal(R) > 0).all()
    H = torch.eye(d, dtype=F64) - 2 * Q @ Q.T
    assert (H @ H - torch.eye(d, dtype=F64)).abs().max() < 1e-12  # an involution
    assert math.isclose(float(torch.linalg.matrix_norm(H - torch.eye(d, dtype=F64), 2)), 2.0, rel_tol=1e-12)


def test_orthonormalize_stays_orthonormal_where_gram_schmidt_fails():
    """Nearly equal pairs (symmetric init + tiny noise): QR stays orthonormal to round-off."""
    U = hh.symmetric_init(50, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float32)
    U = U + 1e-7 * torch.randn(50, 8, generator=torch.Generator().manual_seed(1))
    Q = hh.orthonormalize(U)
    assert (Q.T @ Q - torch.eye(8)).abs().max() < 1e-5


def test_wy_factors_gradients_match_the_dense_chain():
    """Γ's closed form is differentiable: gradients through (Û, Γ) equal those through ∏(I − 2ûûᵀ)."""
    U = rand_u(7, 4, seed=5).requires_grad_(True)
    G = torch.randn(7, 7, dtype=F64, generator=torch.Generator().manual_seed(6))
    Un, Gamma = hh.wy_factors(U)
    ((torch.eye(7, dtype=F64) + Un @ Gamma @ Un.T) * G).sum().backward()
    V = U.detach().clone().requires_grad_(True)
    (hh.householder_chain(V) * G).sum().backward()
    assert (U.grad - V.grad).abs().max() < 1e-12
    assert torch.autograd.gradcheck(lambda u: hh.wy_factors(u)[1], (U.detach().clone().requires_grad_(True),))


def test_orthogonality_penalty_backward_is_exact():
    """The penalty's hand-written backward: gradcheck in float64, and the same value and gradient as
    the formula written out through autograd (columns of different lengths, one nearly parallel pair)."""
    torch.manual_seed(3)
    scale = torch.tensor([0.1, 1.0, 3.0, 10.0, 0.5], dtype=torch.float64)
    U = torch.randn(30, 5, dtype=torch.float64) * scale
    U[:, 4] = U[:, 1] + 1e-3 * torch.randn(30, dtype=torch.float64)
    assert torch.autograd.gradcheck(hh._PenaltyFn.apply, (U.clone().requires_grad_(),))
    a = U.clone().requires_grad_()
    pa = hh.orthogonality_penalty(a)
    pa.backward()
    b = U.clone().requires_grad_()
    bn = b / b.norm(dim=0)
    pb = ((torch.eye(5, dtype=torch.float64) - bn.T @ bn) ** 2).sum()
    pb.backward()
    assert torch.allclose(pa, pb, rtol=1e-12) and torch.allclose(a.grad, b.grad, rtol=1e-10, atol=1e-14)


def _naive_penalty_f64(U: torch.Tensor) -> torch.Tensor:
    """‖I − ÛᵀÛ‖²_F written out, in float64 through autograd: the reference for the batched forms."""
    Un = U / U.norm(dim=0)
    return ((torch.eye(U.shape[1], dtype=U.dtype) - Un.T @ Un) ** 2).sum()


def _mixed_us():
    """U's of three shapes (so three groups), interleaved, one column much longer than the rest."""
    g = torch.Generator().manual_seed(5)
    shapes = [(12, 4), (9, 3), (12, 4), (7, 4), (12, 4), (9, 3)]
    us = [torch.randn(*s, dtype=torch.float64, generator=g) for s in shapes]
    us[2][:, 1] *= 40.0
    return us


def test_batched_penalty_sum_and_its_backward_match_the_per_layer_formula():
    us = _mixed_us()
    a = [u.clone().requires_grad_() for u in us]
    pa = hh.orthogonality_penalty_sum(a)
    pa.backward()
    b = [u.clone().requires_grad_() for u in us]
    pb = sum(_naive_penalty_f64(u) for u in b)
    pb.backward()
    assert torch.allclose(pa, pb, rtol=1e-12)
    for x, y in zip(a, b, strict=True):
        assert torch.allclose(x.grad, y.grad, rtol=1e-10, atol=1e-14)
    # without gradients: the plain formula, the same value
    with torch.no_grad():
        assert math.isclose(float(hh.orthogonality_penalty_sum(us)), float(pb), rel_tol=1e-12)
    assert torch.autograd.gradcheck(hh._PenaltyFn.apply, tuple(u.clone().requires_grad_() for u in us[::2]))


@pytest.mark.parametrize("scale", [1.0, 3e-4])
def test_closed_form_penalty_gradient_matches_autograd(scale):
    """OrthogonalityPenalty's value and scale · ∂P/∂U (no autograd) against the naive formula's autograd,
    in the order the U's were given (three groups of shapes, interleaved)."""
    us = _mixed_us()
    ref = [u.clone().requires_grad_() for u in us]
    p = sum(_naive_penalty_f64(u) for u in ref)
    p.backward()
    value, grads = hh.OrthogonalityPenalty(us).value_and_grad(scale)
    assert math.isclose(value, float(p.detach()), rel_tol=1e-12)
    assert len(grads) == len(us)
    for g, u, r in zip(grads, us, ref, strict=True):
        assert g.shape == u.shape and g.dtype == u.dtype
        assert torch.allclose(g, scale * r.grad, rtol=1e-10, atol=1e-14)
    v2, quarter = hh.OrthogonalityPenalty(us[:1]).value_and_grad_unscaled()  # one group, one U
    assert math.isclose(v2, float(_naive_penalty_f64(us[0])), rel_tol=1e-12)
    assert torch.allclose(4 * quarter[0], ref[0].grad, rtol=1e-10, atol=1e-14)
    assert hh.orthogonality_penalty_grad(us, scale)[0] == pytest.approx(value, rel=1e-14)
    with pytest.raises(ValueError, match="at least one U"):
        hh.OrthogonalityPenalty([])
    with pytest.raises(ValueError, match="scale"):
        hh.OrthogonalityPenalty(us).value_and_grad(0.0)
