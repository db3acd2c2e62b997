"""Live-training benchmark: 300 steps per method, time to first metrics, and the r × method sweep.

    .venv/bin/python -m benchmarks.live                 # CPU, 2 threads, appends to benchmarks/RESULTS.md
    .venv/bin/python -m benchmarks.live --device cuda   # the same on a GPU

Timings are medians over ``--repeats`` runs, with the base model already cached (as in the app,
where it is pretrained once). The sweep runs once (it is itself 16 runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from hra_viz.training import tasks as T
from hra_viz.training import train as TR
from hra_viz.training.sweep import sweep
from hra_viz.training.train import Run, RunConfig, prepare

METHODS = ("hra", "lora", "oft", "full", "head")
SWEEP_R = (2, 4, 8, 16, 32)
SWEEP_METHODS = ("hra", "lora", "oft", "full")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


LAM_PAGE = 1e-4  # the λ the chain-length, λ and training pages start with (hra_viz.app.state)


def _interleaved(base: RunConfig, device: torch.device, rounds: int) -> list[str]:
    """ms per step as the pages report it (evaluation every 10 steps included), HRA (λ = 0 and the
    pages' λ) against LoRA: the runs take turns, 10 steps each per round, so that a shared machine's
    slow spells fall on all of them alike; medians over rounds. CPU: process time; GPU: wall."""
    cfgs = {"hra": base.replace(method="hra"),
            f"hra λ={LAM_PAGE:g}": base.replace(method="hra", lam=LAM_PAGE),
            "lora": base.replace(method="lora")}
    runs = {k: Run(c.replace(steps=100_000)) for k, c in cfgs.items()}
    clock = time.process_time if device.type == "cpu" else time.perf_counter
    per = {k: [] for k in runs}
    for r in runs.values():
        r.step(20)
    for _ in range(rounds):
        for k, r in runs.items():
            _sync(device)
            t0 = clock()
            r.step(10)
            _sync(device)
            per[k].append((clock() - t0) / 10)
    med = {k: statistics.median(v) for k, v in per.items()}
    lo = med["lora"]
    return [f"Per step, interleaved ({rounds} rounds of 10 steps per run, medians, "
            f"{'process CPU time' if device.type == 'cpu' else 'wall'}): "
            + "; ".join(f"{k} {1e3 * v:.3f} ms" for k, v in med.items())
            + f". HRA / LoRA: **{med['hra'] / lo:.2f}** (λ = 0), **{med[f'hra λ={LAM_PAGE:g}'] / lo:.2f}** "
            f"(λ = {LAM_PAGE:g})"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.live", description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", help="cpu | cuda | mps | auto (default cpu)")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    ap.add_argument("--repeats", type=int, default=3, help="repeats for the per-method timings (median)")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--no-sweep", action="store_true")
    ap.add_argument("--rounds", type=int, default=150,
                    help="rounds of the interleaved per-step comparison (10 steps per run per round)")
    ap.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    ap.add_argument("--no-append", action="store_true", help="print only")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    base = RunConfig(device=args.device, steps=args.steps)

    # cold pretraining of the default task (no disk cache, fresh process cache): the first call in
    # this process pays the imports too (scikit-learn, torch._dynamo for the first optimiser)
    T.clear_memory_cache()
    t0 = time.perf_counter()
    T.load_task(base.task, seed=base.task_seed, use_disk=False)
    first_load_s = time.perf_counter() - t0
    pretrain = []
    for _ in range(args.repeats):
        T.clear_memory_cache()
        t0 = time.perf_counter()
        T.load_task(base.task, seed=base.task_seed, use_disk=False)
        pretrain.append(time.perf_counter() - t0)
    T.clear_memory_cache()
    t0 = time.perf_counter()
    T.load_task(base.task, seed=base.task_seed)  # writes, then next time reads, the safetensors file
    T.clear_memory_cache()
    t0 = time.perf_counter()
    T.load_task(base.task, seed=base.task_seed)
    disk_s = time.perf_counter() - t0
    prepare(base)  # base cached, optimiser import paid: what a user sees after the first page load
    device = Run(base).device

    lines = []
    lines.append(f"| method | trainable params | 300-step wall (s, median of {args.repeats}) "
                 "| first metrics (ms) | target acc (base → after) | source acc (base → after) "
                 "| drift (KL) | max abs dsigma |")
    lines.append("|---|---:|---:|---:|---|---|---:|---:|")
    per_method = {}
    # the last row: HRA with torch's own thread count (cpu_threads=0) instead of the Run's default 1
    cases = [(m, base.replace(method=m)) for m in METHODS]
    cases.append((f"hra, λ = {LAM_PAGE:g}", base.replace(method="hra", lam=LAM_PAGE)))
    if device.type == "cpu":
        cases.append((f"hra, {args.threads} threads", base.replace(method="hra", cpu_threads=0)))
    else:  # the same runs without CUDA graphs: every step eager
        cases += [(f"{m}, eager (no CUDA graphs)", base.replace(method=m)) for m in ("hra", "lora")]
    walls_of, cpu_of = {}, {}
    for method, cfg in cases:
        TR.CUDA_GRAPHS = "eager" not in method
        walls, firsts, cpus = [], [], []
        for _ in range(args.repeats):
            _sync(device)
            t0, c0 = time.perf_counter(), time.process_time()
            run = Run(cfg)
            run.step(1)
            _sync(device)
            firsts.append(time.perf_counter() - t0)
            run.step(args.steps - 1)
            _sync(device)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        TR.CUDA_GRAPHS = True
        s = run.summary()
        per_method[method] = s
        walls_of[method] = statistics.median(walls)
        cpu_of[method] = statistics.median(cpus)
        lines.append(
            f"| {method} | {s['trainable_params']} | {statistics.median(walls):.3f} | "
            f"{1e3 * statistics.median(firsts):.1f} | {s['base_target_acc']:.3f} → {s['target_acc']:.3f} "
            f"(+{100 * s['target_gain']:.1f} pts) | {s['base_source_acc']:.3f} → {s['source_acc']:.3f} | "
            f"{s['drift']:.2f} | {s['max_abs_dsigma']:.1e} |")

    lines.append("")
    eager = ("hra, eager (no CUDA graphs)", "lora, eager (no CUDA graphs)")
    lines.append(f"HRA / LoRA, {args.steps}-step wall: **{walls_of['hra'] / walls_of['lora']:.2f}**; "
                 f"process CPU time: {cpu_of['hra'] / cpu_of['lora']:.2f} "
                 f"({cpu_of['hra']:.3f} s / {cpu_of['lora']:.3f} s, medians: the CPU figure is not inflated "
                 "by other load on a shared machine)"
                 + (f"; eager, no CUDA graphs: {walls_of[eager[0]] / walls_of[eager[1]]:.2f}"
                    if device.type == "cuda" else ""))

    lines += ["", *_interleaved(base, device, args.rounds)]

    sweep_lines = []
    if not args.no_sweep:
        t0 = time.perf_counter()
        df = sweep(base, r=SWEEP_R, methods=SWEEP_METHODS)
        sweep_s = time.perf_counter() - t0
        sweep_lines.append(f"Sweep r ∈ {{{', '.join(map(str, SWEEP_R))}}} × {{{', '.join(SWEEP_METHODS)}}} "
                           f"({len(df)} runs of {args.steps} steps; full has no r, OFT uses b = 2r): "
                           f"**{sweep_s:.1f} s** wall, sequential.")
        sweep_lines.append("")
        sweep_lines.append("| method | budget r | setting | params | target acc | source acc | ms/step "
                           "| status |")
        sweep_lines.append("|---|---:|---|---:|---:|---:|---:|---|")
        for _, row in df.iterrows():
            setting = (f"b={row['block_size']}" if row["method"] == "oft"
                       else f"r={row['r']}" if row["method"] in ("hra", "lora") else "-")
            budget = "-" if row["budget_r"] is None or str(row["budget_r"]) == "<NA>" else row["budget_r"]
            sweep_lines.append(
                f"| {row['method']} | {budget} | {setting} | {row.get('trainable_params', '')} | "
                f"{row.get('target_acc', float('nan')):.3f} | {row.get('source_acc', float('nan')):.3f} | "
                f"{1e3 * row.get('time_per_step_s', float('nan')):.2f} | {row['status']} |")

    cli_args = argv if argv is not None else sys.argv[1:]
    dev_name = str(device)
    if device.type == "cuda":
        dev_name += f" ({torch.cuda.get_device_name(device)})"
    header = [
        f"## Live training ({base.task}, {dt.datetime.now().strftime('%Y-%m-%d %H:%M')})",
        "",
        f"- command: `{' '.join(['.venv/bin/python -m benchmarks.live', *cli_args])}`",
        f"- machine: {platform.platform()}; CPU: {_cpu_model()}; torch {torch.__version__}; "
        f"threads {torch.get_num_threads()}; device {dev_name}",
        f"- defaults: HRA r={base.r}, batch {base.batch_size}, {args.steps} steps, Adam, per-method lr "
        "(`hra_viz.training.train.DEFAULT_LR`), eval every 10 steps; each Run steps with "
        f"cpu_threads={base.cpu_threads} torch thread(s) on CPU unless the row says otherwise",
        f"- load average at start: {_loadavg()}",
        f"- base model, no cache: first call in the process (imports included) {first_load_s:.2f} s; "
        f"data + pretraining alone {statistics.median(pretrain):.2f} s (median); "
        f"from the safetensors disk cache {disk_s:.3f} s",
        "",
    ]
    text = "\n".join(header + lines + [""] + sweep_lines) + "\n"
    print(text)
    if not args.no_append:
        if not args.results.exists():
            args.results.write_text("# Benchmark results\n")
        with open(args.results, "a") as f:
            f.write("\n" + text)
        print(f"appended to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
