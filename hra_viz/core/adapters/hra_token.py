"""The token pass: the HRA layer's activation form, its whole adapter in Triton kernels over the tokens.

    x' = x Hᵀ = x + Z Ûᵀ,   Z = x Û Γᵀ   (N × r)

``act_fwd`` is one launch: every program builds Γ from U (``hra_triton._gram``, ``_factors``), then
Z (kept in float32 for the backward) and x' for its block of tokens. ``act_bwd`` takes dx' = dy W
and is two launches: one over the tokens (dZ = dx' Û; dx = dx' + dZ Γ Ûᵀ written over dx'; per-block
partial sums of S = dZᵀ x, Q = Zᵀ dx' and C = Zᵀ dZ), then one over d that adds the partial sums in a
fixed order and gives dU. Because Z = x Û Γᵀ, S Û = −(T C)ᵀ (T = ½ I + striu(ÛᵀÛ) = −Γ⁻¹) and
diag(Q Û) = diag(C): the r × r reductions come from C, with no pass over d. Deterministic (no
atomics); tested against float64 on the GPU (tests/test_gpu_graphs.py) and on a CPU under
``TRITON_INTERPRET=1`` (benchmarks/diag_triton_cpu.py). ``hra_kernels.token_pass`` says where the
layer uses it (d ≤ 2048: an eager step there is bound by the host's launches).

Importing this module fails where triton is missing (``hra_kernels`` imports it only on the Triton path).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from .hra_triton import _INTERPRET, PREC, _config, _factors, _gram, _launch, _load_small, _save_small


@triton.jit
def _unit_rows(U, dd, dm, RR, s_ud, s_ur, n_c, R: tl.constexpr):
    """Û's rows dd (len(dd) × R, float32; zero outside d and r)."""
    rr = tl.arange(0, R)
    u = tl.load(U + dd[:, None] * s_ud + rr[None, :] * s_ur, mask=dm[:, None] & (rr < RR)[None, :], other=0.0)
    return u.to(tl.float32) / n_c[None, :]


@triton.jit
def _times_unit(A, rows, rmask, s_an, U, D, RR, s_ud, s_ur, n_c,
                R: tl.constexpr, BM: tl.constexpr, BD: tl.constexpr, LOW_DOT: tl.constexpr):
    """A[rows] Û (BM × R, float32 sums) over all of d: x Û forward, dZ = dx' Û backward. With LOW_DOT
    Û is rounded to A's dtype, as the cuBLAS route's products round it."""
    acc = tl.zeros((BM, R), dtype=tl.float32)
    for d0 in range(0, D, BD):
        dd = d0 + tl.arange(0, BD)
        dm = dd < D
        ab = tl.load(A + rows[:, None] * s_an + dd[None, :], mask=rmask[:, None] & dm[None, :], other=0.0)
        ub = _unit_rows(U, dd, dm, RR, s_ud, s_ur, n_c, R)
        if LOW_DOT:
            acc += tl.dot(ab, ub.to(ab.dtype))
        else:
            acc += tl.dot(ab.to(tl.float32), ub, input_precision=PREC)
    return acc


