"""The home page's step cost, HRA / LoRA on one 768 × 768 layer, 256 tokens, r = 8, CPU float32.

    python -m benchmarks.home_step                 # 2 threads, 12 fresh processes, then the steady state
    python -m benchmarks.home_step --threads 1 --processes 8 --no-write

Issue 10 asks for an HRA training step ≤ 1.2× LoRA's on the CPU, because the home page quotes the cost
of a step. The page calls ``overview.step_cost()`` once per server process, so this runs it the same
way, each call in a fresh process, and gives the spread of its HRA / LoRA figure. Next to it, the
steady state of a training loop: HRA and LoRA steps interleaved in one process, the ratio of the
medians of ``--steps`` steps each, over ``--rounds`` rounds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time

import torch

from benchmarks.layers import _append, machine

_PAGE = """
import sys, torch
torch.set_num_threads(int(sys.argv[1]))
from hra_viz.views import overview
df = overview.step_cost()
print(float(df.loc[df.method == "hra", "vs_lora"].iloc[0]))
"""


def page_calls(threads: int, processes: int) -> list[float]:
    """HRA / LoRA as ``overview.step_cost()`` reports it, once per fresh process."""
    out = []
    for i in range(processes):
        r = subprocess.run([sys.executable, "-c", _PAGE, str(threads)], capture_output=True, text=True,
                           check=True, timeout=300)
        out.append(float(r.stdout.strip().splitlines()[-1]))
        print(f"  process {i + 1}/{processes}: {out[-1]:.3f}", flush=True)
    return out


def steady_state(threads: int, steps: int, rounds: int) -> list[float]:
    """HRA / LoRA medians over interleaved steps, one figure per round."""
    from hra_viz.views import overview as ov

    torch.set_num_threads(threads)
    x = torch.randn(256, 768)
    run = {m: ov._make_step(ov._adapted(m, 768, 768, 8, 32, 0), x, True) for m in ("hra", "lora")}
    for f in run.values():
        for _ in range(10):
            f()
    out = []
    for _ in range(rounds):
        ts: dict[str, list[float]] = {m: [] for m in run}
        for _ in range(steps):
            for m, f in run.items():
                t0 = time.perf_counter()
                f()
                ts[m].append(time.perf_counter() - t0)
        out.append(statistics.median(ts["hra"]) / statistics.median(ts["lora"]))
    return out


def _fmt(v: list[float]) -> str:
    return f"{statistics.median(v):.3f} | {min(v):.3f} | {max(v):.3f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--processes", type=int, default=12)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--no-write", action="store_true")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    print(f"overview.step_cost() in {a.processes} fresh processes, {a.threads} threads:")
    page = page_calls(a.threads, a.processes)
    steady = steady_state(a.threads, a.steps, a.rounds)
    cmd = "python -m benchmarks.home_step" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    now = dt.datetime.now(dt.UTC)
    block = (
        f"\n## The home page's step, HRA / LoRA, CPU float32 ({now:%Y-%m-%d %H:%M} UTC)\n\n"
        f"- machine: {machine()}\n- command: `{cmd}`\n"
        "- one 768 × 768 layer, 256 tokens, r = 8, forward + backward + SGD update\n\n"
        "| measure | calls | median | min | max |\n|---|---|---|---|---|\n"
        f"| `overview.step_cost()`, one fresh process each (the page) | {len(page)} | {_fmt(page)} |\n"
        f"| steady state: {a.steps} interleaved steps each, ratio of medians | {len(steady)} "
        f"| {_fmt(steady)} |\n"
    )
    print(block)
    if not a.no_write:
        _append(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
