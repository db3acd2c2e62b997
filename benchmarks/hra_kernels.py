"""The r × r part of an HRA layer step, alone: torch back end against the fused Triton kernels.

    python -m benchmarks.hra_kernels          # needs CUDA (and triton for the second back end)

For each (d, r): host time per call (wall clock, 200 calls back to back, one sync; what an eager
step pays) and device time per call (CUDA events over a CUDA graph of 50 calls: the kernels alone),
forward (U → Ûᵀ, Mᵀ) and backward (S, Q → dU), and the largest difference between the back ends.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

import torch

from benchmarks.layers import RESULTS, machine
from hra_viz.core.adapters import hra_kernels as K


def host_us(fn, n=200) -> float:
    for _ in range(10):
        fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        torch.cuda.synchronize()
        out.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(out)


def device_us(fn, n=50) -> float:
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        for _ in range(n):
            fn()
    g.replay()
    torch.cuda.synchronize()
    out = []
    for _ in range(5):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        g.replay()
        b.record()
        torch.cuda.synchronize()
        out.append(a.elapsed_time(b) / n * 1e3)
    return statistics.median(out)


def _calls(U, dM, Q, be):
    """The two calls an HRA layer step makes (torch: ``torch_fwd``/``torch_bwd``, as the layer does;
    there Q's own product is fused into the backward's first sum: here that product is I · Q)."""
    if be == "torch":
        Ut, Mt, saved = K.torch_fwd(U, torch.bfloat16)
        eye = torch.eye(Q.shape[0], device=Q.device, dtype=Q.dtype)
        return (lambda: K.torch_fwd(U, torch.bfloat16)), (lambda: K.torch_bwd(saved, dM, eye, Q, Ut, Mt))
    saved = K.factors_fwd(U, torch.bfloat16, be)[2]
    return (lambda: K.factors_fwd(U, torch.bfloat16, be)), (lambda: K.factors_bwd(saved, dM, Q, be))


def main() -> int:
    if not torch.cuda.is_available():
        print("no CUDA device here")
        return 2
    backends = ["torch"] + (["triton"] if K.triton_available() else [])
    rows = []
    for d in (1024, 4096, 8192):
        for r in (8, 32, 64):
            U = torch.randn(d, r, device="cuda")
            dM = torch.randn(r, d, device="cuda", dtype=torch.bfloat16)  # S = ∂L/∂Mᵀ, rows
            Q = torch.randn(r, d, device="cuda", dtype=torch.bfloat16)
            res, outs = {}, {}
            for be in backends:
                fwd, bwd = _calls(U, dM, Q, be)
                res[be] = (host_us(fwd), device_us(fwd), host_us(bwd), device_us(bwd))
                saved = K.factors_fwd(U, torch.bfloat16, be)[2]
                outs[be] = (fwd()[1].float(), K.factors_bwd(saved, dM, Q.clone(), be))
            diff = (
                max(float((outs["triton"][i] - outs["torch"][i]).abs().max()) for i in range(2))
                if "triton" in outs
                else float("nan")
            )
            rows.append((d, r, res, diff))
            print(d, r, {k: [round(v, 1) for v in v4] for k, v4 in res.items()}, f"{diff:.1e}", flush=True)
    head = "| d | r | " + " | ".join(
        f"{be} fwd host µs | {be} fwd GPU µs | {be} bwd host µs | {be} bwd GPU µs" for be in backends
    )
    head += " | max abs diff |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for d, r, res, diff in rows:
        cells = " | ".join(" | ".join(f"{v:.1f}" for v in res[be]) for be in backends)
        lines.append(f"| {d} | {r} | {cells} | {diff:.1e} |")
    table = "\n".join(lines)
    print(table)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a") as f:
        f.write(
            f"\n## HRA r × r part alone: torch back end vs fused Triton kernels ({stamp})\n\n"
            f"- machine: {machine()}\n- command: `python -m benchmarks.hra_kernels`\n"
            "- U float32 (d × r), outputs bf16; host: wall per call, 200 calls then one sync; GPU: CUDA "
            "events over a graph of 50 calls; max abs diff of M and dU between the back ends\n\n"
            f"{table}\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
