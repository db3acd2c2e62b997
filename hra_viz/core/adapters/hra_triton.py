"""Fused Triton kernels for the r × r part of the HRA layer (see ``hra_kernels`` for the maths).

One launch forward, one backward. Each program first reduces over all of d (ÛᵀÛ forward; S Û and
diag(Q Û) backward), does the r × r algebra in registers (Γ by recursive block inversion in float32,
2·log2 R dots), then writes its share of the d columns. With the frozen W given (the layer's LoRA
form, d ≤ 2048) the forward also writes At = Ûᵀ Wᵀ and the backward forms Q = (Zᵀ dy) W block by
block, so W is read once per launch and the step needs no separate GEMM for either. Below
``SPLIT_MIN_D`` every program repeats the reduction, one serial loop over d; from it on the
reduction runs split over programs, as partial sums added in a fixed order (one more launch).

The token pass, the whole adapter of the activation form over the tokens, is in ``hra_token``.

Layouts: U (d, r) with any strides; Ûᵀ, Mᵀ (r, d) rows out, S, Q (r, d) rows in, dU (d, r) out.
Importing this module fails where triton is missing; ``hra_kernels`` then uses the torch path.
"""

from __future__ import annotations

import functools
import os

import torch
import triton
import triton.language as tl

AVAILABLE = True
# Triton's CPU interpreter (TRITON_INTERPRET=1, for checking the kernels without a GPU) has no
# half-precision dot: there the W products run in float32.
_INTERPRET = os.environ.get("TRITON_INTERPRET") == "1"
# IEEE float32 products. (tf32x3 with 256-row tiles, ≤ 16 programs and 4 warps measured 2-3× slower on
# the H200: 90 / 245 µs forward / backward at d = 4096, r = 8, against 38 / 81 µs for this setting.)
PREC: tl.constexpr = tl.constexpr("ieee")


@triton.jit
def _gram(U, D, RR, s_ud, s_ur, R: tl.constexpr, BLOCK_RED: tl.constexpr):
    """UᵀU (R × R float32, zero outside r × r) over all of d, in one program: a serial loop."""
    rr = tl.arange(0, R)
    cmask = rr < RR
    gram = tl.zeros((R, R), dtype=tl.float32)
    for d0 in range(0, D, BLOCK_RED):
        dd = d0 + tl.arange(0, BLOCK_RED)
        m = (dd[:, None] < D) & cmask[None, :]
        u = tl.load(U + dd[:, None] * s_ud + rr[None, :] * s_ur, mask=m, other=0.0).to(tl.float32)
        gram += tl.dot(tl.trans(u), u, input_precision=PREC)
    return gram


