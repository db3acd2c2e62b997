"""The studies behind the study pages (spectra, λ, chain length): cached once per server, and the
studies of the default settings precomputed in the background when the server starts.

A visitor with default settings sees the result at once; while the server is still computing it, a
progress bar (never a blank page); with other settings, the page's button and progress bar as before.

* ``spectra_report`` / ``lambda_study`` / ``chain_cell``: ``st.cache_data`` wrappers of the pure
  ``hra_viz.views.live`` functions, shared by every session of the server (results are plain arrays
  and frames, never models) and called by the pages and by the warm-up alike, so both fill one cache.
* ``*_args``: the one place that turns a page's control values into the study's arguments, used by
  the page and by the warm-up (with the registry's defaults), so the two can never disagree.
* ``start_warmup()``: one daemon thread per server process runs the default studies in turn;
  ``warm_state(name, args)`` tells a page whether its arguments are the precomputed ones and how far
  they are. ``HRA_VIZ_WARM=0`` turns the warm-up off (the AppTest suite does, to test the buttons).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from hra_viz.app.state import default_values
from hra_viz.text import t
from hra_viz.views import live
from hra_viz.views.pilot import recompute_home_pilot
from ui import where_settings

__all__ = [
    "SPECTRA_METHODS",
    "spectra_args",
    "spectra_report",
    "lambda_args",
    "lambda_study",
    "chain_args",
    "chain_cell",
    "chain_sweep",
    "start_warmup",
    "warm_state",
    "wait_for_warmup",
    "real_model_settings",
]

SPECTRA_METHODS = ("hra", "lora", "oft", "full")
LAMBDA_EVAL_EVERY = 10


# ------------------------------------------------------------------------------------------------
# the studies, cached across sessions


@st.cache_data(show_spinner=False, max_entries=16)
def spectra_report(task, r, steps, seed, device):
    """Plain arrays and numbers (never models), keyed by the settings."""
    return live.spectra_report(task, r, steps, seed, SPECTRA_METHODS, device)


def spectra_args(task: str, r: int, steps: int, seed: int, device: str) -> tuple:
    """(task, r capped at the narrowest layer, steps, seed, device)."""
    return (task, min(int(r), live.max_rank(task)), int(steps), int(seed), device)


@st.cache_data(show_spinner=False, max_entries=16)
def lambda_study(task, r, steps, seed, lams, lr, device):
    return live.lambda_study(task, r, steps, seed, lams, lr, LAMBDA_EVAL_EVERY, device)


def lambda_args(task: str, r: int, lam: float, lr: float, steps: int, seed: int, device: str) -> tuple:
    """(task, r, steps, seed, λ grid = {0, λ, 1e-2, 1e-1}, lr, device)."""
    lams = tuple(sorted({0.0, float(lam), 1e-2, 1e-1}))
    return (task, min(int(r), live.max_rank(task)), int(steps), int(seed), lams, float(lr), device)


@st.cache_data(show_spinner=False, max_entries=256)
def chain_cell(task, method, r, lam, steps, seed, lr, device):
    """One pure row of the sweep, keyed by its settings: a larger rmax reuses every smaller run."""
    return live.chain_cell(task, method, r, lam, steps, seed, lr, device)


def chain_args(task: str, rmax: int, lam: float, lam_sweep: bool, lr: float, steps: int, seed: int,
               device: str, n_seeds: int = 1) -> tuple:  # fmt: skip
    """(task, rmax, steps, seeds, lr, λ values, device); λ sweep = {0, λ, 1e-2}; seeds = the global
    seed and the next n_seeds − 1 (error bands and the recommended r need several)."""
    lams = tuple(dict.fromkeys([0.0, float(lam), 1e-2])) if lam_sweep else (float(lam),)
    seeds = tuple((int(seed) + i) % 2**31 for i in range(max(int(n_seeds), 1)))
    return (task, int(rmax), int(steps), seeds, float(lr), lams, device)


def chain_sweep(args: tuple, progress: Callable[[int, int, str], None] | None = None):
    """Every cell × seed of the chain-length study (cached one by one), as one frame, one row per run."""
    task, rmax, steps, seeds, lr, lams, device = args
    cells = [(*c, s) for c in live.chain_cells(task, rmax, lams) for s in seeds]
    rows = []
    for i, (m, rv, lam_i, s) in enumerate(cells, 1):
        rows.append(chain_cell(task, m, rv, lam_i, steps, s, lr, device))
        if progress:
            progress(i, len(cells), f"{m} r={rv} seed={s}")
    return live.chain_frame(rows, lams)


# ------------------------------------------------------------------------------------------------
# the warm-up: the default settings' studies, once per server process


@dataclass
class _Job:
    name: str
    args: tuple
    run: Callable[[Callable[[int, int, str], None]], object]
    state: str = "queued"  # queued | running | done | failed
    done_n: int = 0
    total_n: int = 1
    label: str = ""
    error: str = ""
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


_LOCK = threading.Lock()
_JOBS: dict[str, _Job] = {}
_THREAD: threading.Thread | None = None


def _default_device() -> str:
    from ui import resolve_device

    return resolve_device(str(default_values().get("device", "auto")))


def _default_jobs() -> list[_Job]:
    d = default_values()
    seed, device = int(d["seed"]), _default_device()
    spec = spectra_args(d["task"], d["r"], d["steps"], seed, device)
    lam = lambda_args(d["task"], d["r"], d["lam"], d["lr"], d["steps"], seed, device)
    chain = chain_args(d["task"], d["rmax"], d["lam"], d["lam_sweep"], d["lr"], d["steps"], seed, device,
                       d["chain_seeds"])

    def one(fn, args):
        def run(progress):
            progress(0, 1, "")
            out = fn(*args)
            progress(1, 1, "")
            return out

        return run

    return [
        _Job("spectra", spec, one(spectra_report, spec)),
        _Job("lambda", lam, one(lambda_study, lam)),
        _Job("chain", chain, lambda progress: chain_sweep(chain, progress)),
        # Last: the home page serves its shipped multi-seed result at once; this recomputes it on
        # this server (same command, this machine) and serves that from then on.
        _Job("home", ("home", device), lambda progress: recompute_home_pilot(device, progress=progress)),
        # The real model: load all-MiniLM-L6-v2 and compute what every run of the default settings
        # shares (the frozen lower layers' features, the head-only baseline), so that its page opens
        # in seconds for the first visitor too.
        _Job("real", ("real", device), lambda progress: _warm_real_model(d, seed, device, progress)),
    ]


def real_model_settings(methods, r, layers, top_k_raw, steps, seed: int, device: str) -> tuple:
    """The real-model page's settings tuple: (methods, r, layers, top k (0 = auto), steps, seed, device)."""
    methods = list(dict.fromkeys(methods))[:4] or ["hra"]
    top_k = 0 if top_k_raw == "auto" else int(top_k_raw)
    return (tuple(methods), int(r), layers, top_k, int(steps), int(seed), device)


