"""Real-model benchmark: all-MiniLM-L6-v2 adapted live, every method side by side in one process.

    .venv/bin/python -m benchmarks.real_model                  # CPU (torch's default threads), top 2 layers
    .venv/bin/python -m benchmarks.real_model --device cuda    # GPU, all 6 layers
    .venv/bin/python -m benchmarks.real_model --peft           # also PEFT's own HRA and LoRA, all 6 layers

Per method (same seed, same head init, same batches): first-metrics latency (a new run + its first
step and evaluation, on a warm process: model loaded, features cached, as on a warm server), the
wall time of 200 steps (evaluations included) and the median step time, measured in interleaved
chunks of 10 steps so that machine noise hits every method alike; peak memory in a separate,
sequential pass (CPU: RSS high-water mark above the RSS before the steps; CUDA: max allocated);
accuracy, retention and max |Δσ| at the end. Appends the tables to benchmarks/RESULTS.md.

``--pack DIR`` / ``--unpack DIR`` move the model to a machine that cannot install the package and
takes at most 64 MiB: the word-embedding matrix keeps only the rows of tokens that occur in the
shipped sentences (the others are zero there), so every number on the shipped data is unchanged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

import torch

METHODS = ("hra", "lora", "oft", "full", "head")
WORD_EMB = "embeddings.word_embeddings.weight"


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


def pack(dest: Path) -> None:
    """A ≈ 44 MB copy of the model folder for another machine (see the module docstring)."""
    from safetensors.torch import load_file, save_file

    from hra_viz.training.real.data import load_intents, load_probe
    from hra_viz.training.real.model import load_minilm, model_dir

    src = model_dir()
    dest.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.is_file() and f.name != "model.safetensors":
            shutil.copy2(f, dest / f.name)
    d = load_intents()
    enc = load_minilm().encode([*d.train_texts, *d.test_texts, *load_probe()])
    rows = torch.unique(torch.cat([enc.input_ids.flatten(), torch.arange(0, 1000)]))  # + specials
    sd = load_file(src / "model.safetensors")
    W = sd.pop(WORD_EMB)
    sd["packed.rows"], sd["packed.values"] = rows, W[rows].contiguous()
    sd["packed.shape"] = torch.tensor(W.shape)
    save_file(sd, dest / "model.packed.safetensors")
    print(f"packed {len(rows)} of {W.shape[0]} word-embedding rows into {dest}")


def unpack(folder: Path) -> None:
    from safetensors.torch import load_file, save_file

    sd = load_file(folder / "model.packed.safetensors")
    rows, values, shape = sd.pop("packed.rows"), sd.pop("packed.values"), sd.pop("packed.shape")
    W = torch.zeros(*shape.tolist(), dtype=values.dtype)
    W[rows] = values
    sd[WORD_EMB] = W
    save_file(sd, folder / "model.safetensors", metadata={"format": "pt"})


def _peft_steps(real, methods, r: int, steps: int, device) -> dict[str, float]:
    """Median ms of one Adam step of PEFT's own HRA / LoRA on the whole BertModel (q, v, 6 layers)."""
    import peft
    from transformers import BertModel

    from hra_viz.training.real.model import mean_pool

    enc = real.minilm.encode(real.texts["train"])
    y = real.y["train"]
    models = {}
    for m in methods:
        base = BertModel.from_pretrained(real.model_dir).to(device).eval()
        if m == "hra":
            cfg = peft.HRAConfig(r=r, target_modules=["query", "value"], init_weights=True)
        else:
            cfg = peft.LoraConfig(r=r, lora_alpha=r, target_modules=["query", "value"], lora_dropout=0.0)
        pm = peft.get_peft_model(base, cfg).eval()
        head = torch.nn.Linear(384, len(real.labels)).to(device)
        params = [p for p in pm.parameters() if p.requires_grad] + list(head.parameters())
        models[m] = (pm, head, torch.optim.Adam(params, lr=1e-3))
    g = torch.Generator().manual_seed(0)
    times = {m: [] for m in methods}
    for i in range(steps):
        idx = torch.randint(len(y), (32,), generator=g).to(device)
        L = int(enc.attention_mask[idx].sum(1).max())
        ids, am, tt = enc.input_ids[idx, :L], enc.attention_mask[idx, :L], enc.token_type_ids[idx, :L]
        for m, (pm, head, opt) in models.items():
            t0 = time.perf_counter()
            h = pm(input_ids=ids, attention_mask=am, token_type_ids=tt).last_hidden_state
            loss = torch.nn.functional.cross_entropy(head(mean_pool(h, am)), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if i >= 2:
                times[m].append(time.perf_counter() - t0)
    return {m: 1e3 * statistics.median(v) for m, v in times.items()}


LR_GRID = {"hra": (1e-3, 3e-3, 1e-2), "lora": (1e-3, 3e-3, 1e-2), "oft": (1e-3, 3e-3, 1e-2),
           "full": (3e-5, 1e-4, 3e-4)}


def _lr_sweep(real, cfgs, methods) -> list[str]:
    """Final test accuracy and retention per (method, adapter lr), same seed and steps."""
    from hra_viz.training.real.run import RealRun

    lines = ["", "| method | adapter lr | test acc | retention cos | Spearman ρ | 10-NN overlap |",
             "|---|---:|---:|---:|---:|---:|"]
    for m in methods:
        for lr in LR_GRID.get(m, ()):
            run = RealRun(cfgs[m].replace(lr=lr, eval_every=5000), real=real).run_to_end()
            ev = run.evaluate()
            lines.append(f"| {m} | {lr:g} | {ev['test_acc']:.3f} | {ev['retention_cos']:.4f} | "
                         f"{ev['retention_spearman']:.4f} | {ev['knn_overlap']:.3f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.real_model", description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", help="cpu | cuda | mps | auto (default cpu)")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--r", type=int, default=8)
    ap.add_argument("--layers", default="qv", choices=("qv", "all"))
    ap.add_argument("--top-k", type=int, default=0, help="0 = the run's default (2 on CPU, 6 on CUDA)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    ap.add_argument("--peft", action="store_true", help="also time PEFT's HRA and LoRA on all 6 layers")
    ap.add_argument("--peft-steps", type=int, default=20)
    ap.add_argument("--lr-sweep", action="store_true", help="also sweep the adapter lr per method")
    ap.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    ap.add_argument("--pack", type=Path, default=None, help="write a small model copy here and exit")
    ap.add_argument("--unpack", type=Path, default=None, help="rebuild model.safetensors in a packed folder")
    args = ap.parse_args(argv)
    cli_args = list(argv if argv is not None else sys.argv[1:])
    if args.pack is not None:
        pack(args.pack)
        return 0
    if args.unpack is not None:
        unpack(args.unpack)
        import os

        os.environ["HRA_VIZ_MINILM_DIR"] = str(args.unpack)
    if args.threads:
        torch.set_num_threads(args.threads)

    from hra_viz.training.real.run import RealConfig, RealModel, RealRun, resolve_device

    device = resolve_device(args.device)
    methods = [m for m in args.methods.split(",") if m]
    load_start = _loadavg()
    t0 = time.perf_counter()
    real = RealModel(device)
    load_s = time.perf_counter() - t0
    cfgs = {m: RealConfig(method=m, r=args.r, layers=args.layers, top_k=args.top_k, steps=args.steps,
                          seed=args.seed, device=str(device)) for m in methods}
    k = cfgs[methods[0]].resolved_top_k(device)
    t0 = time.perf_counter()
    real.features(6 - k)
    real.features(6)
    real.baseline(args.seed)
    warm_s = time.perf_counter() - t0
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # the first optimiser imports torch._dynamo
    RealRun(cfgs[methods[0]], real=real).step(2)  # a warm server has run once (kernels loaded, caches)

    # first metrics, then 200 steps in interleaved chunks of 10
    runs, first = {}, {}
    for m in methods:
        t0 = time.perf_counter()
        runs[m] = RealRun(cfgs[m], real=real)
        runs[m].step(1)
        first[m] = time.perf_counter() - t0
    wall = {m: first[m] for m in methods}
    while not all(r.done for r in runs.values()):
        for m, r in runs.items():
            t0 = time.perf_counter()
            r.step(10)
            wall[m] += time.perf_counter() - t0
    summ = {m: r.summary() for m, r in runs.items()}

    # peak memory: a fresh run per method, sequentially
    mem, extra = {}, {}
    for m in methods:
        run = RealRun(cfgs[m].replace(eval_every=5000), real=real)
        run.step(10)
        run.memory.update()
        mem[m], extra[m] = run.memory.mb, run.memory.extra_mb
        del run

    peft_ms = _peft_steps(real, [m for m in ("hra", "lora") if m in methods], args.r, args.peft_steps,
                          device) if args.peft else {}

    sweep_lines = _lr_sweep(real, cfgs, methods) if args.lr_sweep else []

    dev_name = str(device) + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "")
    mem_what = ("torch.cuda.max_memory_allocated over 10 steps (model, cached features and activations); "
                "'above start' subtracts what was allocated at the first step"
                if device.type == "cuda" else
                "peak RSS over 10 steps minus the RSS before them (process-wide; model and cached features "
                "excluded)")
    lines = [
        f"## Real model: all-MiniLM-L6-v2 ({dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, {device.type})",
        "",
        f"- command: `{' '.join(['python -m benchmarks.real_model', *cli_args])}`",
        f"- machine: {platform.platform()}; CPU: {_cpu_model()}; torch {torch.__version__}; "
        f"threads {torch.get_num_threads()}; device {dev_name}; load average at start {load_start}",
        f"- task: 6 intents, 408 train / 102 test sentences, 218 probe sentences; batch 32, Adam, seed "
        f"{args.seed}; {summ[methods[0]]['description']}",
        f"- one-time costs (a warm server has paid them): model load {load_s:.2f} s; lower-layer features, "
        f"final embeddings and the head-only baseline {warm_s:.2f} s",
        "",
        f"| method | adapter params | test acc (head-only baseline → after {args.steps}) | retention cos | "
        "Spearman ρ | 10-NN overlap | max abs Δσ | step ms (median) | "
        f"{args.steps} steps wall (s) | first metrics (s) | peak mem (MB) | above start (MB) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in methods:
        s = summ[m]
        lines.append(
            f"| {m} | {s['params_adapter']:,} | {s['acc_before']:.3f} → {s['acc_after']:.3f} | "
            f"{s['retention_cos']:.4f} | {s['retention_spearman']:.4f} | {s['knn_overlap']:.3f} | "
            f"{s['max_abs_dsigma']:.1e} | {s['step_ms']:.1f} | {wall[m]:.1f} | {first[m]:.2f} | "
            f"{mem[m]:.1f} | {extra[m]:.1f} |"
        )
    lines.append("")
    lines.append(f"- peak memory: {mem_what}")
    if "hra" in summ and "lora" in summ:
        ratio = summ["hra"]["step_ms"] / summ["lora"]["step_ms"]
        lines.append(f"- HRA step / LoRA step: {ratio:.2f} (target ≤ 1.2)")
    if peft_ms:
        lines.append("- PEFT's own layers on the whole BertModel (q, v of all 6 layers, no feature cache), "
                     f"median of {args.peft_steps - 2} steps: "
                     + ", ".join(f"{m} {v:.1f} ms" for m, v in peft_ms.items()))
    lines.append(f"- load average at the end: {_loadavg()}")
    lines += sweep_lines
    text = "\n".join(lines) + "\n"
    print(text)
    if args.json:
        out = {"summary": summ, "first_s": first, "wall_s": wall, "peak_mem_mb": mem,
               "peak_above_start_mb": extra, "peft_ms": peft_ms,
               "load_s": load_s, "warm_s": warm_s, "device": dev_name}
        args.json.write_text(json.dumps(out, indent=1, default=str))
    if not args.no_write:
        with open(args.results, "a") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
