"""The LoRA form's r × r work replayed from CUDA graphs: one launch each way instead of three or four.

Where the HRA layer runs its big products on cuBLAS (d_in or d_out above ``TOKEN_PASS_MAX_D``) and x
needs no gradient (from d = 4096 on, in both regimes: ``hra_kernels.gemm_accum``), it takes the LoRA
form, y = x Wᵀ + b + Z (W Û)ᵀ, and an eager step issues, besides the products with the tokens, the r × r
kernels (two launches each way from d = 4096 on: the split reductions), their output allocations, At =
Ûᵀ Wᵀ forward and Q = (Zᵀ dy) W backward. None of that depends on the tokens: forward it reads U and the
frozen W, backward U, the saved Γ, Zᵀ dy and S. So each half is captured once per (U, W, dtype) in a
CUDA graph over buffers allocated once, and replayed: one launch where the host queued three or four
kernels. That is what such a step costs: the frozen product is one GEMM with no backward, and the rest
of the step waits for the host. On the H200 a d = 4096 layer went from 1.26 to 1.00 × PEFT LoRA
(benchmarks/RESULTS.md, issue 10, session 9).

The activation form (x needs a gradient, below d = 4096) keeps its launches: its backward's dx' = dy W
gives the host time to queue them, and there the graphs measured 2-4 % slower on 12-layer stacks (same
session). The results are the same kernels' on the same inputs, bit for bit
(tests/test_factor_graphs.py, on the GPU).

Why the static buffers are safe:

* Forward: Ûᵀ, Mᵀ, Γ and At are functions of U and W alone, so a second forward before the backward
  writes the same values again (without bumping the version counters of the saved buffers). U is
  saved for the backward: if it changes in place between a forward and its backward, autograd's
  version check raises, as on every route.
* Backward: S and Zᵀ dy are written into the entry's inputs just before the replay, on the same
  stream, and dU is copied out before it is returned, so gradients accumulate, and the tensors
  ``torch.autograd.grad`` returns stay the caller's.
* Inside an enclosing capture (the live page's whole-step graph, torch.compile's cudagraphs) nothing
  here runs: the layer's kernels are captured as they are. Nor where W is a cast made for the call
  (autocast over a float32 model): its address changes every call.
* Each half first runs once uncaptured on the entry's buffers, on the capture stream, so that Triton
  compiles and cuBLAS has its workspace before any capture. A capture that fails turns the graphs
  off for the process with one warning, and the call runs uncaptured.
* Entries live as long as their U (a ``weakref.finalize``), at most ``MAX_PER_U`` each.

Two threads driving one layer at once would share its buffers; that is not supported.
``HRA_VIZ_FACTOR_GRAPHS=0`` (or ``ENABLED = False``) turns this off.
"""

from __future__ import annotations

import os
import warnings
import weakref

import torch

from . import hra_triton as T

__all__ = ["ENABLED", "fwd", "bwd", "FactorGraphWarning"]

ENABLED = os.environ.get("HRA_VIZ_FACTOR_GRAPHS", "1") != "0"
MAX_PER_U = 8  # entries per U: one per (W, dtype) it has been called with
_CACHE: dict[int, dict] = {}  # id(U) → {key: _Entry}
_SIDE: dict[int, torch.cuda.Stream] = {}  # device index → the stream captures and warm-ups run on


class FactorGraphWarning(RuntimeWarning):
    """Capturing the r × r kernels in a CUDA graph failed; the layer launches them one by one."""


