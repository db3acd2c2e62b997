"""A/B pilots: methods × seeds on one task, with confidence intervals and paired differences.

``run_pilot(task, methods, r, seeds, steps, …)`` trains every method on the same task, r, steps
and seeds (one cell per (method, r, seed, λ), built by ``sweep.grid``, trained by
``sweep.run_one``) and returns one JSON-ready dict:

* ``setup``: task, model, methods, r, steps, seeds, λ, learning rates, device, backend, versions,
  date: enough to reproduce the pilot and to say where its numbers came from;
* ``methods[m][metric]`` = {values (per seed, in seed order), n, mean, std, ci95};
* ``paired["a-b"][metric]`` = {diff_values (a − b per seed), n, mean, std, ci95, p_value, verdict}
  for a = the first method and every other method b;
* ``stats``: how the intervals and p-values are computed (Student t, paired t; see ``stats``).

Metrics (``METRICS``): target accuracy and retention (higher is better); drift, step time and peak
memory (lower is better). Trainable parameters are exact counts, not a statistic: they are in
``methods[m]["trainable_params"]``.

Peak memory (MB): on CUDA the allocator's peak over the whole run
(``torch.cuda.max_memory_allocated``); on CPU and MPS, where torch keeps no allocator statistics,
the tensor memory of one training step counted from the live tensors: every weight (frozen and
trainable), the gradients, the optimiser state, the batch, and the activations autograd saves for
the backward pass (seen through ``torch.autograd.graph.saved_tensors_hooks``, shared storages
counted once). ``setup["memory_measure"]`` says which one a pilot used.
"""

from __future__ import annotations

import datetime as _dt
import math
import platform
import time
from collections.abc import Callable, Sequence

from hra_viz.training import stats as S
from hra_viz.training.backends import BACKENDS, run_cells
from hra_viz.training.real_pilot import REAL_TASK, run_real_pilot
from hra_viz.training.sweep import _label, grid, run_one
from hra_viz.training.tasks import TASKS
from hra_viz.training.train import CHOICES, DEFAULT_LR, RANGES, RunConfig, prepare, resolve_device

__all__ = [
    "METRICS",
    "SCHEMA",
    "run_pilot",
    "pilot_cell",
    "training_memory_bytes",
    "seed_list",
    "MAX_SEEDS",
    "summarize_pilot",
    "to_json",
    "load_pilot",
    "check_pilot",
]

SCHEMA = "hra-viz/pilot-1"
MAX_SEEDS = 100
# metric -> (higher is better, unit). The order is the order of tables and figures.
METRICS: dict[str, dict] = {
    "target_acc": {"higher_is_better": True, "unit": "fraction"},
    "retention": {"higher_is_better": True, "unit": "fraction"},
    "drift": {"higher_is_better": False, "unit": "nats"},
    "step_time_s": {"higher_is_better": False, "unit": "s", "negligible_rel": 0.01},
    "peak_mem_mb": {"higher_is_better": False, "unit": "MB", "negligible_rel": 0.01},
}
# negligible_rel: a cost difference within 1 % of the second method's mean is called negligible, not a win
Progress = Callable[[int, int, str], None]


def seed_list(seeds: int | Sequence[int]) -> list[int]:
    """K → [0, …, K−1]; a sequence of distinct seeds is kept in its order."""
    if isinstance(seeds, bool):
        raise ValueError(f"seeds must be a count or a list of seeds; got {seeds!r}")
    if isinstance(seeds, int):
        if not 1 <= seeds <= MAX_SEEDS:
            raise ValueError(f"the number of seeds must be in [1, {MAX_SEEDS}]; got {seeds}")
        return list(range(seeds))
    out = [int(s) for s in seeds]
    if not out or len(out) > MAX_SEEDS or len(set(out)) != len(out):
        raise ValueError(f"seeds must be 1 to {MAX_SEEDS} distinct integers; got {out}")
    lo, hi = RANGES["seed"]
    if any(not lo <= s <= hi for s in out):
        raise ValueError(f"every seed must be in [{lo}, {hi}]; got {out}")
    return out


