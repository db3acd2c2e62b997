"""Built-in tasks: a small pretrained base model, a source task it knows, and a shifted target task.

Nothing is downloaded: the data come from scikit-learn's bundled ``load_digits`` and from
``make_moons``. Every task is deterministic given its seed. Each task has a train/test split for
its source data (what the base was pretrained on) and for its target data (what we adapt to).

* ``digits-rotate`` (default): 8×8 digits → the same digits rotated by ``angle`` degrees. Rotation
  *conflicts* with the source: the same pixel space must be read differently by the two tasks, so
  learning the target is expected to cost source accuracy.
* ``digits-noise``: the same digits with additive Gaussian pixel noise (std ``noise``). Does *not*
  conflict: one model can read clean and noisy digits alike, so retention can be judged fairly.
* ``digits-occlude``: a random ``occlude``×``occlude`` square of each image is blanked. Does *not*
  conflict either.
* ``moons-rotate``: two moons in 2-D → the moons rotated by ``angle`` degrees about their centre.
  Conflicts. ``decision_grid`` returns class probabilities on a grid for boundary plots.

Base models are pretrained once (on CPU, deterministically), frozen, and cached in the process
and on disk as safetensors (never pickle) under ``$HRA_VIZ_CACHE`` or ``.cache/hra_viz/``, keyed by
the task's settings, seed and ``CODE_VERSION``.

Widths are chosen so that every Linear layer has d_in ≥ 32 (HRA with r ≤ 32 is valid everywhere)
and d_in divisible by 2, 4 and 8 (OFT block sizes). The 2-D moons input is first lifted by fixed
(non-trainable) Fourier features γ(x) = [sin 2πxB, cos 2πxB] so that its first Linear layer is
32-wide too.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "CODE_VERSION",
    "TASKS",
    "TaskSpec",
    "Task",
    "Split",
    "MLP",
    "FourierFeatures",
    "load_task",
    "task_params",
    "rotation_matrix",
    "rotate_images",
    "decision_grid",
    "cache_dir",
    "clear_memory_cache",
]

# Bump when data generation, architecture or pretraining changes: it is part of every cache key,
# so stale base models on disk are never reused.
CODE_VERSION = "tasks-2"


@dataclass(frozen=True)
class TaskSpec:
    """What a task is, for code and for the UI."""

    name: str
    kind: str  # "digits" (8×8 images, 64 inputs) or "moons" (2-D points)
    shift: str  # "rotate", "noise" or "occlude"
    conflicts_with_source: bool  # True when source and target need different maps of the same input
    description_en: str
    description_ja: str
    defaults: dict = field(default_factory=dict)  # task parameters and their default values
    hidden: tuple[int, ...] = (64, 64)  # hidden widths of the MLP


TASKS: dict[str, TaskSpec] = {
    "digits-rotate": TaskSpec(
        "digits-rotate", "digits", "rotate", True,
        "Handwritten 8×8 digits, adapted to the same digits rotated by an angle (conflicts with the source).",
        "8×8 の手書き数字を、角度だけ回転させた同じ数字に適応させます（元のタスクと競合します）。",
        {"angle": 45.0},
    ),
    "digits-noise": TaskSpec(
        "digits-noise", "digits", "noise", False,
        "Handwritten 8×8 digits, adapted to the same digits with added pixel noise (no conflict).",
        "8×8 の手書き数字を、画素ノイズを加えた同じ数字に適応させます（元のタスクと競合しません）。",
        {"noise": 0.4},
    ),
    "digits-occlude": TaskSpec(
        "digits-occlude", "digits", "occlude", False,
        "Handwritten 8×8 digits, adapted to the same digits with a square patch blanked out (no conflict).",
        "8×8 の手書き数字を、一部の正方形を消した同じ数字に適応させます（元のタスクと競合しません）。",
        {"occlude": 4},
    ),
    "moons-rotate": TaskSpec(
        "moons-rotate", "moons", "rotate", True,
        "Two moons in 2-D, adapted to the same moons rotated by an angle (conflicts with the source).",
        "2 次元の二つの三日月を、角度だけ回転させた三日月に適応させます（元のタスクと競合します）。",
        {"angle": 60.0},
        hidden=(32, 32),
    ),
}

# Safe ranges of the task parameters (a state registry reads these).
TASK_PARAM_RANGES = {"angle": (-180.0, 180.0), "noise": (0.0, 2.0), "occlude": (1, 8)}


class Split(NamedTuple):
    x: torch.Tensor  # (N, d_in) float32
    y: torch.Tensor  # (N,) int64


# --------------------------------------------------------------------------------------------
# models


class FourierFeatures(nn.Module):
    """γ(x) = [sin 2π x B, cos 2π x B] with a fixed B (d × m); a buffer, never trained or adapted."""

    def __init__(self, B: torch.Tensor):
        super().__init__()
        self.register_buffer("B", B)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = 2.0 * math.pi * x @ self.B  # (N, m)
        return torch.cat([torch.sin(z), torch.cos(z)], dim=-1)  # (N, 2m)


class MLP(nn.Module):
    """[features →] Linear → ReLU → … → Linear. ``net`` holds the Linear layers that get adapted."""

    def __init__(self, d_in: int, hidden: tuple[int, ...], n_classes: int, features: nn.Module | None = None):
        super().__init__()
        self.features = features if features is not None else nn.Identity()
        dims = (d_in, *hidden)
        layers: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:], strict=True):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(dims[-1], n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.features(x))


# --------------------------------------------------------------------------------------------
# deterministic shifts


def rotation_matrix(h: int, w: int, angle: float) -> np.ndarray:
    """The (h·w, h·w) matrix M of a bilinear rotation by ``angle`` degrees (counter-clockwise).

    An image x (flattened row-major) rotates as x' = M x. Each output pixel p (centred
    coordinates, y up) reads the input at R(−angle) p by bilinear interpolation; input outside
    the image counts as 0 (background). Built exactly in float64, once per angle.
    """
    th = math.radians(angle)
    c, s = math.cos(th), math.sin(th)
    ci, cj = (h - 1) / 2.0, (w - 1) / 2.0
    M = np.zeros((h * w, h * w))
    for i in range(h):
        for j in range(w):
            X, Y = j - cj, ci - i
            xs, ys = c * X + s * Y, -s * X + c * Y  # R(−θ) (X, Y)
            si, sj = ci - ys, cj + xs
            i0, j0 = math.floor(si), math.floor(sj)
            a, b = si - i0, sj - j0
            for ii, jj, wt in ((i0, j0, (1 - a) * (1 - b)), (i0 + 1, j0, a * (1 - b)),
                               (i0, j0 + 1, (1 - a) * b), (i0 + 1, j0 + 1, a * b)):
                if 0 <= ii < h and 0 <= jj < w and wt > 1e-12:
                    M[i * w + j, ii * w + jj] += wt
    return M


def _times_t(X: np.ndarray, M: np.ndarray) -> np.ndarray:
    """X Mᵀ in float64, rounded once to X's dtype, by einsum's own loops rather than BLAS.

    The same data on every process: a BLAS product's rounding depends on how many threads the
    library started with (OpenBLAS: OMP_NUM_THREADS, which Ray sets to 1 in its workers), and a
    study compares runs made in this process, in a process pool and on Ray (tests/test_pilot.py)."""
    return np.einsum("nk,pk->np", X.astype(np.float64), M.astype(np.float64), optimize=False).astype(X.dtype)


def rotate_images(X: np.ndarray, angle: float, h: int = 8, w: int = 8) -> np.ndarray:
    """Rotate flattened images X (N, h·w) by ``angle`` degrees: X' = X Mᵀ (see ``rotation_matrix``)."""
    return _times_t(X, rotation_matrix(h, w, angle))


