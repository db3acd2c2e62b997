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

The *LoRA pass* does the same for the LoRA form y = x Wᵀ + b + Z (W Û)ᵀ when x needs no gradient:
``lora_fwd`` (Z, and y += Z At in place, one launch) and ``lora_bwd`` (dZ = dy At ᵀ; partial sums of
Zᵀ dy and dZᵀ x over (token chunk, column block) programs; Q = (Zᵀ dy) W by cuBLAS; dU by
``_act_du_kernel``, whose C-identities hold here too, as dZ = dy W Û = dx' Û). It never forms
dx' = dy W. Measured on the H200 it was not faster than the cuBLAS route it would replace, so the
layer does not use it unless ``hra_kernels.LORA_PASS`` is set (``hra_kernels.lora_pass``).

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
def _act_du_kernel(SP, QP, CP, U, SMALL, DU, D, RR, s_ud, s_ur, NB, NBC, NPROG,
                   R: tl.constexpr, BLOCK_OUT: tl.constexpr):
    # dU from the token kernels' partial sums of S (SP, NB × r × d float32), Q (QP, NB × r × d, any
    # dtype) and C (CP, NBC × R × R float32), each added in a fixed order. Since Z = x Û Γᵀ,
    # S Û = dZᵀ x Û = −(T C)ᵀ with T = Γ⁻¹ negated = ½ I + striu(ÛᵀÛ), and diag(Q Û) = diag(Zᵀ dZ) =
    # diag(C): the reductions over d that _bwd_kernel makes come from the r × r C
    pid = tl.program_id(0)
    rr = tl.arange(0, R)
    cmask = rr < RR
    Gm, gn, n_c = _load_small(SMALL, RR, R)
    C = tl.zeros((R, R), dtype=tl.float32)
    for b in range(0, NBC):
        C += tl.load(CP + b * R * R + rr[:, None] * R + rr[None, :])
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
            sb += tl.load(SP + b * RR * D + o, mask=m, other=0.0)
            qb += tl.load(QP + b * RR * D + o, mask=m, other=0.0).to(tl.float32)
        duh = qb + tl.dot(sb, Gm, input_precision=PREC) + tl.dot(uh, K, input_precision=PREC)
        du = (duh - uh * c[None, :]) / n_c[None, :]
        tl.store(DU + dd[:, None] * RR + rr[None, :], du.to(DU.dtype.element_ty), mask=m)


@triton.jit
def _times_rows_t(A, rows, rmask, s_an, B, D, RR,
                  R: tl.constexpr, BM: tl.constexpr, BD: tl.constexpr, LOW_DOT: tl.constexpr):
    """A[rows] Bᵀ (BM × R, float32 sums) over all of D, for B (RR × D) rows in the compute dtype: x Û
    (B = Ûᵀ) in the LoRA pass's forward, dZ = dy Atᵀ in its backward."""
    rr = tl.arange(0, R)
    cmask = rr < RR
    acc = tl.zeros((BM, R), dtype=tl.float32)
    for d0 in range(0, D, BD):
        dd = d0 + tl.arange(0, BD)
        dm = dd < D
        ab = tl.load(A + rows[:, None] * s_an + dd[None, :], mask=rmask[:, None] & dm[None, :], other=0.0)
        bb = tl.load(B + rr[:, None] * D + dd[None, :], mask=cmask[:, None] & dm[None, :], other=0.0)
        if LOW_DOT:
            acc += tl.dot(ab, tl.trans(bb))
        else:
            acc += tl.dot(ab.to(tl.float32), tl.trans(bb.to(tl.float32)), input_precision=PREC)
    return acc


@triton.jit
def _lora_fwd_kernel(X, Y, UT, AT, SMALL, Z, N, D, DO, RR, s_xn,
                     R: tl.constexpr, BM: tl.constexpr, BD: tl.constexpr, LOW_DOT: tl.constexpr):
    # the LoRA form's adapter, one program per BM tokens: Z = (x Û) Γᵀ (float32, kept for the
    # backward), then y += Z At in place over d_out (y = x Wᵀ + b from cuBLAS; Ûᵀ (r × d_in) and
    # At = Ûᵀ Wᵀ (r × d_out) in the compute dtype)
    pid = tl.program_id(0)
    rr = tl.arange(0, R)
    cmask = rr < RR
    Gm, _, _ = _load_small(SMALL, RR, R)
    rows = pid * BM + tl.arange(0, BM)
    rmask = rows < N
    xu = _times_rows_t(X, rows, rmask, s_xn, UT, D, RR, R, BM, BD, LOW_DOT)
    z = tl.dot(xu, tl.trans(Gm), input_precision="ieee")  # Z = (x Û) Γᵀ
    tl.store(Z + rows[:, None] * RR + rr[None, :], z, mask=rmask[:, None] & cmask[None, :])
    for o0 in range(0, DO, BD):
        oo = o0 + tl.arange(0, BD)
        om = oo < DO
        m2 = rmask[:, None] & om[None, :]
        at = tl.load(AT + rr[:, None] * DO + oo[None, :], mask=cmask[:, None] & om[None, :], other=0.0)
        yb = tl.load(Y + rows[:, None] * DO + oo[None, :], mask=m2, other=0.0)
        if LOW_DOT:
            corr = tl.dot(z.to(at.dtype), at)
        else:
            corr = tl.dot(z, at.to(tl.float32), input_precision=PREC)
        yb = (yb.to(tl.float32) + corr).to(Y.dtype.element_ty)
        tl.store(Y + rows[:, None] * DO + oo[None, :], yb, mask=m2)


@triton.jit
def _lora_dz_kernel(DY, AT, Z, DZ, CP, N, DO, RR, s_yn,
                    R: tl.constexpr, BM: tl.constexpr, BD: tl.constexpr, LOW_DOT: tl.constexpr):
    # LoRA pass backward, 1 of 2, one program per BM tokens: dZ = dy Atᵀ (= dx' Û, without
    # dx' = dy W), and this block's C = Zᵀ dZ (r × r)
    pid = tl.program_id(0)
    rr = tl.arange(0, R)
    cmask = rr < RR
    rows = pid * BM + tl.arange(0, BM)
    rmask = rows < N
    dz = _times_rows_t(DY, rows, rmask, s_yn, AT, DO, RR, R, BM, BD, LOW_DOT)
    zm = rmask[:, None] & cmask[None, :]
    tl.store(DZ + rows[:, None] * RR + rr[None, :], dz, mask=zm)
    z = tl.load(Z + rows[:, None] * RR + rr[None, :], mask=zm, other=0.0)
    cb = tl.dot(tl.trans(z), dz, input_precision="ieee")
    tl.store(CP + pid * R * R + rr[:, None] * R + rr[None, :], cb)


@triton.jit
def _lora_sp_kernel(DY, X, Z, DZ, UT, SMALL, DX, PP, SP, N, D, DO, RR, s_xn, s_yn, s_dn, CHUNK, NBO, NBLK,
                    R: tl.constexpr, BM: tl.constexpr, BD: tl.constexpr, LOW_DOT: tl.constexpr,
                    NEED_X: tl.constexpr):
    # LoRA pass backward, 2 of 2: program (chunk c of CHUNK tokens, column block j) writes chunk c's
    # partial sum of P = Zᵀ dy (r × d_out, blocks j < NBO; Q = P W later, by cuBLAS) or of
    # S = dZᵀ x (r × d_in, the other blocks), and with NEED_X dx = dx' + (dZ Γ) Ûᵀ over dx' = dy W
    pid = tl.program_id(0)
    c = pid // NBLK
    j = pid % NBLK
    rr = tl.arange(0, R)
    cmask = rr < RR
    if j < NBO:
        oo = j * BD + tl.arange(0, BD)
        om = oo < DO
        acc = tl.zeros((R, BD), dtype=tl.float32)
        for s0 in range(0, CHUNK, BM):
            rows = c * CHUNK + s0 + tl.arange(0, BM)
            rmask = rows < N
            zm = rmask[:, None] & cmask[None, :]
            z = tl.load(Z + rows[:, None] * RR + rr[None, :], mask=zm, other=0.0)
            gm = rmask[:, None] & om[None, :]
            gb = tl.load(DY + rows[:, None] * s_yn + oo[None, :], mask=gm, other=0.0)
            if LOW_DOT:
                acc += tl.dot(tl.trans(z).to(gb.dtype), gb)
            else:
                acc += tl.dot(tl.trans(z), gb.to(tl.float32), input_precision=PREC)
        tl.store(PP + c * RR * DO + rr[:, None] * DO + oo[None, :], acc.to(PP.dtype.element_ty),
                 mask=cmask[:, None] & om[None, :])
    else:
        dd = (j - NBO) * BD + tl.arange(0, BD)
        dm = dd < D
        acc = tl.zeros((R, BD), dtype=tl.float32)
        Gm, _, _ = _load_small(SMALL, RR, R)
        ut = tl.load(UT + rr[:, None] * D + dd[None, :], mask=cmask[:, None] & dm[None, :], other=0.0)
        for s0 in range(0, CHUNK, BM):
            rows = c * CHUNK + s0 + tl.arange(0, BM)
            rmask = rows < N
            m2 = rmask[:, None] & dm[None, :]
            zm = rmask[:, None] & cmask[None, :]
            dz = tl.load(DZ + rows[:, None] * RR + rr[None, :], mask=zm, other=0.0)
            xb = tl.load(X + rows[:, None] * s_xn + dd[None, :], mask=m2, other=0.0)
            if LOW_DOT:
                acc += tl.dot(tl.trans(dz).to(xb.dtype), xb)
            else:
                acc += tl.dot(tl.trans(dz), xb.to(tl.float32), input_precision=PREC)
            if NEED_X:
                dzg = tl.dot(dz, Gm, input_precision="ieee")  # dZ Γ: then dx = dx' + (dZ Γ) Ûᵀ
                dxb = tl.load(DX + rows[:, None] * s_dn + dd[None, :], mask=m2, other=0.0).to(tl.float32)
                dxb += tl.dot(dzg, ut.to(tl.float32), input_precision=PREC)
                tl.store(DX + rows[:, None] * s_dn + dd[None, :], dxb.to(DX.dtype.element_ty), mask=m2)
        tl.store(SP + c * RR * D + rr[:, None] * D + dd[None, :], acc, mask=cmask[:, None] & dm[None, :])


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
                 LOW_DOT=_low_dot(x2)), key)
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
            dict(R=R, BM=TOKEN_BM, BD=64, LOW_DOT=_low_dot(x2),
                 NEED_X=need_x), key)
    nprog = _config(d, r)[3]
    # S's, Q's and C's partial sums: views of one allocation (the key says whether they are aligned)
    sp, qp, cp = part[: nb * r * d], part[nb * r * d: 2 * nb * r * d], part[2 * nb * r * d:]
    _launch(_act_du_kernel, nprog, (sp, qp, cp, U, small, dU, d, r, su[0], su[1], nb, nb, nprog),
            dict(R=R, BLOCK_OUT=64), key + (qp.data_ptr() % 16 == 0, cp.data_ptr() % 16 == 0))
    return dU, (dx if need_x else None)


