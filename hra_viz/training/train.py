"""Live, resumable training runs: ``Run(RunConfig(...))`` yields one metrics dict per step.

A Run holds its own model (a deep copy of the cached, frozen base, then ``adapt``-ed), its own
optimiser and its own torch.Generator for batches, so pausing is simply not calling it, resuming
is calling it again, and reset is a new Run. The same config and seed give identical metrics on CPU.

Objective (paper eq. 6 for HRA; λ = 0 for the other methods):

    L = CE(f_{W H}(x), y) + λ Σ_layers ‖I_r − ÛᵀÛ‖²_F
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import time
import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from hra_viz.core import householder as hh
from hra_viz.core.adapters import (
    HRAConv2d,
    HRALinear,
    OddRankWarning,
    OFTLinear,
    adapt,
    adapter_layers,
    orthogonality_loss,
    trainable_parameters,
)
from hra_viz.training import metrics as M
from hra_viz.training.graphs import GraphedEval, GraphedStep
from hra_viz.training.stepping import SteppedRun
from hra_viz.training.tasks import TASK_PARAM_RANGES, TASKS, load_task

__all__ = [
    "RunConfig",
    "Run",
    "resolve_device",
    "prepare",
    "RANGES",
    "CHOICES",
    "DEFAULT_LR",
]

# Allowed values of every RunConfig field (a state registry reads these). Ranges are inclusive.
METHOD_CHOICES = ("hra", "lora", "oft", "full", "head")
VARIANT_CHOICES = ("chain", "orthonormal")
INIT_CHOICES = ("symmetric", "random", "null")
OPTIMIZER_CHOICES = ("adam", "sgd")
BLOCK_SIZE_CHOICES = (2, 4, 8, 16, 32, 64)
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
R_RANGE = (1, 64)  # and r ≤ d_in of every adapted layer (checked when the model is adapted)
LAM_RANGE = (0.0, 1.0)  # paper's useful range is 1e-5 … 1e-3; larger values dominate the loss
ALPHA_RANGE = (1e-3, 1e3)
LR_RANGE = (1e-6, 1e4)  # wide on purpose: divergence is handled, and teaching it needs huge values
STEPS_RANGE = (1, 100_000)
BATCH_SIZE_RANGE = (1, 4096)
SEED_RANGE = (0, 2**31 - 1)
EVAL_EVERY_RANGE = (1, 100_000)
CPU_THREADS_RANGE = (0, 256)

RANGES: dict[str, tuple] = {
    "r": R_RANGE, "lam": LAM_RANGE, "alpha": ALPHA_RANGE, "lr": LR_RANGE, "steps": STEPS_RANGE,
    "batch_size": BATCH_SIZE_RANGE, "seed": SEED_RANGE, "task_seed": SEED_RANGE,
    "eval_every": EVAL_EVERY_RANGE, "cpu_threads": CPU_THREADS_RANGE, **TASK_PARAM_RANGES,
}
CHOICES: dict[str, tuple] = {
    "task": tuple(TASKS), "method": METHOD_CHOICES, "variant": VARIANT_CHOICES, "init": INIT_CHOICES,
    "optimizer": OPTIMIZER_CHOICES, "block_size": BLOCK_SIZE_CHOICES, "device": DEVICE_CHOICES,
}
# Learning rate used when ``lr`` is None, per method: each tuned on digits-rotate (300 Adam steps,
# batch 128) so that comparisons are fair to every method rather than to one shared lr.
DEFAULT_LR = {"hra": 1e-2, "lora": 1e-2, "oft": 1e-2, "full": 2e-3, "head": 1e-2}

# On a CUDA device a Run captures its training step and its evaluation in CUDA graphs after the first
# (eager) step (``hra_viz.training.graphs``); False keeps every step eager (tests compare the two).
CUDA_GRAPHS = True

_INT_FIELDS = {"r", "steps", "batch_size", "seed", "task_seed", "eval_every", "block_size", "occlude",
               "cpu_threads"}


@dataclass(frozen=True)
class RunConfig:
    task: str = "digits-rotate"  # the default: a pretrained digits MLP and a clear, visible shift
    method: str = "hra"  # hra | lora | oft | full | head
    r: int = 8  # HRA chain length / LoRA rank; 8 is small yet enough to learn a 45° rotation
    lam: float = 0.0  # orthogonality regulariser λ (HRA only); 0 = the plain chain
    variant: str = "chain"  # chain (H_1…H_r) or orthonormal (λ = ∞, H = I − 2QQᵀ)
    init: str = "symmetric"  # symmetric pairs make H = I at step 0 (needs even r)
    block_size: int = 4  # OFT block size b; must divide every d_in (64 and 32 here)
    alpha: float | None = None  # LoRA α; None means α = r, i.e. scaling 1
    lr: float | None = None  # None: DEFAULT_LR[method], tuned per method
    optimizer: str = "adam"  # Adam: robust across methods at one lr; sgd is there to show divergence
    steps: int = 300  # enough for HRA to lift the rotated-digits accuracy by > 40 points in ~1 s
    batch_size: int = 128  # small batches are fast on CPU; larger adds time but little accuracy
    seed: int = 0  # adapter init and batch order
    task_seed: int = 0  # data split and base model; kept apart so sweeps over seed reuse one base
    device: str = "auto"  # auto: cuda, then mps, then cpu
    eval_every: int = 10  # full test-set evaluation every k steps (cheap: a few hundred rows)
    # torch intra-op threads while this run steps on CPU (restored after); 0 = leave torch's setting.
    # 1 because these models are tiny: a second thread saves nothing, and on a busy 2-core machine
    # thread synchronisation made 300 HRA steps take 6.7 s instead of 0.5 s (measured).
    cpu_threads: int = 1
    angle: float | None = None  # rotate tasks: degrees; None = task default (digits 45, moons 60)
    noise: float | None = None  # digits-noise: pixel noise std; None = task default
    occlude: int | None = None  # digits-occlude: side of the blanked square; None = task default

    def __post_init__(self):
        for name, choices in CHOICES.items():
            v = getattr(self, name)
            if name == "device":
                ok = isinstance(v, str) and (v in choices or v.startswith("cuda:"))
            else:
                ok = v in choices and not isinstance(v, bool)
            if not ok:
                raise ValueError(f"{name} must be one of {choices}; got {v!r}")
        for name, (lo, hi) in RANGES.items():
            v = getattr(self, name)
            if v is None and name in ("alpha", "lr", "angle", "noise", "occlude"):
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"{name} must be a number in [{lo}, {hi}]; got {v!r}")
            if name in _INT_FIELDS and not float(v).is_integer():
                raise ValueError(f"{name} must be an integer in [{lo}, {hi}]; got {v!r}")
            if not (math.isfinite(v) and lo <= v <= hi):
                raise ValueError(f"{name} must be in [{lo}, {hi}]; got {v!r}")

    @property
    def effective_lr(self) -> float:
        return float(self.lr if self.lr is not None else DEFAULT_LR[self.method])

    def replace(self, **changes) -> RunConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` → cuda if available, else mps, else cpu; anything else is taken as given."""
    if device != "auto":
        dev = torch.device(device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for but CUDA is not available; use 'auto' or 'cpu'")
        if dev.type == "mps" and not _mps_available():
            raise ValueError("device 'mps' was asked for but MPS is not available; use 'auto' or 'cpu'")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


_WARM = False


def prepare(cfg: RunConfig | None = None):
    """Load (or pretrain) the task's base model and pay one-time costs, so the next Run starts fast.

    The first optimiser a process builds imports ``torch._dynamo`` (about 1 s); building a
    throw-away one here moves that cost out of the first Play. On a CUDA device a throw-away run of
    a few steps also pays for the CUDA context, the first cuBLAS calls, the Triton kernels of this
    r and the first graph captures. Returns the Task.
    """
    global _WARM
    cfg = cfg or RunConfig()
    task = load_task(cfg.task, seed=cfg.task_seed, angle=cfg.angle, noise=cfg.noise, occlude=cfg.occlude)
    if not _WARM:
        torch.optim.Adam([torch.zeros(1, requires_grad=True)])
        _WARM = True
    if resolve_device(cfg.device).type == "cuda" and (cfg.method, cfg.r) not in _WARM_CUDA:
        Run(cfg.replace(steps=12, eval_every=10)).run_to_end()
        _WARM_CUDA.add((cfg.method, cfg.r))
    return task


_WARM_CUDA: set[tuple[str, int]] = set()


class Run(SteppedRun):
    """One live training run. Iterate it, or call ``step(k)``; read ``history``, ``status``, ``done``.

    Metrics per step: step, loss (total objective), target_acc, source_acc (test sets, refreshed
    every ``eval_every`` steps and at the first and last step; ``evaluated`` says whether this
    step's accuracies are fresh), orth_penalty (HRA, fresh on evaluated steps), step_time_s,
    elapsed_s. A non-finite loss stops the run, restores the last parameters and optimiser state
    whose loss was finite, and sets ``status``; it never raises.

    ``status`` is English free text, for logs and CSVs. Pages translate the machine-readable pair
    instead: ``status_code`` in {"ready", "running", "finished", "diverged"} and ``status_args``
    ({"steps": n} when finished; {"step": s, "kind": "nan"|"inf", "kept": k} when diverged).
    Likewise ``notes`` holds the English text of warnings raised while adapting the model, and
    ``note_codes`` the same as (code, args) pairs: ("odd_r", {"r": r}) for an odd r with symmetric
    init, ("text", {"text": message}) for any other warning.
    """

    def __init__(self, cfg: RunConfig | None = None, **overrides):
        cfg = (cfg or RunConfig()).replace(**overrides) if overrides else (cfg or RunConfig())
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.task = load_task(cfg.task, seed=cfg.task_seed, angle=cfg.angle, noise=cfg.noise,
                              occlude=cfg.occlude)
        self.notes: list[str] = []
        self.note_codes: list[tuple[str, dict]] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = adapt(copy.deepcopy(self.task.base_model), cfg.method, r=cfg.r, alpha=cfg.alpha,
                          block_size=cfg.block_size, init=cfg.init, variant=cfg.variant, seed=cfg.seed)
        for w in caught:
            code = ("odd_r", {"r": cfg.r}) if issubclass(w.category, OddRankWarning) else None
            code = code or ("text", {"text": str(w.message)})
            if code not in self.note_codes:  # one note per kind, not one per adapted layer
                self.notes.append(str(w.message))
                self.note_codes.append(code)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        self.model = model.to(self.device).train()
        self.base = copy.deepcopy(self.task.base_model).to(self.device).eval()
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        cuda = self.device.type == "cuda"
        if cfg.optimizer == "adam":  # capturable: the step counter stays on the device (CUDA graphs)
            self.opt: torch.optim.Optimizer = torch.optim.Adam(self.params, lr=cfg.effective_lr,
                                                               capturable=cuda)
        else:
            self.opt = torch.optim.SGD(self.params, lr=cfg.effective_lr)
        self.gen = torch.Generator().manual_seed(cfg.seed)  # batch order lives on CPU on every device
        dev = self.device
        self._train = tuple(t.to(dev) for t in self.task.target_train)
        self._eval = {k: tuple(t.to(dev) for t in self.task.splits[f"{k}_test"])
                      for k in ("target", "source")}
        self._is_hra = cfg.method == "hra"
        self._lam = cfg.lam if self._is_hra else 0.0
        # the U's the λ penalty sums over (the λ = ∞ variant adds 0): its gradient is added in closed form
        pen_us = [m.u for _, m in adapter_layers(self.model, (HRALinear, HRAConv2d))
                  if m.variant != "orthonormal"] if self._lam > 0 else []
        self._penalty = hh.OrthogonalityPenalty(pen_us) if pen_us else None
        self.step_count = 0
        self.history: list[dict] = []
        self.done = False
        self.diverged = False
        self.status = "ready"
        self.status_code = "ready"
        self.status_args: dict = {}
        self.wall_s = 0.0
        self._snapshot: list | None = None
        self._last_eval = {"target_acc": float("nan"), "source_acc": float("nan")}
        self._graphs = CUDA_GRAPHS and cuda
        self._gstep: GraphedStep | None = None
        self._geval: GraphedEval | None | bool = None
        self.graph_error = ""  # why a capture failed (the run then stays eager); empty otherwise

    # -- state --------------------------------------------------------------------------------

    # -- evaluation ---------------------------------------------------------------------------

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Accuracy of the current model on the target and source test sets (full batch)."""
        self.model.eval()
        out = {f"{k}_acc": M.accuracy(self.model(x), y) for k, (x, y) in self._eval.items()}
        self.model.train()
        return out

    # -- training -----------------------------------------------------------------------------

    def _eager_update(self) -> tuple[float, float | None]:
        """Forward, check, snapshot, backward, optimiser step: (loss, penalty in the loss or None)."""
        cfg = self.cfg
        x, y = self._train
        n = x.shape[0]
        if cfg.batch_size < n:
            idx = torch.randint(n, (cfg.batch_size,), generator=self.gen).to(self.device)
            x, y = x[idx], y[idx]
        loss = F.cross_entropy(self.model(x), y)
        lv = loss.item()
        penalty = pgrads = None
        if self._penalty is not None:
            # λ P depends on U alone: P and ∂P/∂U in closed form (hh.OrthogonalityPenalty), the gradient
            # added after the task loss's backward. The same update as backward through loss + λ P
            # (tests/test_train.py), without the penalty's autograd node on every step.
            penalty, pgrads = self._penalty.value_and_grad_unscaled()  # ∂P/∂U / 4
            lv += self._lam * penalty
        elif self._lam > 0:
            penalty = 0.0
        if not math.isfinite(lv):
            self._restore_snapshot()
            return lv, None
        self._save_snapshot()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if pgrads is not None:
            us = self._penalty.us
            grads = [u.grad for u in us]
            k = 4.0 * self._lam
            if any(g is None for g in grads):  # a U the task loss does not reach
                for u, g in zip(us, pgrads, strict=True):
                    u.grad = g.mul(k) if u.grad is None else u.grad.add_(g, alpha=k)
            else:
                torch._foreach_add_(grads, pgrads, alpha=k)
        self.opt.step()
        return lv, penalty

    def _graph_update(self) -> tuple[float, float | None] | None:
        """The same update as one CUDA graph replay; None when no graph could be captured."""
        if self._gstep is None:
            try:
                self._gstep = GraphedStep(self, self._snapshot)
            except Exception as e:  # noqa: BLE001 - any capture failure: stay eager, say why
                self._graphs = False
                self.graph_error = f"{type(e).__name__}: {e}"
                return None
        n, bs = self._train[0].shape[0], self.cfg.batch_size
        idx = torch.randint(n, (bs,), generator=self.gen) if bs < n else None  # the eager path's draws
        lv, pen = self._gstep(idx)
        if not math.isfinite(lv):
            self._gstep.restore_previous()
        return lv, (pen if self._lam > 0 else None)

    def _evaluate_step(self, with_penalty: bool = True) -> tuple[dict[str, float], float | None]:
        """Test accuracies and (HRA, unless the step measured it) the penalty; a graph replay once
        graphs run."""
        if self._gstep is not None and self._geval is None:
            try:
                self._geval = GraphedEval(self)
            except Exception as e:  # noqa: BLE001
                self._geval = False
                self.graph_error = f"{type(e).__name__}: {e}"
        if self._gstep is not None and self._geval:
            t, s, pen = self._geval()
            return {"target_acc": t, "source_acc": s}, (pen if self._is_hra else None)
        ev = self.evaluate()
        if not (self._is_hra and with_penalty):
            return ev, None
        with torch.no_grad():
            return ev, float(orthogonality_loss(self.model))

    def _one_step(self) -> dict | None:
        cfg = self.cfg
        t0 = time.perf_counter()
        res = self._graph_update() if self._graphs and self.step_count >= 1 else None
        lv, penalty = res if res is not None else self._eager_update()
        if not math.isfinite(lv):
            kind = "nan" if math.isnan(lv) else "inf"
            args = {"step": self.step_count + 1, "kind": kind, "kept": max(self.step_count - 1, 0)}
            self.status = (f"diverged at step {args['step']}: loss became {kind}; "
                           f"the last finite state (after step {args['kept']}) is kept")
            self.status_code, self.status_args = "diverged", args
            self.done = self.diverged = True
            self.wall_s += time.perf_counter() - t0
            return None
        self.step_count += 1
        s = self.step_count
        evaluated = s == 1 or s % cfg.eval_every == 0 or s == cfg.steps
        eval_pen = None
        if evaluated:
            self._last_eval, eval_pen = self._evaluate_step(penalty is None)
        m = {"step": s, "loss": lv, **self._last_eval, "evaluated": evaluated}
        if self._is_hra:
            if penalty is not None:
                m["orth_penalty"] = penalty
            elif evaluated:
                m["orth_penalty"] = eval_pen
            else:
                prev = self.history[-1] if self.history else {}
                m["orth_penalty"] = prev.get("orth_penalty", float("nan"))
        dt = time.perf_counter() - t0
        self.wall_s += dt
        m["step_time_s"] = dt
        m["elapsed_s"] = self.wall_s
        self.history.append(m)
        return m

    @contextlib.contextmanager
    def _step_context(self):
        n, prev = self.cfg.cpu_threads, torch.get_num_threads()
        if self.device.type != "cpu" or n == 0 or n == prev:
            yield
            return
        torch.set_num_threads(n)
        try:
            yield
        finally:
            torch.set_num_threads(prev)

    # -- summary ------------------------------------------------------------------------------

    def summary(self) -> dict:
        """Final numbers of the run (fresh evaluation of the current state).

        target_acc, source_acc; base_target_acc, base_source_acc (frozen base); target_gain =
        target_acc − base_target_acc; retention = source_acc / base_source_acc; drift = mean
        KL(p_base ‖ p') on source test data; trainable_params; wall_s (training + evaluation time
        so far); time_per_step_s; status; max_abs_dsigma = max over layers of max_i |σ_i(W') − σ_i(W)|;
        delta_w_fro = (Σ_layers ‖W' − W‖²_F)^½. HRA adds orth_penalty (Σ ‖I − ÛᵀÛ‖²_F) and
        h_minus_i_fro_max / h_minus_i_spec_max; OFT adds r_minus_i_fro_max. ``layers`` holds the
        per-layer values.
        """
        with self._step_context():
            return self._summary()

    @torch.no_grad()
    def _summary(self) -> dict:
        ev = self.evaluate()
        xs = self._eval["source"][0]
        self.model.eval()
        d = M.drift(self.base(xs), self.model(xs))
        self.model.train()
        layers: dict[str, dict] = {}
        spectra = M.layer_spectra(self.base, self.model)
        for name, sp in spectra.items():
            layers[name] = {"max_abs_dsigma": sp["max_abs_dsigma"],
                            "delta_w_fro": float(sp["delta"].norm())}
        out = {
            "steps_done": self.step_count,
            "target_acc": ev["target_acc"],
            "source_acc": ev["source_acc"],
            "base_target_acc": self.task.base_acc["target"],
            "base_source_acc": self.task.base_acc["source"],
            "target_gain": ev["target_acc"] - self.task.base_acc["target"],
            "retention": M.retention(ev["source_acc"], self.task.base_acc["source"]),
            "drift": d,
            "trainable_params": trainable_parameters(self.model),
            "wall_s": self.wall_s,
            "time_per_step_s": self.wall_s / max(self.step_count, 1),
            "status": self.status,
            "status_code": self.status_code,
            "status_args": dict(self.status_args),
            "diverged": self.diverged,
            "max_abs_dsigma": max((v["max_abs_dsigma"] for v in layers.values()), default=0.0),
            "delta_w_fro": math.sqrt(sum(v["delta_w_fro"] ** 2 for v in layers.values())),
            "notes": "; ".join(self.notes),
        }
        hra = adapter_layers(self.model, (HRALinear, HRAConv2d))
        if hra:
            for name, layer in hra:
                layers[name].update(M.hra_layer_diagnostics(layer))
            out["orth_penalty"] = sum(layers[n]["orth_penalty"] for n, _ in hra)
            out["h_minus_i_fro_max"] = max(layers[n]["h_minus_i_fro"] for n, _ in hra)
            out["h_minus_i_spec_max"] = max(layers[n]["h_minus_i_spec"] for n, _ in hra)
        oft = adapter_layers(self.model, OFTLinear)
        if oft:
            for name, layer in oft:
                R = layer.rotation_blocks().double()
                eye = torch.eye(R.shape[-1], dtype=R.dtype, device=R.device)
                layers[name]["r_minus_i_fro"] = float((R - eye).norm())
            out["r_minus_i_fro_max"] = max(layers[n]["r_minus_i_fro"] for n, _ in oft)
        out["layers"] = layers
        return out
