"""What would adapting a real model cost? Parameters, memory and compute, from layer shapes only.

Per adapted Linear layer d_in → d_out (DESIGN.md §1):

    hra   r·d_in                  (U, d_in × r)
    lora  r·(d_in + d_out)        (A, r × d_in and B, d_out × r)
    oft   (d_in/b)·b(b−1)/2       (one skew-symmetric b × b block per b inputs; b must divide d_in)
    full  d_in·d_out (+ d_out)    every weight and bias of the *targeted* linear layers only; real full
                                  fine-tuning also trains embeddings and norms (see ``total_parameters``)

An architecture is a list of ``Layer(name, d_in, d_out, count, bias)``; ``count`` is how many
transformer blocks hold that layer. No weights are needed, nothing is downloaded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from hra_viz.core.adapters import route_flops

__all__ = [
    "Layer",
    "Arch",
    "ARCHS",
    "METHODS",
    "PRECISIONS",
    "custom_arch",
    "get_arch",
    "layer_parameters",
    "trainable_parameters",
    "adapter_bytes",
    "optimizer_bytes",
    "hra_flops_per_token",
    "budget_table",
]

METHODS = ("hra", "lora", "oft", "full")
# bytes per stored adapter value; bf16 training keeps an fp32 master copy in the optimiser (below)
PRECISIONS = {"fp32": 4, "bf16": 2}
ADAM_STATE_BYTES = 2 * 4  # exp_avg and exp_avg_sq, fp32, per trainable parameter
MASTER_COPY_BYTES = 4  # fp32 master weights kept by mixed-precision (bf16) training

# caps for custom tables (the page and the engine share them)
MAX_CUSTOM_ROWS = 64
MAX_DIM = 1 << 17  # 131072: wider than any published hidden or MLP size
MAX_COUNT = 1024  # blocks per layer kind


@dataclass(frozen=True)
class Layer:
    """One kind of Linear layer: ``count`` copies of d_in → d_out (one per transformer block)."""

    name: str
    d_in: int
    d_out: int
    count: int
    bias: bool = False


@dataclass(frozen=True)
class Arch:
    name: str
    layers: tuple[Layer, ...]
    total_params: int  # the whole model, embeddings included
    groups: dict = field(default_factory=dict)  # "attention" / "mlp" / "qv" → layer names
    source: str = ""

    def layer(self, name: str) -> Layer:
        for L in self.layers:
            if L.name == name:
                return L
        raise ValueError(f"{self.name} has no layer {name!r}; layers: {[L.name for L in self.layers]}")


def _groups(attn: Sequence[str], mlp: Sequence[str], q: str, v: str) -> dict:
    return {"attention": tuple(attn), "mlp": tuple(mlp), "qv": (q, v)}


# --- built-in architectures -----------------------------------------------------------------
# Totals are the whole model's parameters including embeddings, computed from each model's
# published config.json and checked against the published figure:
#
# deberta-v3-base (microsoft/deberta-v3-base, DebertaV2Model without a task head): vocab 128100 × 768
#   embeddings + embedding LayerNorm + 12 × 7,087,872 per block + relative position embeddings
#   512 × 768 + encoder LayerNorm = 183,831,552. The model card: "86M backbone parameters … 98M
#   parameters in the Embedding layer" (≈ 184M).
# llama2-7b (meta-llama/Llama-2-7b-hf): 32000 × 4096 embeddings and untied lm_head, 32 blocks of
#   202,383,360, final RMSNorm: 6,738,415,616 (the "6.74B" of the Llama 2 paper, Table 1 ⇒ 7B class).
# llama-3.2-3b (meta-llama/Llama-3.2-3B): 128256 × 3072 tied embeddings, 28 blocks of 100,669,440,
#   final RMSNorm: 3,212,749,824 ("3.21B" on the model card).
# vit-b-16 (timm vit_base_patch16_224 / Dosovitskiy et al. 2021 "86M"): patch embedding, class token,
#   197 position embeddings, 12 blocks of 7,087,872, final LayerNorm, 1000-class head: 86,567,656.

_DEBERTA = Arch(
    "deberta-v3-base",
    (
        Layer("query_proj", 768, 768, 12, True),
        Layer("key_proj", 768, 768, 12, True),
        Layer("value_proj", 768, 768, 12, True),
        Layer("attention.output.dense", 768, 768, 12, True),
        Layer("intermediate.dense", 768, 3072, 12, True),
        Layer("output.dense", 3072, 768, 12, True),
    ),
    183_831_552,
    _groups(
        ("query_proj", "key_proj", "value_proj", "attention.output.dense"),
        ("intermediate.dense", "output.dense"),
        "query_proj",
        "value_proj",
    ),
    "microsoft/deberta-v3-base config.json; model card: 86M backbone + 98M embedding",
)
_LLAMA_GROUPS = _groups(
    ("q_proj", "k_proj", "v_proj", "o_proj"), ("gate_proj", "up_proj", "down_proj"), "q_proj", "v_proj"
)
_LLAMA2_7B = Arch(
    "llama2-7b",
    (
        Layer("q_proj", 4096, 4096, 32),
        Layer("k_proj", 4096, 4096, 32),
        Layer("v_proj", 4096, 4096, 32),
        Layer("o_proj", 4096, 4096, 32),
        Layer("gate_proj", 4096, 11008, 32),
        Layer("up_proj", 4096, 11008, 32),
        Layer("down_proj", 11008, 4096, 32),
    ),
    6_738_415_616,
    _LLAMA_GROUPS,
    "meta-llama/Llama-2-7b-hf config.json; Touvron et al. 2023 (6.74B)",
)
_LLAMA32_3B = Arch(
    "llama-3.2-3b",
    (
        Layer("q_proj", 3072, 3072, 28),
        Layer("k_proj", 3072, 1024, 28),  # 8 key/value heads × 128 (grouped-query attention)
        Layer("v_proj", 3072, 1024, 28),
        Layer("o_proj", 3072, 3072, 28),
        Layer("gate_proj", 3072, 8192, 28),
        Layer("up_proj", 3072, 8192, 28),
        Layer("down_proj", 8192, 3072, 28),
    ),
    3_212_749_824,
    _LLAMA_GROUPS,
    "meta-llama/Llama-3.2-3B config.json; model card (3.21B)",
)
_VIT_B16 = Arch(
    "vit-b-16",
    (
        Layer("attn.q", 768, 768, 12, True),  # timm's fused qkv (768 → 2304) counted as three 768 → 768
        Layer("attn.k", 768, 768, 12, True),
        Layer("attn.v", 768, 768, 12, True),
        Layer("attn.proj", 768, 768, 12, True),
        Layer("mlp.fc1", 768, 3072, 12, True),
        Layer("mlp.fc2", 3072, 768, 12, True),
    ),
    86_567_656,
    _groups(("attn.q", "attn.k", "attn.v", "attn.proj"), ("mlp.fc1", "mlp.fc2"), "attn.q", "attn.v"),
    "timm vit_base_patch16_224 (ImageNet-1k head); Dosovitskiy et al. 2021 (86M)",
)
ARCHS: dict[str, Arch] = {a.name: a for a in (_DEBERTA, _LLAMA2_7B, _LLAMA32_3B, _VIT_B16)}


def _int(v, what: str, lo: int, hi: int) -> int:
    if isinstance(v, bool):
        raise ValueError(f"{what} must be an integer in [{lo}, {hi}]; got {v!r}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be an integer in [{lo}, {hi}]; got {v!r}") from None
    if not math.isfinite(f) or not f.is_integer() or not lo <= f <= hi:
        raise ValueError(f"{what} must be an integer in [{lo}, {hi}]; got {v!r}")
    return int(f)


def custom_arch(rows: Sequence, other_params: int = 0, name: str = "custom") -> Arch:
    """An architecture from a table: rows of (name, d_in, d_out, count, bias), tuples or dicts.

    ``other_params``: parameters outside these layers (embeddings, norms, heads), for the share.
    """
    rows = list(rows)
    if not rows:
        raise ValueError("the custom table is empty: add at least one layer (name, d_in, d_out, count, bias)")
    if len(rows) > MAX_CUSTOM_ROWS:
        raise ValueError(f"the custom table has {len(rows)} rows; at most {MAX_CUSTOM_ROWS} are allowed")
    layers, seen = [], set()
    for i, row in enumerate(rows, 1):
        if isinstance(row, dict):
            vals = [row.get(k) for k in ("name", "d_in", "d_out", "count", "bias")]
        else:
            vals = list(row) + [False] * (5 - len(row))
            if len(vals) != 5:
                raise ValueError(f"row {i}: expected (name, d_in, d_out, count, bias); got {row!r}")
        nm, d_in, d_out, count, bias = vals
        nm = str(nm).strip() if nm is not None and str(nm).strip() not in ("", "nan", "None") else f"layer{i}"
        if nm in seen:
            raise ValueError(f"row {i}: the layer name {nm!r} is used twice")
        seen.add(nm)
        if bias is None or (isinstance(bias, float) and math.isnan(bias)):
            bias = False
        bias = bool(bias)
        layers.append(
            Layer(
                nm[:64],
                _int(d_in, f"row {i} ({nm}): d_in", 1, MAX_DIM),
                _int(d_out, f"row {i} ({nm}): d_out", 1, MAX_DIM),
                _int(count, f"row {i} ({nm}): count", 1, MAX_COUNT),
                bias,
            )
        )
    other = _int(other_params, "other parameters", 0, 10**13)
    linear = sum(L.count * (L.d_in * L.d_out + (L.d_out if L.bias else 0)) for L in layers)
    return Arch(name, tuple(layers), linear + other, {}, "user table")


def get_arch(arch: str | Arch) -> Arch:
    if isinstance(arch, Arch):
        return arch
    if arch not in ARCHS:
        raise ValueError(f"unknown architecture {arch!r}; built-in: {sorted(ARCHS)}, or custom_arch(rows)")
    return ARCHS[arch]


def _targets(a: Arch, targets) -> list[Layer]:
    if isinstance(targets, str):
        if targets == "all-linear":
            return list(a.layers)
        if targets in a.groups:
            return [a.layer(n) for n in a.groups[targets]]
        raise ValueError(f"targets must be 'all-linear', a group {sorted(a.groups)} or a list of layer names")
    names = list(targets)
    if not names:
        raise ValueError("targets is empty: pick at least one layer")
    if len(set(names)) != len(names):
        raise ValueError(f"targets lists a layer twice: {names}")
    return [a.layer(n) for n in names]


def layer_parameters(L: Layer, method: str, r: int = 8, block_size: int = 32) -> int:
    """Trainable parameters that ``method`` adds to ONE copy of layer L."""
    if method == "hra":
        return r * L.d_in
    if method == "lora":
        return r * (L.d_in + L.d_out)
    if method == "oft":
        b = block_size
        if L.d_in % b:
            raise ValueError(f"OFT block size {b} does not divide d_in={L.d_in} of layer {L.name!r}")
        return (L.d_in // b) * b * (b - 1) // 2
    if method == "full":
        return L.d_in * L.d_out + (L.d_out if L.bias else 0)
    raise ValueError(f"method must be one of {METHODS}; got {method!r}")


def _check(r, block_size) -> tuple[int, int]:
    return _int(r, "r", 1, 4096), _int(block_size, "block_size", 2, 4096)


def trainable_parameters(
    arch: str | Arch,
    method: str,
    *,
    targets: str | Sequence[str] = "all-linear",
    r: int = 8,
    block_size: int = 32,
) -> int:
    """Trainable parameters of ``method`` on the target layers of ``arch`` (all blocks).

    targets: "all-linear" (every Linear layer listed in the architecture; no embeddings or task
    head), a group name ("attention", "mlp", "qv"), or a sequence of layer names.
    ``full`` counts every weight and bias of the targeted linear layers, nothing else.
    HRA also needs r ≤ d_in for every targeted layer.
    """
    a = get_arch(arch)
    r, block_size = _check(r, block_size)
    layers = _targets(a, targets)
    if method == "hra":
        small = [L.name for L in layers if r > L.d_in]
        if small:
            raise ValueError(f"HRA needs r ≤ d_in; r={r} is larger than d_in of {small}")
    return sum(L.count * layer_parameters(L, method, r, block_size) for L in layers)


def adapter_bytes(n_params: int, precision: str = "fp32") -> int:
    """Bytes to store the trained parameters at ``precision`` (fp32: 4, bf16: 2)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}; got {precision!r}")
    return n_params * PRECISIONS[precision]


