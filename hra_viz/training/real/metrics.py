"""Retention and spectrum metrics for the real model (pure torch, no model code).

Retention compares the base model's and the adapted model's normalised embeddings E0, E1 (n × d) of
the same probe sentences:

* ``cos``: mean over sentences of cos(E0_i, E1_i) (1 = every embedding unchanged);
* ``spearman``: Spearman ρ between the upper triangles of E0 E0ᵀ and E1 E1ᵀ (1 = every pairwise
  similarity keeps its rank);
* ``knn``: mean over sentences of |N0_i ∩ N1_i| / k, N the k nearest other sentences by cosine
  (1 = every sentence keeps its k nearest neighbours).
"""

from __future__ import annotations

import torch

__all__ = ["retention", "spearman", "knn_overlap", "mean_cosine", "max_abs_dsigma"]


def mean_cosine(E0: torch.Tensor, E1: torch.Tensor) -> float:
    a = torch.nn.functional.normalize(E0.double(), dim=-1)
    b = torch.nn.functional.normalize(E1.double(), dim=-1)
    return float((a * b).sum(-1).mean())


def _ranks(x: torch.Tensor) -> torch.Tensor:
    """Ranks 0 … n−1 (ties, which float similarities practically never have, get distinct ranks)."""
    r = torch.empty_like(x, dtype=torch.float64)
    r[x.argsort()] = torch.arange(x.numel(), dtype=torch.float64, device=x.device)
    return r


def spearman(a: torch.Tensor, b: torch.Tensor) -> float:
    """Spearman ρ of two equally long 1-D tensors (Pearson correlation of their ranks)."""
    ra, rb = _ranks(a.flatten()), _ranks(b.flatten())
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = (ra.norm() * rb.norm()).clamp_min(1e-300)
    return float((ra @ rb) / den)


def _upper(S: torch.Tensor) -> torch.Tensor:
    i, j = torch.triu_indices(S.shape[0], S.shape[1], offset=1, device=S.device)
    return S[i, j]


def knn_overlap(E0: torch.Tensor, E1: torch.Tensor, k: int = 10) -> float:
    n = E0.shape[0]
    if n < 2:
        return 1.0
    k = min(k, n - 1)
    out = []
    for E in (E0, E1):
        E = torch.nn.functional.normalize(E.double(), dim=-1)
        S = E @ E.T
        S.fill_diagonal_(-float("inf"))
        out.append(S.topk(k, dim=1).indices)
    a, b = out
    hits = (a.unsqueeze(2) == b.unsqueeze(1)).any(2).sum(1).double()
    return float((hits / k).mean())


def retention(E0: torch.Tensor, E1: torch.Tensor, k: int = 10) -> dict[str, float]:
    """{cos, spearman, knn}: how much of the base model's embedding geometry the adapted one keeps."""
    a = torch.nn.functional.normalize(E0.double(), dim=-1)
    b = torch.nn.functional.normalize(E1.double(), dim=-1)
    return {
        "cos": float((a * b).sum(-1).mean()),
        "spearman": spearman(_upper(a @ a.T), _upper(b @ b.T)),
        "knn": knn_overlap(a, b, k),
    }


def max_abs_dsigma(W0: torch.Tensor, W1: torch.Tensor) -> float:
    """max_i |σ_i(W1) − σ_i(W0)| in float64."""
    s0 = torch.linalg.svdvals(W0.detach().double().cpu())
    s1 = torch.linalg.svdvals(W1.detach().double().cpu())
    return float((s1 - s0).abs().max())
