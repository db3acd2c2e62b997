"""hra-viz: Householder Reflection Adaptation, exact and fast, with an interactive teaching app.

The engine (this package) never imports streamlit; it is usable from a notebook or the CLI::

    from hra_viz import adapt, HRALinear, wy_factors
    model = adapt(my_model, "hra", r=8)          # every nn.Linear becomes W H, H = H_1 … H_r
"""

from hra_viz.core.adapters import (
    HRAConv2d,
    HRALinear,
    LoRALinear,
    OFTLinear,
    adapt,
    orthogonality_loss,
    trainable_parameters,
)
from hra_viz.core.householder import householder_chain, orthogonality_penalty, wy_factors
from hra_viz.core.peft_io import load_hra_adapter, save_hra_adapter

__version__ = "0.1.0"

__all__ = [
    "HRAConv2d",
    "HRALinear",
    "LoRALinear",
    "OFTLinear",
    "adapt",
    "householder_chain",
    "load_hra_adapter",
    "orthogonality_loss",
    "orthogonality_penalty",
    "save_hra_adapter",
    "trainable_parameters",
    "wy_factors",
]
