"""LoRA (Hu et al., 2021), so that every comparison in the app runs through this code."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .base import FloatAdapterMixin, _adapter_dtype, _check_rank

__all__ = ["LoRALinear"]


class LoRALinear(FloatAdapterMixin, nn.Module):
    """y = base(x) + (α/r) · x Aᵀ Bᵀ with A (r × d_in) kaiming-uniform and B (d_out × r) = 0."""

    def __init__(
        self, base: nn.Linear, r: int, alpha: float | None = None, *, generator: torch.Generator | None = None
    ):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise ValueError(f"LoRALinear wraps an nn.Linear; got {type(base).__name__}")
        self.r = _check_rank(r, base.in_features, "this Linear layer")
        self.alpha = float(r if alpha is None else alpha)
        if not math.isfinite(self.alpha) or self.alpha <= 0:
            raise ValueError(f"alpha must be a positive finite number; got {alpha!r}")
        self.scaling = self.alpha / r
        self.base = base.requires_grad_(False)
        self.in_features, self.out_features = base.in_features, base.out_features
        dtype, dev = _adapter_dtype(base.weight), base.weight.device
        A = torch.empty(r, base.in_features, dtype=dtype)
        nn.init.kaiming_uniform_(A, a=math.sqrt(5), generator=generator)
        self.lora_A = nn.Parameter(A.to(dev))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, dtype=dtype, device=dev))
        self.merged = False

    def extra_repr(self) -> str:
        return f"r={self.r}, alpha={self.alpha:g}, merged={self.merged}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.base(x)
        if self.merged:
            return y
        dt = self.base.weight.dtype
        return y + F.linear(F.linear(x.to(dt), self.lora_A.to(dt)), self.lora_B.to(dt)) * self.scaling

    @torch.no_grad()
    def delta_weight(self) -> torch.Tensor:
        return (self.lora_B @ self.lora_A * self.scaling).to(self.base.weight.dtype)

    @torch.no_grad()
    def merge(self) -> None:
        if not self.merged:
            self.base.weight.add_(self.delta_weight())
            self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        if self.merged:
            self.base.weight.sub_(self.delta_weight())
            self.merged = False
