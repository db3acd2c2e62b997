"""Live adaptation of all-MiniLM-L6-v2 on the shipped intent task: ``RealRun(RealConfig(...))``.

Protocol (the same for every method, so only the method differs):

1. **Head-only baseline, measured first.** A linear head (384 → 6) on the frozen model's sentence
   embedding, trained full-batch to convergence from the seed's head init; its test accuracy is
   ``acc_before`` of every run (what the pretrained model already separates).
2. **The run.** The same seeded head init, the same seeded batch order, a linear head on the
   sentence embedding (mean pooling + L2 normalisation) of the adapted model; the method adapts
   the chosen linear layers of the top ``top_k`` transformer layers (``hra``, ``lora``, ``oft``),
   trains them fully (``full``) or trains only the head (``head``). Loss: cross-entropy
   (+ λ Σ‖I − ÛᵀÛ‖²_F for HRA). Adam, the head at ``head_lr`` for every method.

**What is cached.** The layers below the lowest adapted layer never change, so their outputs for
the fixed train, test and probe sentences are computed once (``RealModel.features``) and every step
runs only the adapted top layers: exact, not an approximation. On CPU the default adapts the top
``CPU_TOP_K`` layers (live on 2 cores); on CUDA all 6 layers (then only the embedding layer's output
is cached). ``head`` trains on the cached final embeddings.

The model is in eval mode throughout (no dropout), so a config and seed give the same numbers.
"""

from __future__ import annotations

import copy
import math
import resource
import statistics
import threading
import time
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from hra_viz.core.adapters import HRALinear, LoRALinear, OddRankWarning, OFTLinear, adapt
from hra_viz.core.householder import orthogonality_penalty_sum, wy_factors

from ..stepping import SteppedRun
from . import metrics as RM
from .config import (
    CHOICES,
    CPU_TOP_K,
    DEFAULT_LR,
    RANGES,
    RealConfig,
    adapter_param_count,
    resolve_device,
    torch_threads,
)
from .data import load_intents, load_probe
from .model import HIDDEN, N_LAYERS, MiniLM, bidirectional_mask, layer_module_names, load_minilm, mean_pool

__all__ = [
    "RealConfig",
    "RealModel",
    "RealRun",
    "get_real_model",
    "adapter_param_count",
    "CPU_TOP_K",
    "DEFAULT_LR",
    "CHOICES",
    "RANGES",
]

# --------------------------------------------------------------------------------------------
# the shared, read-only part: model, data, cached features, base spectra, baseline heads


