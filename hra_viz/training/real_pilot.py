"""Pilots on the real model: ``run_pilot(task="minilm-intents", …)`` trains all-MiniLM-L6-v2 (the
"A real model" page's runs, ``real.RealRun``) for every method × seed and summarises them exactly like
a toy-task pilot, so the CIs, verdicts, report and Ray backend are the same.

The pilot metrics on this task:
* target accuracy: intent accuracy on the fixed test sentences;
* retention: mean cosine between base and adapted embeddings of the 218 probe sentences;
* drift: 1 − Spearman ρ between the base and adapted pairwise-similarity matrices of the probe set
  (0 = the model's view of general text is untouched);
* step time and peak memory: ``RealRun``'s own measurements (CUDA allocator peak, or on CPU the
  process's RSS high-water mark growth).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hra_viz.training.backends import run_cells

__all__ = ["REAL_TASK", "REAL_METHODS", "real_pilot_cell", "run_real_pilot"]

REAL_TASK = "minilm-intents"
REAL_METHODS = ("hra", "lora", "oft", "full", "head")


def real_pilot_cell(cell: dict) -> dict:
    """One (method, seed) run of the real model, as the pilot's result dict."""
    from hra_viz.training.real import RealConfig, RealRun

    try:
        cfg = RealConfig(method=cell["method"], r=cell["r"], steps=cell["steps"], seed=cell["seed"],
                         device=cell["device"], lr=cell["lr"], top_k=cell["top_k"])  # fmt: skip
    except ValueError as e:
        return {"status": f"invalid: {e}", "status_code": "invalid"}
    run = RealRun(cfg).run_to_end()
    s = run.summary()
    return {
        "target_acc": s["acc_after"],
        "retention": s["retention_cos"],
        "drift": 1.0 - s["retention_spearman"],
        "time_per_step_s": s["step_ms"] / 1e3,
        "peak_mem_mb": s["peak_mem_mb"],
        "memory_measure": s["peak_mem_kind"],
        "trainable_params": s["params_adapter"] + s["params_head"],
        "base_target_acc": s["acc_before"],
        "device": s["device"],
        "status": s["status"],
        "status_code": s["status_code"],
        "diverged": s["diverged"],
        "description": s["description"],
    }


def run_real_pilot(
    methods: Sequence[str],
    r: int,
    seeds: Sequence[int],
    steps: int,
    *,
    lr: float | None,
    device: str,
    top_k: int = 0,
    backend: str = "local",
    processes: int | None = None,
    address: str | None = None,
    gpus_per_task: float = 1.0,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[list[dict], list[dict], dict]:
    """(cells, results, setup) for ``pilot.summarize_pilot``."""
    from hra_viz.training.real.config import DEFAULT_LR  # transformers loads only for this task

    bad = [m for m in methods if m not in REAL_METHODS]
    if bad:
        raise ValueError(f"methods on {REAL_TASK} must be among {REAL_METHODS}; got {bad}")
    cells = [
        {"task": REAL_TASK, "method": m, "r": int(r), "seed": int(s), "steps": int(steps), "device": device,
         "lr": float(lr if lr is not None else DEFAULT_LR[m]), "top_k": int(top_k), "lam": 0.0, "alpha": None,
         "block_size": 16}  # fmt: skip
        for m in methods
        for s in seeds
    ]
    labels = [f"{c['method']} r={c['r']} seed={c['seed']}" for c in cells]
    results = run_cells(real_pilot_cell, cells, backend=backend, processes=processes, address=address,
                        progress=progress, labels=labels, gpus_per_task=gpus_per_task)  # fmt: skip
    setup = {
        "task": REAL_TASK,
        "model": f"all-MiniLM-L6-v2 (BERT, 6 × 384, 22.7 M), W_q W_v, top_k={int(top_k) or 'auto'}",
        "r": int(r),
        "steps": int(steps),
        "top_k": int(top_k),
        "metric_notes": {"retention": "mean cosine, probe sentences",
                         "drift": "1 − Spearman ρ of the probe similarity matrices"},  # fmt: skip
    }
    return cells, results, setup
