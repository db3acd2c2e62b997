"""Pilot wall time per backend: a 5-seed HRA-vs-LoRA pilot run as the command line runs it.

    .venv/bin/python -m benchmarks.pilot_backends            # appends to benchmarks/RESULTS.md
    .venv/bin/python -m benchmarks.pilot_backends --steps 100 --rounds 1 --no-write

Each round runs, one after the other in fresh processes (imports, pretraining cache, Ray start-up
and shut-down all included, as a user pays them):

* ``local``: ``python -m hra_viz pilot --methods hra,lora --seeds 5 --steps N`` (sequential);
* ``local pool``: the same with ``--processes 2`` (spawned workers);
* ``ray``: the same with ``--backend ray --processes 2`` (a local Ray of 2 CPUs).

It checks that the three give identical accuracies, retention, drift and memory for every seed,
and reports the median wall time per backend and its ratio to the sequential run. CPU timings are
only comparable within one run of this script (same machine, same load).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXACT = ("target_acc", "retention", "drift", "peak_mem_mb")
BACKENDS = {
    "local (sequential)": [],
    "local pool, 2 processes": ["--processes", "2"],
    "ray, local, 2 CPUs": ["--backend", "ray", "--processes", "2"],
}


def _command(steps: int, seeds: int, out: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "hra_viz", "pilot", "--methods", "hra,lora", "--r", "8",
            "--seeds", str(seeds), "--steps", str(steps), "--device", "cpu", "--json", str(out), "--quiet",
            *extra]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2, help="rounds of the three backends (median reported)")
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to RESULTS.md")
    args = ap.parse_args(argv)
    walls: dict[str, list[float]] = {k: [] for k in BACKENDS}
    values: dict[str, dict] = {}
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HRA_VIZ_CACHE": str(Path(tmp) / "cache")}
        # pretrain the base model once, so that no backend pays for it
        subprocess.run(_command(5, 1, Path(tmp) / "warm.json", []), cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
        for _ in range(args.rounds):
            for name, extra in BACKENDS.items():
                out = Path(tmp) / "p.json"
                t0 = time.perf_counter()
                subprocess.run(_command(args.steps, args.seeds, out, extra), cwd=ROOT, env=env, check=True,
                               capture_output=True)  # fmt: skip
                walls[name].append(time.perf_counter() - t0)
                p = json.loads(out.read_text())
                values[name] = {m: {k: p["methods"][m][k]["values"] for k in EXACT} for m in p["methods"]}
    ref = values["local (sequential)"]
    same = all(v == ref for v in values.values())
    base = statistics.median(walls["local (sequential)"])
    cmd = " ".join(["python -m hra_viz pilot --methods hra,lora --r 8", f"--seeds {args.seeds}",
                    f"--steps {args.steps} --device cpu --json OUT.json --quiet"])  # fmt: skip
    lines = [
        f"## Pilot wall time per backend ({dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"- command: `.venv/bin/python -m benchmarks.pilot_backends --steps {args.steps} "
        f"--seeds {args.seeds} --rounds {args.rounds}`, which times `{cmd}` [+ backend flags]"
        " in fresh processes",
        f"- machine: {platform.platform()}; {os.cpu_count()} CPUs; load average before "
        f"{load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, after {os.getloadavg()[0]:.2f} (shared machine)",
        f"- {2 * args.seeds} runs of {args.steps} steps (HRA r=8 and LoRA r=8, seeds 0–{args.seeds - 1});"
        " the base model was already cached; times include Python start-up, imports and (for Ray)"
        " starting and stopping a local Ray",
        f"- identical per-seed accuracy, retention, drift and memory across the three backends: **{same}**",
        "",
        "| backend | flags | wall (s), median of " + f"{args.rounds} | all rounds (s) | vs sequential |",
        "|---|---|---:|---|---:|",
    ]
    for name, extra in BACKENDS.items():
        med = statistics.median(walls[name])
        lines.append(f"| {name} | `{' '.join(extra) or '(none)'}` | {med:.1f} | "
                     f"{', '.join(f'{w:.1f}' for w in walls[name])} | × {med / base:.2f} |")  # fmt: skip
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        with (ROOT / "benchmarks" / "RESULTS.md").open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
