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

* ``torch``   six ATen calls forward, eight backward, on the raw U: with A = Uᵀ and
  T' = striu(UᵀU) + ½ diag(UᵀU), Γ' = −T'⁻¹ = D⁻¹ Γ D⁻¹ (D = diag ‖u_i‖) absorbs the norms, so no
  normalisation (and no backward through it) is needed: H = I + Aᵀ Γ' A exactly. A half-precision
  compute dtype takes Û instead: the backward's projection through Û = U / ‖U‖ removes the radial
  part of the products' rounding error, which on the raw route is left in dU (measured: 14 % against
  0.75 % on a small bf16 model, tests/test_precision.py), and float16's range could not hold raw
  norms. Every device.
* ``triton``  one fused Triton kernel forward and one backward (CUDA, U float32, r ≤ 64). In the
  LoRA form with d_in, d_out ≤ 2048 they also form the products with the frozen W (At = Ûᵀ Wᵀ
  forward, Q = (Zᵀ dy) W backward), so an eager step makes LoRA's number of GEMMs; above that cuBLAS
  forms them (``fuse_w``). Γ by recursive block inversion in registers; tested against the torch
  back end and float64 on the GPU (tests/test_gpu_graphs.py), and on a CPU under
  ``TRITON_INTERPRET=1``. Below d = 4096 each program repeats the reduction over d; from 4096 on
  it runs split over programs (one more launch each way, ``hra_triton._parts``). ``auto`` uses them
  for d ≤ 8192 and r ≤ 32 (H200, benchmarks/RESULTS.md: fewer launches than the torch calls, and
  less GPU time once split).
  Where the layer's d_in, d_out ≤ 2048 it runs the activation form as the *token pass* instead
  (``token_pass``): the adapter's forward in one launch over the tokens, the backward in two after
  dx' = dy W, which is what an eager step bound by the host's launches needs.

Under ``torch.compile`` the layer does not use either (``HRALinear.forward``): plain differentiable
ops, which Inductor fuses itself.

