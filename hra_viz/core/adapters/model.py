"""``adapt(model, method, …)``: wrap a whole model's layers in adapters, and the helpers around it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import nn

from .. import householder as hh
from .base import METHODS
from .hra import HRAConv2d, HRALinear
from .lora import LoRALinear
from .oft import OFTLinear

__all__ = ["ADAPTER_TYPES", "adapt", "adapter_layers", "trainable_parameters", "orthogonality_loss"]

ADAPTER_TYPES = (HRALinear, HRAConv2d, LoRALinear, OFTLinear)


def _set_submodule(model: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, module)


def _resolve_targets(model: nn.Module, targets: Sequence[str] | None, allowed: tuple[type, ...]) -> list[str]:
    modules = dict(model.named_modules())
    if targets is None:
        names = [n for n, m in modules.items() if isinstance(m, nn.Linear) and n]
        if not names:
            raise ValueError("the model has no nn.Linear layer to adapt")
        return names
    if isinstance(targets, str):
        targets = [targets]
    names = []
    for t in targets:
        if t not in modules:
            raise ValueError(
                f"target {t!r} is not a module of the model; modules are: {sorted(n for n in modules if n)}"
            )
        if not isinstance(modules[t], allowed):
            kinds = " or ".join(a.__name__ for a in allowed)
            raise ValueError(f"target {t!r} is a {type(modules[t]).__name__}, not an {kinds}")
        names.append(t)
    return names


def adapt(
    model: nn.Module,
    method: str,
    *,
    targets: Sequence[str] | None = None,
    r: int = 8,
    alpha: float | None = None,
    block_size: int = 4,
    init: str = "symmetric",
    variant: str = "chain",
    seed: int | None = None,
) -> nn.Module:
    """Wrap the target layers of ``model`` in place and freeze everything else; return the model.

    method: ``hra`` | ``lora`` | ``oft`` wrap the targets (default: every nn.Linear; HRA also takes
    Conv2d targets); ``full`` trains every parameter; ``head`` trains only the last nn.Linear.
    ``seed`` makes the adapter init deterministic.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    if any(isinstance(m, ADAPTER_TYPES) for m in model.modules()):
        raise ValueError("this model is already adapted; adapt a fresh copy of the base model")
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    model.requires_grad_(method == "full")
    if method == "full":
        return model
    if method == "head":
        linears = _resolve_targets(model, targets, (nn.Linear,))
        model.get_submodule(linears[-1]).requires_grad_(True)
        return model
    allowed = (nn.Linear, nn.Conv2d) if method == "hra" else (nn.Linear,)
    for name in _resolve_targets(model, targets, allowed):
        layer = model.get_submodule(name)
        try:
            if method == "hra":
                cls = HRAConv2d if isinstance(layer, nn.Conv2d) else HRALinear
                new = cls(layer, r, init=init, variant=variant, generator=gen)
            elif method == "lora":
                new = LoRALinear(layer, r, alpha, generator=gen)
            else:
                new = OFTLinear(layer, block_size)
        except ValueError as e:
            raise ValueError(f"layer {name!r}: {e}") from None
        _set_submodule(model, name, new)
    return model


def adapter_layers(
    model: nn.Module, kind: type | tuple[type, ...] = ADAPTER_TYPES
) -> Iterable[tuple[str, nn.Module]]:
    """(name, module) for every adapter layer of ``kind`` in the model."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, kind)]


def trainable_parameters(model: nn.Module) -> int:
    """Number of scalars that receive gradients."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def orthogonality_loss(model: nn.Module) -> torch.Tensor:
    """Σ over HRA layers of ‖I − ÛᵀÛ‖²_F, the paper's regulariser (multiply by λ).

    The λ = ∞ (orthonormal) variant adds exactly 0. One autograd node per group of equal-shaped U's
    (``householder.orthogonality_penalty_sum``), not one per layer.
    """
    layers = [m for _, m in adapter_layers(model, (HRALinear, HRAConv2d))]
    us = [m.u for m in layers if m.variant != "orthonormal"]
    if us:
        return hh.orthogonality_penalty_sum(us)
    if layers:
        return layers[0].u.new_zeros(())
    p = next(model.parameters(), None)
    return torch.zeros((), device=p.device if p is not None else "cpu")
