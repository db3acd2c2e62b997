"""Adapter layers (HRA, LoRA, OFT) and ``adapt(model, method, …)``.

HRA (Yuan et al., 2024) keeps a frozen layer W (d_out × d_in) and learns U (d_in × r):

    W' = W H,   H = H_1 … H_r = I + Û Γ Ûᵀ   (see ``hra_viz.core.householder``)

No layer here ever builds a d × d matrix. ``HRALinear`` picks, on each call, the cheapest of two
exact routes (N tokens):

* activation side   y = base(x + ((x Û) Γᵀ) Ûᵀ)             extra ≈ 4·N·d_in·r flops forward
* LoRA form         y = base(x) + ((x Û) Γᵀ) (W Û)ᵀ          no backward through W when x needs no grad

and merging uses the weight side W' = W + ((W Û) Γ) Ûᵀ.
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .. import householder as hh
from .base import HRA_INITS, HRA_VARIANTS, OddRankWarning, _adapter_dtype, _check_rank, route_flops

__all__ = ["HRALinear", "HRAConv2d"]


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
