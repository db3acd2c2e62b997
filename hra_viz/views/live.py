"""Plain data for the app's training pages: snapshots of live runs, studies, comparisons.

Everything here is pure engine code (no streamlit): it reads ``train.Run`` objects or trains short
runs and returns numpy arrays, dicts and DataFrames, never models, so that results can be cached
(``st.cache_data``) and handed to ``hra_viz.views.figures``. Notation as in the paper: U (d_in × r), Û its
column-normalised copy, H = I + Û Γ Ûᵀ, W' = W H.
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd
import torch
from torch import nn

from hra_viz.core.adapters import HRAConv2d, HRALinear, adapter_layers, trainable_parameters
from hra_viz.training import metrics as M
from hra_viz.training.sweep import sweep
from hra_viz.training.tasks import decision_grid, load_task
from hra_viz.training.train import Run, RunConfig

__all__ = [
    "max_rank",
    "steps_for_tick",
    "PlayingSessions",
    "PLAYING",
    "FairTurns",
    "TURNS",
    "tick_budget",
    "slow_every",
    "history_frame",
    "run_numbers",
    "max_offdiag",
    "hra_grams",
    "moons_view",
    "digit_samples",
    "spectra_report",
    "lambda_study",
    "chain_sweep",
    "chain_cells",
    "chain_cell",
    "chain_frame",
    "sweep_grid",
]

# Optimiser time per tick, all runs together. Drawing takes the rest of the 0.5 s a tick may block
# the session: building the figures is ~0.1 s, and on a loaded 2-core machine more (measured).
TICK_BUDGET_S = 0.15
MAX_STEPS_PER_TICK = 60
# A playing session that has not ticked for this long (a closed tab, a stopped timer) stops counting.
# Longer than any tick interval under load (issue 13 asks for ≤ 3 s with 16 sessions).
PLAYING_STALE_S = 10.0
SLOW_FIGURES_SHARE = 4  # up to this many playing sessions, slow figures are redrawn on every tick


class PlayingSessions:
    """The sessions of this server process whose Live training is playing: a fair share of the CPU.

    Streamlit runs every browser session's script in a thread of one Python process, and a tick
    holds the GIL while it trains and builds figures, so with n sessions playing each one waits for
    the other n − 1 ticks. Each session reports its ticks (``tick``) and says when it stops
    (``leave``); one that has not ticked for ``stale_s`` seconds (a closed tab) no longer counts.
    Thread-safe; ``clock`` is injectable for tests.
    """

    def __init__(self, stale_s: float = PLAYING_STALE_S, clock=time.monotonic) -> None:
        self.stale_s = stale_s
        self._clock = clock
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def _purge(self, now: float) -> None:
        for key in [k for k, t in self._last.items() if now - t > self.stale_s]:
            del self._last[key]

    def tick(self, key: str) -> int:
        """Session ``key`` ticks now; returns how many sessions are playing, this one included."""
        with self._lock:
            now = self._clock()
            self._last[key] = now
            self._purge(now)
            return len(self._last)

    def leave(self, key: str) -> None:
        with self._lock:
            self._last.pop(key, None)

    def count(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._last)


PLAYING = PlayingSessions()  # one per server process: every session's thread sees the same count


class FairTurns:
    """First come, first served: at most ``slots`` ticks run at once, the others wait in order.

    Without it, every playing session's thread runs its tick at the same time and they share the
    GIL by switching every few milliseconds: each tick then lasts as long as all of them together,
    and the server's event loop, which sends every session its messages, gets the GIL only now and
    then, so the messages reach the browsers late and in bursts. Taking turns, a tick runs alone and
    is delivered at once, and a session waits for at most the ticks queued before it. Waiting is
    bounded by ``max_wait_s`` (then the tick runs anyway), so a stuck tick cannot stop the class.
    """

    def __init__(self, slots: int = 1, max_wait_s: float = 30.0) -> None:
        self.slots, self.max_wait_s = slots, max_wait_s
        self._cond = threading.Condition()
        self._issued = 0  # tickets handed out
        self._done = 0  # turns finished (or given up waiting)

    @contextmanager
    def turn(self):
        with self._cond:
            ticket = self._issued
            self._issued += 1
            deadline = time.monotonic() + self.max_wait_s
            while ticket >= self._done + self.slots:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
        try:
            yield
        finally:
            with self._cond:
                self._done += 1
                self._cond.notify_all()


TURNS = FairTurns()  # one per server process: the live page's ticks take turns


def tick_budget(n_playing: int, budget_s: float = TICK_BUDGET_S) -> float:
    """Optimiser time for one tick when ``n_playing`` sessions share the process: ``budget_s / n``.

    The whole process then trains for about ``budget_s`` per round of ticks however many sessions
    play, so a round (every session ticking once) stays short and no session waits long for its
    turn; each run still makes at least one step per tick (``steps_for_tick``).
    """
    return budget_s / max(int(n_playing), 1)


def slow_every(n_playing: int, share: int = SLOW_FIGURES_SHARE) -> int:
    """Redraw the slowly changing figures (the digit predictions) every k-th tick: k = ⌈n / share⌉.

    Building such a figure costs several ticks' worth of CPU; under load, every session redraws it
    less often instead of making every other session wait.
    """
    return max(1, math.ceil(max(int(n_playing), 1) / share))


def max_rank(task: str, seed: int = 0) -> int:
    """The largest r valid on every adapted Linear layer of the task's base model (min d_in)."""
    model = load_task(task, seed=seed).base_model
    return min(m.in_features for m in model.modules() if isinstance(m, nn.Linear))


