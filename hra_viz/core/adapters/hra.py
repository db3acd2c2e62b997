"""Adapter layers (HRA, LoRA, OFT) and ``adapt(model, method, …)``.

HRA (Yuan et al., 2024) keeps a frozen layer W (d_out × d_in) and learns U (d_in × r):

    W' = W H,   H = H_1 … H_r = I + Û Γ Ûᵀ   (see ``hra_viz.core.householder``)

No layer here ever builds a d × d matrix. ``HRALinear`` picks, on each call, the cheapest of two
exact routes (N tokens):

* activation side   y = base(x + ((x Û) Γᵀ) Ûᵀ)             extra ≈ 4·N·d_in·r flops forward
* LoRA form         y = base(x) + ((x Û) Γᵀ) (W Û)ᵀ          no backward through W when x needs no grad

and merging uses the weight side W' = W + ((W Û) Γ) Ûᵀ. On CUDA with the Triton kernels and
d_in, d_out ≤ 2048 the activation side is taken whatever the flops say: its token pass issues the
fewest launches, which is what an eager step costs there (``hra_kernels.token_pass``). Above, the
LoRA form's r × r kernels and its products with W replay from a CUDA graph per layer (``hra_graphs``),
and from d = 4096 the LoRA form is taken in both gradient regimes, its rank-r terms written first for
the frozen GEMMs to add onto (``hra_kernels.gemm_accum``).

Precision (issue 10). U is a float32 master copy (float64 on a float64 model) that half-precision
casts of the module leave unrounded (``base.FloatAdapterMixin``). A call computes in the base weight's
dtype, or in autocast's when autocast is on (and then returns autocast's dtype, like nn.Linear); only
Ûᵀ and Mᵀ = Γ Ûᵀ are cast to it. Norms, ÛᵀÛ, Γ and the triangular solve run in float32 or better with
autocast off, in the forward, the backward, ``merge``/``unmerge`` and the penalty.
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .. import householder as hh
from . import hra_kernels as K
from .base import (
    HRA_INITS,
    HRA_VARIANTS,
    FloatAdapterMixin,
    OddRankWarning,
    _adapter_dtype,
    _check_rank,
    route_flops,
)

__all__ = ["HRALinear", "HRAConv2d"]


# --------------------------------------------------------------------------------------------
# the fused chain kernel: one autograd node, hand-written backward
#
# Precision: x, W and b come in the compute dtype (W's, or autocast's), U in its own (float32, or
# float64); every r × r quantity (‖u_i‖, ÛᵀÛ, Γ, the triangular solve) is float32 or better and
# only Û and M = Û Γᵀ are cast to the compute dtype for the big products.


class _HRAChainFn(torch.autograd.Function):
    """y = x (W H)ᵀ + b for H = I + Û Γ Ûᵀ, with U → (Ûᵀ, Mᵀ = Γ Ûᵀ) inside the node.

    Forward, with Z = x M = (x Û) Γᵀ (N × r):
      lora form   y = (x Wᵀ + b) + Z (W Û)ᵀ        (when x needs no gradient: no product with the
                                                    d × d W in the backward but W Û's)
      activation  y = (x + Z Ûᵀ) Wᵀ + b
    Backward (W, b frozen): S = dZᵀ x = ∂L/∂Mᵀ and Q = the gradient at Ûᵀ from its other use
    ((Zᵀ dy) W in the lora form, Zᵀ dx' in the activation form); ``hra_kernels.factors_bwd`` takes
    both through Γ and the normalisation Û = U / ‖U‖ to dU. The r × r part is one fused Triton kernel
    each way on CUDA, a few ATen calls elsewhere (``hra_kernels``).

    Token pass (CUDA, Triton, d ≤ 2048: ``hra_kernels.token_pass``): the activation form with its
    whole adapter in one launch forward (Z and x', Γ made inside) and two backward after dx' = dy W
    (``hra_token.act_fwd`` / ``act_bwd``), for steps bound by the host's launches.

    Every product with an N- or d-sized operand has the r × d factors as rows (Ûᵀ, Mᵀ, (W Û)ᵀ): the
    fast layout for skinny products, on a CPU (a (r, d) @ (d, n) product streams W once) and in cuBLAS.
    """

    @staticmethod
    def forward(ctx, x2, U, W, b, lora_form: bool, own_w: bool = False):
        backend = K.backend_for(U, W.dtype)
        if backend == "triton":
            try:
                return _HRAChainFn._forward(ctx, x2, U, W, b, lora_form, backend, own_w)
            except Exception as e:  # a triton that cannot build or launch the kernels: torch from now on
                if not K.fall_back(e):
                    raise
        return _HRAChainFn._forward(ctx, x2, U, W, b, lora_form, "torch", False)

    @staticmethod
    def _forward(ctx, x2, U, W, b, lora_form: bool, backend: str, own_w: bool):
        ctx.W = W  # frozen (the caller checks): no version check needed, and one saved tensor fewer
        ctx.backend = backend
        ctx.graph = None
        ctx.token = token = backend == "triton" and K.token_pass(W)
        ctx.lpass = lpass = backend == "triton" and lora_form and not token and K.lora_pass()
        ctx.lora_form, ctx.fused = lora_form and not token, False
        ctx.accum = accum = lora_form and not token and not lpass and K.gemm_accum(W)
        if token:  # the activation form, its adapter in one Triton launch each way (``K.token_pass``)
            with hh.no_autocast(x2.device.type):
                if x2.stride(1) != 1:
                    x2 = x2.contiguous()
                xp, Z, saved = K.act_fwd(x2, U)
                y = F.linear(xp, W, b)
            ctx.save_for_backward(x2, Z, *saved)
            return y
        with hh.no_autocast(x2.device.type):
            # the frozen layer's product first: on a GPU the host then queues the adapter's small
            # calls while the device runs it, instead of the device waiting for them
            y = F.linear(x2, W, b) if lora_form and not accum else None
            if lpass:  # the LoRA pass (off by default): the adapter in Triton kernels over the tokens
                A, Mt, _, saved = K.triton_fwd(U, W.dtype, None)
                At = F.linear(A, W)  # (r, d_out) = (W Û)ᵀ
                if x2.stride(1) != 1:
                    x2 = x2.contiguous()
                Z = K.lora_fwd(x2, y, A, At, saved)
                ctx.save_for_backward(x2, Z, A, At, *saved)
                return y
            fused = backend == "triton" and lora_form and K.fuse_w(W)
            got = None
            if backend == "torch":
                A, Mt, saved = K.torch_fwd(U, W.dtype)  # (r, d_in) each, in W's dtype
            else:
                # the LoRA form: replayed from a CUDA graph, At included (``hra_graphs``), where W is
                # the layer's own (not a cast made for this call); else one launch (At = Ûᵀ Wᵀ included
                # where ``fused``)
                graphable = lora_form and own_w and not fused and U.is_cuda
                got = K.graphed_fwd(U, W, W.dtype) if graphable else None
                if got is not None:
                    A, Mt, At, saved, ctx.graph = got
                else:
                    A, Mt, At, saved = K.triton_fwd(U, W.dtype, W if fused else None)
            if lora_form and not fused and got is None:
                At = F.linear(A, W)  # (r, d_out) = (W U)ᵀ
            Z = F.linear(x2, Mt)  # x M (N, r)
            if accum:  # the rank-r term first, the frozen GEMM adds onto it (``K.gemm_accum``)
                y = torch.mm(Z, At) if b is None else torch.addmm(b, Z, At)
                y.addmm_(x2, W.t())
            elif lora_form:
                y.addmm_(Z, At)
            else:
                At = None
                y = F.linear(torch.addmm(x2, Z, A), W, b)  # x' = x + Z A
        ctx.fused = fused
        ctx.save_for_backward(x2, A, Mt, Z, At, *saved)
        return y

    @staticmethod
    def backward(ctx, dy):
        need_x = ctx.needs_input_grad[0]
        # unpacked outside the try: a version-check error (a saved tensor changed in place) is the
        # caller's, not a failing kernel, and must not turn the kernels off
        saved = ctx.saved_tensors
        try:
            return _HRAChainFn._backward(ctx, saved, dy, need_x)
        except Exception as e:  # the Triton backward raised: redo it on the torch back end
            if ctx.backend != "triton" or not K.fall_back(e):
                raise
        x2, U, W = saved[0], saved[-2], ctx.W  # every Triton route saves (x2, …, U, small)
        with hh.no_autocast(dy.device.type):
            A, Mt, tsaved = K.torch_fwd(U, W.dtype)  # the factors again, in the torch back end's form
            Z = F.linear(x2, Mt)
            At = F.linear(A, W) if ctx.lora_form else None
            return _bwd_products(dy, x2, A, Mt, Z, At, W, tsaved, ctx.lora_form, "torch", False, need_x)

    @staticmethod
    def _backward(ctx, saved, dy, need_x: bool):
        W = ctx.W
        if ctx.token:
            x2, Z, *saved = saved
            with hh.no_autocast(dy.device.type):
                dU, dx = K.act_bwd(torch.mm(dy, W), x2, Z, saved, need_x)
            return dx, dU, None, None, None, None
        if ctx.lpass:
            x2, Z, A, At, *saved = saved
            with hh.no_autocast(dy.device.type):
                dU, dx = K.lora_bwd(dy, x2, Z, A, At, W, saved, torch.mm(dy, W) if need_x else None)
            return dx, dU, None, None, None, None
        x2, A, Mt, Z, At, *saved = saved
        g = ctx.graph if ctx.graph is not None and dy.dtype == A.dtype else None
        with hh.no_autocast(dy.device.type):
            return _bwd_products(dy, x2, A, Mt, Z, At, W, saved, ctx.lora_form, ctx.backend, ctx.fused,
                                 need_x, g, ctx.accum)


def _bwd_products(dy, x2, A, Mt, Z, At, W, saved, lora_form: bool, backend: str, fused: bool, need_x: bool,
                  graph=None, accum: bool = False):
    """The node's backward on the cuBLAS products (both forms) and the r × r part of ``backend``
    (replayed from ``graph``'s CUDA graph, Q = (Zᵀ dy) W included, where the forward was); with
    ``accum``, dx = dZ Mᵀ first and the frozen GEMM dy W adds onto it (``K.gemm_accum``)."""
    if lora_form:
        dZ = torch.mm(dy, At.t())  # (N, r)
        # Q = (Zᵀ dy) W: through (W U)ᵀ = A Wᵀ
        Qa, Qb = (torch.mm(Z.t(), dy) if graph is None else torch.mm(Z.t(), dy, out=graph.Qa)), W
        dxp = torch.mm(dy, W) if need_x and not accum else None
    else:
        dxp = torch.mm(dy, W)  # (N, d_in), the gradient at x' = x + Z A
        dZ = torch.mm(dxp, A.t())
        Qa, Qb = Z.t(), dxp  # Q = Zᵀ dx': through x'
    # (r, d_in) = ∂L/∂Mᵀ
    S = torch.mm(dZ.t(), x2) if graph is None else torch.mm(dZ.t(), x2, out=graph.S)
    if backend == "torch":  # Q's product is fused into the backward's first sum
        dU = K.torch_bwd(saved, S, Qa, Qb, A, Mt)
    elif graph is not None:
        dU = K.graphed_bwd(graph, saved[0], W)
    elif fused:  # Q = (Zᵀ dy) W formed inside the kernel
        dU = K.triton_bwd(saved, S, ZD=Qa, W=W, At=At)
    else:
        dU = K.triton_bwd(saved, S, torch.mm(Qa, Qb))
    if not need_x:
        dx = None
    elif accum:  # dZ Mᵀ first, the frozen GEMM dy W adds onto it
        dx = torch.mm(dZ, Mt).addmm_(dy, W)
    else:
        dx = dxp.addmm_(dZ, Mt)
    return dx, dU, None, None, None, None


# The node's C++ apply, without ``Function.apply``'s Python wrapper (which unwraps functorch wrappers
# on every call: ~1.6 µs on a CPU, several on a GPU host, where an eager step at d ≤ 1024 is bound by
# the host). Under a functorch transform the layer calls ``Function.apply``, which raises its error.
_chain_apply = super(torch.autograd.Function, _HRAChainFn).apply
_functorch_active = torch._C._are_functorch_transforms_active

_AUTOCAST_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


class _HRAMixin(FloatAdapterMixin):
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
        """W H (or W Hᵀ) = W + ((W Û) Γ) Ûᵀ, cost 4·d_out·d_in·r, no d × d matrix.

        Computed in float32 or better (autocast off) and returned in W's dtype, so that merging a
        half-precision layer rounds W H once, like storing any half-precision weight.
        """
        with hh.no_autocast(weight2d.device.type):
            Un, G = self.factors()
            adt = K.accum_dtype(Un.dtype, weight2d.dtype)
            W = weight2d.to(adt)
            Un, G = Un.to(adt), G.to(adt)
            return (W + ((W @ Un) @ (G.T if transpose else G)) @ Un.T).to(weight2d.dtype)


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
        self._routes: dict[tuple[int, bool], bool] = {}  # (tokens, x needs grad) → LoRA form?

    def extra_repr(self) -> str:
        return f"r={self.r}, variant={self.variant}, merged={self.merged}"

    def route(self, x: torch.Tensor) -> str:
        """The exact route forward() takes for this input: the cheapest by ``route_flops``, except that
        a CUDA step with the Triton kernels runs the activation form where ``K.token_pass`` says so,
        and a training step takes the LoRA form where ``K.gemm_accum`` does (CUDA, d ≥ 4096)."""
        W = self.base.weight
        if (self.variant == "chain" and K.use_node() and K.backend_for(self.u, W.dtype) == "triton"
                and K.token_pass(W)):
            return "activation"
        return "lora" if self._lora_form(x) else "activation"

    def _lora_form(self, x: torch.Tensor, u: torch.Tensor | None = None, W: torch.Tensor | None = None
                   ) -> bool:
        u = self.u if u is None else u
        if not (torch.is_grad_enabled() and (u.requires_grad or x.requires_grad)):
            return False  # no backward: the activation side is the cheapest forward
        W = self.base.weight if W is None else W
        if W.requires_grad:  # unfrozen base: only the activation side
            return False
        if self.variant == "chain" and K.use_node() and K.gemm_accum(W) and not torch.compiler.is_compiling():
            return True  # the node's LoRA form, the frozen GEMMs adding onto its terms: the fastest there
        n = x.numel() // self.in_features
        key = (n, x.requires_grad)
        hit = self._routes.get(key)  # the choice depends on sizes only: decided once per shape
        if hit is None:
            c = route_flops(n, self.in_features, self.out_features, self.r, input_grad=x.requires_grad)
            hit = c["lora"] < c["activation"]
            if len(self._routes) < 64:
                self._routes[key] = hit
        return hit

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base = self.base
        if self.merged:
            return base(x)
        if x.shape[-1:] != (self.in_features,):  # else a reshape would regroup it, or a kernel misread it
            raise ValueError(f"HRALinear({self.in_features} → {self.out_features}) needs inputs whose last "
                             f"dimension is {self.in_features}; got shape {tuple(x.shape)}")
        W, b, u = base.weight, base.bias, self.u
        out_dtype = x.dtype
        dev = W.device.type
        if torch.is_autocast_enabled(dev) and W.dtype in _AUTOCAST_DTYPES:
            # compute in autocast's dtype and return it, as nn.Linear does under autocast
            out_dtype = torch.get_autocast_dtype(dev)
            W, b = W.to(out_dtype), (None if b is None else b.to(out_dtype))
        flat = x.dim() == 2  # (N, d_in) already: no reshape, so no view nodes in the backward
        x2 = x if flat else x.reshape(-1, self.in_features)
        if x2.dtype != W.dtype:
            x2 = x2.to(W.dtype)
        lora = self._lora_form(x, u, W)
        if (self.variant == "chain" and not W.requires_grad and (b is None or not b.requires_grad)
                and not torch.compiler.is_compiling() and K.use_node()):
            apply = _HRAChainFn.apply if _functorch_active() else _chain_apply
            y = apply(x2, u, W, b, lora, W is base.weight)
            if not flat:
                y = y.reshape(*x.shape[:-1], self.out_features)
            return y if y.dtype == out_dtype else y.to(out_dtype)
        # generic autograd path: the λ = ∞ variant (Q from QR), an unfrozen base layer, torch.compile
        # (plain differentiable ops, which Inductor fuses itself; the hand-written backward is for eager)
        # and HRA_VIZ_KERNELS=aten
        with hh.no_autocast(dev):
            Un, G = self.factors()  # r × r algebra in U's dtype (float32 or better), forward and backward
            Mt = (G @ Un.T).to(W.dtype)  # M = Û Γᵀ, like the eager route: only Ûᵀ and Mᵀ are cast
            A = Un.T.to(W.dtype)
            Z = F.linear(x2, Mt)  # (N, r)
            if lora:
                # y = base(x) + Z (W Û)ᵀ: no gradient has to flow back through W
                y = torch.addmm(F.linear(x2, W, b), Z, F.linear(A, W))
            else:
                y = F.linear(torch.addmm(x2, Z, A), W, b)  # x' = x Hᵀ = x + Z Ûᵀ
        return y.reshape(*x.shape[:-1], self.out_features).to(out_dtype)

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
