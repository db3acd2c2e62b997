"""Adapter layers (HRA, LoRA, OFT) and ``adapt(model, method, …)``.

HRA (Yuan et al., 2024) keeps a frozen layer W (d_out × d_in) and learns U (d_in × r):

    W' = W H,   H = H_1 … H_r = I + Û Γ Ûᵀ   (see ``hra_viz.householder``)

No layer here ever builds a d × d matrix. ``HRALinear`` picks, on each call, the cheapest of two
exact routes (N tokens):

* activation side   y = base(x + ((x Û) Γᵀ) Ûᵀ)             extra ≈ 4·N·d_in·r flops forward
* LoRA form         y = base(x) + ((x Û) Γᵀ) (W Û)ᵀ          no backward through W when x needs no grad

and merging uses the weight side W' = W + ((W Û) Γ) Ûᵀ.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import householder as hh

__all__ = [
    "HRALinear",
    "HRAConv2d",
    "LoRALinear",
    "OFTLinear",
    "METHODS",
    "adapt",
    "adapter_layers",
    "trainable_parameters",
    "orthogonality_loss",
    "route_flops",
    "OddRankWarning",
]

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


# --------------------------------------------------------------------------------------------
# the fused chain kernel: one autograd node, hand-written backward, matmuls in their fast layouts
#
# Rows are the fast layout on a CPU (a (r, d) @ (d, n) product streams W once), so the kernel works
# with Uᵀ (r × d_in) and Aᵀ = (W Û)ᵀ (r × d_out) throughout.


class _HRAChainFn(torch.autograd.Function):
    """y = x (W H)ᵀ + b for H = I + Û Γ Ûᵀ, with U → (Û, Γ) inside the node.

    Forward, with M = Γ Ûᵀ (r × d_in) and Z = x Mᵀ = (x Û) Γᵀ:
      lora form   y = (x Wᵀ + b) + Z (W Û)ᵀ
      activation  y = (x + Z Ûᵀ) Wᵀ + b
    Backward (W, b frozen), with S = dZᵀ x:  dΓ = S Û,  dÛᵀ += Γᵀ S (from Z), plus the term from
    W Û (lora form) or from x' (activation); then through Γ = −T⁻¹ (∂T = Γᵀ dΓ Γᵀ, of which only
    the strict upper triangle reaches ÛᵀÛ) and through the normalisation Û = U / ‖U‖.
    Every product with an N- or d-sized operand is laid out as rows, the fast layout on a CPU.
    """

    @staticmethod
    def forward(ctx, x2, U, W, b, lora_form: bool):
        Vt = U.t().contiguous()  # (r, d_in)
        n = Vt.norm(dim=1, keepdim=True)
        Ut32 = Vt / n  # the r × r algebra stays in U's dtype (float32 at least)
        G32 = hh.gamma_from_unit_rows(Ut32)
        Mt = (G32 @ Ut32).to(W.dtype)  # (r, d_in) = Γ Ûᵀ
        Ut = Ut32.to(W.dtype)  # no copy when W is float32
        Z = x2 @ Mt.T  # (N, r)
        if lora_form:
            At = Ut @ W.T  # (r, d_out) = (W Û)ᵀ
            y = F.linear(x2, W, b).addmm_(Z, At)
        else:
            At = None
            y = F.linear(torch.addmm(x2, Z, Ut), W, b)  # x' = x + Z Ûᵀ
        ctx.lora_form = lora_form
        ctx.save_for_backward(x2, W, Ut32, G32, n, Ut, Mt, Z, At)
        return y

    @staticmethod
    def backward(ctx, dy):
        x2, W, Ut32, G32, n, Ut, Mt, Z, At = ctx.saved_tensors
        need_x = ctx.needs_input_grad[0]
        if ctx.lora_form:
            dZ = dy @ At.T  # (N, r)
            dUt = (Z.T @ dy) @ W  # dAᵀ = Zᵀ dy (r, d_out), then through Aᵀ = Ût Wᵀ
            dxp = dy @ W if need_x else None
        else:
            dxp = dy @ W  # (N, d_in), the gradient at x' = x + Z Ûᵀ
            dZ = dxp @ Ut.T
            dUt = Z.T @ dxp
        S = (dZ.T @ x2).to(G32.dtype)  # (r, d_in)
        dG = S @ Ut32.T
        dUt = dUt.to(G32.dtype).addmm_(G32.T, S)
        dT = (G32.T @ dG @ G32.T).triu_(1)
        dUt = dUt.addmm_(dT + dT.T, Ut32)
        dVt = torch.addcmul(dUt, torch.linalg.vecdot(dUt, Ut32).unsqueeze(1), Ut32, value=-1.0).div_(n)
        dx = dxp.addmm_(dZ, Mt) if need_x else None
        return dx, dVt.t(), None, None, None


# --------------------------------------------------------------------------------------------
# HRA


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


class _HRAMixin:
    """What HRALinear and HRAConv2d share: U, its init, the WY factors and the penalty."""

    r: int
    variant: str
    u: nn.Parameter

    def _init_u(
        self, weight2d: torch.Tensor, r: int, init: str, variant: str, generator: torch.Generator | None
    ) -> torch.Tensor:
        if init not in HRA_INITS:
            raise ValueError(f"init must be one of {HRA_INITS}; got {init!r}")
        if variant not in HRA_VARIANTS:
            raise ValueError(f"variant must be one of {HRA_VARIANTS}; got {variant!r}")
        d_in = weight2d.shape[1]
        dtype = _adapter_dtype(weight2d)
        if variant == "orthonormal" and init == "symmetric":
            # λ = ∞: pairs of equal columns span only r/2 directions, so QR would orthonormalise
            # round-off noise. H = I − 2QQᵀ can never be I; the closest start is the one that
            # changes W the least: Q = W's r weakest right singular directions (‖WH − W‖ = 2‖WQ‖).
            init = "null"
        if init == "symmetric" and r % 2:
            warnings.warn(
                f"symmetric init needs an even r (got r={r}): a chain of an odd number of reflections has "
                "det H = −1, so it can never equal the identity (det +1). Using a random init instead, so "
                "the adapter does not start as the identity.",
                OddRankWarning,
                stacklevel=3,
            )
            init = "random"
        if init == "symmetric":
            return hh.symmetric_init(d_in, r, generator=generator, dtype=dtype)
        if init == "random":
            u = torch.empty(d_in, r, dtype=dtype)
            nn.init.kaiming_uniform_(u, a=math.sqrt(5), generator=generator)
            return u
        # init == "null": the r right singular directions of W with the smallest singular values
        w = weight2d.detach().to(device="cpu", dtype=torch.float64)
        _, _, Vh = torch.linalg.svd(w, full_matrices=True)
        return Vh[-r:].flip(0).T.contiguous().to(dtype)

    def factors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(Û, Γ) with H = I + Û Γ Ûᵀ. For λ = ∞ (``orthonormal``): Û = QR(U).Q and Γ = −2 I."""
        if self.variant == "orthonormal":
            Q = hh.orthonormalize(self.u)
            return Q, torch.diag(torch.full((self.r,), -2.0, dtype=Q.dtype, device=Q.device))
        return hh.wy_factors(self.u)

    def orthogonality_penalty(self) -> torch.Tensor:
        """‖I − ÛᵀÛ‖²_F; identically 0 for the orthonormal (λ = ∞) variant."""
        if self.variant == "orthonormal":
            return self.u.new_zeros(())
        return hh.orthogonality_penalty(self.u)

    def _weight_side(self, weight2d: torch.Tensor, transpose: bool = False) -> torch.Tensor:
        """W H (or W Hᵀ) = W + ((W Û) Γ) Ûᵀ, cost 4·d_out·d_in·r, no d × d matrix."""
        Un, G = self.factors()
        Un, G = Un.to(weight2d.dtype), G.to(weight2d.dtype)
        return weight2d + ((weight2d @ Un) @ (G.T if transpose else G)) @ Un.T