@triton.jit
def _act_fwd_kernel(X, U, XP, Z, SMALL, N, D, RR, s_ud, s_ur, s_xn,
                    R: tl.constexpr, LOG_R: tl.constexpr, BLOCK_RED: tl.constexpr, BM: tl.constexpr,
                    BD: tl.constexpr, LOW_DOT: tl.constexpr):
    # one program per BM tokens: Γ from U (every program, as the r × r kernels do), then
    # Z = (x Û) Γᵀ (float32, kept for the backward) and x' = x + Z Ûᵀ (the compute dtype)
    pid = tl.program_id(0)
    rr = tl.arange(0, R)
    cmask = rr < RR
    Gm, gn, n_r, n_c = _factors(_gram(U, D, RR, s_ud, s_ur, R, BLOCK_RED), RR, R, LOG_R)
    rows = pid * BM + tl.arange(0, BM)
    rmask = rows < N
    xu = _times_unit(X, rows, rmask, s_xn, U, D, RR, s_ud, s_ur, n_c, R, BM, BD, LOW_DOT)
    z = tl.dot(xu, tl.trans(Gm), input_precision="ieee")  # Z = (x Û) Γᵀ
    tl.store(Z + rows[:, None] * RR + rr[None, :], z, mask=rmask[:, None] & cmask[None, :])
    for d0 in range(0, D, BD):
        dd = d0 + tl.arange(0, BD)
        dm = dd < D
        m2 = rmask[:, None] & dm[None, :]
        xb = tl.load(X + rows[:, None] * s_xn + dd[None, :], mask=m2, other=0.0)
        ub = _unit_rows(U, dd, dm, RR, s_ud, s_ur, n_c, R)
        if LOW_DOT:
            corr = tl.dot(z.to(xb.dtype), tl.trans(ub).to(xb.dtype))
        else:
            corr = tl.dot(z, tl.trans(ub), input_precision=PREC)
        xp = (xb.to(tl.float32) + corr).to(XP.dtype.element_ty)
        tl.store(XP + rows[:, None] * D + dd[None, :], xp, mask=m2)
    if pid == 0:
        _save_small(SMALL, Gm, gn, n_r, RR, R)


@triton.jit
def _act_bwd_kernel(DXP, X, Z, U, SMALL, DX, DZ, PART, N, D, RR, s_ud, s_ur, s_xn, s_gn, ROWS, NB,
                    R: tl.constexpr, BM: tl.constexpr, BD: tl.constexpr, LOW_DOT: tl.constexpr,
                    NEED_X: tl.constexpr):
    # one program per ROWS tokens (NB programs), from dx' = dy W: dZ = dx' Û, and this program's
    # partial sums of S = dZᵀ x and Q = Zᵀ dx' (r × d each) and of C = Zᵀ dZ (r × r), which
    # _act_du_kernel adds up in a fixed order; dx = dx' + dZ Γ Ûᵀ where x needs a gradient
    pid = tl.program_id(0)
    rr = tl.arange(0, R)
    cmask = rr < RR
    Gm, _, n_c = _load_small(SMALL, RR, R)
    C = tl.zeros((R, R), dtype=tl.float32)
    for s0 in range(0, ROWS, BM):
        rows = pid * ROWS + s0 + tl.arange(0, BM)
        rmask = rows < N
        dz = _times_unit(DXP, rows, rmask, s_gn, U, D, RR, s_ud, s_ur, n_c, R, BM, BD, LOW_DOT)
        zm = rmask[:, None] & cmask[None, :]
        tl.store(DZ + rows[:, None] * RR + rr[None, :], dz, mask=zm)
        z = tl.load(Z + rows[:, None] * RR + rr[None, :], mask=zm, other=0.0)
        C += tl.dot(tl.trans(z), dz, input_precision="ieee")
    tl.debug_barrier()  # this program's dZ rows, written above, are read back below
    SQ = PART + pid * RR * D
    QQ = PART + NB * RR * D + pid * RR * D
    for d0 in range(0, D, BD):
        dd = d0 + tl.arange(0, BD)
        dm = dd < D
        ub = _unit_rows(U, dd, dm, RR, s_ud, s_ur, n_c, R)
        s_acc = tl.zeros((R, BD), dtype=tl.float32)
        q_acc = tl.zeros((R, BD), dtype=tl.float32)
        for s0 in range(0, ROWS, BM):
            rows = pid * ROWS + s0 + tl.arange(0, BM)
            rmask = rows < N
            zm = rmask[:, None] & cmask[None, :]
            m2 = rmask[:, None] & dm[None, :]
            dz = tl.load(DZ + rows[:, None] * RR + rr[None, :], mask=zm, other=0.0)
            z = tl.load(Z + rows[:, None] * RR + rr[None, :], mask=zm, other=0.0)
            xb = tl.load(X + rows[:, None] * s_xn + dd[None, :], mask=m2, other=0.0)
            gb = tl.load(DXP + rows[:, None] * s_gn + dd[None, :], mask=m2, other=0.0)
            if LOW_DOT:
                s_acc += tl.dot(tl.trans(dz).to(xb.dtype), xb)
                q_acc += tl.dot(tl.trans(z).to(gb.dtype), gb)
            else:
                s_acc += tl.dot(tl.trans(dz), xb.to(tl.float32), input_precision=PREC)
                q_acc += tl.dot(tl.trans(z), gb.to(tl.float32), input_precision=PREC)
            if NEED_X:
                dzg = tl.dot(dz, Gm, input_precision="ieee")  # dZ Γ: then dx = dx' + (dZ Γ) Ûᵀ
                dxb = gb.to(tl.float32) + tl.dot(dzg, tl.trans(ub), input_precision=PREC)
                tl.store(DX + rows[:, None] * s_gn + dd[None, :], dxb.to(DX.dtype.element_ty), mask=m2)
        pm = cmask[:, None] & dm[None, :]
        o = rr[:, None] * D + dd[None, :]
        tl.store(SQ + o, s_acc, mask=pm)
        tl.store(QQ + o, q_acc, mask=pm)
    tl.store(PART + 2 * NB * RR * D + pid * R * R + rr[:, None] * R + rr[None, :], C)