class _Entry:
    """The buffers and the two graphs of one (U, W, dtype)."""

    __slots__ = ("fb", "bb", "Ut", "Mt", "At", "At_w", "S", "Qa", "Q", "graphs", "warm")

    def __init__(self, U: torch.Tensor, W: torch.Tensor, cdt: torch.dtype):
        d, r = U.shape
        dev = U.device
        self.fb, self.bb = T.fwd_buffers(U, cdt), T.bwd_buffers(U)
        self.Ut, self.Mt = self.fb["out"].unbind(0)
        self.At = torch.empty(r, W.shape[0], device=dev, dtype=cdt)
        # written through ``.data``, an alias with its own version counter: At is saved for the
        # backward, and rewriting it with the same values must not fail autograd's version check
        self.At_w = self.At.data
        self.Qa = torch.empty(r, W.shape[0], device=dev, dtype=cdt)  # Zᵀ dy
        self.S = torch.empty(r, d, device=dev, dtype=cdt)
        self.Q = torch.empty(r, d, device=dev, dtype=cdt)  # (Zᵀ dy) W
        self.graphs: list = [None, None]  # forward, backward
        self.warm = [False, False]


def _entry(U: torch.Tensor, W: torch.Tensor, cdt: torch.dtype) -> _Entry | None:
    per_u = _CACHE.get(id(U))
    if per_u is None:
        per_u = _CACHE[id(U)] = {}
        weakref.finalize(U, _CACHE.pop, id(U), None)
    key = (U.data_ptr(), U.shape, U.stride(), cdt, W.data_ptr(), W.shape, W.stride(), W.dtype)
    ent = per_u.get(key)
    if ent is None:
        if len(per_u) >= MAX_PER_U:
            return None
        ent = per_u[key] = _Entry(U, W, cdt)
    return ent


def _side(device: torch.device) -> torch.cuda.Stream:
    idx = device.index if device.index is not None else torch.cuda.current_device()
    s = _SIDE.get(idx)
    if s is None:
        s = _SIDE[idx] = torch.cuda.Stream(device=idx)
    return s


def _run(ent: _Entry, slot: int, work, device: torch.device) -> None:
    """Replay slot's graph; or run ``work`` uncaptured (first use), or capture it and replay it."""
    g = ent.graphs[slot]
    if g is not None:
        g.replay()
        return
    global ENABLED
    cur = torch.cuda.current_stream(device)
    side = _side(device)
    side.wait_stream(cur)
    with torch.cuda.stream(side):
        if not ent.warm[slot]:  # compile, and give cuBLAS its workspace on this stream, uncaptured
            work()
            ent.warm[slot] = True
            cur.wait_stream(side)
            return
        g = torch.cuda.CUDAGraph()
        try:
            g.capture_begin(capture_error_mode="thread_local")
            try:
                work()
            finally:
                g.capture_end()
        except Exception as e:  # noqa: BLE001 - any capture failure: launch the kernels one by one
            ENABLED = False
            warnings.warn(f"capturing HRA's r × r kernels in a CUDA graph failed ({type(e).__name__}: "
                          f"{str(e)[:200]}); they are launched one by one from now on (same results).",
                          FactorGraphWarning, stacklevel=5)
            work()
            cur.wait_stream(side)
            return
    cur.wait_stream(side)
    ent.graphs[slot] = g
    g.replay()


def fwd(U: torch.Tensor, W: torch.Tensor, cdt: torch.dtype):
    """(Ûᵀ, Mᵀ, At, saved, entry) from the entry's forward graph; None where graphs do not apply (off,
    inside a capture, or too many entries for this U): the caller launches the kernels."""
    if not ENABLED or torch.cuda.is_current_stream_capturing():
        return None
    ent = _entry(U, W, cdt)
    if ent is None:
        return None
    fb = ent.fb

    def work():
        T.fwd(U, cdt, None, fb)
        torch.mm(ent.Ut, W.t(), out=ent.At_w)

    _run(ent, 0, work, U.device)
    return ent.Ut, ent.Mt, ent.At, (U, fb["small"]), ent


def bwd(ent: _Entry, U: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """dU from the entry's backward graph, Q = (Zᵀ dy) W included; the caller has written ``ent.S``
    and ``ent.Qa`` = Zᵀ dy. A fresh tensor, not the entry's buffer."""
    small, bb = ent.fb["small"], ent.bb

    def work():
        torch.mm(ent.Qa, W, out=ent.Q)
        T.bwd((U, small), ent.S, ent.Q, bufs=bb)

    _run(ent, 1, work, U.device)
    return bb["dU"].clone()
