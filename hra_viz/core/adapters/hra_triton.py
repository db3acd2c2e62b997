"""Fused Triton kernels for the r × r part of the HRA layer (see ``hra_kernels`` for the maths).

One launch forward, one backward. Each program first reduces over all of d (ÛᵀÛ forward; S Û and
the row sums of Q ⊙ Ûᵀ backward: a few hundred KB from L2), does the r × r algebra in registers
(Γ by back substitution in float32), then writes its share of the d columns. The
reduction is repeated by every program, one serial loop over d, so its time grows with d·r: measured
on the H200 (benchmarks/hra_kernels.py) it beats the torch path for d ≤ 2048 and r ≤ 32 (14 / 23 µs
of GPU and ~65 µs of host per forward + backward at d = 1024, r = 8, against 59 µs and ~255 µs),
and loses above (119 against 73 µs of GPU at d = 4096, r = 8), where ``hra_kernels`` uses torch.

Layouts: U (d, r) with any strides; Ûᵀ, Mᵀ (r, d) rows out, S, Q (r, d) rows in, dU (d, r) out.
Importing this module fails where triton is missing; ``hra_kernels`` then uses the torch path.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

AVAILABLE = True
# IEEE float32 products. (tf32x3 with 256-row tiles, ≤ 16 programs and 4 warps measured 2-3× slower on
# the H200: 90 / 245 µs forward / backward at d = 4096, r = 8, against 38 / 81 µs for this setting.)
PREC: tl.constexpr = tl.constexpr("ieee")


@triton.jit
def _fwd_kernel(U, OUT, SMALL, D, RR, s_ud, s_ur, NPROG,
                R: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_OUT: tl.constexpr):
    # OUT: (2, RR, D) = [Ûᵀ; Mᵀ] in the compute dtype; SMALL: [Γ (RR²), ÛᵀÛ (RR²), ‖u_i‖ (RR)] float32
    pid = tl.program_id(0)
    rr = tl.arange(0, R)
    cmask = rr < RR
    gram = tl.zeros((R, R), dtype=tl.float32)
    for d0 in range(0, D, BLOCK_D):  # UᵀU over all of d
        dd = d0 + tl.arange(0, BLOCK_D)
        m = (dd[:, None] < D) & cmask[None, :]
        u = tl.load(U + dd[:, None] * s_ud + rr[None, :] * s_ur, mask=m, other=0.0).to(tl.float32)
        gram += tl.dot(tl.trans(u), u, input_precision=PREC)
    eye = rr[:, None] == rr[None, :]
    n_r = tl.where(cmask, tl.sqrt(tl.sum(tl.where(eye, gram, 0.0), axis=1)), 1.0)
    n_c = tl.where(cmask, tl.sqrt(tl.sum(tl.where(eye, gram, 0.0), axis=0)), 1.0)
    gn = gram / (n_r[:, None] * n_c[None, :])  # ÛᵀÛ
    Ts = tl.where(rr[:, None] < rr[None, :], gn, 0.0)  # striu(ÛᵀÛ)
    # X = T⁻¹, T = ½I + Ts, by back substitution: X_i = 2 (e_i − Ts_i X), i = R−1 … 0
    X = tl.zeros((R, R), dtype=tl.float32)
    for k in range(R):
        i = R - 1 - k
        sel = rr[:, None] == i
        t_i = tl.sum(tl.where(sel, Ts, 0.0), axis=0)  # row i of Ts, indexed by column
        acc = tl.sum(t_i[:, None] * X, axis=0)  # Σ_j Ts_ij X_j
        x_i = 2.0 * (tl.where(rr == i, 1.0, 0.0) - acc)
        X = tl.where(sel, x_i[None, :], X)
    Gm = tl.where(cmask[:, None] & cmask[None, :], -X, 0.0)  # Γ, zero outside r × r
    Gt = tl.trans(Gm)
    for start in range(pid * BLOCK_OUT, D, NPROG * BLOCK_OUT):  # this program's columns
        dd = start + tl.arange(0, BLOCK_OUT)
        m = (dd[:, None] < D) & cmask[None, :]
        u = tl.load(U + dd[:, None] * s_ud + rr[None, :] * s_ur, mask=m, other=0.0).to(tl.float32)
        uh = u / n_c[None, :]  # Û rows of this block
        mb = tl.dot(uh, Gt, input_precision=PREC)  # M = Û Γᵀ
        o = rr[None, :] * D + dd[:, None]  # stored transposed: (r, d) rows
        tl.store(OUT + o, uh.to(OUT.dtype.element_ty), mask=m)
        tl.store(OUT + RR * D + o, mb.to(OUT.dtype.element_ty), mask=m)
    if pid == 0:
        mm = cmask[:, None] & cmask[None, :]
        oo = rr[:, None] * RR + rr[None, :]
        tl.store(SMALL + oo, Gm, mask=mm)
        tl.store(SMALL + RR * RR + oo, gn, mask=mm)
        tl.store(SMALL + 2 * RR * RR + rr, n_r, mask=cmask)


@triton.jit
def _bwd_kernel(S, Q, U, SMALL, DU, D, RR, s_ud, s_ur, NPROG,
                R: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_OUT: tl.constexpr):
    pid = tl.program_id(0)
    rr = tl.arange(0, R)
    cmask = rr < RR
    mm = cmask[:, None] & cmask[None, :]
    oo = rr[:, None] * RR + rr[None, :]
    Gm = tl.load(SMALL + oo, mask=mm, other=0.0)
    gn = tl.load(SMALL + RR * RR + oo, mask=mm, other=0.0)
    n_c = tl.load(SMALL + 2 * RR * RR + rr, mask=cmask, other=1.0)
    # B1 = S Û (r × r) and cQ = rowsum(Q ⊙ Ûᵀ), over all of d
    B1 = tl.zeros((R, R), dtype=tl.float32)
    cQ = tl.zeros((R,), dtype=tl.float32)
    for d0 in range(0, D, BLOCK_D):
        dd = d0 + tl.arange(0, BLOCK_D)
        m = (dd[:, None] < D) & cmask[None, :]
        o = rr[None, :] * D + dd[:, None]
        uh = tl.load(U + dd[:, None] * s_ud + rr[None, :] * s_ur, mask=m, other=0.0).to(tl.float32)
        uh = uh / n_c[None, :]
        sb = tl.load(S + o, mask=m, other=0.0).to(tl.float32)  # Sᵀ block (d rows × r)
        qb = tl.load(Q + o, mask=m, other=0.0).to(tl.float32)
        B1 += tl.dot(tl.trans(sb), uh, input_precision=PREC)
        cQ += tl.sum(qb * uh, axis=0)
    Gt = tl.trans(Gm)
    GB = tl.dot(Gt, B1, input_precision="ieee")  # Γᵀ S Û
    dT = tl.dot(GB, Gt, input_precision="ieee")  # ∂L/∂T = Γᵀ S Û Γᵀ = P M
    Ks = tl.where(rr[:, None] < rr[None, :], dT, 0.0)
    K = Ks + tl.trans(Ks)
    eye = rr[:, None] == rr[None, :]
    c = cQ + tl.sum(tl.where(eye, GB, 0.0), axis=0) + tl.sum(gn * K, axis=0)  # diag(dÛᵀ Û)
    for start in range(pid * BLOCK_OUT, D, NPROG * BLOCK_OUT):
        dd = start + tl.arange(0, BLOCK_OUT)
        m = (dd[:, None] < D) & cmask[None, :]
        o = rr[None, :] * D + dd[:, None]
        uh = tl.load(U + dd[:, None] * s_ud + rr[None, :] * s_ur, mask=m, other=0.0).to(tl.float32)
        uh = uh / n_c[None, :]
        sb = tl.load(S + o, mask=m, other=0.0).to(tl.float32)
        qb = tl.load(Q + o, mask=m, other=0.0).to(tl.float32)
        # dÛ (d rows) = Q + S Γ... in rows of d: (Γᵀ S)ᵀ = Sᵀ Γ, and (K Ûᵀ)ᵀ = Û K
        duh = qb + tl.dot(sb, Gm, input_precision=PREC) + tl.dot(uh, K, input_precision=PREC)
        du = (duh - uh * c[None, :]) / n_c[None, :]
        tl.store(DU + dd[:, None] * RR + rr[None, :], du.to(DU.dtype.element_ty), mask=m)


def _config(d: int, r: int):
    """(padded r, rows per reduction step, rows per program, programs): one program per 64 rows."""
    R = max(16, triton.next_power_of_2(r))
    return R, 64, 64, triton.cdiv(d, 64)


def fwd(U: torch.Tensor, cdt: torch.dtype):
    """(Ûᵀ, Mᵀ) (r, d) in ``cdt`` and the saved (U, [Γ, ÛᵀÛ, ‖u‖]): one launch, two allocations."""
    d, r = U.shape
    out = torch.empty((2, r, d), device=U.device, dtype=cdt)
    small = torch.empty(2 * r * r + r, device=U.device, dtype=torch.float32)
    R, bd, bo, nprog = _config(d, r)
    _fwd_kernel[(nprog,)](U, out, small, d, r, U.stride(0), U.stride(1), nprog,
                          R=R, BLOCK_D=bd, BLOCK_OUT=bo)
    Ut, Mt = out.unbind(0)
    return Ut, Mt, (U, small)


def gamma(saved) -> torch.Tensor:
    r = saved[0].shape[1]
    return saved[1][: r * r].view(r, r)


def bwd(saved, S: torch.Tensor, Q: torch.Tensor) -> torch.Tensor:
    """dU (d, r) in U's dtype: one launch, one allocation."""
    U, small = saved
    d, r = U.shape
    dU = torch.empty(d, r, device=U.device, dtype=U.dtype)
    S, Q = S.contiguous(), Q.contiguous()
    R, bd, bo, nprog = _config(d, r)
    _bwd_kernel[(nprog,)](S, Q, U, small, dU, d, r, U.stride(0), U.stride(1), nprog,
                          R=R, BLOCK_D=bd, BLOCK_OUT=bo)
    return dU
