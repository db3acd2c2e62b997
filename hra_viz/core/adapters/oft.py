"""OFT (Qiu et al., 2023): block-diagonal Cayley rotations of the input, for side-by-side comparison."""

from __future__ import annotations

import torch
from torch import nn

from .base import FloatAdapterMixin, _adapter_dtype

__all__ = ["OFTLinear"]


class OFTLinear(FloatAdapterMixin, nn.Module):
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
        # I − S is invertible for every skew S: solve_ex skips the error check, whose device-to-host
        # read would stop a CUDA graph capture
        return torch.linalg.solve_ex(eye - S, eye + S)[0]

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