def steps_for_tick(
    step_time_s: float | None, n_runs: int, budget_s: float = TICK_BUDGET_S, first: bool = False
) -> int:
    """Optimiser steps per run in one tick so that n_runs × k × step_time stays within budget_s.

    The first tick does a single step (the first point must appear at once); with no timing yet,
    assume 5 ms per step.
    """
    if first:
        return 1
    st = step_time_s if step_time_s and math.isfinite(step_time_s) and step_time_s > 0 else 5e-3
    k = int(budget_s / (max(n_runs, 1) * st))
    return max(1, min(MAX_STEPS_PER_TICK, k))


def run_numbers(run: Run) -> dict:
    """The numbers shown beside a live run: parameters, latest accuracies, retention, changes in points."""
    bt, bs = run.task.base_acc["target"], run.task.base_acc["source"]
    last = run.history[-1] if run.history else {"target_acc": bt, "source_acc": bs}
    return {
        "params": trainable_parameters(run.model),
        "target_acc": last["target_acc"],
        "retention": M.retention(last["source_acc"], bs),
        "target_pt": (last["target_acc"] - bt) * 100,
        "source_pt": (last["source_acc"] - bs) * 100,
        "base_target_acc": bt,
        "base_source_acc": bs,
    }


def max_offdiag(grams: dict[str, np.ndarray]) -> float:
    """max |ûᵢ·ûⱼ| over i ≠ j and layers: 1 at symmetric init (pairs), 0 when Û is orthonormal."""
    return max((float(np.abs(G - np.eye(G.shape[0])).max()) for G in grams.values()), default=0.0)


def history_frame(runs: dict[str, Run]) -> pd.DataFrame:
    """One row per (method, step): loss, target/source accuracy, retention, penalty, step time.

    Built column by column (a live tick rebuilds it for thousands of steps; a frame from one dict
    per row took 10× longer). Columns no step recorded are left out.
    """
    cols = [
        "method",
        "step",
        "loss",
        "target_acc",
        "source_acc",
        "retention",
        "evaluated",
        "orth_penalty",
        "step_time_s",
        "elapsed_s",
    ]
    hists = [(m, run.history, run.task.base_acc["source"]) for m, run in runs.items()]
    if not any(h for _, h, _ in hists):
        return pd.DataFrame(columns=cols)
    data: dict[str, list] = {"method": [m for m, h, _ in hists for _ in h]}
    for c in cols[1:]:
        if c == "retention":
            data[c] = [M.retention(r["source_acc"], b) for _, h, b in hists for r in h]
        elif any(c in r for _, h, _ in hists for r in h):
            data[c] = [r.get(c) for _, h, _ in hists for r in h]
    return pd.DataFrame(data)


