"""``python -m hra_viz real …``: adapt all-MiniLM-L6-v2 on the shipped intent task (hra_viz.training.real).

    python -m hra_viz real --method hra --r 8 --steps 200 --layers qv --seed 0 --device auto \\
        --json OUT.json --export DIR

OUT.json: method, r, device, params_adapter (head excluded), acc_before (head-only baseline),
acc_after, retention_cos, retention_spearman, knn_overlap, max_abs_dsigma, step_ms (median),
peak_mem_mb, probe_sentences (the first 4), probe_embeddings (their adapted, normalised
embeddings), model_dir; and, to read them by: layers, top_k, steps, seed, peak_mem_kind, wall_s.

peak_mem_mb: on CUDA torch.cuda.max_memory_allocated during the steps; on CPU the process's
resident-set high-water mark during the steps minus the resident set just before them (the extra
memory the steps needed on top of the loaded model and cached features).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from .training.real.model import ModelNotInstalled as ModelMissing  # noqa: F401 (cli.py catches it)

JSON_KEYS = ("method", "r", "device", "params_adapter", "acc_before", "acc_after", "retention_cos",
             "retention_spearman", "knn_overlap", "max_abs_dsigma", "step_ms", "peak_mem_mb",
             "probe_sentences", "probe_embeddings", "model_dir")


def add_parser(sub) -> argparse.ArgumentParser:
    from .training.real.run import CHOICES, RealConfig

    d = RealConfig()
    p = sub.add_parser("real", help="adapt the real all-MiniLM-L6-v2 model (see --help)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--method", choices=CHOICES["method"], default=d.method)
    p.add_argument("--r", type=int, default=d.r, help="HRA chain length / LoRA rank (default 8)")
    p.add_argument("--steps", type=int, default=d.steps, help="optimiser steps (default 200)")
    p.add_argument("--layers", choices=CHOICES["layers"], default=d.layers,
                   help="qv: attention query and value (default); all: every linear layer")
    p.add_argument("--top-k", type=int, default=d.top_k,
                   help="adapt the top k of the 6 layers; 0 = auto: 6 on CUDA, 2 on CPU (default)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--device", default=d.device, help="auto | cpu | cuda | mps (default auto)")
    p.add_argument("--lr", type=float, default=None, help="adapter learning rate (default: per method)")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lam", type=float, default=d.lam, help="HRA orthogonality regulariser λ")
    p.add_argument("--block-size", type=int, default=d.block_size, help="OFT block size")
    p.add_argument("--eval-every", type=int, default=d.eval_every)
    p.add_argument("--json", type=Path, default=None, help="write the results here (JSON)")
    p.add_argument("--export", type=Path, default=None, help="write the PEFT HRA adapter folder here")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def run_real(args) -> int:
    from tqdm import tqdm

    from .training.real.run import RealConfig, RealRun, get_real_model, resolve_device

    cfg = RealConfig(method=args.method, r=args.r, steps=args.steps, layers=args.layers, top_k=args.top_k,
                     seed=args.seed, device=args.device, lr=args.lr, batch_size=args.batch_size, lam=args.lam,
                     block_size=args.block_size, eval_every=args.eval_every)
    if args.export is not None and cfg.method != "hra":
        raise ValueError("--export writes a PEFT HRA adapter: use it with --method hra")
    device = resolve_device(cfg.device)
    real = get_real_model(device)
    run = RealRun(cfg, real=real)
    desc = f"{cfg.method} on all-MiniLM-L6-v2"
    with tqdm(total=cfg.steps, desc=desc, disable=args.quiet, unit="step") as bar:
        while not run.done:
            new = run.step(min(10, cfg.steps - run.step_count))
            if not new:
                break
            bar.update(len(new))
            bar.set_postfix(loss=f"{new[-1]['loss']:.3f}", acc=f"{new[-1]['test_acc']:.3f}")
    s = run.summary()
    probe = list(real.probe[:4])
    emb = run.embeddings("probe")[:4].double().cpu().tolist()
    out = {k: s[k] for k in JSON_KEYS if k in s}
    out.update(probe_sentences=probe, probe_embeddings=emb)
    out = {k: out[k] for k in JSON_KEYS}
    out.update(layers=cfg.layers, top_k=run.top_k, steps=run.step_count, seed=cfg.seed,
               peak_mem_kind=s["peak_mem_kind"], wall_s=s["wall_s"], status=s["status"])
    out = {k: _clean(v) for k, v in out.items()}
    print(run.description())
    mem = "CUDA max allocated" if s["peak_mem_kind"].startswith("cuda") else "CPU RSS peak above start"
    print(f"{s['status']}: test accuracy {s['acc_before']:.3f} (head-only baseline) → {s['acc_after']:.3f}; "
          f"retention cos {s['retention_cos']:.4f}, Spearman {s['retention_spearman']:.4f}, "
          f"10-NN {s['knn_overlap']:.3f}; max|Δσ| {s['max_abs_dsigma']:.2e}; {s['params_adapter']} adapter "
          f"parameters; {s['step_ms']:.1f} ms/step (median); peak memory {s['peak_mem_mb']:.1f} MB "
          f"({mem})")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {args.json}")
    if args.export is not None:
        from .training.real.export import export_peft

        folder = export_peft(run, args.export)
        print(f"wrote {folder} (PEFT HRA adapter for transformers' BertModel from {real.model_dir})")
    return 0
