"""Householder reflections and their chains: the exact mathematics of HRA.

Conventions (as in the paper and PEFT's ``hra_u``):

* U = [u_1 … u_r] has shape (d, r); its columns need not be unit vectors.
* H_i = I − 2 u_i u_iᵀ / ‖u_i‖²,  H = H_1 H_2 … H_r   (orthogonal, det H = (−1)^r).
* Compact WY form: with Û the column-normalised U,  H = I + Û Γ Ûᵀ,
  Γ = −(½ I + striu(ÛᵀÛ))⁻¹   (upper triangular, diagonal −2).

Everything here works for any floating dtype and device. Only the *reference* functions
(``householder_chain``, ``wy_gamma_recurrence``) ever build a d × d matrix or loop over r; the
adapters use ``wy_factors``.
"""

from __future__ import annotations

import contextlib
import math

import torch

__all__ = [
    "normalize_columns",
    "householder_chain",
    "wy_factors",
    "gamma_from_unit_rows",
    "wy_gamma_recurrence",
    "wy_matrix",
    "orthogonality_penalty",
    "orthogonality_penalty_sum",
    "orthogonality_penalty_grad",
    "OrthogonalityPenalty",
    "reflect",
    "pair_rotation",
    "delta_singular_values",
    "orthonormalize",
    "symmetric_init",
]

# Small linear algebra (QR, triangular solves, SVD) runs at least in float32: half precision
# has no LAPACK kernels and too few bits for a stable Γ.
_LINALG_DTYPES = (torch.float32, torch.float64)


def _linalg_dtype(dtype: torch.dtype) -> torch.dtype:
    return dtype if dtype in _LINALG_DTYPES else torch.float32


def _check_u(U: torch.Tensor) -> None:
    if U.dim() != 2:
        raise ValueError(f"U must have shape (d, r); got a tensor with shape {tuple(U.shape)}")
    if U.shape[1] < 1:
        raise ValueError("U must have at least one column (r ≥ 1)")


