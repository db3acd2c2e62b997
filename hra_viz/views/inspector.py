"""Diagnostics of a PEFT HRA adapter, from its U alone (no base model, no d × d matrix).

Per layer, with Û the column-normalised U and H = H_1 … H_r = I + Û Γ Ûᵀ:

* ‖I − ÛᵀÛ‖_F: how far the reflection vectors are from orthonormal (paper eq. 6, unsquared);
* ‖H − I‖_F and ‖H − I‖_2 from the r singular values of H − I (``householder.delta_singular_values``);
* the rotation angle of each consecutive pair (u_{2k−1}, u_{2k}): twice the angle between them;
* Gram ÛᵀÛ and Γ (r × r), and a 2-D picture of the vectors in their top-2 principal directions.

For ``apply_GS`` adapters (PEFT's λ = ∞ variant), H = I − 2QQᵀ with Q = orth(U).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from hra_viz.core import householder as hh
from hra_viz.core.peft_io import HRAAdapter, adapter_files, read_adapter_files, run_vectors
from hra_viz.training import metrics as M

__all__ = ["layer_table", "layer_detail", "plane_projection", "example_adapter", "EXAMPLE_CONFIG"]

# The built-in example: a short, deterministic HRA run on the digits task (about a second on a CPU).
EXAMPLE_CONFIG = dict(task="digits-rotate", method="hra", r=8, lam=1e-4, steps=150, seed=0, task_seed=0)


def _factors(U: torch.Tensor, apply_gs: bool) -> tuple[torch.Tensor, torch.Tensor]:
    if apply_gs:
        Q = hh.orthonormalize(U)
        return Q, -2.0 * torch.eye(U.shape[1], dtype=U.dtype)
    return hh.wy_factors(U)


def layer_row(name: str, U: torch.Tensor, apply_gs: bool = False) -> dict:
    """One row of the per-layer table (float64 throughout)."""
    U = U.detach().to("cpu", torch.float64)
    d_in, r = U.shape
    G = M.gram(U)
    orth = float(torch.linalg.matrix_norm(torch.eye(r, dtype=U.dtype) - G))
    if apply_gs:
        fro, spec = M.h_minus_identity_norms(factors=_factors(U, True))
    else:
        fro, spec = M.h_minus_identity_norms(U)
    angles = np.degrees(M.pair_rotation_angles(U).numpy())
    return {
        "module": name,
        "d_in": d_in,
        "r": r,
        "orth_fro": orth,
        "h_minus_i_fro": fro,
        "h_minus_i_spec": spec,
        "pair_angles_deg": ", ".join(f"{a:.1f}" for a in angles) if len(angles) else "–",
        "mean_pair_angle_deg": float(angles.mean()) if len(angles) else math.nan,
    }


def layer_table(adapter: HRAAdapter) -> pd.DataFrame:
    """One row per adapted module: d_in, r, ‖I − ÛᵀÛ‖_F, ‖H − I‖_F, ‖H − I‖_2, pair angles (°)."""
    return pd.DataFrame([layer_row(n, U, adapter.apply_gs) for n, U in adapter.vectors.items()])


def plane_projection(U: torch.Tensor) -> dict:
    """The unit vectors û_i seen in the plane of their top-2 principal directions.

    P (d × 2) = the two leading left singular vectors of Û. Each û_i appears as p_i = Pᵀ û_i
    (length ≤ 1: 1 when û_i lies in the plane). The mirror u_i^⊥ meets the plane in the line
    through 0 perpendicular to p_i (for x in the plane, x·û_i = x·p_i), so its direction is p_i
    turned by 90°. ``captured`` is the share of Σ‖û_i‖² = r that the plane holds.
    """
    Un = hh.normalize_columns(U.detach().to("cpu", torch.float64))
    left, s, _ = torch.linalg.svd(Un, full_matrices=False)
    k = min(2, left.shape[1])
    P = left[:, :k]
    if k == 1:  # r = 1 or d = 1: the second direction is any orthogonal one (nothing lies along it)
        P = torch.cat([P, torch.zeros_like(P)], dim=1)
    p = (P.T @ Un).numpy()  # (2, r)
    lines = np.stack([-p[1], p[0]])  # each column p_i turned by 90°
    norms = np.linalg.norm(p, axis=0, keepdims=True)
    lines = np.divide(lines, norms, out=np.zeros_like(lines), where=norms > 1e-12)
    captured = float((s[:k] ** 2).sum() / (s**2).sum())
    return {"points": p, "mirror_dirs": lines, "captured": captured}


def layer_detail(U: torch.Tensor, apply_gs: bool = False) -> dict:
    """Gram ÛᵀÛ, Γ, singular values of H − I and the plane projection of one layer."""
    U = U.detach().to("cpu", torch.float64)
    Un, G = _factors(U, apply_gs)
    if apply_gs:
        _, R = torch.linalg.qr(Un)
        sv = torch.linalg.svdvals(R @ G @ R.T)
    else:
        sv = hh.delta_singular_values(U)
    return {
        "gram": M.gram(U).numpy(),
        "gamma": G.numpy(),
        "sv": sv.numpy(),
        "angles_deg": np.degrees(M.pair_rotation_angles(U).numpy()),
        **plane_projection(U),
    }


def example_adapter(seed: int = 0) -> HRAAdapter:
    """A real HRA adapter, trained here and now (deterministic from ``seed``), read back through the
    same PEFT file format and parser as an upload: ``save`` to bytes in memory, then ``read``."""
    from hra_viz.training.train import Run, RunConfig

    run = Run(RunConfig(**{**EXAMPLE_CONFIG, "seed": seed}))
    run.step(run.cfg.steps)
    files = adapter_files(run_vectors(run.model), base_model_name_or_path=f"hra-viz:{run.cfg.task}")
    return read_adapter_files(files)