def _rotate_points(P: np.ndarray, angle: float) -> np.ndarray:
    th = math.radians(angle)
    R = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    return _times_t(P, R)


def _stratified_split(y: np.ndarray, test_frac: float, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test), stratified by class, deterministic given rng."""
    tr, te = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(test_frac * len(idx)))
        te.append(idx[:k])
        tr.append(idx[k:])
    return np.sort(np.concatenate(tr)), np.sort(np.concatenate(te))


# --------------------------------------------------------------------------------------------
# data


def _digits_data(spec: TaskSpec, params: dict, seed: int) -> tuple[dict[str, Split], int]:
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.data / 16.0).astype(np.float32)  # pixels in [0, 1]
    y = d.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    tr, te = _stratified_split(y, 0.2, rng)
    if spec.shift == "rotate":
        Xt = rotate_images(X, float(params["angle"]))
    elif spec.shift == "noise":
        Xt = X + float(params["noise"]) * rng.standard_normal(X.shape).astype(np.float32)
    elif spec.shift == "occlude":
        k = int(params["occlude"])
        img = X.reshape(-1, 8, 8).copy()
        top = rng.integers(0, 8 - k + 1, size=len(X))
        left = rng.integers(0, 8 - k + 1, size=len(X))
        for n in range(len(X)):
            img[n, top[n]:top[n] + k, left[n]:left[n] + k] = 0.0
        Xt = img.reshape(len(X), 64)
    else:  # pragma: no cover - guarded by TASKS
        raise ValueError(spec.shift)
    return _splits(X, Xt, y, tr, te), 10


def _moons_data(spec: TaskSpec, params: dict, seed: int) -> tuple[dict[str, Split], int]:
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=1000, noise=0.1, random_state=seed)
    X = X.astype(np.float32)
    X = (X - X.mean(0)) / X.std(0)  # centred, unit variance: rotation is about the centre
    Xt = _rotate_points(X, float(params["angle"])).astype(np.float32)
    rng = np.random.default_rng(seed)
    tr, te = _stratified_split(y, 0.25, rng)
    return _splits(X, Xt, y.astype(np.int64), tr, te), 2


def _splits(Xs, Xt, y, tr, te) -> dict[str, Split]:
    t = torch.from_numpy
    return {
        "source_train": Split(t(np.ascontiguousarray(Xs[tr])), t(y[tr])),
        "source_test": Split(t(np.ascontiguousarray(Xs[te])), t(y[te])),
        "target_train": Split(t(np.ascontiguousarray(Xt[tr])), t(y[tr])),
        "target_test": Split(t(np.ascontiguousarray(Xt[te])), t(y[te])),
    }


# --------------------------------------------------------------------------------------------
# base model: build, pretrain, cache


def _build_model(spec: TaskSpec, n_classes: int, seed: int) -> MLP:
    g = torch.Generator().manual_seed(seed)
    if spec.kind == "moons":
        B = torch.randn(2, 16, generator=g) * 0.25  # 16 frequencies of scale ~0.25: a smooth boundary
        features: nn.Module | None = FourierFeatures(B)
        d_in = 32
    else:
        features, d_in = None, 64
    with torch.random.fork_rng(devices=[]):  # nn.Linear's init draws from the global generator
        torch.manual_seed(seed)
        return MLP(d_in, spec.hidden, n_classes, features)


# Pretraining: full batch Adam, fixed steps. Digits reach ~97% test accuracy in ~0.4 s on 2 CPU threads.
_PRETRAIN = {"digits": {"steps": 200, "lr": 1e-2}, "moons": {"steps": 300, "lr": 1e-2}}


def _pretrain(model: MLP, data: Split, kind: str) -> None:
    """Full-batch Adam, one CPU thread (tiny matrices: a second thread only adds synchronisation)."""
    hp = _PRETRAIN[kind]
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        opt = torch.optim.Adam(model.parameters(), lr=hp["lr"])
        for _ in range(hp["steps"]):
            loss = F.cross_entropy(model(data.x), data.y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(prev)


def cache_dir() -> Path:
    """``$HRA_VIZ_CACHE`` if set, else ``.cache/hra_viz`` under the current directory."""
    return Path(os.environ.get("HRA_VIZ_CACHE") or Path(".cache") / "hra_viz")


@dataclass
class Task:
    """A task instance: its spec, parameters, seed, the four splits and the frozen base model (CPU)."""

    spec: TaskSpec
    params: dict
    seed: int
    splits: dict[str, Split]
    n_classes: int
    base_model: MLP
    key: str
    base_acc: dict[str, float] = field(default_factory=dict)  # frozen base on source/target test

    @property
    def name(self) -> str:
        return self.spec.name

    source_train = property(lambda self: self.splits["source_train"])
    source_test = property(lambda self: self.splits["source_test"])
    target_train = property(lambda self: self.splits["target_train"])
    target_test = property(lambda self: self.splits["target_test"])


_MEMORY: dict[str, Task] = {}
_LOCK = threading.Lock()


def clear_memory_cache() -> None:
    """Forget the in-process cache (the disk cache stays)."""
    with _LOCK:
        _MEMORY.clear()


def task_params(name: str, **overrides) -> dict:
    """The task's parameters: its defaults, overridden by the non-None values given."""
    if name not in TASKS:
        raise ValueError(f"task must be one of {tuple(TASKS)}; got {name!r}")
    spec = TASKS[name]
    params = dict(spec.defaults)
    for k, v in overrides.items():
        if k in params and v is not None:
            lo, hi = TASK_PARAM_RANGES[k]
            if not (lo <= v <= hi):
                raise ValueError(f"{k} must be in [{lo}, {hi}]; got {v!r}")
            params[k] = type(spec.defaults[k])(v)
    return params