@triton.jit
def _factors(gram, RR, R: tl.constexpr, LOG_R: tl.constexpr):
    """(Γ, ÛᵀÛ, ‖u‖ as rows, ‖u‖ as columns) from UᵀU, all float32 in registers."""
    rr = tl.arange(0, R)
    cmask = rr < RR
    eye = rr[:, None] == rr[None, :]
    n_r = tl.where(cmask, tl.sqrt(tl.sum(tl.where(eye, gram, 0.0), axis=1)), 1.0)
    n_c = tl.where(cmask, tl.sqrt(tl.sum(tl.where(eye, gram, 0.0), axis=0)), 1.0)
    gn = gram / (n_r[:, None] * n_c[None, :])  # ÛᵀÛ
    Ts = tl.where(rr[:, None] < rr[None, :], gn, 0.0)  # striu(ÛᵀÛ)
    # X = T⁻¹, T = ½I + Ts, by recursive block inversion in log2(R) levels of two dots each (as
    # accurate as back substitution, which took R dependent steps): X starts as the inverse of T's
    # 1 × 1 diagonal blocks; a level joins pairs of b × b blocks, [[A, B], [0, C]]⁻¹ =
    # [[A⁻¹, −A⁻¹ B C⁻¹], [0, C⁻¹]], i.e. X ← X − X E X with E = the B blocks of T.
    X = tl.where(eye, 2.0, 0.0)
    for level in tl.static_range(LOG_R):
        b = 1 << level
        E = tl.where(((rr[:, None] // (2 * b)) == (rr[None, :] // (2 * b)))
                     & ((rr[:, None] // b) != (rr[None, :] // b)), Ts, 0.0)
        X = X - tl.dot(tl.dot(X, E, input_precision="ieee"), X, input_precision="ieee")
    Gm = tl.where(cmask[:, None] & cmask[None, :], -X, 0.0)  # Γ, zero outside r × r
    return Gm, gn, n_r, n_c


@triton.jit
def _save_small(SMALL, Gm, gn, n_r, RR, R: tl.constexpr):
    """SMALL = [Γ (RR²), ÛᵀÛ (RR²), ‖u_i‖ (RR)] float32: what the backward kernels read back."""
    rr = tl.arange(0, R)
    cmask = rr < RR
    mm = cmask[:, None] & cmask[None, :]
    oo = rr[:, None] * RR + rr[None, :]
    tl.store(SMALL + oo, Gm, mask=mm)
    tl.store(SMALL + RR * RR + oo, gn, mask=mm)
    tl.store(SMALL + 2 * RR * RR + rr, n_r, mask=cmask)


@triton.jit
def _load_small(SMALL, RR, R: tl.constexpr):
    """(Γ, ÛᵀÛ, ‖u‖ as columns) from what ``_save_small`` wrote, zero (norms: one) outside r × r."""
    rr = tl.arange(0, R)
    cmask = rr < RR
    mm = cmask[:, None] & cmask[None, :]
    oo = rr[:, None] * RR + rr[None, :]
    Gm = tl.load(SMALL + oo, mask=mm, other=0.0)
    gn = tl.load(SMALL + RR * RR + oo, mask=mm, other=0.0)
    n_c = tl.load(SMALL + 2 * RR * RR + rr, mask=cmask, other=1.0)
    return Gm, gn, n_c


@triton.jit
def _gram_part_kernel(U, PART, D, RR, s_ud, s_ur, CHUNK, R: tl.constexpr, BLOCK_RED: tl.constexpr):
    # PART[pid] (R × R float32) = UᵀU over this program's CHUNK rows of d (the split reduction)
    pid = tl.program_id(0)
    rr = tl.arange(0, R)
    cmask = rr < RR
    gram = tl.zeros((R, R), dtype=tl.float32)
    for d0 in range(0, CHUNK, BLOCK_RED):
        dd = pid * CHUNK + d0 + tl.arange(0, BLOCK_RED)
        m = (dd[:, None] < D) & cmask[None, :]
        u = tl.load(U + dd[:, None] * s_ud + rr[None, :] * s_ur, mask=m, other=0.0).to(tl.float32)
        gram += tl.dot(tl.trans(u), u, input_precision=PREC)
    tl.store(PART + pid * R * R + rr[:, None] * R + rr[None, :], gram)


@triton.jit
def _bwd_part_kernel(S, Q, U, PART, D, RR, s_ud, s_ur, CHUNK, R: tl.constexpr, BLOCK_RED: tl.constexpr):
    # PART[pid] = [S U (R × R), rowsum(Q ⊙ Uᵀ) (R)] over this program's CHUNK rows of d, U unnormalised
    # (the backward kernel divides by ‖u_j‖ once the partials are summed)
    pid = tl.program_id(0)
    rr = tl.arange(0, R)
    cmask = rr < RR
    B1 = tl.zeros((R, R), dtype=tl.float32)
    cQ = tl.zeros((R,), dtype=tl.float32)
    for d0 in range(0, CHUNK, BLOCK_RED):
        dd = pid * CHUNK + d0 + tl.arange(0, BLOCK_RED)
        m = (dd[:, None] < D) & cmask[None, :]
        o = rr[None, :] * D + dd[:, None]
        u = tl.load(U + dd[:, None] * s_ud + rr[None, :] * s_ur, mask=m, other=0.0).to(tl.float32)
        sb = tl.load(S + o, mask=m, other=0.0).to(tl.float32)
        B1 += tl.dot(tl.trans(sb), u, input_precision=PREC)
        qb = tl.load(Q + o, mask=m, other=0.0).to(tl.float32)
        cQ += tl.sum(qb * u, axis=0)
    base = PART + pid * (R * R + R)
    tl.store(base + rr[:, None] * R + rr[None, :], B1)
    tl.store(base + R * R + rr, cQ)


@triton.jit
def _fwd_kernel(U, OUT, SMALL, W, AT, D, RR, s_ud, s_ur, NPROG, D_OUT, s_wo, s_wi, PART, NPARTS,
                R: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_OUT: tl.constexpr, HAS_W: tl.constexpr,
                LOW_DOT: tl.constexpr, LOG_R: tl.constexpr, BLOCK_RED: tl.constexpr, PARTED: tl.constexpr):
    # OUT: (2, RR, D) = [Ûᵀ; Mᵀ] in the compute dtype; SMALL: [Γ (RR²), ÛᵀÛ (RR²), ‖u_i‖ (RR)] float32
    pid = tl.program_id(0)
    rr = tl.arange(0, R)
    cmask = rr < RR
    if PARTED:  # UᵀU = the sum of _gram_part_kernel's partials, in a fixed order (deterministic)
        gram = tl.zeros((R, R), dtype=tl.float32)
        for p in range(0, NPARTS):
            gram += tl.load(PART + p * R * R + rr[:, None] * R + rr[None, :])
    else:
        gram = _gram(U, D, RR, s_ud, s_ur, R, BLOCK_RED)
    Gm, gn, n_r, n_c = _factors(gram, RR, R, LOG_R)
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
    if HAS_W:  # At = Ûᵀ Wᵀ (r × d_out) for this program's blocks of d_out: W is read once in all
        for start in range(pid * BLOCK_OUT, D_OUT, NPROG * BLOCK_OUT):
            oc = start + tl.arange(0, BLOCK_OUT)
            acc = tl.zeros((R, BLOCK_OUT), dtype=tl.float32)
            for k0 in range(0, D, BLOCK_D):
                kk = k0 + tl.arange(0, BLOCK_D)
                m = (kk[:, None] < D) & cmask[None, :]
                u = tl.load(U + kk[:, None] * s_ud + rr[None, :] * s_ur, mask=m, other=0.0).to(tl.float32)
                uh = tl.trans(u / n_c[None, :])  # (R, BLOCK_D)
                wm = (kk[:, None] < D) & (oc[None, :] < D_OUT)
                w = tl.load(W + oc[None, :] * s_wo + kk[:, None] * s_wi, mask=wm, other=0.0)  # Wᵀ block
                if LOW_DOT:  # Û rounded to the compute dtype, as the torch route's product A Wᵀ
                    acc += tl.dot(uh.to(w.dtype), w)
                else:
                    acc += tl.dot(uh, w.to(tl.float32), input_precision=PREC)
            am = cmask[:, None] & (oc[None, :] < D_OUT)
            tl.store(AT + rr[:, None] * D_OUT + oc[None, :], acc.to(AT.dtype.element_ty), mask=am)
    if pid == 0:
        _save_small(SMALL, Gm, gn, n_r, RR, R)


@triton.jit
def _bwd_kernel(S, Q, U, SMALL, DU, D, RR, s_ud, s_ur, NPROG, ZD, W, AT, D_OUT, s_wo, s_wi, PART, NPARTS,
                R: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_OUT: tl.constexpr, HAS_W: tl.constexpr,
                LOW_DOT: tl.constexpr, BLOCK_RED: tl.constexpr, PARTED: tl.constexpr):
    pid = tl.program_id(0)
    rr = tl.arange(0, R)
    cmask = rr < RR
    Gm, gn, n_c = _load_small(SMALL, RR, R)
    # B1 = S Û (r × r) and cQ = rowsum(Q ⊙ Ûᵀ), over all of d
    B1 = tl.zeros((R, R), dtype=tl.float32)
    cQ = tl.zeros((R,), dtype=tl.float32)
    if PARTED:  # the sum of _bwd_part_kernel's partials (of S U and Q ⊙ Uᵀ), in a fixed order
        for p in range(0, NPARTS):
            base = PART + p * (R * R + R)
            B1 += tl.load(base + rr[:, None] * R + rr[None, :])
            cQ += tl.load(base + R * R + rr)
        B1 = B1 / n_c[None, :]
        cQ = cQ / n_c
    else:
        for d0 in range(0, D, BLOCK_RED):
            dd = d0 + tl.arange(0, BLOCK_RED)
            m = (dd[:, None] < D) & cmask[None, :]
            o = rr[None, :] * D + dd[:, None]
            uh = tl.load(U + dd[:, None] * s_ud + rr[None, :] * s_ur, mask=m, other=0.0).to(tl.float32)
            uh = uh / n_c[None, :]
            sb = tl.load(S + o, mask=m, other=0.0).to(tl.float32)  # Sᵀ block (d rows × r)
            B1 += tl.dot(tl.trans(sb), uh, input_precision=PREC)
            if not HAS_W:
                qb = tl.load(Q + o, mask=m, other=0.0).to(tl.float32)
                cQ += tl.sum(qb * uh, axis=0)
    if HAS_W:  # diag(Q Û) = diag(ZD W Û) = rowsum(ZD ⊙ At), over d_out
        for o0 in range(0, D_OUT, BLOCK_RED):
            oc = o0 + tl.arange(0, BLOCK_RED)
            m = (oc[:, None] < D_OUT) & cmask[None, :]
            o = rr[None, :] * D_OUT + oc[:, None]
            zd = tl.load(ZD + o, mask=m, other=0.0).to(tl.float32)
            at = tl.load(AT + o, mask=m, other=0.0).to(tl.float32)
            cQ += tl.sum(zd * at, axis=0)
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
        if HAS_W:  # Qᵀ rows of this block = W[:, block]ᵀ ZDᵀ, over d_out: W is read once in all
            qb = tl.zeros((BLOCK_OUT, R), dtype=tl.float32)
            for o0 in range(0, D_OUT, BLOCK_D):
                oc = o0 + tl.arange(0, BLOCK_D)
                wm = (dd[:, None] < D) & (oc[None, :] < D_OUT)
                w = tl.load(W + oc[None, :] * s_wo + dd[:, None] * s_wi, mask=wm, other=0.0)
                zm = (oc[:, None] < D_OUT) & cmask[None, :]
                zd = tl.load(ZD + rr[None, :] * D_OUT + oc[:, None], mask=zm, other=0.0)
                if LOW_DOT:  # half-precision tensor cores, float32 sums
                    qb += tl.dot(w, zd)
                else:
                    qb += tl.dot(w.to(tl.float32), zd.to(tl.float32), input_precision=PREC)
        else:
            qb = tl.load(Q + o, mask=m, other=0.0).to(tl.float32)
        # dÛ (d rows) = Q + S Γ... in rows of d: (Γᵀ S)ᵀ = Sᵀ Γ, and (K Ûᵀ)ᵀ = Û K
        duh = qb + tl.dot(sb, Gm, input_precision=PREC) + tl.dot(uh, K, input_precision=PREC)
        du = (duh - uh * c[None, :]) / n_c[None, :]
        tl.store(DU + dd[:, None] * RR + rr[None, :], du.to(DU.dtype.element_ty), mask=m)


_FAST: dict = {}  # (kernel, specialisation) → the compiled kernel, launched without the JIT's binding
FAST_LAUNCH = os.environ.get("HRA_VIZ_TRITON_FAST", "1") != "0"  # 0: triton's JIT launcher every call


def _lean(k):
    """``launch(nprog, stream, enter, exit, *args)`` for a compiled kernel: the call ``k[grid](*args)``
    ends in, with what it looks up on every launch fetched once (or None where this triton's
    CompiledKernel lacks them: then ``k[grid]``).

    That call is ``k.run(gx, gy, gz, stream, function, packed_metadata, launch_metadata, enter, exit,
    *args)``; ``k.run`` (triton 3.5/3.6's ``CudaLauncher``) allocates the global and profile scratch
    and calls its C ``launch``. The kernels here need no scratch, so the C function is called directly
    when the launcher says both sizes are 0."""
    try:
        k._init_handles()
        run, function, packed = k.run, k.function, k.packed_metadata
    except Exception:  # noqa: BLE001 - another triton: launch through k[grid]
        return None
    c_launch = getattr(run, "launch", None)
    if (c_launch is not None and getattr(run, "global_scratch_size", 1) == 0
            and getattr(run, "profile_scratch_size", 1) == 0 and hasattr(run, "launch_pdl")):
        coop, pdl = run.launch_cooperative_grid, run.launch_pdl

        def launch(nprog, stream, enter, leave, *args):
            c_launch(nprog, 1, 1, stream, function, coop, pdl, None, None, packed, None, enter, leave, *args)
    else:
        def launch(nprog, stream, enter, leave, *args):
            run(nprog, 1, 1, stream, function, packed, None, enter, leave, *args)
    return launch


def _hooks() -> tuple:
    """(enter, exit) launch hooks as triton passes them to its launcher: None in older tritons, a
    ``HookChain`` (empty unless a profiler such as proton registered one) from triton 3.5 on."""
    rt = getattr(getattr(triton, "knobs", None), "runtime", None)
    if rt is not None:
        return rt.launch_enter_hook, rt.launch_exit_hook
    from triton.compiler.compiler import CompiledKernel

    return (getattr(CompiledKernel, "launch_enter_hook", None),
            getattr(CompiledKernel, "launch_exit_hook", None))


def _hooks_set(enter) -> bool:
    """A launch hook is installed: launch through k[grid], which builds the metadata it is given."""
    return enter is not None and bool(getattr(enter, "calls", True))


_raw_stream = getattr(torch._C, "_cuda_getCurrentRawStream", None)


def _launch(kernel, nprog: int, args: tuple, consts: dict, key: tuple, opts: dict | None = None) -> None:
    """``kernel[(nprog,)](*args, **consts)``; repeated calls with the same ``key`` call the compiled
    kernel's C launcher directly, with the raw current stream. In an eager GPU step the JIT's per-call
    argument binding and ``CompiledKernel.__getitem__`` cost as much host time as an ATen op each: this
    is the layer's launch-bound regime. ``opts``: triton's compile options (``num_warps``,
    ``num_stages``), given to the compiling call only.

    ``key`` must determine everything triton specialises the kernel on (every tensor's dtype and
    16-byte alignment, every int's being 1 or a multiple of 16): the callers pass the ints
    themselves, the dtypes, and the alignment of the tensors they did not allocate (fresh CUDA
    allocations are always aligned)."""
    opts = opts or {}
    if not FAST_LAUNCH:
        kernel[(nprog,)](*args, **consts, **opts)
        return
    cv = tuple(consts.values())
    key = (kernel, key, cv, tuple(opts.items()))
    ent = _FAST.get(key)
    if ent is None:
        k = kernel[(nprog,)](*args, **consts, **opts)  # compiles once, and returns the compiled kernel
        if hasattr(k, "__getitem__"):
            _FAST[key] = (k, _lean(k))
        return
    k, lean = ent
    dev = args[0].get_device()
    stream = _raw_stream(dev) if _raw_stream is not None else torch.cuda.current_stream(dev).cuda_stream
    enter, leave = _hooks()
    if lean is not None and not _hooks_set(enter):
        lean(nprog, stream, enter, leave, *args, *cv)
    else:
        k[(nprog, 1, 1)](*args, *cv, stream=stream)


@functools.lru_cache(maxsize=256)
def _config(d: int, r: int, d_out: int = 0):
    """(padded r, rows per product step, rows per program, programs, log2 R, rows per reduction
    step): one program per 64 rows; the reductions over all of d (which every program repeats) take
    up to 256 rows a step, as many as a (rows × R) float32 tile of 4096 values allows. Plain Python,
    cached: on the H200's host ``triton.cdiv`` and ``triton.next_power_of_2`` went through triton's JIT
    dispatch, ~36 µs a ``_config`` call (cProfile in benchmarks/host_costs.py)."""
    R = max(16, _pow2(r))
    red = min(max(64, 4096 // R), max(64, _pow2(max(d, d_out))))
    return R, 64, 64, -(-max(d, d_out) // 64), R.bit_length() - 1, red


SPLIT_MIN_D = 4096  # from this d on, the reductions over d run split over programs (two launches each way)
SPLIT_CHUNK = 256  # rows of d per partial-sum program


def _parts(d: int) -> int:
    """How many partial sums the reductions over d are split into (0: each program reduces all of d).

    Every program of the one-launch kernels repeats the whole reduction, a serial loop over d: at
    d = 4096 that made the kernels cost the GPU 40-50 µs forward and 70-110 µs backward (H200), on the
    critical path of a step that is bound by the GPU there. Split, the partial sums run in parallel
    (``_gram_part_kernel``, ``_bwd_part_kernel``, one program per ``SPLIT_CHUNK`` rows) and the main
    kernel adds them up in a fixed order, so the result stays deterministic; the price is one more
    launch each way, which is why smaller d keep the single launch."""
    return -(-d // SPLIT_CHUNK) if d >= SPLIT_MIN_D else 0


def _pow2(n: int) -> int:
    return 1 << max(n - 1, 0).bit_length()


def fwd(U: torch.Tensor, cdt: torch.dtype, W: torch.Tensor | None = None, bufs: dict | None = None):
    """(Ûᵀ, Mᵀ) (r, d) in ``cdt``, At = Ûᵀ Wᵀ (r, d_out) when W is given (else None), and the saved
    (U, [Γ, ÛᵀÛ, ‖u‖]): one launch (two from ``SPLIT_MIN_D`` on, see ``_parts``).

    ``bufs`` (W None only): ``out``, ``small`` and ``part`` preallocated by ``fwd_buffers``, written in
    place, so that nothing is allocated (the route replayed from a CUDA graph, ``hra_graphs``)."""
    d, r = U.shape
    if bufs is not None:
        out, small = bufs["out"], bufs["small"]
    else:
        out = torch.empty((2, r, d), device=U.device, dtype=cdt)
        small = torch.empty(2 * r * r + r, device=U.device, dtype=torch.float32)
    d_out = 0 if W is None else W.shape[0]
    At = None if W is None else torch.empty((r, d_out), device=U.device, dtype=cdt)
    R, bd, bo, nprog, log_r, red = _config(d, r, d_out)
    su, sw = U.stride(), ((0, 0) if W is None else W.stride())
    key = (d, r, d_out, su, sw, U.dtype, cdt, None if W is None else (W.dtype, W.data_ptr() % 16 == 0),
           U.data_ptr() % 16 == 0)
    parts = _parts(d) if W is None else 0
    part = small
    if parts:
        part = bufs["part"] if bufs is not None else torch.empty(parts * R * R, device=U.device,
                                                                  dtype=torch.float32)
        _launch(_gram_part_kernel, parts, (U, part, d, r, su[0], su[1], SPLIT_CHUNK),
                dict(R=R, BLOCK_RED=min(red, SPLIT_CHUNK)), key)
    _launch(_fwd_kernel, nprog,
            (U, out, small, out if W is None else W, out if At is None else At,
             d, r, su[0], su[1], nprog, d_out, sw[0], sw[1], part, parts),
            dict(R=R, BLOCK_D=bd, BLOCK_OUT=bo, HAS_W=W is not None,
                 LOW_DOT=cdt != torch.float32 and not _INTERPRET, LOG_R=log_r, BLOCK_RED=red,
                 PARTED=parts > 0), key)
    Ut, Mt = out.unbind(0)
    return Ut, Mt, At, (U, small)


def gamma(saved) -> torch.Tensor:
    r = saved[0].shape[1]
    return saved[1][: r * r].view(r, r)


def bwd(saved, S: torch.Tensor, Q: torch.Tensor | None, ZD=None, W=None, At=None, bufs: dict | None = None
        ) -> torch.Tensor:
    """dU (d, r) in U's dtype: one launch (two from ``SPLIT_MIN_D`` on, see ``_parts``). The rest of
    ∂L/∂Ûᵀ is Q, or Q = ZD W (ZD (r, d_out), W the frozen weight, At = Ûᵀ Wᵀ from the forward), formed
    inside the kernel. ``bufs`` (Q given): ``dU`` and ``bpart`` preallocated (``bwd_buffers``)."""
    U, small = saved
    d, r = U.shape
    dU = bufs["dU"] if bufs is not None else torch.empty(d, r, device=U.device, dtype=U.dtype)
    S = S.contiguous()
    has_w = W is not None
    d_out = W.shape[0] if has_w else 0
    R, bd, bo, nprog, _, _ = _config(d, r)  # one program per 64 rows of dU
    red = _config(d, r, d_out)[5]  # the reductions run over d and d_out
    if has_w:
        ZD, At = ZD.contiguous(), At.contiguous()
    else:
        Q = Q.contiguous()
    su, sw = U.stride(), (W.stride() if has_w else (0, 0))
    # S, Q, ZD, At: products made in this step (fresh, aligned) or their contiguous copies
    key = (d, r, d_out, su, sw, U.dtype, S.dtype, (S if has_w else Q).dtype,
           (W.dtype, W.data_ptr() % 16 == 0, ZD.dtype, At.dtype) if has_w else None, U.data_ptr() % 16 == 0,
           (S if has_w else Q).data_ptr() % 16 == 0, S.data_ptr() % 16 == 0)
    parts = 0 if has_w else _parts(d)  # (the fused W route reduces over d_out inside: d ≤ 2048 there)
    part = small
    if parts:
        part = bufs["bpart"] if bufs is not None else torch.empty(parts * (R * R + R), device=U.device,
                                                                   dtype=torch.float32)
        _launch(_bwd_part_kernel, parts, (S, Q, U, part, d, r, su[0], su[1], SPLIT_CHUNK),
                dict(R=R, BLOCK_RED=min(red, SPLIT_CHUNK)), key)
    _launch(_bwd_kernel, nprog,
            (S, S if has_w else Q, U, small, dU, d, r, su[0], su[1], nprog,
             ZD if has_w else S, W if has_w else S, At if has_w else S, d_out, sw[0], sw[1], part, parts),
            dict(R=R, BLOCK_D=bd, BLOCK_OUT=bo, HAS_W=has_w,
                 LOW_DOT=S.dtype != torch.float32 and not _INTERPRET, BLOCK_RED=red, PARTED=parts > 0), key)
    return dU


def fwd_buffers(U: torch.Tensor, cdt: torch.dtype) -> dict:
    """What ``fwd(U, cdt, None, bufs)`` writes: allocated once, outside any CUDA graph capture."""
    d, r = U.shape
    R, parts = _config(d, r)[0], _parts(d)
    f32 = dict(device=U.device, dtype=torch.float32)
    return {"out": torch.empty((2, r, d), device=U.device, dtype=cdt),
            "small": torch.empty(2 * r * r + r, **f32), "part": torch.empty(max(parts, 1) * R * R, **f32)}


def bwd_buffers(U: torch.Tensor) -> dict:
    """What ``bwd(saved, S, Q, bufs=…)`` writes (``dU``, ``bpart``)."""
    d, r = U.shape
    R, parts = _config(d, r)[0], _parts(d)
    return {"dU": torch.empty(d, r, device=U.device, dtype=U.dtype),
            "bpart": torch.empty(max(parts, 1) * (R * R + R), device=U.device, dtype=torch.float32)}
