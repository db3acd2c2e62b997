"""What every adapter method shares: the method names, the rank check and the HRA cost model.

As in PEFT's ``tuners_utils``: one module that the per-method modules (``hra``, ``lora``, ``oft``)
and ``model`` (``adapt`` for a whole model) import.
"""

from __future__ import annotations

import torch

__all__ = ["METHODS", "HRA_INITS", "HRA_VARIANTS", "OddRankWarning", "route_flops"]


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