def training_memory_bytes(cfg: RunConfig) -> int:
    """Tensor memory of one training step of ``cfg`` (see the module docstring), in bytes."""
    import torch
    import torch.nn.functional as F

    from hra_viz.core.adapters import orthogonality_loss
    from hra_viz.training.train import Run

    run = Run(cfg.replace(steps=max(cfg.steps, 1)))
    run.step(1)  # the optimiser allocates its state on its first step
    storages: dict[int, int] = {}

    def add(t) -> None:
        st = t.untyped_storage()
        storages.setdefault(st.data_ptr(), st.nbytes())

    for p in run.model.parameters():
        add(p)
        if p.grad is not None:
            add(p.grad)
    for b in run.model.buffers():
        add(b)
    for state in run.opt.state.values():
        for v in state.values():
            if torch.is_tensor(v):
                add(v)
    x, y = run._train
    x, y = x[: cfg.batch_size], y[: cfg.batch_size]
    add(x)
    add(y)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: (add(t), t)[1], lambda t: t):
        loss = F.cross_entropy(run.model(x), y)
        if run._lam > 0:
            loss = loss + run._lam * orthogonality_loss(run.model)
    del loss
    return int(sum(storages.values()))


def pilot_cell(cell: dict) -> dict:
    """One pilot cell: ``sweep.run_one`` plus the device it ran on and its peak memory (MB)."""
    try:
        cfg = RunConfig(**cell)
    except ValueError:
        return run_one(cell)  # a summary whose status says why the cell is invalid
    dev = resolve_device(cfg.device)
    cuda = dev.type == "cuda"
    if cuda:
        import torch

        torch.cuda.synchronize(dev)
        torch.cuda.reset_peak_memory_stats(dev)
    s = run_one(cfg)
    s["device"] = str(dev)
    if not str(s.get("status_code", "")).startswith(("finished", "diverged")):
        s["peak_mem_mb"] = float("nan")
        return s
    if cuda:
        s["peak_mem_mb"] = torch.cuda.max_memory_allocated(dev) / 2**20
        s["memory_measure"] = "cuda-allocator-peak"
    else:
        s["peak_mem_mb"] = training_memory_bytes(cfg) / 2**20
        s["memory_measure"] = "tensor-accounting"
    return s


def _versions(backend: str) -> dict:
    import numpy
    import scipy
    import torch

    from hra_viz import __version__

    v = {
        "hra_viz": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
    }
    if backend == "ray":
        import ray

        v["ray"] = ray.__version__
    return v


def _model_dims(task: str, task_seed: int) -> list[int]:
    """Widths of the task's base MLP, input to output (e.g. [64, 64, 64, 10])."""
    from torch import nn

    from hra_viz.training.tasks import load_task

    lin = [m for m in load_task(task, seed=task_seed).base_model.modules() if isinstance(m, nn.Linear)]
    return [m.in_features for m in lin] + [lin[-1].out_features]


def _model_text(dims: list[int], task_seed: int) -> str:
    arrow = " → ".join(map(str, dims))
    return f"MLP {arrow} (ReLU), pretrained on the source data (task seed {task_seed})"


def _cell_label(cell: dict) -> str:
    try:
        return _label(RunConfig(**cell))
    except ValueError:
        return f"{cell['method']} (invalid) seed={cell['seed']}"