def optimizer_bytes(n_params: int, precision: str = "fp32") -> int:
    """Adam's state in fp32: 2 × 4 B per trainable parameter (first and second moments), plus a
    4 B fp32 master copy of each parameter when training in bf16 (mixed precision keeps one so that
    small updates are not rounded away). Gradients and activations are not included."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}; got {precision!r}")
    return n_params * (ADAM_STATE_BYTES + (MASTER_COPY_BYTES if precision == "bf16" else 0))


def hra_flops_per_token(
    arch: str | Arch, *, r: int = 8, n_tokens: int = 4096, targets: str | Sequence[str] = "all-linear"
) -> dict[str, float]:
    """Extra flops per token of one HRA training step (forward + backward), summed over layers.

    ``fast``: per layer the cheaper exact route of ``adapters.route_flops`` (activation side or
    LoRA form, what HRALinear picks on a CPU), never building H. On CUDA from d = 4096 the layer
    takes the LoRA form whatever its flops (fewer passes over the activations, ``gemm_accum``):
    4·d_in·d_out·r more a step, r / n_tokens of the frozen work (≤ 0.8 % at 4096 tokens, r ≤ 32).
    ``materialise``: PEFT 0.21's route, which builds H (d_in × d_in) and W H on every step; its cost
    does not depend on the number of tokens, so per token it is divided by ``n_tokens`` (tokens per
    optimiser step = batch × sequence).
    ``lora``: LoRA's extra, 6·r·(d_in + d_out) (forward 2, backward 4), for reference.
    ``frozen``: the targeted frozen layers' own work, forward + input gradient, 4·d_in·d_out.
    Every layer's input is taken to need a gradient (true for all but the first block).
    """
    a = get_arch(arch)
    r = _int(r, "r", 1, 4096)
    n = _int(n_tokens, "n_tokens", 1, 10**8)
    out = {"fast": 0.0, "materialise": 0.0, "lora": 0.0, "frozen": 0.0}
    for L in _targets(a, targets):
        f = route_flops(n, L.d_in, L.d_out, r, input_grad=True, backward=True)
        out["fast"] += L.count * min(f["activation"], f["lora"]) / n
        out["materialise"] += L.count * f["materialise"] / n
        out["lora"] += L.count * 6 * r * (L.d_in + L.d_out)
        out["frozen"] += L.count * 4 * L.d_in * L.d_out
    return out


def budget_table(
    arch: str | Arch,
    methods: Sequence[str] = METHODS,
    *,
    r: int = 8,
    block_size: int = 32,
    precision: str = "fp32",
    n_tokens: int = 4096,
    targets: str | Sequence[str] = "all-linear",
) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per method: trainable, share of the model, adapter/optimiser bytes, extra flops/token.

    Returns (table, errors): a method that cannot apply (an OFT block size that does not divide a
    d_in, r > d_in for HRA) is left out of the table and its reason put in ``errors``.
    """
    a = get_arch(arch)
    rows, errors = [], {}
    fl = None
    for m in methods:
        try:
            n = trainable_parameters(a, m, targets=targets, r=r, block_size=block_size)
        except ValueError as e:
            errors[m] = str(e)
            continue
        row = {
            "method": m,
            "trainable": n,
            "share_pct": 100.0 * n / a.total_params,
            "adapter_bytes": adapter_bytes(n, precision),
            "optimizer_bytes": optimizer_bytes(n, precision),
            "extra_flops_per_token": float("nan"),
            "build_h_flops_per_token": float("nan"),
        }
        if m in ("hra", "lora"):
            fl = fl or hra_flops_per_token(a, r=r, n_tokens=n_tokens, targets=targets)
            row["extra_flops_per_token"] = fl["fast"] if m == "hra" else fl["lora"]
            if m == "hra":
                row["build_h_flops_per_token"] = fl["materialise"]
        rows.append(row)
    cols = ["method", "trainable", "share_pct", "adapter_bytes", "optimizer_bytes", "extra_flops_per_token",
            "build_h_flops_per_token"]
    return pd.DataFrame(rows, columns=cols), errors


if __name__ == "__main__":  # python -m hra_viz.views.budget: the counts quoted in the README / report
    for name in ARCHS:
        counts = {
            "hra r=8": trainable_parameters(name, "hra", r=8),
            "hra r=32": trainable_parameters(name, "hra", r=32),
            "lora r=8": trainable_parameters(name, "lora", r=8),
            "lora r=32": trainable_parameters(name, "lora", r=32),
            "oft b=32": trainable_parameters(name, "oft", block_size=32),
            "full (linear)": trainable_parameters(name, "full"),
        }
        print(f"{name:16s} total {ARCHS[name].total_params:>13,}  "
              + "  ".join(f"{k}: {v:,}" for k, v in counts.items()))