def _low_dot(x: torch.Tensor) -> bool:
    """Products on half-precision tensor cores (float32 sums); float32 IEEE products otherwise, and
    under Triton's CPU interpreter, which has no half-precision dot."""
    return x.dtype != torch.float32 and not _INTERPRET


def _spec(v: int) -> tuple[bool, bool]:
    """How triton specialises an int argument: whether it is 1, and whether it is a multiple of 16."""
    return v == 1, v % 16 == 0


# LoRA pass tiles: (tokens per program, columns per step, warps) forward and for dZ; for the partial
# sums also the programs wanted (the tokens are cut into as many chunks as fill about that many).
# The fastest of 7 settings each on the H200 at d = 4096 (r = 8, 32) and d = 8192 (r = 8), 8192
# tokens: the same three won in all three (benchmarks/RESULTS.md, issue 10, session 6)
LORA_FWD = (16, 256, 4)
LORA_DZ = (64, 256, 8)
LORA_SP = (64, 128, 4, 528)


def _cap(bd: int, d: int, r: int, x: torch.Tensor) -> int:
    """Columns per step, at most what keeps an (R × columns) tile within 16 KiB: the pipelined loops
    hold several such tiles in shared memory (228 KiB on the H200), which float32 at r = 64 overran."""
    return min(bd, max(32, 16384 // (_config(d, r)[0] * x.element_size())))


def lora_fwd(x2: torch.Tensor, y: torch.Tensor, Ut: torch.Tensor, At: torch.Tensor, saved) -> torch.Tensor:
    """y += Z At in place (y = x Wᵀ + b; Ûᵀ (r × d_in) and At = Ûᵀ Wᵀ (r × d_out) in the compute dtype,
    from ``hra_triton.fwd``) and Z = x Û Γᵀ (N × r, float32) returned: one launch over the tokens."""
    U, small = saved
    n, d = x2.shape
    r, do = U.shape[1], y.shape[1]
    Z = torch.empty((n, r), device=x2.device, dtype=torch.float32)
    sx = x2.stride(0)
    bm, bd, warps = LORA_FWD
    bd = _cap(bd, d, r, x2)
    key = ("lora", d, do, r, x2.dtype, Ut.dtype, _spec(n), _spec(sx), x2.data_ptr() % 16 == 0,
           y.data_ptr() % 16 == 0, Ut.data_ptr() % 16 == 0, At.data_ptr() % 16 == 0)
    _launch(_lora_fwd_kernel, -(-n // bm), (x2, y, Ut, At, small, Z, n, d, do, r, sx),
            dict(R=_config(d, r)[0], BM=bm, BD=bd, LOW_DOT=_low_dot(x2)), key, dict(num_warps=warps))
    return Z


def lora_bwd(dy: torch.Tensor, x2: torch.Tensor, Z: torch.Tensor, Ut: torch.Tensor, At: torch.Tensor,
             W: torch.Tensor, saved, dxp: torch.Tensor | None):
    """(dU, dx or None) for the LoRA form from dy, without dx' = dy W where x needs no gradient: dZ
    over the tokens (``_lora_dz_kernel``), partial sums of Zᵀ dy and dZᵀ x over (token chunk, column
    block) programs (``_lora_sp_kernel``), Q = (Zᵀ dy) W per chunk (cuBLAS), and ``_act_du_kernel``.
    Where x needs a gradient, dxp = dy W is given and dx is written over it."""
    U, small = saved
    n, d = x2.shape
    r, do = U.shape[1], dy.shape[1]
    R = _config(d, r)[0]
    dy = dy.contiguous()
    need_x = dxp is not None
    bm1, bd1, w1 = LORA_DZ
    bm2, bd2, w2, want = LORA_SP
    bd1, bd2 = _cap(bd1, d, r, x2), _cap(bd2, d, r, x2)
    nb1 = -(-n // bm1)
    nbo, nbi = -(-do // bd2), -(-d // bd2)
    blocks = -(-n // bm2)
    nch = max(1, min(blocks, want // (nbo + nbi)))  # token chunks
    chunk = bm2 * -(-blocks // nch)
    nch = -(-n // chunk)
    buf = torch.empty(n * r + nb1 * R * R + nch * r * d, device=x2.device, dtype=torch.float32)
    dz, cp, sp = buf[: n * r], buf[n * r: n * r + nb1 * R * R], buf[n * r + nb1 * R * R:]
    pp = torch.empty((nch * r, do), device=x2.device, dtype=W.dtype)
    dx = dxp if need_x else dz
    sx, sy, sd = x2.stride(0), dy.stride(0), dx.stride(0)
    aligned = cp.data_ptr() % 16 == 0, sp.data_ptr() % 16 == 0  # dz, cp and sp: views of one allocation
    key = ("lora", d, do, r, x2.dtype, dy.dtype, Ut.dtype, dx.dtype, W.dtype, _spec(n), _spec(sx),
           _spec(sy), _spec(sd), _spec(chunk), _spec(nch), _spec(nb1), x2.data_ptr() % 16 == 0,
           dy.data_ptr() % 16 == 0,
           dx.data_ptr() % 16 == 0, Ut.data_ptr() % 16 == 0, At.data_ptr() % 16 == 0, aligned)
    _launch(_lora_dz_kernel, nb1, (dy, At, Z, dz, cp, n, do, r, sy),
            dict(R=R, BM=bm1, BD=bd1, LOW_DOT=_low_dot(x2)), key, dict(num_warps=w1))
    _launch(_lora_sp_kernel, nch * (nbo + nbi),
            (dy, x2, Z, dz, Ut, small, dx, pp, sp, n, d, do, r, sx, sy, sd, chunk, nbo, nbo + nbi),
            dict(R=R, BM=bm2, BD=bd2, LOW_DOT=_low_dot(x2), NEED_X=need_x), key, dict(num_warps=w2))
    qp = torch.mm(pp, W)  # (chunks · r, d_in): each chunk's Q = (Zᵀ dy) W, added up in _act_du_kernel
    dU = torch.empty(d, r, device=U.device, dtype=U.dtype)
    nprog = _config(d, r)[3]
    su = U.stride()
    _launch(_act_du_kernel, nprog, (sp, qp, cp, U, small, dU, d, r, su[0], su[1], nch, nb1, nprog),
            dict(R=R, BLOCK_OUT=64), key + (su, U.dtype, U.data_ptr() % 16 == 0))
    return dU, (dx if need_x else None)
