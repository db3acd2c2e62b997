"""Adapter layers, one module per method as in PEFT's ``tuners/``, and ``adapt`` for a whole model.

HRA (Yuan et al., 2024) keeps a frozen layer W (d_out × d_in) and learns U (d_in × r):

    W' = W H,   H = H_1 … H_r = I + Û Γ Ûᵀ   (see ``hra_viz.core.householder``)

* ``hra``   HRALinear, HRAConv2d: the exact, fast chain (no d × d matrix, ever)
* ``lora``  LoRALinear             ``oft``  OFTLinear (block Cayley)
* ``base``  what they share (method names, rank check, the HRA route cost model)
* ``model`` ``adapt(model, method, …)``, ``adapter_layers``, ``trainable_parameters``, ``orthogonality_loss``
"""

from .base import HRA_INITS, HRA_VARIANTS, METHODS, OddRankWarning, route_flops
from .hra import HRAConv2d, HRALinear
from .lora import LoRALinear
from .model import ADAPTER_TYPES, adapt, adapter_layers, orthogonality_loss, trainable_parameters
from .oft import OFTLinear

__all__ = [
    "ADAPTER_TYPES",
    "HRA_INITS",
    "HRA_VARIANTS",
    "METHODS",
    "HRAConv2d",
    "HRALinear",
    "LoRALinear",
    "OFTLinear",
    "OddRankWarning",
    "adapt",
    "adapter_layers",
    "orthogonality_loss",
    "route_flops",
    "trainable_parameters",
]