def _warm_real_model(d: dict, seed: int, device: str, progress) -> None:
    from hra_viz.training.real import RealConfig, RealRun, get_real_model

    methods, r, layers, top_k, steps, seed, device = real_model_settings(
        d["real_methods"], d["r"], d["real_layers"], d["real_top_k"], d["real_steps"], seed, device
    )
    real = get_real_model(device)
    for i, m in enumerate(methods, 1):
        cfg = RealConfig(method=m, r=r, layers=layers, top_k=top_k, steps=steps, seed=seed, device=device)
        RealRun(cfg, real=real)
        progress(i, len(methods), m)


def _work(jobs: list[_Job]) -> None:
    # the warm-up calls cached functions outside a script run: Streamlit warns once per call
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    start = time.perf_counter()
    for job in jobs:
        with _LOCK:
            job.state = "running"

        def progress(i, n, label, job=job):
            with _LOCK:
                job.done_n, job.total_n, job.label = i, max(n, 1), label

        t0 = time.perf_counter()
        try:
            job.run(progress)
            state, err = "done", ""
        except Exception as e:  # a failed warm-up only means the page shows its button
            state, err = "failed", f"{type(e).__name__}: {e}"
        with _LOCK:
            job.state, job.error, job.seconds = state, err, time.perf_counter() - t0
        # one line per study in the server log, for operators (and the browser benchmark, which waits for it)
        print(f"hra-viz warm-up: {job.name} {state} in {job.seconds:.1f} s {err}".rstrip(), flush=True)
    print(f"hra-viz warm-up: finished in {time.perf_counter() - start:.1f} s", flush=True)


def warmup_enabled() -> bool:
    return os.environ.get("HRA_VIZ_WARM", "1") != "0"


def start_warmup() -> bool:
    """Start the warm-up thread once per process (idempotent); False if turned off."""
    global _THREAD
    if not warmup_enabled():
        return False
    with _LOCK:
        if _THREAD is not None:
            return True
        jobs = _default_jobs()
        _JOBS.update({j.name: j for j in jobs})
        _THREAD = threading.Thread(target=_work, args=(jobs,), name="hra-viz-warmup", daemon=True)
        _THREAD.start()
    return True


def warm_state(name: str, args: tuple) -> dict | None:
    """None if ``args`` are not the warm-up's for ``name`` (or it is off); else its state and progress."""
    with _LOCK:
        job = _JOBS.get(name)
        if job is None or job.args != args:
            return None
        return {"state": job.state, "done": job.done_n, "total": job.total_n, "label": job.label,
                "error": job.error, "seconds": job.seconds}  # fmt: skip


def wait_for_warmup(timeout_s: float = 300.0) -> bool:
    """Block until every warm-up job has ended (for tests and benchmarks); True if all are done."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with _LOCK:
            states = [j.state for j in _JOBS.values()]
        if states and all(s in ("done", "failed") for s in states):
            return all(s == "done" for s in states)
        time.sleep(0.1)
    return False


def wait_panel(name: str, args: tuple, lang: str, every_s: float = 1.0) -> None:
    """While the warm-up computes this page's default study: a progress bar that refreshes itself and
    reruns the page once the result is there."""

    @st.fragment(run_every=every_s)
    def _panel():
        s = warm_state(name, args)
        if s is None or s["state"] in ("done", "failed"):
            st.rerun(scope="app")
        frac = s["done"] / max(s["total"], 1)
        st.progress(min(max(frac, 0.0), 1.0), text=t("warm.progress", lang, done=s["done"], total=s["total"]))
        st.caption(t("warm.note", lang, where=where_settings()))

    _panel()