def normalize_columns(U: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Û = U / ‖U‖_col, each column scaled to unit length (a zero column stays zero)."""
    _check_u(U)
    return U / U.norm(dim=0, keepdim=True).clamp_min(eps)


def householder_chain(U: torch.Tensor) -> torch.Tensor:
    """H = H_1 H_2 … H_r with H_i = I − 2 u_i u_iᵀ / ‖u_i‖², built naively as a (d, d) product.

    This is the definition, used as a reference and for small teaching figures. It costs
    O(d² r) and memory d²: never call it inside a training step.
    """
    _check_u(U)
    d, r = U.shape
    Un = normalize_columns(U)
    H = torch.eye(d, dtype=U.dtype, device=U.device)
    for i in range(r):
        u = Un[:, i : i + 1]
        H = H - 2.0 * (H @ u) @ u.T  # H ← H (I − 2 u uᵀ)
    return H


_CONSTS: dict[tuple, object] = {}


def cached_const(key: tuple, build):
    """``build()``, once per ``key`` (say (name, r, dtype, device)): small constant tensors that an
    eager training step should not launch kernels to rebuild. Under torch.compile it is built in the
    graph instead, where it costs nothing (and nothing traced is cached)."""
    if torch.compiler.is_compiling():
        return build()
    c = _CONSTS.get(key)
    if c is None:
        c = _CONSTS[key] = build()
    return c


def _minus_i(r: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """−I_r, cached per (r, dtype, device)."""
    return cached_const(("-I", r, dtype, device), lambda: -torch.eye(r, dtype=dtype, device=device))


def _minus_2i(r: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """−2 I_r, cached per (r, dtype, device)."""
    return cached_const(("-2I", r, dtype, device), lambda: torch.eye(r, dtype=dtype, device=device) * -2.0)


def no_autocast(device_type: str):
    """A context with autocast off where it is on: small linear algebra picks its own dtypes."""
    if torch.is_autocast_enabled(device_type):
        return torch.autocast(device_type, enabled=False)
    return contextlib.nullcontext()


def gamma_from_unit_rows(Ut: torch.Tensor) -> torch.Tensor:
    """Γ = −(½ I + striu(Ût Ûtᵀ))⁻¹ for the unit vectors Ût = Ûᵀ (r × d): one triangular solve.

    Written as Γ = −2 L⁻¹ with L = I + striu(2 Ût Ûtᵀ) unit upper triangular, so that the solve
    reads only the strict upper triangle of 2 Ût Ûtᵀ (two kernels in all, no triu or diagonal fill).
    Runs in Ut's dtype, which must be float32 or float64 (``wy_factors`` upcasts), with autocast
    off, so that the r × r algebra never drops to half precision.
    """
    m2i = _minus_2i(Ut.shape[0], Ut.dtype, Ut.device)
    with no_autocast(Ut.device.type):
        L = torch.addmm(m2i, Ut, Ut.T, beta=0.0, alpha=2.0)  # 2 Ût Ûtᵀ (m2i only gives the shape)
        return torch.linalg.solve_triangular(L, m2i, upper=True, unitriangular=True)


def wy_factors(U: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (Û, Γ) with H_1 … H_r = I + Û Γ Ûᵀ, in closed form (no loop over r).

    Γ = −(½ I + striu(ÛᵀÛ))⁻¹ is upper triangular with −2 on its diagonal. It is one triangular
    solve with an r × r matrix. Γ is computed in at least float32 and returned in U's dtype.
    """
    Un = normalize_columns(U)
    Gamma = gamma_from_unit_rows(Un.to(_linalg_dtype(U.dtype)).T)
    return Un, Gamma.to(U.dtype)


def wy_gamma_recurrence(U: torch.Tensor) -> torch.Tensor:
    """Γ by the paper's recurrence (reference for tests and the teaching page).

    Γ_1 = −2,  Γ_k = [[Γ_{k−1}, −2 Γ_{k−1} Û_{k−1}ᵀ û_k], [0, −2]].
    """
    Un = normalize_columns(U)
    r = Un.shape[1]
    Gamma = torch.full((1, 1), -2.0, dtype=U.dtype, device=U.device)
    for k in range(1, r):
        col = -2.0 * Gamma @ (Un[:, :k].T @ Un[:, k : k + 1])  # (k, 1)
        top = torch.cat([Gamma, col], dim=1)
        bottom = torch.zeros(1, k + 1, dtype=U.dtype, device=U.device)
        bottom[0, k] = -2.0
        Gamma = torch.cat([top, bottom], dim=0)
    return Gamma


def wy_matrix(U: torch.Tensor) -> torch.Tensor:
    """I + Û Γ Ûᵀ as a dense (d, d) matrix, for figures and tests only."""
    Un, Gamma = wy_factors(U)
    return torch.eye(Un.shape[0], dtype=U.dtype, device=U.device) + Un @ Gamma @ Un.T


def orthogonality_penalty(U: torch.Tensor) -> torch.Tensor:
    """‖I_r − ÛᵀÛ‖²_F (paper eq. 6).

    At symmetric init each pair of equal columns adds 2 and two distinct pairs p, q add
    8 cos²(u_p, u_q): the penalty is r + 8 Σ_{p<q} cos², which is ≈ r for random pairs in high d.
    """
    return orthogonality_penalty_sum([U])


def orthogonality_penalty_sum(Us) -> torch.Tensor:
    """Σ_k ‖I − Û_kᵀ Û_k‖²_F over several U's (every HRA layer of a model), in U's dtype.

    With gradients, the U's of one shape, dtype and device share one autograd node with a
    hand-written backward (a batched product each way), not one node per layer. Without gradients
    (and under ``torch.compile``) it is the plain formula.
    """
    groups, _ = _group(Us)
    terms = []
    with no_autocast(groups[0][0].device.type):  # under autocast Ûᵀ Û would drop to half precision
        for group in groups:
            if (torch.is_grad_enabled() and any(U.requires_grad for U in group)
                    and not torch.compiler.is_compiling()):
                terms.append(_PenaltyFn.apply(*group))
            else:
                terms.append(torch.linalg.vector_norm(_unit_gram(group, clamp=True)[2]).square())
    return terms[0] if len(terms) == 1 else torch.stack([t.to(terms[0].dtype) for t in terms]).sum()


@torch.no_grad()
def orthogonality_penalty_grad(Us, scale: float = 1.0) -> tuple[float, list[torch.Tensor]]:
    """(P, [scale · ∂P/∂U_k]) for P = Σ_k ‖I − Û_kᵀ Û_k‖²_F, with no autograd graph; P as a float.

    For a training loop that owns its update: the penalty depends on U alone, so its gradient is
    known in closed form when the loss is formed, and adding ``scale`` times it to U.grad after the
    task loss's backward is the gradient of task + scale · P. ``OrthogonalityPenalty`` does the
    same for a fixed set of U's with the grouping done once (the live step's form).
    """
    return OrthogonalityPenalty(Us).value_and_grad(scale)


class OrthogonalityPenalty:
    """P = Σ_k ‖I − Û_kᵀ Û_k‖²_F of a fixed list of U's (a model's HRA layers) and its gradient.

    ``value_and_grad(scale)`` returns (P as a float, [scale · ∂P/∂U_k]) without an autograd graph:
    the penalty depends on U alone, so a training loop that owns its update adds these to U.grad
    after the task loss's backward, which is the gradient of task + scale · P. That saves the
    penalty's autograd node and the engine's work for it, which a small model's step pays every
    step. The U's of one shape, dtype and device are stacked: ten calls per group in all. A zero
    column (no mirror, H undefined) makes P and the gradients NaN, which a training loop's
    divergence check catches, as it catches the layer's own NaN output.
    """

    def __init__(self, Us):
        self.us = list(Us)
        groups, self._order = _group(self.us)
        self._groups = [(g, _minus_i(g[0].shape[1], g[0].dtype, g[0].device)) for g in groups]  # −I once
        self._device_type = self.us[0].device.type

    @torch.no_grad()
    def value_and_grad(self, scale: float = 1.0) -> tuple[float, list[torch.Tensor]]:
        """(P, [scale · ∂P/∂U_k]); ``value_and_grad_unscaled`` is the form a loop adds with one call."""
        if not scale > 0:
            raise ValueError(f"scale must be > 0; got {scale!r}")
        total, grads = self.value_and_grad_unscaled()
        return total, [g.mul_(4.0 * scale) for g in grads]

    @torch.no_grad()
    def value_and_grad_unscaled(self) -> tuple[float, list[torch.Tensor]]:
        """(P, [∂P/∂U_k / 4]): the caller scales by 4 λ where it adds them (``torch._foreach_add_``'s
        alpha), which saves a call per group."""
        norms, grads = self._norms_and_grads()
        return sum(float(v) ** 2 for v in norms), grads

    @torch.no_grad()
    def tensors_unscaled(self) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(P as a 0-d tensor, [∂P/∂U_k / 4]) with no host synchronisation (for CUDA graph capture)."""
        norms, grads = self._norms_and_grads()
        P = norms[0].square() if len(norms) == 1 else torch.stack(norms).square().sum()
        return P, grads

    def _norms_and_grads(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        norms, per_group = [], []
        with no_autocast(self._device_type):
            for group, minus_i in self._groups:
                n, Un, R = _unit_gram(group, clamp=False, minus_i=minus_i)
                norms.append(torch.linalg.vector_norm(R))  # √P of the group
                per_group.append(_quarter_grad(n, Un, R).unbind(0))
        return norms, [per_group[gi][i] for gi, i in self._order]


def _group(Us) -> tuple[list[list[torch.Tensor]], list[tuple[int, int]]]:
    """The U's by (shape, dtype, device), each group to be stacked into one batched computation, and
    (group, position in it) of each U in the order given."""
    keys: dict[tuple, int] = {}
    groups: list[list[torch.Tensor]] = []
    order = []
    for U in Us:
        _check_u(U)
        gi = keys.setdefault((U.shape, U.dtype, U.device), len(groups))
        if gi == len(groups):
            groups.append([])
        order.append((gi, len(groups[gi])))
        groups[gi].append(U)
    if not groups:
        raise ValueError("the orthogonality penalty needs at least one U")
    return groups, order


def _unit_gram(Us, clamp: bool, minus_i: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
    """(‖U‖ (L, 1, r), Û (L, d, r), R = ÛᵀÛ − I (L, r, r)) for U's of one shape, stacked.

    ``clamp``: a zero column's norm is taken as 1e-12, so that it has no direction and no gradient
    (the autograd forms); without it the closed form gives NaN there."""
    X = Us[0].unsqueeze(0) if len(Us) == 1 else torch.stack(Us)  # (L, d, r)
    n = torch.linalg.vector_norm(X, dim=1, keepdim=True)
    if clamp:
        n = n.clamp_min(1e-12)
    Un = X / n
    if minus_i is None:
        minus_i = _minus_i(X.shape[2], X.dtype, X.device)
    return n, Un, torch.baddbmm(minus_i, Un.mT, Un)


def _quarter_grad(n: torch.Tensor, Un: torch.Tensor, R: torch.Tensor) -> torch.Tensor:
    """∂P/∂U / 4, stacked: ∂P/∂Û = 4 Û R, then through Û = U / ‖U‖, dU = (dÛ − Û diag(Ûᵀ dÛ)) / ‖U‖."""
    dUn = torch.bmm(Un, R)
    c = (dUn * Un).sum(1, keepdim=True)  # diag(Ûᵀ dÛ)
    return dUn.addcmul_(Un, c, value=-1.0).div_(n)


class _PenaltyFn(torch.autograd.Function):
    """Σ_k ‖Û_kᵀÛ_k − I‖²_F for U's of one shape, with a hand-written backward (autograd's takes ~15
    small calls per layer; this is ~8 calls each way for all the U's of the group): the closed form
    of ``_quarter_grad`` times 4 g (a zero column has no direction: its gradient is 0)."""

    @staticmethod
    def forward(ctx, *Us):
        n, Un, R = _unit_gram(Us, clamp=True)
        ctx.save_for_backward(n, Un, R)
        return torch.linalg.vector_norm(R).square()

    @staticmethod
    def backward(ctx, g):
        dU = _quarter_grad(*ctx.saved_tensors).mul_(4.0 * g)
        return tuple(d if need else None for d, need in zip(dU.unbind(0), ctx.needs_input_grad, strict=True))


def reflect(points: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Reflect points (…, d) through the mirror hyperplane u^⊥: x − 2 (x·û) û."""
    un = u / u.norm().clamp_min(1e-12)
    return points - 2.0 * (points @ un)[..., None] * un


def pair_rotation(u1: torch.Tensor, u2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The rotation made by a pair of reflections, H(u1) H(u2).

    Returns (basis, angle). ``basis`` is (d, 2), orthonormal, spanning the plane span(u1, u2):
    e1 = û1, e2 = the part of û2 orthogonal to û1. In that basis H(u1) H(u2) is the rotation
    [[cos α, −sin α], [sin α, cos α]] with α = −2θ, where θ ∈ [0, π] is the angle from u1 to u2;
    on the orthogonal complement it is the identity. |α| mod 2π is twice the angle between the
    two mirror lines. For parallel vectors the rotation is the identity (α = 0) and the plane is
    not unique; e2 is then any unit vector orthogonal to e1.
    """
    ld = _linalg_dtype(u1.dtype)
    a = (u1 / u1.norm()).to(ld)
    b = (u2 / u2.norm()).to(ld)
    cos = (a @ b).clamp(-1.0, 1.0)
    w = b - cos * a
    wn = w.norm()
    if wn < 1e-7:  # parallel: pick any direction orthogonal to a
        probe = torch.zeros_like(a)
        probe[int(torch.argmin(a.abs()))] = 1.0
        w = probe - (probe @ a) * a
        wn = w.norm()
    e2 = w / wn
    theta = torch.atan2(b @ e2, cos)  # ∈ [0, π]
    basis = torch.stack([a, e2], dim=1).to(u1.dtype)
    return basis, (-2.0 * theta).to(u1.dtype)


def delta_singular_values(U: torch.Tensor) -> torch.Tensor:
    """Singular values of H − I = Û Γ Ûᵀ, without forming a d × d matrix (at most r are non-zero).

    With Û = Q R (thin QR), H − I = Q (R Γ Rᵀ) Qᵀ, so its singular values are those of R Γ Rᵀ.
    """
    Un, Gamma = wy_factors(U)
    ld = _linalg_dtype(U.dtype)
    _, R = torch.linalg.qr(Un.to(ld))
    return torch.linalg.svdvals(R @ Gamma.to(ld) @ R.T).to(U.dtype)


def orthonormalize(U: torch.Tensor) -> torch.Tensor:
    """Orthonormal basis Q (d, r) of span(U) by QR, for the λ = ∞ variant H = I − 2 Q Qᵀ.

    QR is used instead of Gram–Schmidt: it stays orthonormal to machine precision when the
    columns are nearly dependent (classical Gram–Schmidt on a symmetric init normalises round-off
    noise). Signs are fixed so that diag(R) ≥ 0, which makes Q a smooth function of U.
    """
    _check_u(U)
    ld = _linalg_dtype(U.dtype)
    Q, R = torch.linalg.qr(U.to(ld))
    sign = torch.where(torch.diagonal(R) < 0, -1.0, 1.0).to(ld)
    return (Q * sign).to(U.dtype)


def symmetric_init(
    d: int, r: int, *, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """U (d, r) made of r/2 pairs of equal columns, so that H_i H_{i+1} = I and H starts at I.

    Each distinct column is drawn like PEFT's kaiming_uniform(a=√5) on a (d, r/2) tensor:
    U(−b, b) with b = 1/√(r/2). Requires an even r.
    """
    if r % 2:
        raise ValueError(f"symmetric init needs an even r (got r={r}): an odd chain has det H = −1 ≠ det I")
    half = r // 2
    bound = 1.0 / math.sqrt(half)  # kaiming_uniform(a=√5) on fan_in = r/2
    cols = (torch.rand(d, half, generator=generator, dtype=dtype) * 2.0 - 1.0) * bound
    return torch.repeat_interleave(cols, 2, dim=1)