class HRALinear(_HRAMixin, nn.Module):
    """y = x (W H)ᵀ + b with H a chain of r Householder reflections; only U (d_in × r) trains.

    ``u`` has PEFT's ``hra_u`` layout and meaning, so adapters move between the two unchanged.
    init: ``symmetric`` (pairs of equal columns, H = I at start; needs even r), ``random``
    (kaiming-uniform), ``null`` (W's weakest right singular directions).
    variant: ``chain`` (H = H_1 … H_r) or ``orthonormal`` (λ = ∞: H = I − 2QQᵀ, Q = QR(U)).
    """

    def __init__(
        self,
        base: nn.Linear,
        r: int,
        *,
        init: str = "symmetric",
        variant: str = "chain",
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise ValueError(f"HRALinear wraps an nn.Linear; got {type(base).__name__}")
        self.r = _check_rank(r, base.in_features, "this Linear layer")
        self.variant = variant
        self.base = base.requires_grad_(False)
        self.in_features, self.out_features = base.in_features, base.out_features
        u = self._init_u(base.weight, r, init, variant, generator)
        self.u = nn.Parameter(u.to(base.weight.device))
        self.merged = False

    def extra_repr(self) -> str:
        return f"r={self.r}, variant={self.variant}, merged={self.merged}"

    def route(self, x: torch.Tensor) -> str:
        """The exact route forward() takes for this input (cheapest by ``route_flops``)."""
        backward = torch.is_grad_enabled() and (self.u.requires_grad or x.requires_grad)
        if not backward:
            return "activation"
        if self.base.weight.requires_grad:  # an unfrozen base: only the activation side is generic
            return "activation"
        n = x.numel() // self.in_features
        c = route_flops(n, self.in_features, self.out_features, self.r, input_grad=x.requires_grad)
        return "lora" if c["lora"] < c["activation"] else "activation"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.merged:
            return self.base(x)
        W, b = self.base.weight, self.base.bias
        x2 = x.to(W.dtype).reshape(-1, self.in_features)  # (N, d_in)
        route = self.route(x)
        if self.variant == "chain" and not W.requires_grad and (b is None or not b.requires_grad):
            y = _HRAChainFn.apply(x2, self.u, W, b, route == "lora")
            return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)
        # generic autograd path: the λ = ∞ variant (Q from QR) or an unfrozen base layer
        Un, G = self.factors()
        Un, G = Un.to(W.dtype), G.to(W.dtype)
        Z = (x2 @ Un) @ G.T  # (N, r)
        if route == "lora":
            # y = base(x) + Z (W Û)ᵀ: no gradient has to flow back through W
            y = torch.addmm(F.linear(x2, W, b), Z, (W @ Un).T)
        else:
            y = F.linear(torch.addmm(x2, Z, Un.T), W, b)  # x' = x Hᵀ = x + Z Ûᵀ
        return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    @torch.no_grad()
    def delta_weight(self) -> torch.Tensor:
        """W H − W = ((W Û) Γ) Ûᵀ, a (d_out × d_in) matrix of rank ≤ r."""
        W = self.base.weight
        return self._weight_side(W) - W

    def merged_weight(self) -> torch.Tensor:
        """W H, differentiable in U (weight side: 4·d_out·d_in·r flops)."""
        return self._weight_side(self.base.weight)

    @torch.no_grad()
    def merge(self) -> None:
        """W ← W H. Forward then runs the plain layer."""
        if self.merged:
            warnings.warn("already merged; nothing to do", stacklevel=2)
            return
        self.base.weight.copy_(self._weight_side(self.base.weight))
        self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        """W ← W Hᵀ, which undoes merge() because H is orthogonal."""
        if not self.merged:
            warnings.warn("not merged; nothing to do", stacklevel=2)
            return
        self.base.weight.copy_(self._weight_side(self.base.weight, transpose=True))
        self.merged = False