@triton.jit
def _act_du_kernel(PART, U, SMALL, DU, D, RR, s_ud, s_ur, NB, NPROG,
                   R: tl.constexpr, BLOCK_OUT: tl.constexpr):
    # dU from _act_bwd_kernel's partial sums. Since Z = x Û Γᵀ, S Û = dZᵀ x Û = −(T C)ᵀ with
    # T = Γ⁻¹ negated = ½ I + striu(ÛᵀÛ), and diag(Q Û) = diag(Zᵀ dZ) = diag(C): the reductions
    # over d that _bwd_kernel makes come from the r × r C, summed over the token blocks
    pid = tl.program_id(0)
    rr = tl.arange(0, R)
    cmask = rr < RR
    Gm, gn, n_c = _load_small(SMALL, RR, R)
    C = tl.zeros((R, R), dtype=tl.float32)
    for b in range(0, NB):
        C += tl.load(PART + 2 * NB * RR * D + b * R * R + rr[:, None] * R + rr[None, :])
    eye = rr[:, None] == rr[None, :]
    T = tl.where(eye, 0.5, 0.0) + tl.where(rr[:, None] < rr[None, :], gn, 0.0)
    B1 = -tl.trans(tl.dot(T, C, input_precision="ieee"))  # S Û
    cQ = tl.sum(tl.where(eye, C, 0.0), axis=0)  # diag(Q Û)
    Gt = tl.trans(Gm)
    GB = tl.dot(Gt, B1, input_precision="ieee")  # Γᵀ S Û
    dT = tl.dot(GB, Gt, input_precision="ieee")  # ∂L/∂T = Γᵀ S Û Γᵀ
    Ks = tl.where(rr[:, None] < rr[None, :], dT, 0.0)
    K = Ks + tl.trans(Ks)
    c = cQ + tl.sum(tl.where(eye, GB, 0.0), axis=0) + tl.sum(gn * K, axis=0)  # diag(dÛᵀ Û)
    for start in range(pid * BLOCK_OUT, D, NPROG * BLOCK_OUT):
        dd = start + tl.arange(0, BLOCK_OUT)
        m = (dd[:, None] < D) & cmask[None, :]
        uh = tl.load(U + dd[:, None] * s_ud + rr[None, :] * s_ur, mask=m, other=0.0).to(tl.float32)
        uh = uh / n_c[None, :]
        o = rr[None, :] * D + dd[:, None]
        sb = tl.zeros((BLOCK_OUT, R), dtype=tl.float32)
        qb = tl.zeros((BLOCK_OUT, R), dtype=tl.float32)
        for b in range(0, NB):
            sb += tl.load(PART + b * RR * D + o, mask=m, other=0.0)
            qb += tl.load(PART + NB * RR * D + b * RR * D + o, mask=m, other=0.0)
        duh = qb + tl.dot(sb, Gm, input_precision=PREC) + tl.dot(uh, K, input_precision=PREC)
        du = (duh - uh * c[None, :]) / n_c[None, :]
        tl.store(DU + dd[:, None] * RR + rr[None, :], du.to(DU.dtype.element_ty), mask=m)


TOKEN_BM = 64  # tokens per program of the token pass (and per step of the backward's loop over rows)
TOKEN_MAX_PARTS = 128  # the backward's partial sums: at most this many token blocks


