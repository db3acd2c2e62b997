"""Our layer's code paths side by side with PEFT's LoRA, in one process: which path an eager step wants.

    python -m benchmarks.layer_variants --d 1024                       # CUDA: every variant
    python -m benchmarks.layer_variants --d 4096 --variants node,nosplit --no-stack
    python -m benchmarks.layer_variants --device cpu --d 256 --repeats 3   # CPU: the variants that run there

Variants of one HRALinear (the same U and W), each switched on only around its own forward (the
backward follows what the forward chose):

* ``node``       the layer as committed (``auto``)
* ``fnapply``    the node through ``Function.apply``'s Python wrapper instead of its C++ apply
* ``notoken``    no token pass (the r × r kernels and cuBLAS products: ``TOKEN_PASS_MAX_D = 0``)
* ``token``      the token pass at every d (``TOKEN_PASS_MAX_D`` unbounded; x without grad then pays
  dx' = dy W)
* ``lorapass``   the LoRA pass (``hra_kernels.lora_pass``; off by default) where x needs no gradient
* ``lorax``      the LoRA pass, in the LoRA form also where x needs a gradient (dx' = dy W by cuBLAS,
  then dx written over it in the pass)
* ``nosplit``    no split reductions (every program reduces over all of d)
* ``nograph``    the cuBLAS route's r × r kernels launched one by one, not replayed from CUDA graphs
  (``hra_graphs``)
* ``fusew``      At = Ûᵀ Wᵀ and Q = (Zᵀ dy) W inside the r × r kernels at every d (two cuBLAS launches
  fewer; ``hra_kernels.fuse_w``)
* ``accum``      the LoRA form in both gradient regimes, its rank-r terms written first and the frozen
  GEMMs adding onto them (``hra_kernels.gemm_accum``), at every d and on every device
* ``noaccum``    without that (session 9's routes: the LoRA form only where x needs no gradient, with
  y += Z At as a pass of its own)
* ``torch``      the torch back end for the r × r part (ATen calls)
* ``triton``     the Triton kernels forced (also where ``auto`` would not pick them)
* ``aten``       no hand-written node (plain differentiable ops, autograd's C++ backward)

with PEFT's LoRA and the frozen base as references: one layer (8192 tokens) and a 12-layer stack with
ReLU between (4096 tokens), bf16, both gradient regimes (on a CPU: float32, 256 tokens, and only the
variants that do not need Triton); medians of interleaved repeats of 10
back-to-back steps and one sync, printed as ms and as a ratio to PEFT LoRA. Prints only (the tables
that go in RESULTS.md come from ``benchmarks.layers``).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from benchmarks.layers import _zero, make_stack, one_step, peft_layers
from hra_viz.core.adapters import HRALinear
from hra_viz.core.adapters import hra as H
from hra_viz.core.adapters import hra_kernels as K

VARIANTS = ("node", "fnapply", "notoken", "token", "lorapass", "lorax", "nosplit", "nograph", "fusew",
            "accum", "noaccum", "torch", "triton", "aten")
NEEDS_TRITON = ("notoken", "token", "lorapass", "lorax", "nosplit", "nograph", "fusew", "triton")


class _AlwaysLora(dict):
    """An ``HRALinear._routes`` cache that answers "LoRA form" for every shape."""

    def get(self, key, default=None):
        return True


class Variant(nn.Module):
    """``inner`` with one setting changed during its forward."""

    def __init__(self, inner: nn.Module, mode: str):
        super().__init__()
        self.inner, self.mode = inner, mode

    def forward(self, x):
        mode = self.mode
        if mode in ("aten", "torch", "triton"):
            K.set_backend(mode)
            try:
                return self.inner(x)
            finally:
                K.set_backend("auto")
        if mode == "nosplit":
            T = K._triton()
            keep, T.SPLIT_MIN_D = T.SPLIT_MIN_D, 1 << 30
            try:
                return self.inner(x)
            finally:
                T.SPLIT_MIN_D = keep
        if mode == "nograph":
            from hra_viz.core.adapters import hra_graphs

            keep, hra_graphs.ENABLED = hra_graphs.ENABLED, False
            try:
                return self.inner(x)
            finally:
                hra_graphs.ENABLED = keep
        if mode == "fusew":  # At = Ûᵀ Wᵀ and Q = (Zᵀ dy) W inside the r × r kernels at every d
            keep, K.TRITON_FUSE_MAX_D = K.TRITON_FUSE_MAX_D, 1 << 30
            try:
                return self.inner(x)
            finally:
                K.TRITON_FUSE_MAX_D = keep
        if mode in ("notoken", "token"):
            keep, K.TOKEN_PASS_MAX_D = K.TOKEN_PASS_MAX_D, (0 if mode == "notoken" else 1 << 30)
            try:
                return self.inner(x)
            finally:
                K.TOKEN_PASS_MAX_D = keep
        if mode == "lorapass":
            keep, K.LORA_PASS = K.LORA_PASS, True
            try:
                return self.inner(x)
            finally:
                K.LORA_PASS = keep
        if mode == "lorax":
            layers = [m for m in self.inner.modules() if isinstance(m, HRALinear)]
            keep = [m._routes for m in layers]
            keep_pass, K.LORA_PASS = K.LORA_PASS, True
            for m in layers:
                m._routes = _AlwaysLora()
            try:
                return self.inner(x)
            finally:
                K.LORA_PASS = keep_pass
                for m, k in zip(layers, keep, strict=True):
                    m._routes = k
        if mode in ("accum", "noaccum"):
            keep, K.GEMM_ACCUM_MIN_D = K.GEMM_ACCUM_MIN_D, ({"cpu": 0, "cuda": 0} if mode == "accum" else {})
            try:
                return self.inner(x)
            finally:
                K.GEMM_ACCUM_MIN_D = keep
        if mode == "fnapply":
            keep, H._chain_apply = H._chain_apply, H._HRAChainFn.apply
            try:
                return self.inner(x)
            finally:
                H._chain_apply = keep
        return self.inner(x)


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _time(run, calls: int = 10) -> float:
    _sync()
    t0 = time.perf_counter()
    for _ in range(calls):
        run()
    _sync()
    return (time.perf_counter() - t0) / calls


def bench(peers: dict, x, gy, repeats: int) -> dict[str, float]:
    runs = {k: one_step(m, x, gy) for k, m in peers.items()}
    zero = _zero(peers.values(), x)
    for run in runs.values():
        _time(run, 3)
        zero()
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeats):
        for k, run in runs.items():  # interleaved: every peer sees the same noise
            times[k].append(_time(run))
            zero()
    return {k: statistics.median(v) for k, v in times.items()}


def _line(tag: str, med: dict[str, float]) -> str:
    ref = med["peft lora"]
    return tag + "  ".join(f"{k}={v * 1e3:.3f}ms ({v / ref:.2f})" for k, v in med.items())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--d", type=int, default=1024)
    ap.add_argument("--r", default="8,32")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--no-stack", action="store_true")
    ap.add_argument("--device", default="cuda", help="cuda (the point), or cpu")
    a = ap.parse_args(argv)
    dev = a.device
    if dev == "cuda" and not torch.cuda.is_available():
        print("no CUDA device here (try --device cpu)")
        return 2
    variants = [v for v in a.variants.split(",") if v]
    bad = sorted(set(variants) - set(VARIANTS))
    if bad:
        print(f"unknown variants {bad}; choose from {', '.join(VARIANTS)}")
        return 2
    if dev != "cuda" or not K.triton_available():
        variants = [v for v in variants if v not in NEEDS_TRITON]
    d, dt = a.d, (torch.bfloat16 if dev == "cuda" else torch.float32)
    n_layer, n_stack = (8192, 4096) if dev == "cuda" else (256, 256)
    for r in (int(v) for v in a.r.split(",")):
        torch.manual_seed(0)
        base = nn.Linear(d, d).to(dev, dt).requires_grad_(False)
        ours = HRALinear(base, r, init="random", generator=torch.Generator().manual_seed(0))
        lora = peft_layers(base, r).get("peft lora")
        if lora is None:
            print("needs peft")
            return 2
        peers = {v: Variant(ours, v) for v in variants}
        peers.update({"peft lora": lora.to(dev), "base": base})
        for x_grad in (False, True):
            x = torch.randn(n_layer, d, device=dev, dtype=dt, requires_grad=x_grad)
            gy = torch.randn(n_layer, d, device=dev, dtype=dt)
            print(_line(f"layer d={d} r={r} x grad={x_grad}: ", bench(peers, x, gy, a.repeats)), flush=True)
        if a.no_stack:
            continue
        st = make_stack(d, r, dev, dt, True)
        sp = {v: Variant(st["hra (ours)"], v) for v in variants}
        sp.update({"peft lora": st["peft lora"], "base": st["base"]})
        for x_grad in (False, True):
            x = torch.randn(n_stack, d, device=dev, dtype=dt, requires_grad=x_grad)
            gy = torch.randn(n_stack, d, device=dev, dtype=dt)
            print(_line(f"stack d={d} r={r} x grad={x_grad}: ", bench(sp, x, gy, max(5, a.repeats // 2))),
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