def _value(res: dict, metric: str):
    key = "time_per_step_s" if metric == "step_time_s" else metric
    v = res.get(key)
    if v is None or isinstance(v, bool):
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def run_pilot(
    task: str = "digits-rotate",
    methods: Sequence[str] = ("hra", "lora"),
    r: int = 8,
    seeds: int | Sequence[int] = 5,
    steps: int = 300,
    *,
    lam: float = 0.0,
    lr: float | None = None,
    batch_size: int = 128,
    device: str = "auto",
    matched_budget: bool = False,
    backend: str = "local",
    processes: int | None = None,
    address: str | None = None,
    gpus_per_task: float = 1.0,
    progress: Progress | None = None,
    base: RunConfig | None = None,
    command: str | None = None,
) -> dict:
    """Train ``methods`` × ``seeds`` (same task, r, steps) and return the pilot dict (module docstring).

    ``lam`` applies to HRA only. ``lr=None`` uses each method's tuned default. ``matched_budget``
    gives LoRA rank r/2 (see ``sweep``). ``backend``/``processes``/``address``: see
    ``backends.run_cells``. ``base``: a RunConfig whose other fields (task parameters, optimiser,
    …) the cells inherit; the explicit arguments override it. ``command``: the command line that
    made the pilot, kept in its provenance. Bad arguments raise ValueError.
    """
    methods = list(dict.fromkeys(methods))
    if not methods:
        raise ValueError("a pilot needs at least one method")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    if task == REAL_TASK:  # all-MiniLM-L6-v2, the "A real model" page's runs
        seeds = seed_list(seeds)
        t0 = time.perf_counter()
        cells, results, setup = run_real_pilot(
            methods, r, seeds, steps, lr=lr, device=device, backend=backend, processes=processes,
            address=address, gpus_per_task=gpus_per_task, progress=progress,
        )
        setup.update(device_requested=device, backend=backend, address=address, processes=processes,
                     wall_s=time.perf_counter() - t0, versions=_versions(backend), command=command)
        return summarize_pilot(cells, results, methods, seeds, setup)
    bad = [m for m in methods if m not in CHOICES["method"]]
    if bad:
        raise ValueError(f"methods must be among {CHOICES['method']}; got {bad}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    seeds = seed_list(seeds)
    base = (base or RunConfig()).replace(
        task=task,
        r=int(r),
        steps=int(steps),
        lam=float(lam),
        lr=lr,
        batch_size=int(batch_size),
        device=device,
        seed=seeds[0],
    )
    cells = grid(
        base, r=[base.r], methods=methods, seeds=seeds, lams=[base.lam], matched_budget=matched_budget
    )
    labels = [_cell_label(c) for c, _ in cells]
    t0 = time.perf_counter()
    prepare(base)  # pretrain and write the disk cache once, before any worker reads it
    results = run_cells(
        pilot_cell,
        [c for c, _ in cells],
        backend=backend,
        processes=processes,
        address=address,
        progress=progress,
        labels=labels,
        gpus_per_task=gpus_per_task,
    )
    wall = time.perf_counter() - t0
    dims = _model_dims(task, base.task_seed)
    setup = {
        "task": task,
        "model": _model_text(dims, base.task_seed),
        "model_dims": dims,
        "r": base.r,
        "matched_budget": bool(matched_budget),
        "steps": base.steps,
        "lam": base.lam,
        "optimizer": base.optimizer,
        "batch_size": base.batch_size,
        "task_seed": base.task_seed,
        "device_requested": device,
        "backend": backend,
        "address": address,
        "processes": processes,
        "wall_s": wall,
        "versions": _versions(backend),
        "command": command,
    }
    return summarize_pilot([c for c, _ in cells], results, methods, seeds, setup)


def summarize_pilot(
    cells: Sequence[dict], results: Sequence[dict], methods: Sequence[str], seeds: Sequence[int], setup: dict
) -> dict:
    """The pilot dict (module docstring) from the cells (RunConfig fields), their results
    (``pilot_cell`` dicts, same order) and the setup fields known to the caller. Pure: no training."""
    methods, seeds = list(methods), list(seeds)
    by: dict[tuple[str, int], tuple[dict, dict]] = {}
    for cell, res in zip(cells, results, strict=True):
        by[(cell["method"], cell["seed"])] = (cell, res or {})

    out_methods: dict[str, dict] = {}
    for m in methods:
        rows = [by[(m, s)] for s in seeds]
        entry: dict = {metric: S.summarize([_value(res, metric) for _, res in rows]) for metric in METRICS}
        params = [res.get("trainable_params") for _, res in rows]
        entry["trainable_params"] = next((int(p) for p in params if p is not None), None)
        entry["status"] = [str(res.get("status", "")) for _, res in rows]
        entry["status_code"] = [str(res.get("status_code", "")) for _, res in rows]
        entry["diverged"] = sum(bool(res.get("diverged")) for _, res in rows)
        cell = rows[0][0]
        entry["config"] = {
            "method": m,
            "r": cell["r"] if m in ("hra", "lora") else None,
            "block_size": cell["block_size"] if m == "oft" else None,
            "lam": cell["lam"],
            "alpha": cell["alpha"],
            "lr": float(cell["lr"] if cell["lr"] is not None else DEFAULT_LR[m]),  # real cells set lr
        }
        out_methods[m] = entry

    paired: dict[str, dict] = {}
    a = methods[0]
    for b in methods[1:]:
        pair: dict = {}
        for metric, info in METRICS.items():
            p = S.paired(out_methods[a][metric]["values"], out_methods[b][metric]["values"])
            tol = info.get("negligible_rel", 0.0) * abs(out_methods[b][metric]["mean"] or 0.0)
            p["verdict"] = S.verdict(p["ci95"], info["higher_is_better"], p["n"], negligible=tol)
            pair[metric] = p
        paired[f"{a}-{b}"] = pair

    all_res = [res for res in results if res]
    devices = sorted({str(res["device"]) for res in all_res if res.get("device")})
    measures = sorted({str(res["memory_measure"]) for res in all_res if res.get("memory_measure")})
    base_row = next((res for res in all_res if "base_target_acc" in res), {})
    task = setup.get("task", cells[0]["task"] if cells else "")
    spec = TASKS.get(task)
    full_setup = {
        "task": task,
        "task_description": {"en": spec.description_en, "ja": spec.description_ja} if spec else {},
        "conflicts_with_source": bool(spec and spec.conflicts_with_source),
        "methods": methods,
        "seeds": seeds,
        "lr": {m: out_methods[m]["config"]["lr"] for m in methods},
        "base_target_acc": base_row.get("base_target_acc"),
        "base_source_acc": base_row.get("base_source_acc"),
        "device": devices[0] if len(devices) == 1 else devices,
        "memory_measure": measures[0] if len(measures) == 1 else measures,
        "platform": platform.platform(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        **setup,
    }
    return {
        "schema": SCHEMA,
        "setup": full_setup,
        "stats": {
            "ci": S.CI_KIND,
            "level": S.LEVEL,
            "test": S.TEST_KIND,
            "std_ddof": 1,
            "rule": "a difference is called only when its 95 % CI excludes 0",
        },
        "metrics": METRICS,
        "methods": out_methods,
        "paired": paired,
    }


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def to_json(pilot: dict) -> str:
    """The pilot as JSON text (NaN and ±inf become null, as JSON has no such numbers)."""
    import json

    return json.dumps(_clean(pilot), indent=1, ensure_ascii=False)


def check_pilot(obj) -> dict:
    """``obj`` if it is a pilot dict of this schema with the fields a report needs; else ValueError."""
    if not isinstance(obj, dict) or obj.get("schema") != SCHEMA:
        raise ValueError(f"not a pilot result of schema {SCHEMA!r}")
    for key in ("setup", "methods", "paired", "metrics"):
        if not isinstance(obj.get(key), dict):
            raise ValueError(f"pilot result without {key!r}")
    for m, entry in obj["methods"].items():
        for metric in obj["metrics"]:
            e = entry.get(metric) if isinstance(entry, dict) else None
            if not isinstance(e, dict) or not {"values", "mean", "std", "ci95"} <= set(e):
                raise ValueError(f"pilot result: methods[{m!r}][{metric!r}] is incomplete")
    return obj


def _nan(v):
    return float("nan") if v is None else v


def _restore(v):
    """JSON null back to NaN in the numeric fields (mean, std, ci95, p_value)."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k in ("mean", "std", "p_value"):
                out[k] = _nan(x)
            elif k == "ci95" and isinstance(x, list):
                out[k] = [_nan(y) for y in x]
            else:
                out[k] = _restore(x)
        return out
    if isinstance(v, list):
        return [_restore(x) for x in v]
    return v


def load_pilot(path) -> dict:
    """Read a pilot JSON file (plain JSON, never pickle) and check it; ValueError if it is not one."""
    import json
    from pathlib import Path

    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"cannot read a pilot result from {path}: {e}") from None
    return check_pilot(_restore(obj))