``HRA_VIZ_KERNELS=torch`` in the environment (or :func:`set_backend`) forces the torch path. Under
``auto``, kernels that raise (a triton that cannot build them) hand the call to the torch path for the
rest of the process, with one warning (:func:`fall_back`).
"""

from __future__ import annotations

import os
import warnings

import torch

from .. import householder as hh

__all__ = [
    "accum_dtype", "backend_for", "set_backend", "factors_fwd", "factors_bwd", "gamma", "triton_available",
    "torch_fwd", "torch_bwd", "triton_fwd", "triton_bwd", "token_pass", "act_fwd", "act_bwd", "lora_pass",
    "lora_fwd", "lora_bwd", "fall_back", "KernelFallbackWarning", "graphed_fwd", "graphed_bwd",
]

_HALF = (torch.float16, torch.bfloat16)
_BACKEND = os.environ.get("HRA_VIZ_KERNELS", "auto")  # auto | torch | triton | aten
_TRITON: object | None = None  # the triton kernels module once imported; False if unavailable
TRITON_MAX_R = 64  # the kernels hold r × r tiles in registers
TRITON_AUTO_MAX_D, TRITON_AUTO_MAX_R = 8192, 32  # where ``auto`` picks them (measured, see backend_for)
TRITON_FUSE_MAX_D = 2048  # the kernels also form the products with W up to this d_in, d_out (else cuBLAS)
TOKEN_PASS_MAX_D = 2048  # the layer runs the token-pass kernels up to this d_in, d_out (``token_pass``)
LORA_PASS = False  # the LoRA form's adapter in kernels over the tokens: measured, not faster (``lora_pass``)
GEMM_ACCUM_MIN_D = {"cuda": 4096}  # per device type: from this d the frozen GEMMs add onto the LoRA form's
# terms and the layer takes the LoRA form in both gradient regimes (``gemm_accum``)


def accum_dtype(*dtypes: torch.dtype) -> torch.dtype:
    """float64 if any input is float64, else float32: the dtype of all r × r algebra."""
    return torch.float64 if torch.float64 in dtypes else torch.float32


def set_backend(name: str) -> None:
    """``auto`` (Triton on CUDA when available), ``torch`` (ATen always), ``triton`` (error if unusable),
    or ``aten``: no hand-written node at all, the layer as plain differentiable ops (the route it takes
    under torch.compile), whose backward autograd runs in C++ (see ``use_node``)."""
    global _BACKEND
    if name not in ("auto", "torch", "triton", "aten"):
        raise ValueError(f"backend must be 'auto', 'torch', 'triton' or 'aten'; got {name!r}")
    _BACKEND = name


def use_node() -> bool:
    """Whether the eager layer uses its hand-written autograd node (every setting but ``aten``).

    ``aten`` runs the layer as plain differentiable ops, whose backward autograd runs in C++ with
    more, smaller kernels. Measured on the H200 (d = 1024, 8192 tokens, benchmarks/RESULTS.md,
    session 5) it took 2.5–3.3× PEFT LoRA's step where the node took 1.05–1.31× (now ≤ 1.01× with
    the token pass): the Python node is not what an eager step pays for; the switch stays for
    measuring."""
    return _BACKEND != "aten"


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


class KernelFallbackWarning(RuntimeWarning):
    """The Triton kernels raised, and the layer carries on with the torch back end."""


def fall_back(err: BaseException) -> bool:
    """Whether a call whose Triton kernels raised ``err`` may be redone on the torch back end.

    A triton that cannot compile or launch these kernels (another version than the one they were
    tested with, a GPU it does not support) must not stop a user's training: under ``auto`` the
    kernels are turned off for the rest of the process, a ``KernelFallbackWarning`` says why once,
    and the caller redoes the call with the torch back end (the same function, more launches).
    Not for out-of-memory errors (the torch back end needs as much), nor where ``triton`` was asked
    for by name (``HRA_VIZ_KERNELS=triton``): those raise as they are."""
    global _TRITON
    if _BACKEND != "auto" or isinstance(err, torch.cuda.OutOfMemoryError):
        return False
    _TRITON = False
    warnings.warn(
        f"HRA's Triton kernels failed ({type(err).__name__}: {str(err)[:300]}); the layer uses its torch "
        "back end from now on: the same results with more kernel launches. HRA_VIZ_KERNELS=torch chooses "
        "it from the start.",
        KernelFallbackWarning,
        stacklevel=4,
    )
    return True


def backend_for(U: torch.Tensor, cdt: torch.dtype) -> str:
    """``triton`` where it is the faster one (or forced), else ``torch``.

    ``auto`` picks Triton on CUDA for U float32, d ≤ 8192 and r ≤ 32: one or two launches each way
    against the torch back end's 6 + 8 calls (11 + 14 on the half-precision route), which is what an
    eager GPU step pays for on the H200's host (benchmarks/profile_gpu.py, host_costs.py). Above
    d = 2048 the W products stay with cuBLAS (``fuse_w``); from d = 4096 the reductions over d are
    split over programs, which made the kernels cheaper on the GPU than the torch calls (H200, d =
    8192: 18 + 20 µs against 38 + 47 µs, benchmarks/RESULTS.md). ``triton`` forces the kernels
    wherever they run (r ≤ 64).
    """
    if _BACKEND in ("torch", "aten") or not U.is_cuda or torch.compiler.is_compiling():
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
    """The torch back end's forward: (A, Mᵀ) in ``cdt``, and what ``torch_bwd`` needs.

    A = Uᵀ, raw (no normalisation: Γ' absorbs the norms), except for a half-precision compute dtype:
    there A = Ûᵀ (see the module notes). Six ATen calls on the raw route.
    """
    adt = torch.float64 if (U.dtype == torch.float64 or cdt == torch.float64) else torch.float32
    Ua = U if U.dtype == adt else U.to(adt)
    n = None
    if cdt in _HALF:  # the projection through Û = U / ‖U‖ removes the radial part of half-precision error
        n = torch.linalg.vector_norm(Ua, dim=0)  # (r,)
        Ua = Ua / n
    A = Ua.t()  # (r, d): a transposed view, which BLAS reads as rows without a copy
    minus_i, C = _const(A.shape[0], adt, A.device)
    T = torch.mm(A, Ua).mul_(C)  # T' = striu(UᵀU) + ½ diag(UᵀU)
    G = torch.linalg.solve_triangular(T, minus_i, upper=True)  # Γ' = −T'⁻¹
    Mt = torch.mm(G, A)  # Γ' Uᵀ
    if adt == cdt:
        return A, Mt, (G, n)
    return A.to(cdt), Mt.to(cdt), (G, n, A, Mt)


def torch_bwd(saved, S, Qa, Qb, A, Mt) -> torch.Tensor:
    """The torch back end's backward: dU (d, r) from S = ∂L/∂Mᵀ and Q = Qa Qb, the rest of ∂L/∂A.

    With P = Γ'ᵀ S and ∂L/∂T' = P Mᵀ, upper triangular with its diagonal halved (T' holds ½ diag),
    K = that + its transpose, and dA = Q + P + K A; on the normalised (float16) route dU then goes
    through Û = U / ‖U‖. Q is formed in the compute dtype (a product with W must not cast W).
    """
    G, n = saved[0], saved[1]
    if len(saved) == 4:  # a half-precision call: A and Mᵀ in float32 for the r × r algebra
        A, Mt = saved[2], saved[3]
    adt = G.dtype
    if S.dtype != adt:  # a half-precision call: the r × r algebra on the float32+ copies
        S = S.to(adt)
        E = torch.mm(Qa, Qb).to(adt)
        P = torch.mm(G.t(), S)
        E += P
    else:
        P = torch.mm(G.t(), S)  # the gradient at A through Mᵀ = Γ' A
        E = torch.addmm(P, Qa, Qb)
    dT = torch.mm(P, Mt.t()).mul_(_const(G.shape[0], adt, G.device)[1])  # ∂L/∂T' through T' = C ⊙ UᵀU
    E.addmm_(dT + dT.t(), A)  # dA = Q + P + K A
    if n is not None:  # through Û = U / ‖U‖
        c = torch.linalg.vecdot(E, A).unsqueeze(1)
        E.addcmul_(c, A, value=-1.0).div_(n.unsqueeze(1))
    return E.t()


def _const(r: int, dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(−I_r, C) with C the upper triangle of ones, ½ on the diagonal: T' = C ⊙ UᵀU in one call.
    Cached per (r, dtype, device) (``householder.cached_const``)."""

    def build():
        eye = torch.eye(r, dtype=dtype, device=device)
        return -eye, torch.ones(r, r, dtype=dtype, device=device).triu_(1) + 0.5 * eye

    return hh.cached_const(("-I, C", r, dtype, device), build)


# --------------------------------------------------------------------------------------------
# dispatch


def factors_fwd(U: torch.Tensor, cdt: torch.dtype, backend: str):
    """(A, Mᵀ), each (r, d) in the compute dtype ``cdt`` with H = I + Aᵀ Mᵀ, and what the backward needs."""
    if backend == "triton":
        Ut, Mt, _, saved = _triton().fwd(U, cdt)
        return Ut, Mt, saved
    A, Mt, saved = torch_fwd(U, cdt)
    return A, Mt, (A, Mt, *saved)


def factors_bwd(saved, S: torch.Tensor, Q: torch.Tensor, backend: str) -> torch.Tensor:
    """dU (d, r) from S = ∂L/∂Mᵀ and Q = the other part of ∂L/∂A (r, d each; Q may be overwritten)."""
    if backend == "triton":
        return _triton().bwd(saved, S, Q)
    eye = torch.eye(Q.shape[0], dtype=Q.dtype, device=Q.device)
    return torch_bwd(saved[2:], S, eye, Q, saved[0], saved[1])


def fuse_w(W: torch.Tensor) -> bool:
    """Whether the Triton kernels also form the products with the frozen W (At = Ûᵀ Wᵀ, Q = (Zᵀ dy) W).

    Each program of the kernels streams its slice of W through one serial loop: that saves two GEMM
    launches where the step is bound by launches (d ≤ 2048), and costs GPU time above it, where
    cuBLAS spreads the same products over the whole GPU (H200: 0.68 against 0.58 ms a step at
    d = 4096, benchmarks/RESULTS.md)."""
    return max(W.shape) <= TRITON_FUSE_MAX_D


def token_pass(W: torch.Tensor) -> bool:
    """Whether a Triton step runs the activation form through the token-pass kernels.

    There the adapter's forward is one launch (x' = x + Z Ûᵀ with Z = x Û Γᵀ and Γ made inside) and
    its backward two after the frozen product dx' = dy W: an eager step issues 1 + 1 + 3 kernels
    where the cuBLAS routes issue 8-10 (PEFT LoRA: 10-11). That is what counts where the step is bound
    by the host's launches (d ≤ 2048 on the H200, benchmarks/RESULTS.md); above, the GPU's work
    decides, and dx' = dy W is a d × d product the LoRA form does not need when x needs no gradient."""
    return max(W.shape) <= TOKEN_PASS_MAX_D


def gemm_accum(W: torch.Tensor) -> bool:
    """Whether the LoRA form writes its rank-r terms first and lets the frozen layer's GEMMs add onto
    them (β = 1): y = (Z At + b) then y += x Wᵀ, and dx = dZ Mᵀ then dx += dy W. The GEMM reads its C
    in the epilogue of a compute-bound product, where the separate update y += Z At reads and writes
    all of y again (one pass over an N × d activation each way). Where this holds the layer takes the
    LoRA form also when x needs a gradient (``HRALinear._lora_form``): the activation form's x' and
    dx' = dy W are then extra passes that the LoRA form does not make.

    On for CUDA from d = 4096 (H100, session 10, benchmarks/RESULTS.md). At d = 4096 a step took 10 %
    less time than session 9's route with x grad, 8-13 % less on 12-layer stacks and 3-11 % less
    without x grad; at d = 8192 with x grad, 0.2-3.5 % less. Off on a CPU, where it measured within
    noise (±2 %) and the LoRA form with x grad was 3-5 % slower."""
    return min(W.shape) >= GEMM_ACCUM_MIN_D.get(W.device.type, 1 << 62)


def lora_pass() -> bool:
    """Whether a Triton step in the LoRA form (x needs no gradient, d above ``TOKEN_PASS_MAX_D``) runs
    its adapter through the LoRA-pass kernels (``hra_token.lora_fwd`` / ``lora_bwd``): off unless
    ``LORA_PASS`` is set, which benchmarks.layer_variants does (variant ``lorapass``).

    Forward: Z = x Û Γᵀ and y += Z (W Û)ᵀ in one launch over the tokens; backward: dZ = dy W Û over
    the tokens, partial sums of Zᵀ dy and dZᵀ x over (token chunk, column block) programs, Q = (Zᵀ dy) W
    by cuBLAS, and dU: 4 launches where the cuBLAS route makes 10. Measured on the H200 (d = 4096,
    benchmarks/RESULTS.md, issue 10 session 6), it was not faster: cuBLAS's skinny products already
    run within 2× of the memory bound (22-33 µs each for one read of an 8192 × 4096 activation), the
    kernels saved ≤ 18 µs of GPU time forward and none backward, and the 12-layer stack (4096 tokens)
    ran 8-16 % slower. Kept, tested on the device, for measuring."""
    return LORA_PASS


def lora_fwd(x2: torch.Tensor, y: torch.Tensor, Ut: torch.Tensor, At: torch.Tensor, saved) -> torch.Tensor:
    """LoRA pass forward: y += Z At in place, Z = x Û Γᵀ (float32) returned (``hra_token``)."""
    from . import hra_token

    return hra_token.lora_fwd(x2, y, Ut, At, saved)


def lora_bwd(dy, x2, Z, Ut, At, W, saved, dxp):
    """LoRA pass backward: (dU, dx or None) from dy; dx is written over dxp = dy W where given
    (``hra_token``)."""
    from . import hra_token

    return hra_token.lora_bwd(dy, x2, Z, Ut, At, W, saved, dxp)


def act_fwd(x2: torch.Tensor, U: torch.Tensor):
    """Token pass forward: (x' = x Hᵀ, Z = x Û Γᵀ float32, saved) in one launch (``hra_token``)."""
    from . import hra_token  # only on the Triton path: triton is importable there

    return hra_token.act_fwd(x2, U)


def act_bwd(dxp: torch.Tensor, x2: torch.Tensor, Z: torch.Tensor, saved, need_x: bool):
    """Token pass backward: (dU, dx or None) from dx' = dy W, in two launches (``hra_token``)."""
    from . import hra_token

    return hra_token.act_bwd(dxp, x2, Z, saved, need_x)


def graphed_fwd(U: torch.Tensor, W: torch.Tensor, cdt: torch.dtype):
    """The LoRA form's r × r forward and At = Ûᵀ Wᵀ replayed from a CUDA graph: (Ûᵀ, Mᵀ, At, saved,
    entry), or None where graphs do not apply (``hra_graphs``)."""
    from . import hra_graphs

    return hra_graphs.fwd(U, W, cdt)


def graphed_bwd(entry, U: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """dU from ``entry``'s backward graph (Q = (Zᵀ dy) W in it), S and Zᵀ dy written by the caller."""
    from . import hra_graphs

    return hra_graphs.bwd(entry, U, W)


def triton_fwd(U: torch.Tensor, cdt: torch.dtype, W: torch.Tensor | None):
    """The layer's Triton forward: (Ûᵀ, Mᵀ, At = Ûᵀ Wᵀ or None, saved) in one launch."""
    return _triton().fwd(U, cdt, W)


def triton_bwd(saved, S, Q=None, ZD=None, W=None, At=None) -> torch.Tensor:
    """The layer's Triton backward: dU from S and Q, or from S and Q = ZD W (formed in the kernel)."""
    return _triton().bwd(saved, S, Q, ZD, W, At)


def gamma(saved, backend: str) -> torch.Tensor:
    """Γ of the unit vectors (H = I + Û Γ Ûᵀ) from what ``factors_fwd`` saved (tests and benchmarks).

    The back ends keep Γ' = D⁻¹ Γ D⁻¹ of the raw U (D = diag ‖u_i‖), or Γ on the half-precision route."""
    if backend == "triton":
        return _triton().gamma(saved)
    G, n = saved[2], saved[3]
    A = saved[4] if len(saved) == 6 else saved[0]
    if n is not None:
        return G
    nn_ = torch.linalg.vector_norm(A, dim=1)
    return G * nn_[:, None] * nn_[None, :]