@torch.no_grad()
def hra_grams(model: nn.Module) -> dict[str, np.ndarray]:
    """{layer: ÛᵀÛ} (r × r) of every HRA layer: off-diagonal entries are the cosines between the u_i."""
    out = {}
    for name, layer in adapter_layers(model, (HRALinear, HRAConv2d)):
        U = layer.factors()[0] if layer.variant == "orthonormal" else layer.u
        out[name] = M.gram(U.detach().double().cpu()).numpy()
    return out


@torch.no_grad()
def moons_view(run: Run, n: int = 61, max_points: int = 200) -> dict:
    """Decision grid of the run's current model and a subsample of the target test points."""
    xx, yy, probs = decision_grid(run.model, run.task, n=n)
    x, y = run.task.target_test
    k = min(max_points, len(y))
    return {"xx": xx, "yy": yy, "p1": probs[..., 1], "x": x[:k].numpy(), "y": y[:k].numpy()}


@torch.no_grad()
def digit_samples(run: Run, n: int = 8) -> dict:
    """n target test images (8 × 8) with the run's current predictions and their true labels.

    The samples are the first n of a fixed stride through the test set, so they stay the same
    images while the run trains and are the same for every method.
    """
    x, y = run.task.target_test
    idx = torch.arange(0, len(y), max(1, len(y) // n))[:n]
    model = run.model
    was = model.training
    model.eval()
    pred = model(x[idx].to(run.device)).argmax(-1).cpu()
    model.train(was)
    return {"images": x[idx].reshape(-1, 8, 8).numpy(), "pred": pred.numpy(), "true": y[idx].numpy()}


# --------------------------------------------------------------------------------------------
# spectra and geometry of trained runs


def _deg(t: torch.Tensor) -> np.ndarray:
    return np.degrees(t.detach().double().cpu().numpy())


@torch.no_grad()
def _hra_geometry(run: Run) -> dict[str, dict]:
    out = {}
    for name, layer in adapter_layers(run.model, (HRALinear, HRAConv2d)):
        W = layer.base.weight.detach().flatten(1)
        out[name] = {
            "principal_deg": _deg(M.principal_angles(layer.u, W)),
            "pair_deg": _deg(M.pair_rotation_angles(layer.u.detach().double().cpu())),
        }
    return out


def spectra_report(
    task: str = "digits-rotate",
    r: int = 8,
    steps: int = 300,
    seed: int = 0,
    methods: tuple[str, ...] = ("hra", "lora", "oft", "full"),
    device: str = "auto",
) -> dict:
    """Train one short run per method (same task, seed, r) and measure what changed in W.

    Per method and layer: σ(W), σ(W'), σ(ΔW), max_i |σ_i(W') − σ_i(W)| and the hyperspherical
    energy HE(W), HE(W') of the neurons. For HRA also the principal angles between span(U) and
    the top-r right singular vectors of W, and the rotation angle of each pair (u_{2k−1}, u_{2k}),
    at initialisation and after training. Returns plain numpy arrays and numbers (cacheable).
    """
    out: dict = {"methods": {}, "layers": None, "hra_init": None, "hra": None}
    for method in methods:
        run = Run(RunConfig(task=task, method=method, r=r, steps=steps, seed=seed, device=device))
        if method == "hra":
            out["hra_init"] = _hra_geometry(run)
        run.run_to_end()
        s = run.summary()
        before, after = M.effective_weights(run.base), M.effective_weights(run.model)
        layers = {}
        for name, sp in M.layer_spectra(run.base, run.model).items():
            layers[name] = {
                "before": sp["before"].numpy(),
                "after": sp["after"].numpy(),
                "delta": sp["delta"].numpy(),
                "max_abs_dsigma": sp["max_abs_dsigma"],
                "he_before": M.hyperspherical_energy(before[name]),
                "he_after": M.hyperspherical_energy(after[name]),
            }
        out["layers"] = out["layers"] or list(layers)
        out["methods"][method] = {
            "layers": layers,
            "target_acc": s["target_acc"],
            "source_acc": s["source_acc"],
            "retention": s["retention"],
            "trainable_params": s["trainable_params"],
            "status": s["status"],
        }
        if method == "hra":
            out["hra"] = _hra_geometry(run)
    return out


def spectra_table(rep: dict) -> pd.DataFrame:
    """One row per (method, layer) of ``spectra_report``: max |Δσ|, rank of ΔW, HE before/after."""
    rows = []
    for m, v in rep["methods"].items():
        for name, ly in v["layers"].items():
            d = ly["delta"]
            rank = int((d > 1e-6 * max(float(d.max()), 1e-300)).sum()) if d.size and d.max() > 1e-9 else 0
            rows.append(
                {
                    "method": m,
                    "layer": name,
                    "max_abs_dsigma": ly["max_abs_dsigma"],
                    "rank_delta_w": rank,
                    "he_before": ly["he_before"],
                    "he_after": ly["he_after"],
                    "target_acc": v["target_acc"],
                    "retention": v["retention"],
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# the λ regulariser against symmetric init, and the λ = ∞ variant


@torch.no_grad()
def _hra_state(run: Run) -> dict:
    layers = adapter_layers(run.model, (HRALinear, HRAConv2d))
    pen = spec = 0.0
    pairs = []
    for _, layer in layers:
        d = M.hra_layer_diagnostics(layer)
        pen += d["orth_penalty"]  # 0 by definition for the λ = ∞ variant (Q is orthonormal)
        spec = max(spec, d["h_minus_i_spec"])
        if layer.variant == "chain":
            pairs.append(_deg(M.pair_rotation_angles(layer.u.detach().double().cpu())))
    allp = np.concatenate(pairs) if pairs else np.zeros(0)
    return {
        "penalty": pen,
        "h_minus_i_spec": spec,
        "pair_deg_mean": float(allp.mean()) if allp.size else float("nan"),
    }


def lambda_study(
    task: str = "digits-rotate",
    r: int = 8,
    steps: int = 300,
    seed: int = 0,
    lams: tuple[float, ...] = (0.0, 1e-3, 1e-2, 1e-1),
    lr: float = 1e-2,
    every: int = 10,
    device: str = "auto",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train HRA with each λ, and the orthonormal (λ = ∞) variant, recording every ``every`` steps:

    penalty Σ_layers ‖I − ÛᵀÛ‖²_F, max_layers ‖H − I‖₂, the mean pair rotation angle (degrees),
    target and source accuracy. At symmetric init the penalty is r + 8 Σ_{k<l} cos²(v_k, v_l) per
    layer (v_k the distinct pair vectors), at least r; its gradient pushes each pair apart, i.e.
    towards a 180° rotation, while the task wants H close to I. Returns (curves, summary).
    """
    curves, summary = [], []
    configs = [(f"{lam:g}", dict(lam=float(lam), variant="chain")) for lam in lams]
    configs.append(("inf", dict(lam=0.0, variant="orthonormal")))
    for label, kw in configs:
        run = Run(
            RunConfig(
                task=task,
                method="hra",
                r=r,
                steps=steps,
                seed=seed,
                lr=lr,
                device=device,
                eval_every=every,
                **kw,
            )
        )
        t0 = time.perf_counter()
        ev = run.evaluate()
        st = _hra_state(run)
        curves.append({"lam": label, "step": 0, **st, **ev})
        start = dict(st, **ev)
        while not run.done:
            new = run.step(every)
            if not new:
                break
            last = new[-1]
            curves.append(
                {
                    "lam": label,
                    "step": last["step"],
                    **_hra_state(run),
                    "target_acc": last["target_acc"],
                    "source_acc": last["source_acc"],
                }
            )
        end = curves[-1]
        summary.append(
            {
                "lam": label,
                "variant": kw["variant"],
                "penalty_start": start["penalty"],
                "penalty_end": end["penalty"],
                "h_minus_i_start": start["h_minus_i_spec"],
                "h_minus_i_end": end["h_minus_i_spec"],
                "pair_deg_start": start["pair_deg_mean"],
                "pair_deg_end": end["pair_deg_mean"],
                "target_acc_start": start["target_acc"],
                "target_acc_end": end["target_acc"],
                "source_acc_start": start["source_acc"],
                "source_acc_end": end["source_acc"],
                "base_target_acc": run.task.base_acc["target"],
                "base_source_acc": run.task.base_acc["source"],
                "n_layers": len(adapter_layers(run.model, (HRALinear, HRAConv2d))),
                "status": run.status,
                "wall_s": time.perf_counter() - t0,
            }
        )
    return pd.DataFrame(curves), pd.DataFrame(summary)


# --------------------------------------------------------------------------------------------
# comparisons and sweeps


def sweep_grid(rmax: int) -> tuple[int, ...]:
    """Powers of two from 2 up to rmax: the r values of the chain-length sweep."""
    return tuple(2**k for k in range(1, int(math.log2(max(rmax, 2))) + 1))


def chain_cells(
    task: str, rmax: int, lams: tuple[float, ...] = (1e-4,)
) -> list[tuple[str, int | None, float]]:
    """The sweep's cells (method, budget r, λ): HRA × r × λ, LoRA and OFT × r, full once.

    r runs over {2, 4, …, rmax}, capped at the narrowest layer's d_in.
    """
    rs = tuple(v for v in sweep_grid(rmax) if v <= max_rank(task))
    cells: list[tuple[str, int | None, float]] = [("hra", rv, float(lam)) for rv in rs for lam in lams]
    cells += [(m, rv, 0.0) for m in ("lora", "oft") for rv in rs]
    cells.append(("full", None, 0.0))
    return cells


def chain_cell(
    task: str,
    method: str,
    r: int | None,
    lam: float,
    steps: int = 300,
    seed: int = 0,
    lr: float = 1e-2,
    device: str = "auto",
) -> pd.DataFrame:
    """One row of the chain-length sweep (``sweep.sweep`` on a single cell, matched budgets).

    Matched budgets (``sweep.grid``): LoRA rank r/2 has (r/2)(d_in + d_out) = r·d parameters on a
    square layer, HRA's r·d_in; OFT block size b = 2r has d_in(2r − 1)/2 ≈ r·d_in.
    ``trainable_params`` holds the true totals.
    """
    base = RunConfig(task=task, steps=steps, seed=seed, lr=lr, device=device)
    return sweep(base, r=(r or 8,), methods=(method,), lams=(lam,), matched_budget=True)


def chain_frame(rows: list[pd.DataFrame], lams: tuple[float, ...] = (1e-4,)) -> pd.DataFrame:
    """Concatenate ``chain_cell`` rows and label them (HRA rows by λ when several λ were swept)."""
    df = pd.concat(rows, ignore_index=True)
    df["label"] = df["method"]
    hra = df["method"] == "hra"
    if len(lams) > 1:
        df.loc[hra, "label"] = [f"hra λ={v:g}" for v in df.loc[hra, "lam"]]
    return df


def chain_sweep(
    task: str = "digits-rotate",
    rmax: int = 16,
    steps: int = 300,
    seed: int = 0,
    lr: float = 1e-2,
    lams: tuple[float, ...] = (1e-4,),
    device: str = "auto",
    progress=None,
) -> pd.DataFrame:
    """HRA over r ∈ {2, 4, …, rmax} (× λ), LoRA and OFT at matched budgets, full fine-tuning once."""
    cells = chain_cells(task, rmax, lams)
    rows = []
    for i, (m, rv, lam) in enumerate(cells, 1):
        rows.append(chain_cell(task, m, rv, lam, steps, seed, lr, device))
        if progress:
            progress(i, len(cells), f"{m} r={rv}")
    return chain_frame(rows, lams)