def act_fwd(x2: torch.Tensor, U: torch.Tensor):
    """x' = x + Z Ûᵀ (x's dtype) and Z = x Û Γᵀ (N × r, float32), and the saved (U, [Γ, ÛᵀÛ, ‖u‖]):
    the activation form's adapter in one launch (``_act_fwd_kernel``)."""
    n, d = x2.shape
    r = U.shape[1]
    xp = torch.empty((n, d), device=x2.device, dtype=x2.dtype)
    Z = torch.empty((n, r), device=x2.device, dtype=torch.float32)
    small = torch.empty(2 * r * r + r, device=U.device, dtype=torch.float32)
    R, _, _, _, log_r, red = _config(d, r)
    su, sx = U.stride(), x2.stride(0)
    key = ("act", d, r, su, U.dtype, x2.dtype, _spec(n), _spec(sx), U.data_ptr() % 16 == 0,
           x2.data_ptr() % 16 == 0)
    _launch(_act_fwd_kernel, -(-n // TOKEN_BM), (x2, U, xp, Z, small, n, d, r, su[0], su[1], sx),
            dict(R=R, LOG_R=log_r, BLOCK_RED=red, BM=TOKEN_BM, BD=64,
                 LOW_DOT=x2.dtype != torch.float32 and not _INTERPRET), key)
    return xp, Z, (U, small)


def act_bwd(dxp: torch.Tensor, x2: torch.Tensor, Z: torch.Tensor, saved, need_x: bool):
    """(dU, dx or None) from dx' = dy W (N × d): two launches (``_act_bwd_kernel`` over the tokens,
    ``_act_du_kernel`` over d). Where x needs a gradient, dx overwrites dx' (which is then dx)."""
    U, small = saved
    n, d = x2.shape
    r = U.shape[1]
    R = _config(d, r)[0]
    blocks = -(-n // TOKEN_BM)
    # programs: ≤ TOKEN_MAX_PARTS, and few enough that their partial sums of S and Q (8·r·d bytes
    # each) take at most 4·N·d bytes, two half-precision activations. Fewer programs would save
    # memory but cost GPU time: each runs its rows serially (H200, d = 1024, r = 32, 4096 tokens:
    # 16 programs of 256 rows made a 12-layer step 1.34× PEFT LoRA's, 64 programs of 64 rows 0.98×)
    parts = max(1, min(TOKEN_MAX_PARTS, n // (2 * r)))
    rows = TOKEN_BM * -(-blocks // parts)  # tokens per program
    nb = -(-n // rows)
    dz = torch.empty((n, r), device=x2.device, dtype=torch.float32)
    dx = dxp if need_x else dz  # dx = dx' + dZ Γ Ûᵀ written over dx': each program rewrites only its rows
    part = torch.empty(nb * (2 * r * d + R * R), device=x2.device, dtype=torch.float32)
    dU = torch.empty(d, r, device=U.device, dtype=U.dtype)
    su, sx, sg = U.stride(), x2.stride(0), dxp.stride(0)
    key = ("act", d, r, su, U.dtype, x2.dtype, dxp.dtype, _spec(n), _spec(sx), _spec(sg), _spec(rows),
           _spec(nb), U.data_ptr() % 16 == 0, x2.data_ptr() % 16 == 0, dxp.data_ptr() % 16 == 0)
    _launch(_act_bwd_kernel, nb,
            (dxp, x2, Z, U, small, dx, dz, part, n, d, r, su[0], su[1], sx, sg, rows, nb),
            dict(R=R, BM=TOKEN_BM, BD=64, LOW_DOT=x2.dtype != torch.float32 and not _INTERPRET,
                 NEED_X=need_x), key)
    nprog = _config(d, r)[3]
    _launch(_act_du_kernel, nprog, (part, U, small, dU, d, r, su[0], su[1], nb, nprog),
            dict(R=R, BLOCK_OUT=64), key)
    return dU, (dx if need_x else None)


def _spec(v: int) -> tuple[bool, bool]:
    """How triton specialises an int argument: whether it is 1, and whether it is a multiple of 16."""
    return v == 1, v % 16 == 0