class RealModel:
    """Frozen model + data + caches, shared by every run on one device (never modified by a run)."""

    def __init__(self, device: str | torch.device = "cpu", minilm: MiniLM | None = None):
        self.device = torch.device(device)
        self.minilm = minilm if minilm is not None else load_minilm(str(self.device))
        self.data = load_intents()
        self.probe = load_probe()
        self.texts = {"train": list(self.data.train_texts), "test": list(self.data.test_texts),
                      "probe": list(self.probe)}
        self.y = {"train": torch.tensor(self.data.train_y, device=self.device),
                  "test": torch.tensor(self.data.test_y, device=self.device)}
        self._features: dict[int, dict] = {}
        self._sigma: dict[str, torch.Tensor] = {}
        self._baseline: dict[int, dict] = {}
        self._lock = threading.RLock()

    @property
    def model_dir(self) -> str:
        return str(self.minilm.dir)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.data.labels

    def features(self, start: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """{split: (hidden at the input of layer ``start``, attention mask)}, computed once."""
        with self._lock:
            if start not in self._features:
                self._features[start] = {
                    k: self.minilm.hidden_states(v, start) for k, v in self.texts.items()
                }
            return self._features[start]

    def embeddings(self) -> dict[str, torch.Tensor]:
        """{split: the frozen model's normalised sentence embeddings}."""
        return {k: mean_pool(h, m) for k, (h, m) in self.features(N_LAYERS).items()}

    def base_weight(self, name: str) -> torch.Tensor:
        return self.minilm.model.get_submodule(name).weight

    def base_sigma(self, name: str) -> torch.Tensor:
        """Singular values (float64, CPU) of the frozen weight of module ``name``."""
        with self._lock:
            if name not in self._sigma:
                self._sigma[name] = torch.linalg.svdvals(self.base_weight(name).detach().double().cpu())
            return self._sigma[name]

    def baseline(self, seed: int) -> dict:
        """The head-only baseline: a linear head on frozen embeddings, full batch, to convergence.

        Returns {acc (test), train_acc, loss, state (the head's weights), pred (test predictions)}.
        """
        with self._lock:
            if seed not in self._baseline:
                emb = self.embeddings()
                head = make_head(len(self.labels), seed).to(self.device)
                opt = torch.optim.Adam(head.parameters(), lr=0.05)
                x, y = emb["train"], self.y["train"]
                with torch.enable_grad(), torch_threads(1):  # tiny ops: one thread is fastest
                    for _ in range(300):
                        loss = F.cross_entropy(head(x), y)
                        opt.zero_grad(set_to_none=True)
                        loss.backward()
                        opt.step()
                with torch.no_grad():
                    pred = head(emb["test"]).argmax(1)
                    train_acc = float((head(x).argmax(1) == y).float().mean())
                self._baseline[seed] = {
                    "acc": float((pred == self.y["test"]).float().mean()),
                    "train_acc": train_acc,
                    "loss": float(loss.detach()),
                    "state": {k: v.detach().clone() for k, v in head.state_dict().items()},
                    "pred": pred.cpu(),
                }
            return self._baseline[seed]


_MODELS: dict[str, RealModel] = {}
_MODELS_LOCK = threading.Lock()


def get_real_model(device: str | torch.device = "cpu") -> RealModel:
    """One RealModel per device and process."""
    key = str(torch.device(device))
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = RealModel(key)
        return _MODELS[key]


def make_head(n_classes: int, seed: int) -> nn.Linear:
    """The linear head every method starts from: nn.Linear's default init, drawn from ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Linear(HIDDEN, n_classes)


class _Top(nn.Module):
    """Copies of layers start … 5, named as in BertModel (``encoder.layer.<i>.…``)."""

    def __init__(self, minilm: MiniLM, start: int):
        super().__init__()
        self.config = minilm.config
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleDict(
            {str(i): copy.deepcopy(minilm.model.encoder.layer[i]) for i in range(start, N_LAYERS)}
        )

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        am = bidirectional_mask(self.config, h, mask)
        for layer in self.encoder.layer.values():
            h = layer(h, am)
        return mean_pool(h, mask)


# --------------------------------------------------------------------------------------------
# memory


class _PeakMemory:
    """Peak memory of the steps. CUDA: torch.cuda.max_memory_allocated (reset at the first step).

    CPU: the process's resident-set high-water mark (VmHWM, reset through /proc/self/clear_refs when
    the kernel allows it) minus the resident set just before the first step, i.e. the extra memory
    the training steps needed on top of the loaded model and caches. It is process-wide: other work
    in the same process (other runs, other sessions of the app) is counted too.
    """

    def __init__(self, device: torch.device):
        self.device = device
        self.kind = "cuda_max_memory_allocated" if device.type == "cuda" else "cpu_rss_peak_delta"
        self.started = False
        self.base = 0
        self.peak = 0
        self.cuda_start = 0

    @staticmethod
    def _status(field: str) -> int | None:
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def start(self) -> None:
        if self.started:
            return
        self.started = True
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.cuda_start = torch.cuda.memory_allocated(self.device)
            return
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass
        rss = self._status("VmRSS")
        self.base = rss if rss is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def update(self) -> None:
        if not self.started:
            return
        if self.device.type == "cuda":
            self.peak = max(self.peak, torch.cuda.max_memory_allocated(self.device))
            return
        hwm = self._status("VmHWM")
        if hwm is None:
            hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self.peak = max(self.peak, hwm - self.base)

    @property
    def mb(self) -> float:
        return self.peak / 2**20

    @property
    def extra_mb(self) -> float:
        """Peak above what was held at the first step (CUDA); on CPU the same as ``mb``."""
        return (self.peak - self.cuda_start) / 2**20 if self.device.type == "cuda" else self.mb


# --------------------------------------------------------------------------------------------
# the run


class RealRun(SteppedRun):
    """One live run. ``step(k)``, ``history``, ``evaluate()``, ``summary()``; divergence is caught.

    history rows: step, loss, test_acc, retention_cos, retention_spearman, knn_overlap (fresh on
    ``evaluated`` steps: the first, every ``eval_every``-th and the last), step_time_s (forward,
    backward and optimiser step only), eval_time_s, elapsed_s.
    ``status_code`` in {ready, running, finished, diverged}, with ``status_args`` as in ``Run``.
    """

    def __init__(self, cfg: RealConfig | None = None, real: RealModel | None = None, **overrides):
        cfg = (cfg or RealConfig()).replace(**overrides) if overrides else (cfg or RealConfig())
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.real = real if real is not None else get_real_model(self.device)
        if self.real.device.type != self.device.type:
            raise ValueError(f"the shared model lives on {self.real.device}, the run asks for {self.device}")
        self.top_k = cfg.resolved_top_k(self.device)
        self.start = N_LAYERS - self.top_k
        self.targets = [n for i in range(self.start, N_LAYERS) for n in layer_module_names(i, cfg.layers)]
        self.baseline = self.real.baseline(cfg.seed)  # measured first (cached per seed)
        self.note_codes: list[tuple[str, dict]] = []  # warnings while adapting, as in train.Run
        n_cls = len(self.real.labels)
        self.head = make_head(n_cls, cfg.seed).to(self.device)
        if cfg.method == "head":
            self.top = None
            self.targets = []
            feats = self.real.features(N_LAYERS)
        else:
            feats = self.real.features(self.start)
            top = _Top(self.real.minilm, self.start)
            if cfg.method == "full":
                top.requires_grad_(False)
                for n in self.targets:
                    top.get_submodule(n).requires_grad_(True)
            else:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    adapt(top, cfg.method, targets=self.targets, r=cfg.r, alpha=cfg.alpha,
                          block_size=cfg.block_size, seed=cfg.seed)
                for w in caught:  # one note per kind, not one per adapted layer
                    code = ("odd_r", {"r": cfg.r}) if issubclass(w.category, OddRankWarning) else None
                    code = code or ("text", {"text": str(w.message)})
                    if code not in self.note_codes:
                        self.note_codes.append(code)
            self.top = top.to(self.device).eval()
        self._feats = feats
        self.adapter_params = [p for p in (self.top.parameters() if self.top is not None else [])
                               if p.requires_grad]
        self.params_adapter = sum(p.numel() for p in self.adapter_params)
        self.params_head = sum(p.numel() for p in self.head.parameters())
        groups = [{"params": list(self.head.parameters()), "lr": cfg.head_lr}]
        if self.adapter_params:
            groups.append({"params": self.adapter_params, "lr": cfg.effective_lr})
        self.opt = torch.optim.Adam(groups)
        self.params = [p for g in groups for p in g["params"]]
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.base_probe = self.real.embeddings()["probe"]
        self.step_count = 0
        self.history: list[dict] = []
        self.done = False
        self.diverged = False
        self.status_code = "ready"
        self.status_args: dict = {}
        self.status = "ready"
        self.wall_s = 0.0
        self._snapshot: list | None = None
        self._last_eval: dict = {}
        self.memory = _PeakMemory(self.device)

    # -- description --------------------------------------------------------------------------

    def description(self) -> str:
        """What this run computes, in one English sentence (pages use the text tables instead)."""
        if self.cfg.method == "head":
            return "head-only: a linear head on the frozen model's cached sentence embeddings"
        what = "query and value" if self.cfg.layers == "qv" else "all six linear layers"
        cached = ("the embedding layer's output is cached" if self.start == 0 else
                  f"the frozen layers 0-{self.start - 1} ran once and their outputs are cached")
        return (f"{self.cfg.method}: adapts {what} of layers {self.start}-{N_LAYERS - 1} "
                f"({self.top_k} of {N_LAYERS}); {cached}; every step runs only the top {self.top_k}")

    # -- forward ------------------------------------------------------------------------------

    def _embed(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        L = int(mask.sum(1).max())
        h, mask = h[:, :L], mask[:, :L]
        if self.top is None:  # head-only: h is already the sentence embedding
            return h
        return self.top(h, mask)

    def _split_embeddings(self, split: str, batch_size: int = 128) -> torch.Tensor:
        h, mask = self._feats[split]
        if self.top is None:
            return mean_pool(h, mask)
        out = [self._embed(h[i : i + batch_size], mask[i : i + batch_size])
               for i in range(0, h.shape[0], batch_size)]
        return torch.cat(out)

    @torch.no_grad()
    def embeddings(self, split: str) -> torch.Tensor:
        """Normalised sentence embeddings of the adapted model for 'train', 'test' or 'probe'."""
        return self._split_embeddings(split)

    @torch.no_grad()
    def predict(self, split: str = "test") -> torch.Tensor:
        return self.head(self._split_embeddings(split)).argmax(1)

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Test accuracy and the three retention numbers on the probe set."""
        acc = float((self.predict("test") == self.real.y["test"]).float().mean())
        ret = RM.retention(self.base_probe, self._split_embeddings("probe"))
        return {"test_acc": acc, "retention_cos": ret["cos"], "retention_spearman": ret["spearman"],
                "knn_overlap": ret["knn"]}

    # -- training -----------------------------------------------------------------------------

    def _loss(self) -> torch.Tensor:
        h, mask = self._feats["train"]
        y = self.real.y["train"]
        n = h.shape[0]
        idx = torch.randint(n, (min(self.cfg.batch_size, n),), generator=self.gen).to(self.device)
        if self.top is None:
            emb = mean_pool(h[idx], mask[idx])
        else:
            emb = self._embed(h[idx], mask[idx])
        loss = F.cross_entropy(self.head(emb), y[idx])
        if self.cfg.method == "hra" and self.cfg.lam > 0:
            pen = orthogonality_penalty_sum(m.u for m in self._layers(HRALinear).values())
            loss = loss + self.cfg.lam * pen
        return loss

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def _one_step(self) -> dict | None:
        self.memory.start()
        t0 = time.perf_counter()
        loss = self._loss()
        lv = float(loss.detach())
        if not math.isfinite(lv):
            self._restore_snapshot()
            kind = "nan" if math.isnan(lv) else "inf"
            args = {"step": self.step_count + 1, "kind": kind, "kept": max(self.step_count - 1, 0)}
            self.status = (f"diverged at step {args['step']}: loss became {kind}; "
                           f"the last finite state (after step {args['kept']}) is kept")
            self.status_code, self.status_args = "diverged", args
            self.done = self.diverged = True
            self.wall_s += time.perf_counter() - t0
            return None
        self._save_snapshot()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self._sync()
        dt = time.perf_counter() - t0
        self.memory.update()
        self.step_count += 1
        s = self.step_count
        evaluated = s == 1 or s % self.cfg.eval_every == 0 or s == self.cfg.steps
        t1 = time.perf_counter()
        if evaluated:
            self._last_eval = self.evaluate()
        et = time.perf_counter() - t1
        self.wall_s += dt + et
        m = {"step": s, "loss": lv, **self._last_eval, "evaluated": evaluated, "step_time_s": dt,
             "eval_time_s": et, "elapsed_s": self.wall_s}
        self.history.append(m)
        return m

    # -- inspection ---------------------------------------------------------------------------

    def _layers(self, kind=(nn.Linear, HRALinear, LoRALinear, OFTLinear)) -> dict[str, nn.Module]:
        if self.top is None:
            return {}
        return {n: self.top.get_submodule(n) for n in self.targets
                if isinstance(self.top.get_submodule(n), kind)}

    @torch.no_grad()
    def effective_weight(self, name: str) -> torch.Tensor:
        """W′ of module ``name`` (float64, CPU): W H (HRA), W + BA·s (LoRA), W R (OFT), W (full)."""
        m = self.top.get_submodule(name)
        if isinstance(m, HRALinear):
            W = m.base.weight.detach().double().cpu()
            if m.variant == "orthonormal":
                return m.merged_weight().detach().double().cpu()
            Un, G = wy_factors(m.u.detach().double().cpu())
            return W + ((W @ Un) @ G) @ Un.T
        if isinstance(m, LoRALinear):
            W = m.base.weight.detach().double().cpu()
            return W + m.scaling * (m.lora_B.detach().double().cpu() @ m.lora_A.detach().double().cpu())
        if isinstance(m, OFTLinear):
            W = m.base.weight.detach().double().cpu()
            R = m.rotation_blocks().detach().double().cpu()
            Wb = W.reshape(m.out_features, m.n_blocks, m.block_size)
            return torch.einsum("okb,kbc->okc", Wb, R).reshape_as(W)
        return m.weight.detach().double().cpu()

    @torch.no_grad()
    def spectra(self, names: list[str] | None = None) -> dict[str, dict]:
        """{module: {sigma_base, sigma (float64 lists), max_abs_dsigma}} per adapted layer (or ``names``)."""
        out = {}
        for name in self.targets if names is None else names:
            s0 = self.real.base_sigma(name)
            s1 = torch.linalg.svdvals(self.effective_weight(name))
            out[name] = {"sigma_base": s0.tolist(), "sigma": s1.tolist(),
                         "max_abs_dsigma": float((s1 - s0).abs().max())}
        return out

    @torch.no_grad()
    def grams(self) -> dict[str, list[list[float]]]:
        """{module: ÛᵀÛ (r × r)} for every HRA layer (the identity would mean orthogonal u_i)."""
        out = {}
        for name, m in self._layers(HRALinear).items():
            Un = F.normalize(m.u.detach().double().cpu(), dim=0)
            out[name] = (Un.T @ Un).tolist()
        return out

    def hra_vectors(self) -> dict[str, torch.Tensor]:
        """{BertModel module name: U (d_in, r), float32, CPU}: what a PEFT HRA adapter stores."""
        return {n: m.u.detach().to("cpu", torch.float32).clone() for n, m in self._layers(HRALinear).items()}

    def step_ms(self) -> float:
        """Median time of one optimiser step (forward, backward, update), in ms."""
        ts = [h["step_time_s"] for h in self.history]
        return 1e3 * statistics.median(ts) if ts else float("nan")

    def summary(self) -> dict:
        """Final numbers (fresh evaluation): the keys of the CLI's JSON and a few more."""
        ev = self.evaluate()
        spectra = self.spectra()
        self.memory.update()
        return {
            "method": self.cfg.method,
            "r": self.cfg.r,
            "layers": self.cfg.layers,
            "top_k": self.top_k,
            "adapted_layers": list(range(self.start, N_LAYERS)) if self.top is not None else [],
            "target_modules": list(self.targets),
            "device": str(self.device),
            "seed": self.cfg.seed,
            "steps_done": self.step_count,
            "params_adapter": self.params_adapter,
            "params_head": self.params_head,
            "acc_before": self.baseline["acc"],
            "acc_after": ev["test_acc"],
            "retention_cos": ev["retention_cos"],
            "retention_spearman": ev["retention_spearman"],
            "knn_overlap": ev["knn_overlap"],
            "max_abs_dsigma": max((v["max_abs_dsigma"] for v in spectra.values()), default=0.0),
            "step_ms": self.step_ms(),
            "peak_mem_mb": self.memory.mb,
            "peak_mem_kind": self.memory.kind,
            "wall_s": self.wall_s,
            "status": self.status,
            "status_code": self.status_code,
            "diverged": self.diverged,
            "description": self.description(),
            "model_dir": self.real.model_dir,
        }