class HRAConv2d(_HRAMixin, nn.Module):
    """HRA on a Conv2d: H reflects the flattened input patch (c_in·k_h·k_w), as in PEFT.

    The weight (c_out, c_in, k_h, k_w) is viewed as W (c_out, c_in·k_h·k_w), the order that
    ``F.unfold`` gives a patch, and the layer runs the convolution with W H (weight side: for a
    convolution the weight is small next to its activations).
    """

    def __init__(
        self,
        base: nn.Conv2d,
        r: int,
        *,
        init: str = "symmetric",
        variant: str = "chain",
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if not isinstance(base, nn.Conv2d):
            raise ValueError(f"HRAConv2d wraps an nn.Conv2d; got {type(base).__name__}")
        if base.groups != 1:
            raise ValueError(
                f"HRAConv2d does not support grouped convolutions (groups={base.groups}): each group sees "
                "only part of the input patch, so one reflection of the whole patch is not defined"
            )
        self.base = base.requires_grad_(False)
        self.patch = base.in_channels * base.kernel_size[0] * base.kernel_size[1]
        self.r = _check_rank(r, self.patch, "this Conv2d layer (c_in·k_h·k_w)")
        self.variant = variant
        u = self._init_u(base.weight.flatten(1), r, init, variant, generator)
        self.u = nn.Parameter(u.to(base.weight.device))
        self.merged = False

    def extra_repr(self) -> str:
        return f"r={self.r}, variant={self.variant}, merged={self.merged}"

    def merged_weight(self) -> torch.Tensor:
        W = self.base.weight
        return self._weight_side(W.flatten(1)).view_as(W)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.merged:
            return self.base(x)
        return self.base._conv_forward(x, self.merged_weight(), self.base.bias)

    @torch.no_grad()
    def delta_weight(self) -> torch.Tensor:
        return self.merged_weight() - self.base.weight

    @torch.no_grad()
    def merge(self) -> None:
        if self.merged:
            warnings.warn("already merged; nothing to do", stacklevel=2)
            return
        self.base.weight.copy_(self.merged_weight())
        self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        if not self.merged:
            warnings.warn("not merged; nothing to do", stacklevel=2)
            return
        W = self.base.weight
        W.copy_(self._weight_side(W.flatten(1), transpose=True).view_as(W))
        self.merged = False


# --------------------------------------------------------------------------------------------
# LoRA and OFT, so every comparison in the app runs through this code


class LoRALinear(nn.Module):
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


class OFTLinear(nn.Module):
    """W' = W R with R = diag(R_1 … R_k) block-diagonal, R_i = (I − S_i)⁻¹ (I + S_i), S_i skew (b × b).

    Each block has b(b−1)/2 parameters (S_i's strict upper triangle), zero at init, so R = I.
    R is orthogonal, so like HRA it keeps W's singular values and the angles between its neurons.
    """

    def __init__(self, base: nn.Linear, block_size: int):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise ValueError(f"OFTLinear wraps an nn.Linear; got {type(base).__name__}")
        b = block_size
        if isinstance(b, bool) or not isinstance(b, int) or b < 2:
            raise ValueError(f"block_size must be an integer ≥ 2; got {block_size!r}")
        if base.in_features % b:
            divisors = [k for k in range(2, min(base.in_features, 64) + 1) if base.in_features % k == 0]
            raise ValueError(f"block_size={b} does not divide d_in={base.in_features}; try one of {divisors}")
        self.block_size = b
        self.n_blocks = base.in_features // b
        self.base = base.requires_grad_(False)
        self.in_features, self.out_features = base.in_features, base.out_features
        dtype, dev = _adapter_dtype(base.weight), base.weight.device
        self.oft_s = nn.Parameter(torch.zeros(self.n_blocks, b * (b - 1) // 2, dtype=dtype, device=dev))
        self.register_buffer("_iu", torch.triu_indices(b, b, offset=1, device=dev), persistent=False)
        self.merged = False

    def extra_repr(self) -> str:
        return f"block_size={self.block_size}, n_blocks={self.n_blocks}, merged={self.merged}"

    def rotation_blocks(self) -> torch.Tensor:
        """R_i for every block, shape (k, b, b), by the Cayley transform of S_i."""
        k, b = self.n_blocks, self.block_size
        S = self.oft_s.new_zeros(k, b, b)
        S[:, self._iu[0], self._iu[1]] = self.oft_s
        S = S - S.transpose(1, 2)
        eye = torch.eye(b, dtype=S.dtype, device=S.device).expand(k, b, b)
        return torch.linalg.solve(eye - S, eye + S)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.merged:
            return self.base(x)
        W = self.base.weight
        R = self.rotation_blocks().to(W.dtype)
        xb = x.to(W.dtype).reshape(*x.shape[:-1], self.n_blocks, self.block_size)  # (…, k, b)
        xr = torch.einsum("...kb,kcb->...kc", xb, R).reshape(*x.shape)  # x' = x Rᵀ
        return self.base(xr).to(x.dtype)

    def merged_weight(self) -> torch.Tensor:
        W = self.base.weight
        R = self.rotation_blocks().to(W.dtype)
        Wb = W.reshape(self.out_features, self.n_blocks, self.block_size)
        return torch.einsum("okb,kbc->okc", Wb, R).reshape_as(W)

    @torch.no_grad()
    def delta_weight(self) -> torch.Tensor:
        return self.merged_weight() - self.base.weight

    @torch.no_grad()
    def merge(self) -> None:
        if not self.merged:
            self.base.weight.copy_(self.merged_weight())
            self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        if self.merged:
            W = self.base.weight
            R = self.rotation_blocks().to(W.dtype)
            Wb = W.reshape(self.out_features, self.n_blocks, self.block_size)
            W.copy_(torch.einsum("okc,kbc->okb", Wb, R).reshape_as(W))  # W Rᵀ
            self.merged = False


# --------------------------------------------------------------------------------------------
# adapt a whole model

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
    """Σ over HRA layers of ‖I − ÛᵀÛ‖²_F, the paper's regulariser (multiply by λ)."""
    terms = [m.orthogonality_penalty() for _, m in adapter_layers(model, (HRALinear, HRAConv2d))]
    if not terms:
        p = next(model.parameters(), None)
        return torch.zeros((), device=p.device if p is not None else "cpu")
    return torch.stack([t.to(terms[0].dtype) for t in terms]).sum()
