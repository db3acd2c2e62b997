"""Compare methods on one task and seed, and sweep ranks, methods, seeds and λ into a tidy table.

``compare(cfgs)`` runs a few configs and returns their summaries; ``sweep(base_cfg, r=…, methods=…)``
returns a pandas DataFrame with one row per run: every RunConfig field, every scalar summary
metric, ``budget_r`` (the grid value the row was built from) and ``time_per_step_s``.

How the grid value r maps to each method's setting:

* ``hra``: chain length r.
* ``lora``: rank r, or rank max(1, r // 2) with ``matched_budget=True``. On a square layer
  (d_in = d_out = d) LoRA at rank r/2 has (r/2)(d + d) = r·d parameters, exactly HRA's r·d_in.
  On non-square layers (the digits head, 64 → 10) the counts differ; the table's
  ``trainable_params`` column always holds the true total, so compare on it.
* ``oft``: block size b = 2r (always, since r has no meaning for OFT). A block-diagonal OFT with
  block b has d_in (b − 1)/2 parameters per layer, close to HRA's r·d_in when b = 2r
  (d_in (r − ½) versus d_in r). Grid values with 2r not dividing every d_in give a row whose
  status says so instead of a run.
* ``full`` and ``head``: no rank; one run per seed (and λ), with ``r`` and ``budget_r`` empty.

λ (``lams``) applies to HRA only; other methods run once with λ = 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import pandas as pd

from hra_viz.training.backends import run_cells
from hra_viz.training.train import Run, RunConfig, prepare

__all__ = ["compare", "sweep", "grid", "run_one"]

Progress = Callable[[int, int, str], None]


def _label(cfg: RunConfig) -> str:
    if cfg.method in ("hra", "lora"):
        extra = f" r={cfg.r}" + (f" λ={cfg.lam:g}" if cfg.method == "hra" and cfg.lam else "")
    elif cfg.method == "oft":
        extra = f" b={cfg.block_size}"
    else:
        extra = ""
    return f"{cfg.method}{extra} seed={cfg.seed}"


def _scalar_summary(s: dict) -> dict:
    return {k: v for k, v in s.items() if k != "layers"}


def run_one(cfg: RunConfig | dict, threads: int | None = None) -> dict:
    """Train one config to the end and return its summary (never raises on bad or diverging runs).

    A config that cannot be built (e.g. r larger than a layer's d_in) returns a summary whose
    status starts with ``invalid:``; a diverging run returns its ``diverged at step …`` status.
    """
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    try:
        cfg = cfg if isinstance(cfg, RunConfig) else RunConfig(**cfg)
        t0 = time.perf_counter()
        run = Run(cfg)
        run.run_to_end()
        s = run.summary()
        s["setup_s"] = time.perf_counter() - t0 - s["wall_s"]
        s.pop("layers", None)
        return s
    except ValueError as e:
        return {"status": f"invalid: {e}", "status_code": "invalid", "status_args": {"detail": str(e)},
                "diverged": False}


def compare(cfgs: Sequence[RunConfig], progress: Progress | None = None) -> list[dict]:
    """Run several configs (same task and seed, e.g. one per method); return their summaries.

    Each summary also carries its config fields under ``config``.
    """
    cfgs = list(cfgs)
    if cfgs:
        prepare(cfgs[0])
    out = []
    for i, cfg in enumerate(cfgs):
        s = run_one(cfg)
        s["config"] = cfg.to_dict()
        out.append(s)
        if progress:
            progress(i + 1, len(cfgs), _label(cfg))
    return out


def grid(base_cfg: RunConfig, r: Sequence[int] = (8,), methods: Sequence[str] = ("hra",),
         seeds: Sequence[int] | None = None, lams: Sequence[float] | None = None,
         matched_budget: bool = False) -> list[tuple[dict, int | None]]:
    """The sweep's cells as (config-fields dict, budget_r); see the module docstring for the mapping."""
    seeds = list(seeds) if seeds is not None else [base_cfg.seed]
    lams = list(lams) if lams is not None else [base_cfg.lam]
    cells: list[tuple[dict, int | None]] = []
    base = base_cfg.to_dict()
    for method in methods:
        for seed in seeds:
            if method in ("full", "head"):
                cells.append(({**base, "method": method, "seed": seed, "lam": 0.0}, None))
                continue
            for rv in r:
                for lam in (lams if method == "hra" else [0.0]):
                    cell = {**base, "method": method, "seed": seed, "lam": float(lam)}
                    if method == "hra":
                        cell["r"] = int(rv)
                    elif method == "lora":
                        cell["r"] = max(1, int(rv) // 2) if matched_budget else int(rv)
                    else:  # oft
                        cell["block_size"] = 2 * int(rv)
                    cells.append((cell, int(rv)))
    return cells


def sweep(base_cfg: RunConfig | None = None, r: Sequence[int] = (2, 4, 8, 16, 32),
          methods: Sequence[str] = ("hra", "lora", "oft", "full"), seeds: Sequence[int] | None = None,
          lams: Sequence[float] | None = None, matched_budget: bool = False,
          progress: Progress | None = None, processes: int | None = None, backend: str = "local",
          address: str | None = None) -> pd.DataFrame:
    """Run the grid (methods × seeds × r × λ) and return a tidy DataFrame, one row per run.

    ``processes``: None or 1 runs sequentially in this process (best for small sweeps: a spawned
    worker pays ~2 s to import torch). With ``processes > 1`` the cells run in a spawn-context
    process pool; configs travel as plain dicts, never models, and each worker trains with one
    thread. Rows of diverged or invalid cells are kept, with their ``status``.
    ``backend="ray"`` runs one Ray task per cell instead, on this machine or on the cluster at
    ``address`` (see ``backends.run_cells``); every backend gives the same numbers.
    """
    base_cfg = base_cfg or RunConfig()
    cells = grid(base_cfg, r, methods, seeds, lams, matched_budget)
    prepare(base_cfg)  # pretrain and write the disk cache once, before any worker reads it
    labels = []
    for cell, _ in cells:
        try:
            labels.append(_label(RunConfig(**cell)))
        except ValueError:
            labels.append(f"{cell['method']} (invalid)")
    results = run_cells(run_one, [cell for cell, _ in cells], backend=backend, processes=processes,
                        address=address, progress=progress, labels=labels)
    rows = []
    for (cell, budget_r), res in zip(cells, results, strict=True):
        row = dict(cell)
        if cell["method"] in ("full", "head", "oft"):
            row["r"] = None  # no rank: OFT's budget is its block size
        if cell["method"] != "oft":
            row["block_size"] = None  # OFT's only setting; meaningless for the other methods
        row["budget_r"] = budget_r
        row["matched_budget"] = matched_budget
        row.update(_scalar_summary(res or {}))
        rows.append(row)
    df = pd.DataFrame(rows)
    for col in ("r", "budget_r", "block_size"):
        df[col] = df[col].astype("Int64")
    return df
