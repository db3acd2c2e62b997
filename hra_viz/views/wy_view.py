"""Data for the page "Chain = I + ÛΓÛᵀ": the dense chain next to its compact WY form, and its cost.

All dense (d × d) matrices here are for figures only, so d is capped by the state registry (≤ 64).
"""

from __future__ import annotations

import math
import time

import pandas as pd
import torch
from torch import nn

from hra_viz.core import householder as hh
from hra_viz.core.adapters import route_flops

__all__ = ["make_u", "wy_report", "wy_timing", "flop_table"]


def make_u(d: int, r: int, seed: int, init: str) -> tuple[torch.Tensor, bool]:
    """U (d, r) in float64 and whether the symmetric init had to fall back to random (odd r)."""
    g = torch.Generator().manual_seed(int(seed))
    if init == "symmetric" and r % 2 == 0:
        return hh.symmetric_init(d, r, generator=g, dtype=torch.float64), False
    U = torch.empty(d, r, dtype=torch.float64)
    nn.init.kaiming_uniform_(U, a=math.sqrt(5), generator=g)  # PEFT's random init of hra_u
    return U, init == "symmetric"


def wy_report(d: int, r: int, dout: int, seed: int, init: str) -> dict:
    """Everything the page shows, computed in float64.

    H (naive product) vs I + ÛΓÛᵀ, Γ (closed form) vs the paper's recurrence, the singular values of
    H − I (dense SVD and the r × r route), and the LoRA view W H = W + (W Û Γ) Ûᵀ.
    """
    U, fell_back = make_u(d, r, seed, init)
    H = hh.householder_chain(U)
    WY = hh.wy_matrix(U)
    Un, Gamma = hh.wy_factors(U)
    Gamma_rec = hh.wy_gamma_recurrence(U)
    eye = torch.eye(d, dtype=torch.float64)
    sv_dense = torch.linalg.svdvals(H - eye)  # (d,), at most r of them non-zero
    sv_small = hh.delta_singular_values(U)  # (r,), without a d × d matrix
    gW = torch.Generator().manual_seed(int(seed) + 1)
    W = torch.randn(dout, d, generator=gW, dtype=torch.float64) / math.sqrt(d)  # the frozen layer
    A = W @ Un @ Gamma  # (dout, r)
    B = Un.T  # (r, d)
    WH = W @ H
    tol = 1e-10 * max(1.0, float(sv_dense.max()))
    return {
        "U": U,
        "H": H,
        "WY": WY,
        "diff": H - WY,
        "wy_error": float((H - WY).abs().max()),
        "Gamma": Gamma,
        "gamma_error": float((Gamma - Gamma_rec).abs().max()),
        "orth_error": float((H.T @ H - eye).abs().max()),
        "det": float(torch.linalg.det(H)),
        "sv_dense": sv_dense,
        "sv_small": sv_small,
        "rank": int((sv_dense > tol).sum()),
        "sv_match": float((sv_dense[:r] - sv_small).abs().max()),
        "identity_error": float((H - eye).abs().max()),
        "W": W,
        "A": A,
        "B": B,
        "WH": WH,
        "lora_error": float((WH - (W + A @ B)).abs().max()),
        "fell_back": fell_back,
        "d": d,
        "r": r,
        "dout": dout,
    }


def _best_ms(fn, reps: int) -> float:
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def wy_timing(r: int, sizes=(128, 256, 512, 1024), reps: int = 3, seed: int = 0) -> pd.DataFrame:
    """Measured ms to get W H (d × d layer, float32, CPU): naive (build H, then W H) vs WY route.

    naive: H = H_1 … H_r as d × d, then W @ H            O(d³ + d² r)
    WY:    W + ((W Û) Γ) Ûᵀ, Γ by one r × r solve       O(d² r)
    """
    torch.manual_seed(seed)
    rows = []
    for d in sizes:
        rr = min(r, d)
        U = torch.randn(d, rr)
        W = torch.randn(d, d)

        def naive(W=W, U=U):
            return W @ hh.householder_chain(U)

        def wy(W=W, U=U):
            Un, G = hh.wy_factors(U)
            return W + ((W @ Un) @ G) @ Un.T

        rows.append({"d": d, "r": rr, "naive_ms": _best_ms(naive, reps), "wy_ms": _best_ms(wy, reps)})
    df = pd.DataFrame(rows)
    df["speedup"] = df["naive_ms"] / df["wy_ms"]
    return df


def flop_table(n_tokens: int, d_in: int, d_out: int, r: int, big: int = 768) -> pd.DataFrame:
    """Extra flops per training step (forward + backward) of each HRA route, from ``route_flops``.

    One column for the page's layer (d_out × d_in) and one for a realistic big × big layer, each also
    as a multiple of that frozen layer's own forward (2·N·d_in·d_out).
    """
    small = route_flops(n_tokens, d_in, d_out, r, input_grad=False, backward=True)
    large = route_flops(n_tokens, big, big, min(r, big), input_grad=False, backward=True)
    f_small, f_large = 2 * n_tokens * d_in * d_out, 2 * n_tokens * big * big
    rows = [
        {
            "route": k,
            "flops": int(small[k]),
            "x_frozen": small[k] / f_small,
            "flops_big": int(large[k]),
            "x_frozen_big": large[k] / f_large,
        }
        for k in small
    ]
    return pd.DataFrame(rows)