def _cache_key(spec: TaskSpec, params: dict, seed: int) -> str:
    blob = json.dumps({"task": spec.name, "params": params, "seed": seed, "hidden": spec.hidden,
                       "code": CODE_VERSION, "pretrain": _PRETRAIN[spec.kind]}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_task(name: str = "digits-rotate", *, seed: int = 0, use_disk: bool = True, **params) -> Task:
    """The task ``name`` with its base model pretrained (or loaded from cache), frozen, on CPU.

    ``params`` override the task's defaults (``angle``, ``noise``, ``occlude``); parameters a task
    does not use are ignored. The returned Task is shared: never modify its base model in place;
    ``copy.deepcopy`` it first (``train.Run`` does).
    """
    p = task_params(name, **params)
    spec = TASKS[name]
    key = _cache_key(spec, p, seed)
    with _LOCK:
        if key in _MEMORY:
            return _MEMORY[key]
        splits, n_classes = (_moons_data if spec.kind == "moons" else _digits_data)(spec, p, seed)
        model = _build_model(spec, n_classes, seed)
        path = cache_dir() / f"{name}-{key}.safetensors"
        loaded = False
        if use_disk and path.exists():
            from safetensors.torch import load_file

            try:
                model.load_state_dict(load_file(str(path)))
                loaded = True
            except Exception:  # corrupt or stale file: pretrain again and overwrite it
                loaded = False
        if not loaded:
            _pretrain(model, splits["source_train"], spec.kind)
            if use_disk:
                _save(model, path, key)
        model.eval().requires_grad_(False)
        task = Task(spec, p, seed, splits, n_classes, model, key)
        with torch.no_grad():
            for which in ("source", "target"):
                s = splits[f"{which}_test"]
                task.base_acc[which] = (model(s.x).argmax(-1) == s.y).float().mean().item()
        _MEMORY[key] = task
        return task


def _save(model: nn.Module, path: Path, key: str) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(tmp), metadata={"key": key, "code_version": CODE_VERSION})
    os.replace(tmp, path)  # atomic: parallel workers never read a half-written file


