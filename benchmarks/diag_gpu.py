"""Per-piece GPU timings of one HRA layer step (CUDA events), to find where wall time goes.

    python -m benchmarks.diag_gpu
"""

import time

import torch

from benchmarks.layers import make_layers
from hra_viz.core import householder as hh


def wall(fn, n=50):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / n * 1e3


def gpu(fn, n=50):
    for _ in range(5):
        fn()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    s.record()
    for _ in range(n):
        fn()
    e.record()
    torch.cuda.synchronize()
    return s.elapsed_time(e) / n


def main():
    d, r, n = 4096, 8, 8192
    L = make_layers(d, r, "cuda", torch.bfloat16, with_peft=True)
    x = torch.randn(n, d, device="cuda", dtype=torch.bfloat16)
    gy = torch.randn(n, d, device="cuda", dtype=torch.bfloat16)
    hra, lora = L["hra (ours)"], L["peft lora"]
    U = hra.u
    Ut = (U / U.norm(dim=0)).t().contiguous()
    T = (Ut @ Ut.T).triu_(1)
    T.diagonal().fill_(0.5)
    ne = -torch.eye(r, device="cuda")
    rows = {
        "ours fwd": lambda: hra(x),
        "lora fwd": lambda: lora(x),
        "ours fwd+bwd": lambda: hra(x).backward(gy),
        "lora fwd+bwd": lambda: lora(x).backward(gy),
        "gamma_from_unit_rows": lambda: hh.gamma_from_unit_rows(Ut),
        "solve_triangular 8x8": lambda: torch.linalg.solve_triangular(T, ne, upper=True),
        "Ut@Ut.T 8x8": lambda: Ut @ Ut.T,
        "U.norm": lambda: U.norm(dim=0),
        "x@Mt.T": lambda: x @ Ut.to(torch.bfloat16).T,
    }
    for name, fn in rows.items():
        print(f"{name:24s} wall {wall(fn):8.3f} ms   gpu-events {gpu(fn):8.3f} ms", flush=True)
    with torch.no_grad():
        print("route:", hra.route(x))


if __name__ == "__main__":
    main()
