"""The r × r part of the HRA layer: U → (Ûᵀ, Mᵀ = Γ Ûᵀ) forward, and its backward, in two back ends.

U is (d, r) as PEFT's ``hra_u``. With Û = U / ‖U‖_col and T = ½ I + striu(ÛᵀÛ),

    Γ = −T⁻¹ (upper triangular, diagonal −2),   H = I + Û Γ Ûᵀ,   Mᵀ = Γ Ûᵀ   (r × d)

so that the layer needs only Z = x M (N × r) and Ûᵀ; both come as rows (r × d), the fast layout for
the skinny products. The backward takes S = ∂L/∂Mᵀ and Q = the rest of ∂L/∂Ûᵀ (from the route's
other use of Û), both r × d, and returns dU (d × r):

    P = Γᵀ S,  ∂L/∂T = P M,  K = striu(∂L/∂T) + striu(∂L/∂T)ᵀ,  dÛᵀ = Q + P + K Ûᵀ,
    dU = (dÛᵀ − diag(dÛᵀ Û) Ûᵀ)ᵀ / ‖U‖_col.

Everything r × r (norms, ÛᵀÛ, Γ, the triangular solve) runs in float32, or float64 when U or the
compute dtype is float64, whatever the dtype of the big products: half precision has no LAPACK
kernels, and too few bits for a stable Γ. Only Ûᵀ and Mᵀ are cast to the compute dtype.

Back ends, selected per call by :func:`backend_for`:

* ``torch``   a handful of ATen calls (every device; the one torch.compile traces). Γ comes from
  ``householder.gamma_from_unit_rows``, the same closed form as everywhere else.
* ``triton``  one fused Triton kernel forward and one backward (CUDA, U float32, r ≤ 64): in an eager
  GPU step the r × r algebra is launch-bound, so ~20 launches become two. Γ by back substitution in
  registers; tested against the torch back end on the GPU (tests/test_gpu_graphs.py). ``auto``
  uses it where it measured faster: d ≤ 2048 and r ≤ 32 (see ``backend_for``).

``HRA_VIZ_KERNELS=torch`` in the environment (or :func:`set_backend`) forces the torch path.
"""

from __future__ import annotations

import os

import torch

from .. import householder as hh

__all__ = [
    "accum_dtype", "backend_for", "set_backend", "factors_fwd", "factors_bwd", "gamma", "triton_available",
    "torch_fwd", "torch_bwd",
]

_HALF = (torch.float16, torch.bfloat16)
_BACKEND = os.environ.get("HRA_VIZ_KERNELS", "auto")  # auto | torch | triton
_TRITON: object | None = None  # the triton kernels module once imported; False if unavailable
TRITON_MAX_R = 64  # the kernels hold r × r tiles in registers
TRITON_AUTO_MAX_D, TRITON_AUTO_MAX_R = 2048, 32  # where ``auto`` picks them (measured, see backend_for)


def accum_dtype(*dtypes: torch.dtype) -> torch.dtype:
    """float64 if any input is float64, else float32: the dtype of all r × r algebra."""
    return torch.float64 if torch.float64 in dtypes else torch.float32


def set_backend(name: str) -> None:
    """``auto`` (Triton on CUDA when available), ``torch`` (ATen always) or ``triton`` (error if unusable)."""
    global _BACKEND
    if name not in ("auto", "torch", "triton"):
        raise ValueError(f"backend must be 'auto', 'torch' or 'triton'; got {name!r}")
    _BACKEND = name


def _triton():
    global _TRITON
    if _TRITON is None:
        try:
            from . import hra_triton

            _TRITON = hra_triton if hra_triton.AVAILABLE else False
        except Exception:  # noqa: BLE001 - no triton, or one that cannot build here: use torch
            _TRITON = False
    return _TRITON


def triton_available() -> bool:
    return bool(_triton())


