"""What an adapter learned and what it forgot: pure functions on tensors and models.

Notation as in the paper: a frozen layer W (d_out × d_in), U = [u_1 … u_r] (d_in × r), Û its
column-normalised copy, H = H_1 … H_r = I + Û Γ Ûᵀ, W' = W H. For the other methods W' is the
effective weight (LoRA: W + (α/r) B A, OFT: W R, full / head: the trained weight).

No function here trains or builds a d × d matrix in the engine path; the dense references live in
``hra_viz.core.householder`` and are used by the tests only.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from hra_viz.core import householder as hh
from hra_viz.core.adapters import HRAConv2d, HRALinear, LoRALinear, OFTLinear

__all__ = [
    "accuracy",
    "retention",
    "drift",
    "effective_weights",
    "singular_spectra",
    "layer_spectra",
    "gram",
    "gamma",
    "pair_rotation_angles",
    "h_minus_identity_norms",
    "hra_layer_diagnostics",
    "hyperspherical_energy",
    "principal_angles",
    "PeakMemory",
]

_ADAPTERS = (HRALinear, HRAConv2d, LoRALinear, OFTLinear)


# --------------------------------------------------------------------------------------------
# retention and drift


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows whose arg-max class equals the label."""
    return (logits.argmax(-1) == y).float().mean().item()


def retention(source_acc: float, base_source_acc: float) -> float:
    """Share of the base model's source accuracy kept after adaptation: acc'_src / acc_src.

    1.0 means nothing was forgotten; it can exceed 1 when adaptation happens to help the source.
    """
    return float(source_acc) / max(float(base_source_acc), 1e-12)


def drift(base_logits: torch.Tensor, logits: torch.Tensor) -> float:
    """Mean KL divergence of the adapted predictions from the base ones, in nats:

        drift = (1/N) Σ_n KL(p_base(·|x_n) ‖ p'(·|x_n)) = (1/N) Σ_n Σ_c p_base log(p_base / p').

    Measured on source data it says how much the adapted model's beliefs moved where it was
    already right; 0 for an adapter at its identity init.
    """
    lp_base = F.log_softmax(base_logits.double(), dim=-1)
    lp = F.log_softmax(logits.double(), dim=-1)
    return (lp_base.exp() * (lp_base - lp)).sum(-1).mean().item()


# --------------------------------------------------------------------------------------------
# spectra


def _layer_weight(m: nn.Module) -> torch.Tensor:
    """The effective 2-D weight W' of a layer (adapter or plain Linear / Conv2d)."""
    if isinstance(m, (HRALinear, HRAConv2d, OFTLinear)):
        W = m.base.weight if getattr(m, "merged", False) else m.merged_weight()
    elif isinstance(m, LoRALinear):
        W = m.base.weight if m.merged else m.base.weight + m.delta_weight()
    else:
        W = m.weight
    return W.detach().flatten(1)


@torch.no_grad()
def effective_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """{layer name: W'} for every adapter and every Linear / Conv2d that is not inside an adapter.

    Names are the names in the *adapted* model, which are those of the base model's layers
    (``net.0`` stays ``net.0`` when wrapped), so base and adapted weights pair by name.
    """
    out: dict[str, torch.Tensor] = {}
    inside: list[str] = []
    for name, m in model.named_modules():
        if any(name.startswith(p + ".") for p in inside):
            continue
        if isinstance(m, _ADAPTERS):
            inside.append(name)
            out[name] = _layer_weight(m)
        elif isinstance(m, (nn.Linear, nn.Conv2d)):
            out[name] = _layer_weight(m)
    return out


@torch.no_grad()
def singular_spectra(W_before: torch.Tensor, W_after: torch.Tensor) -> dict[str, torch.Tensor]:
    """σ(W), σ(W'), σ(ΔW) with ΔW = W' − W, and max_i |σ_i(W') − σ_i(W)|, all in float64 on CPU.

    For HRA and OFT, W' = W Q with Q orthogonal, so σ(W') = σ(W) exactly (up to round-off);
    LoRA and full fine-tuning change the spectrum. σ(ΔW) has at most r non-zeros for HRA and LoRA.
    """
    Wb = W_before.detach().flatten(1).to("cpu", torch.float64)
    Wa = W_after.detach().flatten(1).to("cpu", torch.float64)
    sb, sa = torch.linalg.svdvals(Wb), torch.linalg.svdvals(Wa)
    return {"before": sb, "after": sa, "delta": torch.linalg.svdvals(Wa - Wb),
            "max_abs_dsigma": float((sa - sb).abs().max())}