# --------------------------------------------------------------------------------------------
# plots


@torch.no_grad()
def decision_grid(model: nn.Module, task: Task | None = None, *, n: int = 101,
                  lim: tuple[float, float, float, float] | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xx, yy, probs) for a 2-D model: xx, yy (n, n) grid coordinates, probs (n, n, C) softmax.

    ``lim`` = (x_min, x_max, y_min, y_max); by default the box around the task's source and target
    points plus a margin of 0.5. Runs on the model's device, returns NumPy arrays.
    """
    if lim is None:
        if task is None:
            lim = (-2.5, 2.5, -2.5, 2.5)
        else:
            pts = torch.cat([task.source_train.x, task.target_train.x])
            lo, hi = pts.min(0).values - 0.5, pts.max(0).values + 0.5
            lim = (lo[0].item(), hi[0].item(), lo[1].item(), hi[1].item())
    p = next(iter(model.parameters()), None)
    buf = next(iter(model.buffers()), None)
    ref = p if p is not None else buf
    device = ref.device if ref is not None else torch.device("cpu")
    xs = torch.linspace(lim[0], lim[1], n)
    ys = torch.linspace(lim[2], lim[3], n)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")  # (n, n): rows are y, columns are x
    pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1).to(device)
    was_training = model.training
    model.eval()
    probs = torch.softmax(model(pts).float(), dim=-1).reshape(n, n, -1)
    model.train(was_training)
    return xx.numpy(), yy.numpy(), probs.cpu().numpy()