def backend_for(U: torch.Tensor, cdt: torch.dtype) -> str:
    """``triton`` where it is the faster one (or forced), else ``torch``.

    ``auto`` picks Triton on CUDA for U float32 with d ≤ 2048 and r ≤ 32, the sizes where its one
    launch each way beats the torch path's ~20 (H200, benchmarks/hra_kernels.py); its per-program
    reduction over d makes it slower above. ``triton`` forces it wherever it can run (r ≤ 64).
    """
    if _BACKEND == "torch" or not U.is_cuda or torch.compiler.is_compiling():
        return "torch"
    d, r = U.shape
    ok = U.dtype == torch.float32 and cdt in (torch.float32, *_HALF) and r <= TRITON_MAX_R
    if _BACKEND == "auto":
        ok = ok and d <= TRITON_AUTO_MAX_D and r <= TRITON_AUTO_MAX_R
    if ok and _triton():
        return "triton"
    if _BACKEND == "triton":
        raise RuntimeError("the Triton HRA kernels cannot run here (needs CUDA, triton, U float32, r ≤ 64)")
    return "torch"


# --------------------------------------------------------------------------------------------
# torch back end


def torch_fwd(U: torch.Tensor, cdt: torch.dtype):
    """The torch back end's forward: (Ûᵀ, Mᵀ) in ``cdt``, and (Γ, ‖u‖ᵀ[, Ûᵀ, Mᵀ in float32+])."""
    adt = torch.float64 if (U.dtype == torch.float64 or cdt == torch.float64) else torch.float32
    Ua = U if U.dtype == adt else U.to(adt)
    n = torch.linalg.vector_norm(Ua, dim=0, keepdim=True)  # (1, r)
    Ut = (Ua / n).T  # Ûᵀ (r, d): a transposed view, which BLAS reads as rows without a copy
    G = hh.gamma_from_unit_rows(Ut)  # Γ (r, r), the closed form: one triangular solve
    Mt = torch.mm(G, Ut)  # Γ Ûᵀ
    if adt == cdt:
        return Ut, Mt, (G, n)
    return Ut.to(cdt), Mt.to(cdt), (G, n, Ut, Mt)


def torch_bwd(saved, S, Qa, Qb, Ut, Mt) -> torch.Tensor:
    """The torch back end's backward: dU (d, r) from S = ∂L/∂Mᵀ and Q = Qa Qb, the rest of ∂L/∂Ûᵀ."""
    G, n = saved[0], saved[1]
    if len(saved) == 4:  # a half-precision call: the r × r algebra on the float32+ copies
        Ut, Mt = saved[2], saved[3]
        S, Qa, Qb = S.to(G.dtype), Qa.to(G.dtype), Qb.to(G.dtype)
    P = torch.mm(G.T, S)  # Γᵀ S: the gradient at Ûᵀ through Mᵀ = Γ Ûᵀ
    dT = torch.mm(P, Mt.T).triu_(1)  # ∂L/∂T = Γᵀ (∂L/∂Γ) Γᵀ = P M; only striu(ÛᵀÛ) depends on Û
    E = torch.addmm(P, Qa, Qb).addmm_(dT + dT.T, Ut)  # dÛᵀ = Q + P + K Ûᵀ
    c = torch.linalg.vecdot(E, Ut).unsqueeze(1)  # diag(dÛᵀ Û)
    return E.addcmul_(c, Ut, value=-1.0).div_(n.T).T  # through Û = U / ‖U‖, as (d, r)


# --------------------------------------------------------------------------------------------
# dispatch


def factors_fwd(U: torch.Tensor, cdt: torch.dtype, backend: str):
    """(Ûᵀ, Mᵀ), each (r, d) in the compute dtype ``cdt``, and what the backward needs."""
    if backend == "triton":
        return _triton().fwd(U, cdt)
    Ut, Mt, saved = torch_fwd(U, cdt)
    return Ut, Mt, (Ut, Mt, *saved)


def factors_bwd(saved, S: torch.Tensor, Q: torch.Tensor, backend: str) -> torch.Tensor:
    """dU (d, r) from S = ∂L/∂Mᵀ and Q = the other part of ∂L/∂Ûᵀ (r, d each; Q may be overwritten)."""
    if backend == "triton":
        return _triton().bwd(saved, S, Q)
    eye = torch.eye(Q.shape[0], dtype=Q.dtype, device=Q.device)
    return torch_bwd(saved[2:], S, eye, Q, saved[0], saved[1])


def gamma(saved, backend: str) -> torch.Tensor:
    """Γ from what ``factors_fwd`` saved (tests and benchmarks)."""
    return _triton().gamma(saved) if backend == "triton" else saved[2]  # (Ûᵀ, Mᵀ, Γ, ‖u‖, …)
