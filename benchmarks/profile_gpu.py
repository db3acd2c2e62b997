"""Where the time of an HRA layer step goes on a GPU, next to PEFT's LoRA (torch profiler).

    python -m benchmarks.profile_gpu                  # needs CUDA and peft
    python -m benchmarks.profile_gpu --cases 4096:8:layer,4096:8:stack --table

Per case (d : r : layer | stack) and peer: wall time per step (10 steps back to back, one sync), the
GPU kernel time per step and the number of kernels, and any host ↔ device synchronisation a step
makes (``torch.cuda.set_sync_debug_mode``): one per layer serialises the host's launches with the
device's work, which is what an eager step cannot afford.
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks.layers import make_layers, make_stack, one_step


def _peers(d, r, kind, n_tokens):
    if kind == "stack":
        mods = make_stack(d, r, "cuda", torch.bfloat16, with_peft=True)
    else:
        mods = make_layers(d, r, "cuda", torch.bfloat16, with_peft=True)
    return {k: mods[k] for k in ("hra (ours)", "peft lora") if k in mods}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="1024:8:layer,4096:8:layer,4096:8:stack")
    ap.add_argument("--x-grad", action="store_true")
    ap.add_argument("--table", action="store_true", help="print the profiler's top ops for ours")
    ap.add_argument("--cprofile", action="store_true", help="print the host's top Python functions for ours")
    ap.add_argument("--live", action="store_true",
                    help="instead: the GPU kernels of one live-page training step (digits MLP), HRA and LoRA")
    a = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("no CUDA device here: this profiles the GPU step")
        raise SystemExit(2)
    if a.live:
        _live()
        return
    for case in a.cases.split(","):
        d, r, kind = case.split(":")
        d, r = int(d), int(r)
        n = 4096 if kind == "stack" else 8192
        peers = _peers(d, r, kind, n)
        x = torch.randn(n, d, device="cuda", dtype=torch.bfloat16, requires_grad=a.x_grad)
        gy = torch.randn(n, d, device="cuda", dtype=torch.bfloat16)
        for name, m in peers.items():
            step = one_step(m, x, gy)
            for _ in range(5):
                step()
            torch.cuda.synchronize()
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                torch.cuda.set_sync_debug_mode("warn")
                step()
                torch.cuda.set_sync_debug_mode(0)
            syncs = sorted({str(x.message).splitlines()[0][:90] for x in w})
            walls = []
            for _ in range(7):
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                for _ in range(10):
                    step()
                torch.cuda.synchronize()
                walls.append((time.perf_counter() - t0) / 10)
            with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
                for _ in range(10):
                    step()
                torch.cuda.synchronize()
            kern = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
            gpu_us = sum(e.device_time for e in kern) / 10
            walls.sort()
            print(f"{case} x_grad={a.x_grad} {name:11s} wall {walls[3]*1e3:7.3f} ms GPU {gpu_us/1e3:7.3f} ms "
                  f"kernels/step {len(kern)/10:5.1f}  syncs/step {len(w)} {syncs}")
            if a.cprofile:
                import cProfile
                import pstats

                pr = cProfile.Profile()
                pr.enable()
                for _ in range(200):
                    step()
                torch.cuda.synchronize()
                pr.disable()
                print(f"== host profile of {name}, 200 steps")
                pstats.Stats(pr).sort_stats("tottime").print_stats(14)
            if a.table and name == "hra (ours)":
                print(prof.key_averages().table(sort_by="device_time_total", row_limit=22))


def _live() -> None:
    """Kernels of the live page's eager step on the GPU (what a CUDA graph replays), HRA vs LoRA."""
    from hra_viz.training import train as TR

    TR.CUDA_GRAPHS = False
    for method in ("hra", "lora"):
        run = TR.Run(TR.RunConfig(method=method, device="cuda", steps=1000))
        for _ in range(20):
            run._eager_update()
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            for _ in range(10):
                run._eager_update()
            torch.cuda.synchronize()
        kern = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
        by: dict[str, list[float]] = {}
        for e in kern:
            by.setdefault(e.name[:70], []).append(e.device_time)
        print(f"== live step {method}: GPU {sum(e.device_time for e in kern) / 10:.1f} µs/step, "
              f"{len(kern) / 10:.1f} kernels/step")
        for k, v in sorted(by.items(), key=lambda kv: -sum(kv[1]))[:16]:
            print(f"  {sum(v) / 10:7.1f} µs/step  {len(v) / 10:4.1f}×  {k}")


if __name__ == "__main__":
    main()