def layer_spectra(base_model: nn.Module, model: nn.Module) -> dict[str, dict]:
    """``singular_spectra`` for every layer of ``model`` paired by name with ``base_model``."""
    before, after = effective_weights(base_model), effective_weights(model)
    return {name: singular_spectra(before[name], W) for name, W in after.items() if name in before}


# --------------------------------------------------------------------------------------------
# the reflections themselves


def gram(U: torch.Tensor) -> torch.Tensor:
    """ÛᵀÛ (r × r): cosines between the reflection vectors; I when they are orthonormal."""
    Un = hh.normalize_columns(U)
    return Un.T @ Un


def gamma(U: torch.Tensor) -> torch.Tensor:
    """Γ = −(½ I + striu(ÛᵀÛ))⁻¹ (r × r, upper triangular, diagonal −2), as in H = I + Û Γ Ûᵀ."""
    return hh.wy_factors(U)[1]


def pair_rotation_angles(U: torch.Tensor) -> torch.Tensor:
    """Rotation angle ∈ [0, π] of each consecutive pair (u_1, u_2), (u_3, u_4), … (r // 2 values).

    H(u_{2k−1}) H(u_{2k}) is a rotation of the plane span(u_{2k−1}, u_{2k}) by α = −2θ, θ the angle
    between the two vectors (``householder.pair_rotation``); reported as the magnitude of α folded
    into [0, π]. 0: the pair cancels (symmetric init); π: orthogonal vectors, the point the
    regulariser ‖I − ÛᵀÛ‖² pushes towards. An odd last column is a lone reflection, not reported.
    """
    out = []
    for k in range(U.shape[1] // 2):
        _, alpha = hh.pair_rotation(U[:, 2 * k], U[:, 2 * k + 1])
        a = torch.remainder(alpha.abs().double(), 2 * math.pi)
        out.append(torch.minimum(a, 2 * math.pi - a))
    if not out:
        return torch.zeros(0, dtype=torch.float64)
    return torch.stack(out)


def h_minus_identity_norms(U: torch.Tensor | None = None, *,
                           factors: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[float, float]:
    """(‖H − I‖_F, ‖H − I‖_2) without building H (d × d).

    H − I = Û Γ Ûᵀ. With Û = Q R (thin QR) it equals Q (R Γ Rᵀ) Qᵀ, so its singular values are
    those of the r × r matrix R Γ Rᵀ (``householder.delta_singular_values``). Give U for the
    chain, or ``factors`` = (Û, Γ) for any layer (e.g. the λ = ∞ variant, where ‖H − I‖_2 = 2).
    """
    if factors is None:
        if U is None:
            raise ValueError("give U or factors")
        s = hh.delta_singular_values(U.detach())
    else:
        Un, G = (t.detach().to(torch.float64) for t in factors)
        _, R = torch.linalg.qr(Un)
        s = torch.linalg.svdvals(R @ G @ R.T)
    s = s.double()
    return float(s.norm()), float(s.max())


@torch.no_grad()
def hra_layer_diagnostics(layer: HRALinear | HRAConv2d) -> dict[str, float]:
    """Orthogonality penalty ‖I − ÛᵀÛ‖²_F and ‖H − I‖ (Frobenius, spectral) of one HRA layer."""
    if layer.variant == "chain":
        fro, spec = h_minus_identity_norms(layer.u)
    else:
        fro, spec = h_minus_identity_norms(factors=layer.factors())
    penalty = float(layer.orthogonality_penalty())
    return {"orth_penalty": penalty, "h_minus_i_fro": fro, "h_minus_i_spec": spec}


# --------------------------------------------------------------------------------------------
# neurons and subspaces


def hyperspherical_energy(W: torch.Tensor, s: float = 1.0, eps: float = 1e-12) -> float:
    """Hyperspherical energy of the neurons (rows w_i of W, normalised to ŵ_i = w_i / ‖w_i‖):

        HE_s(W) = Σ_{i<j} ‖ŵ_i − ŵ_j‖^{−s},   s = 1 by default (the Riesz 1-energy used by OFT).

    Each unordered pair counts once. ‖ŵ_i − ŵ_j‖² = 2 − 2 ŵ_iᵀŵ_j, so only the Gram matrix of the
    d_out rows is formed. W H with H orthogonal keeps every ŵ_iᵀŵ_j, hence HE: HRA and OFT keep
    the energy, LoRA and full fine-tuning change it. Distances are clamped at ``eps``.
    """
    Wn = W.detach().flatten(1).double()
    Wn = Wn / Wn.norm(dim=1, keepdim=True).clamp_min(eps)
    G = Wn @ Wn.T
    i, j = torch.triu_indices(G.shape[0], G.shape[0], offset=1)
    dist = (2.0 - 2.0 * G[i, j]).clamp_min(0.0).sqrt().clamp_min(eps)
    return float((dist ** (-s)).sum())


def _orth_basis(A: torch.Tensor, rtol: float = 1e-7) -> torch.Tensor:
    """Orthonormal basis of span(A) (columns), rank decided by an SVD with relative tolerance."""
    Q, S, _ = torch.linalg.svd(A, full_matrices=False)
    rank = int((S > rtol * S.max().clamp_min(1e-300)).sum())
    return Q[:, :max(rank, 1)]


def principal_angles(U: torch.Tensor, W: torch.Tensor, k: int | None = None) -> torch.Tensor:
    """Principal angles (radians, ascending) between span(U) and span(V_k), V_k the top-k right
    singular vectors of W (k = r by default).

    With Q an orthonormal basis of span(U) (rank-revealing, so a symmetric init of rank r/2 gives
    r/2 angles) and V_k (d_in × k), cos θ_i = σ_i(Qᵀ V_k). θ = 0: U reflects W's strongest input
    directions; θ = π/2: U works where W barely listens.
    """
    Ud = U.detach().double().cpu()
    Wd = W.detach().flatten(1).double().cpu()
    k = Ud.shape[1] if k is None else k
    Q = _orth_basis(Ud)
    _, _, Vh = torch.linalg.svd(Wd, full_matrices=False)
    V = Vh[:k].T  # (d_in, k)
    cos = torch.linalg.svdvals(Q.T @ V).clamp(-1.0, 1.0)
    return torch.arccos(cos).sort().values


# --------------------------------------------------------------------------------------------
# memory


def _proc_status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class PeakMemory:
    """Peak memory of a block of code, in bytes (``with PeakMemory(device) as pm: …; pm.peak_bytes``).

    CUDA: ``torch.cuda.max_memory_allocated`` after resetting the peak (tensors only). CPU: the
    resident-set delta VmHWM_after − VmRSS_before read from /proc/self/status, after resetting the
    high-water mark through /proc/self/clear_refs when Linux allows it (otherwise the delta is a
    lower bound that misses peaks hidden by an earlier, higher one). 0 where /proc is missing.
    """

    device: str | torch.device = "cpu"
    peak_bytes: int = 0

    def __enter__(self) -> PeakMemory:
        self._dev = torch.device(self.device)
        if self._dev.type == "cuda":
            torch.cuda.synchronize(self._dev)
            torch.cuda.reset_peak_memory_stats(self._dev)
            self._start = torch.cuda.memory_allocated(self._dev)
        else:
            try:
                with open("/proc/self/clear_refs", "w") as f:
                    f.write("5")  # resets VmHWM to the current RSS
            except OSError:
                pass
            self._start = (_proc_status_kb("VmRSS") or 0) * 1024
        return self

    def __exit__(self, *exc) -> None:
        if self._dev.type == "cuda":
            torch.cuda.synchronize(self._dev)
            self.peak_bytes = max(0, torch.cuda.max_memory_allocated(self._dev) - self._start)
        else:
            hwm = _proc_status_kb("VmHWM")
            self.peak_bytes = max(0, (hwm or 0) * 1024 - self._start) if os.path.exists("/proc") else 0
