"""The real-model run's settings: ``RealConfig``, the choices and safe ranges, the default learning
rates, the device rule and the exact adapter-parameter formulas."""

from __future__ import annotations

import contextlib
import dataclasses
import math
from dataclasses import dataclass

import torch

from .model import HIDDEN, N_LAYERS

__all__ = [
    "CPU_TOP_K",
    "HEAD_LR",
    "DEFAULT_LR",
    "CHOICES",
    "RANGES",
    "RealConfig",
    "resolve_device",
    "adapter_param_count",
    "torch_threads",
]

CPU_TOP_K = 2  # layers adapted by default on CPU (200 HRA steps in well under 40 s on 2 cores)
HEAD_LR = 1e-2
# Adapter learning rates (Adam), one per method: the smallest of a grid (1e-3, 3e-3, 1e-2; full
# fine-tuning 3e-5, 1e-4, 3e-4) whose 200-step test accuracy reaches the head-only baseline, measured
# on an H200 with all 6 layers, q and v, r = 8, seed 0 (benchmarks/RESULTS.md, `--lr-sweep`). Larger
# rates buy no accuracy on this task and cost retention: a smaller step leaves the model closer to
# what it knew.
DEFAULT_LR = {"hra": 1e-3, "lora": 1e-3, "oft": 1e-3, "full": 3e-5, "head": HEAD_LR}
METHOD_CHOICES = ("hra", "lora", "oft", "full", "head")
LAYER_CHOICES = ("qv", "all")
BLOCK_SIZE_CHOICES = (2, 4, 8, 16, 32, 64)  # OFT blocks; each divides d = 384 (and 1536)
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
CHOICES = {"method": METHOD_CHOICES, "layers": LAYER_CHOICES, "block_size": BLOCK_SIZE_CHOICES,
           "device": DEVICE_CHOICES}
RANGES = {"r": (1, 64), "top_k": (0, N_LAYERS), "steps": (1, 5000), "batch_size": (1, 408),
          "lr": (1e-6, 1.0), "head_lr": (1e-5, 1.0), "lam": (0.0, 1.0), "alpha": (1e-3, 1e3),
          "seed": (0, 2**31 - 1), "eval_every": (1, 5000)}
_INTS = {"r", "top_k", "steps", "batch_size", "seed", "eval_every", "block_size"}


@dataclass(frozen=True)
class RealConfig:
    method: str = "hra"
    r: int = 8  # HRA chain length and LoRA rank
    layers: str = "qv"  # qv: attention query + value; all: the six linear layers of each block
    top_k: int = 0  # adapt the top k of the 6 layers; 0 = auto (6 on CUDA/MPS, CPU_TOP_K on CPU)
    steps: int = 200
    batch_size: int = 32
    lr: float | None = None  # adapter lr; None = DEFAULT_LR[method]
    head_lr: float = HEAD_LR
    lam: float = 0.0  # HRA orthogonality regulariser λ
    block_size: int = 16  # OFT block size: 16 gives 2,880 parameters per 384-wide layer (HRA r=8: 3,072)
    alpha: float | None = None  # LoRA α (None = r, scaling 1)
    seed: int = 0
    device: str = "auto"
    eval_every: int = 20

    def __post_init__(self):
        for name, choices in CHOICES.items():
            v = getattr(self, name)
            ok = v in choices and not isinstance(v, bool)
            if name == "device":
                ok = isinstance(v, str) and (v in choices or v.startswith("cuda:"))
            if not ok:
                raise ValueError(f"{name} must be one of {choices}; got {v!r}")
        for name, (lo, hi) in RANGES.items():
            v = getattr(self, name)
            if v is None and name in ("lr", "alpha"):
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"{name} must be a number in [{lo}, {hi}]; got {v!r}")
            if name in _INTS and not float(v).is_integer():
                raise ValueError(f"{name} must be an integer in [{lo}, {hi}]; got {v!r}")
            if not (math.isfinite(v) and lo <= v <= hi):
                raise ValueError(f"{name} must be in [{lo}, {hi}]; got {v!r}")

    @property
    def effective_lr(self) -> float:
        return float(self.lr if self.lr is not None else DEFAULT_LR[self.method])

    def resolved_top_k(self, device: torch.device) -> int:
        if self.top_k:
            return int(self.top_k)
        return CPU_TOP_K if device.type == "cpu" else N_LAYERS

    def replace(self, **changes) -> RealConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but CUDA is not available; use 'auto' or 'cpu'")
    if dev.type == "mps" and not getattr(torch.backends, "mps", None):
        raise ValueError("device 'mps' was asked for but MPS is not available; use 'auto' or 'cpu'")
    return dev


def adapter_param_count(method: str, r: int, layers: str, top_k: int, block_size: int = 16) -> int:
    """Trainable adapter numbers (head excluded), from the formulas of DESIGN.md §1.

    Per Linear d_in → d_out: HRA r·d_in; LoRA r(d_in + d_out); OFT (d_in/b)·b(b−1)/2; full
    d_in·d_out + d_out (weight and bias); head 0. In a MiniLM block, q, k, v and the attention
    output are 384 → 384, the intermediate 384 → 1536, the output 1536 → 384.
    """
    shapes = {"qv": [(HIDDEN, HIDDEN)] * 2,
              "all": [(HIDDEN, HIDDEN)] * 4 + [(HIDDEN, 4 * HIDDEN), (4 * HIDDEN, HIDDEN)]}[layers]
    per = {
        "hra": lambda i, o: r * i,
        "lora": lambda i, o: r * (i + o),
        "oft": lambda i, o: (i // block_size) * block_size * (block_size - 1) // 2,
        "full": lambda i, o: i * o + o,
        "head": lambda i, o: 0,
    }[method]
    return top_k * sum(per(i, o) for i, o in shapes)


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Temporarily set torch's intra-op threads (None or 0: leave as is)."""
    prev = torch.get_num_threads()
    if not n or n == prev:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(prev)
