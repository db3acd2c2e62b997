"""Host (CPU) time of the calls an eager GPU step is made of, on this machine: what launch-bound costs.

    python -m benchmarks.host_costs              # CUDA (and peft for the LoRA rows)
    python -m benchmarks.host_costs --cprofile   # also the Python functions of our layer's step

At d ≤ 4096 an eager HRA or LoRA step on an H200 is bound by the host: the GPU finishes each kernel
before the host has queued the next. This times each piece by issuing it many times on tensors so
small that the GPU is never the bottleneck (one sync at the end): µs of host time per call, median
of 7 rounds. The hosts the GPUs are lent with differ, so compare rows of one run only.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.layers import one_step, peft_layers
from hra_viz.core.adapters import HRALinear
from hra_viz.core.adapters import hra_kernels as K


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def host_us(fn, calls: int = 400, rounds: int = 7) -> float:
    for _ in range(20):
        fn()
    _sync()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        t1 = time.perf_counter()
        _sync()
        out.append((t1 - t0) / calls * 1e6)
    return statistics.median(out)


class _Trivial(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, u):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return None, None


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=1024)
    ap.add_argument("--r", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=64, help="small: the GPU must not be the bottleneck")
    ap.add_argument("--cprofile", action="store_true")
    ap.add_argument("--device", default="cuda", help="cuda (the point), or cpu to check the script")
    a = ap.parse_args(argv)
    dev = torch.device(a.device)
    dt = torch.bfloat16 if dev.type == "cuda" else torch.float32
    d, r, n = a.d, a.r, a.tokens
    torch.manual_seed(0)
    base = nn.Linear(d, d).to(dev, dt).requires_grad_(False)
    ours = HRALinear(base, r, init="random")
    peers = {"hra (ours)": ours, **peft_layers(base, r), "base": base}
    for m in peers.values():
        m.to(dev)
    x = torch.randn(n, d, device=dev, dtype=dt)
    gy = torch.randn(n, d, device=dev, dtype=dt)
    W = base.weight
    small = torch.randn(64, 64, device=dev)
    U = ours.u
    rows = {}
    rows["torch.empty (64,64)"] = host_us(lambda: torch.empty(64, 64, device=dev))
    rows["torch.mm (64,64)"] = host_us(lambda: torch.mm(small, small))
    rows["F.linear (tokens, d) bf16"] = host_us(lambda: F.linear(x, W))
    if dev.type == "cuda":
        rows["current_stream().cuda_stream"] = host_us(lambda: torch.cuda.current_stream(dev).cuda_stream)
        raw = torch._C._cuda_getCurrentRawStream
        rows["_cuda_getCurrentRawStream"] = host_us(lambda: raw(dev.index or 0))
    small_g = small.clone().requires_grad_()
    rows["trivial autograd.Function fwd+bwd"] = host_us(
        lambda: _Trivial.apply(small_g, U).sum().backward())
    rows["plain x.sum().backward() (engine)"] = host_us(
        lambda: (small * U[0, 0]).sum().backward())
    if dev.type == "cuda" and K.triton_available():
        tr = K._triton()
        rows["triton fwd, direct launch (ours)"] = host_us(lambda: tr.fwd(U, dt, W))
        tr.FAST_LAUNCH = False
        rows["triton fwd, JIT launch"] = host_us(lambda: tr.fwd(U, dt, W))
        tr.FAST_LAUNCH = True
    for name, m in peers.items():
        rows[f"{name}: forward, no grad"] = host_us(torch.no_grad()(lambda m=m: m(x)))
        rows[f"{name}: forward + backward"] = host_us(one_step(m, x, gy))
    if dev.type == "cuda" and K.triton_available() and not K.token_pass(W):
        from hra_viz.core.adapters import hra_graphs

        hra_graphs.ENABLED = False  # the cuBLAS route's r × r kernels launched one by one
        rows["hra (ours): forward + backward, no factor graphs"] = host_us(one_step(ours, x, gy))
        hra_graphs.ENABLED = True
    gpu = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    print(f"host µs per call, d={d}, r={r}, {n} tokens, {dt}, {gpu}")
    for k, v in rows.items():
        print(f"  {k:45s} {v:8.1f}")
    if a.cprofile:
        import cProfile
        import pstats

        for name in ("hra (ours)", "peft lora"):
            if name not in peers:
                continue
            step = one_step(peers[name], x, gy)
            pr = cProfile.Profile()
            pr.enable()
            for _ in range(500):
                step()
            _sync()
            pr.disable()
            print(f"== host profile of {name}, 500 steps")
            pstats.Stats(pr).sort_stats("tottime").print_stats(18)


if __name__ == "__main__":
    main()
