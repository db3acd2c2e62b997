"""What every adapter method shares: the method names, the rank check and the HRA cost model.

As in PEFT's ``tuners_utils``: one module that the per-method modules (``hra``, ``lora``, ``oft``)
and ``model`` (``adapt`` for a whole model) import.
"""

from __future__ import annotations

import torch

__all__ = ["METHODS", "HRA_INITS", "HRA_VARIANTS", "FloatAdapterMixin", "OddRankWarning", "route_flops"]


METHODS = ("hra", "lora", "oft", "full", "head")
HRA_INITS = ("symmetric", "random", "null")
HRA_VARIANTS = ("chain", "orthonormal")


class OddRankWarning(UserWarning):
    """Symmetric init was asked for with an odd r; a random init was used instead."""


# --------------------------------------------------------------------------------------------
# cost model: which exact route is cheapest for this call


def route_flops(
    n_tokens: int, d_in: int, d_out: int, r: int, *, input_grad: bool, backward: bool = True
) -> dict[str, int]:
    """Flops (2 per multiply-add) that each HRA route adds on top of the frozen layer's own work.

    The frozen layer's own work is its forward (2·N·d_in·d_out) and, when the input needs a
    gradient, its input backward (another 2·N·d_in·d_out). ``materialise`` is PEFT 0.21's route:
    build H (d_in × d_in) and W H on every call.
    """
    N, a, o = n_tokens, d_in, d_out
    act = 4 * N * a * r + 2 * N * r * r
    lora = 2 * N * a * r + 2 * N * r * r + 2 * o * a * r + 2 * N * r * o
    mat = 4 * a * a * r + 2 * o * a * a
    if backward:
        # activation side: dZ = dx'Û, dÛ += dx'ᵀZ, dP = dZΓ, dΓ = dZᵀP, dÛ += xᵀdP (+ dPÛᵀ into dx)
        act += 6 * N * a * r + 4 * N * r * r + (2 * N * a * r if input_grad else 0)
        if not input_grad:
            act += 2 * N * a * o  # dx' = dy W is needed for U's gradient even when x needs none
        # LoRA form: dZ = dyA, dA = dyᵀZ, dÛ += WᵀdA, dP, dΓ, dÛ += xᵀdP (+ dPÛᵀ into dx)
        lora += (
            4 * N * o * r
            + 2 * o * a * r
            + 4 * N * r * r
            + 2 * N * a * r
            + (2 * N * a * r if input_grad else 0)
        )
        # materialise: backward through W H and through the r rank-1 updates of H
        mat += 2 * o * a * a + 4 * a * a * r
    return {"activation": act, "lora": lora, "materialise": mat}


def _check_rank(r, d_in: int, what: str) -> int:
    if isinstance(r, bool) or not isinstance(r, int):
        raise ValueError(f"r must be an integer; got {r!r}")
    if r < 1:
        raise ValueError(f"r must be ≥ 1; got r={r}")
    if r > d_in:
        raise ValueError(f"r={r} is larger than the input size d_in={d_in} of {what}: use 1 ≤ r ≤ {d_in}")
    return r


def _adapter_dtype(weight: torch.Tensor) -> torch.dtype:
    """Adapter parameters train in float32 (float64 if the base is float64), even on a bf16 base."""
    return torch.float64 if weight.dtype == torch.float64 else torch.float32


_HALF = (torch.float16, torch.bfloat16)
_FULL = (torch.float32, torch.float64)


class FloatAdapterMixin:
    """The adapter dtype policy: adapter parameters are a float32 (or float64) master copy.

    * Created in float32 on a float32, bf16 or fp16 base, in float64 on a float64 base (as PEFT's
      ``autocast_adapter_dtype=True``).
    * Casting the module to half precision (``.to(torch.bfloat16)``, ``.half()``, ``.bfloat16()``)
      casts the frozen base layer and leaves the adapter's own parameters (and their gradients) in
      float32, unrounded; casting to float64 (``.double()``) is honoured. Unlike PEFT, which then
      casts adapters too: a bf16 parameter has 8 significant bits, so Adam steps smaller than
      |u|/256 would vanish, and the master copy costs only r·d_in·4 bytes per layer.
    * Each forward casts what the big products need to the compute dtype (the base weight's, or
      autocast's); the r × r algebra of HRA stays in float32 or better.
    """

    def _apply(self, fn, recurse=True):
        own = {k: (p.data, None if p.grad is None else p.grad.data)  # aliases of the old storage
               for k, p in self._parameters.items() if p is not None and p.dtype in _FULL}
        out = super()._apply(fn, recurse)
        for k, (data, grad) in own.items():
            p = self._parameters[k]
            if p is not None and p.dtype in _HALF:  # keep the float32 master copy, unrounded
                p.data = data.to(device=p.device, dtype=torch.float32)
                p.grad = None if grad is None else grad.to(device=p.device, dtype=torch.float32)
        return out
