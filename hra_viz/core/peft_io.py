"""Read and write HuggingFace PEFT HRA adapters, safely, without importing peft.

PEFT 0.21's ``save_pretrained`` writes a directory with two files:

* ``adapter_config.json``: the HRAConfig (``"peft_type": "HRA"``, ``"r"``, ``"target_modules"``, …);
* ``adapter_model.safetensors``: one tensor per adapted layer, named
  ``base_model.model.<module>.hra_u`` with shape (in_features, r), the U of H = H_1 … H_r.

Everything here treats the bytes as hostile: sizes are checked before reading, the safetensors
header is parsed and checked by hand before the safetensors library sees it, nothing is ever
unpickled (``adapter_model.bin`` is refused), zips are read in memory (no extraction, so no path
ever reaches the disk) and capped in size and entry count. Every problem raises ``ValueError``
with a message that says what is wrong and how to fix it.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import torch

__all__ = [
    "CONFIG_NAME",
    "WEIGHTS_NAME",
    "MAX_FILE_BYTES",
    "MAX_TENSORS",
    "HRAAdapter",
    "load_hra_adapter",
    "read_adapter_files",
    "parse_upload",
    "adapter_files",
    "save_hra_adapter",
    "adapter_zip",
    "run_vectors",
    "export_run_zip",
]

CONFIG_NAME = "adapter_config.json"
WEIGHTS_NAME = "adapter_model.safetensors"
PICKLE_NAME = "adapter_model.bin"
KEY_PREFIX = "base_model.model."  # what PEFT's PeftModel puts in front of the base model's module names
KEY_SUFFIX = ".hra_u"

# Caps (module constants so tests can shrink them). 256 MiB holds the U of every linear layer of a
# 70B model at r = 64 in fp32 (80 layers × 7 projections × 8192·64·4 B ≈ 1.2 GB would not, but a
# 7B model at r = 32 is 32 × 7 × 4096·32·4 B ≈ 117 MB, so typical adapters fit).
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_CONFIG_BYTES = 1024 * 1024  # a config is a few hundred bytes
MAX_HEADER_BYTES = 16 * 1024 * 1024  # safetensors JSON header
MAX_TENSORS = 4096  # a 70B model has 80 × 7 = 560 linear layers
MAX_ZIP_ENTRIES = 64
MAX_ZIP_RATIO = 200  # uncompressed / compressed; float data compresses < 2×, a zip bomb ≫ 1000×

# safetensors dtype → (torch dtype, bytes per element). Only floats make sense for U.
_DTYPES = {
    "F64": (torch.float64, 8),
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
}
_DTYPE_NAMES = {v[0]: k for k, v in _DTYPES.items()}


@dataclass
class HRAAdapter:
    """A PEFT HRA adapter: U (in_features, r) per module, named as in the base model."""

    config: dict
    vectors: dict[str, torch.Tensor]
    extra_tensors: tuple[str, ...] = field(default=())  # other tensors in the file (e.g. biases), not used

    @property
    def r(self) -> int:
        return int(self.config["r"])

    @property
    def apply_gs(self) -> bool:
        """PEFT's ``apply_GS``: U is orthonormalised first and H = I − 2QQᵀ (the λ = ∞ variant)."""
        return bool(self.config.get("apply_GS", False))


# --------------------------------------------------------------------------------------------
# parsing


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def _check_size(name: str, n: int, cap: int | None = None) -> None:
    cap = MAX_FILE_BYTES if cap is None else cap
    if n > cap:
        raise ValueError(f"{name} is {_mb(n)}, over the {_mb(cap)} limit; only smaller adapters are read")


def parse_config(data: bytes) -> dict:
    """The parsed adapter_config.json, checked to be an HRA config with a positive integer r."""
    _check_size(CONFIG_NAME, len(data), MAX_CONFIG_BYTES)
    try:
        cfg = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{CONFIG_NAME} is not valid JSON ({e}); is it truncated or corrupt?") from None
    if not isinstance(cfg, dict):
        raise ValueError(f"{CONFIG_NAME} must hold a JSON object; got {type(cfg).__name__}")
    kind = cfg.get("peft_type")
    if kind != "HRA":
        raise ValueError(
            f"{CONFIG_NAME} says peft_type={kind!r}, not 'HRA': this is not an HRA adapter "
            "(LoRA, OFT, … adapters store different tensors)"
        )
    r = cfg.get("r")
    if isinstance(r, bool) or not isinstance(r, int) or r < 1:
        raise ValueError(f"{CONFIG_NAME}: r must be a positive integer; got {r!r}")
    return cfg


def _parse_header(data: bytes) -> tuple[dict, int]:
    """(header dict without __metadata__, start of the data section), with every entry checked."""
    if len(data) < 8:
        raise ValueError(f"{WEIGHTS_NAME} is truncated: {len(data)} bytes, less than its 8-byte header")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES or 8 + n > len(data):
        raise ValueError(
            f"{WEIGHTS_NAME} is truncated or corrupt: its header claims {n} bytes, the file has {len(data)}"
        )
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{WEIGHTS_NAME} is corrupt: its header is not valid JSON") from None
    if not isinstance(header, dict):
        raise ValueError(f"{WEIGHTS_NAME} is corrupt: its header is not a JSON object")
    header.pop("__metadata__", None)
    if len(header) > MAX_TENSORS:
        raise ValueError(f"{WEIGHTS_NAME} holds {len(header)} tensors, more than the limit of {MAX_TENSORS}")
    start, size = 8 + n, len(data) - 8 - n
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
            raise ValueError(f"{WEIGHTS_NAME} is corrupt: bad header entry for tensor {name!r}")
        dt, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
        if dt not in _DTYPES:
            raise ValueError(
                f"tensor {name!r} has dtype {dt!r}; HRA vectors must be floats ({', '.join(_DTYPES)})"
            )
        ok_shape = isinstance(shape, list) and all(
            isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**40 for s in shape
        )
        ok_offs = (
            isinstance(offs, list)
            and len(offs) == 2
            and all(isinstance(o, int) and not isinstance(o, bool) for o in offs)
            and 0 <= offs[0] <= offs[1] <= size
        )
        if not (ok_shape and ok_offs):
            raise ValueError(
                f"{WEIGHTS_NAME} is truncated or corrupt: tensor {name!r} points outside the file's data"
            )
        if offs[1] - offs[0] != math.prod(shape) * _DTYPES[dt][1]:
            raise ValueError(f"{WEIGHTS_NAME} is corrupt: tensor {name!r} has the wrong number of bytes")
        spans.append(tuple(offs))
    spans.sort()
    end = 0
    for a, b in spans:
        if a != end:
            raise ValueError(f"{WEIGHTS_NAME} is corrupt: its tensors overlap or leave gaps")
        end = b
    if end != size:
        raise ValueError(
            f"{WEIGHTS_NAME} is truncated or corrupt: the header describes {end} bytes of data, "
            f"the file holds {size}"
        )
    return header, start


def _module_name(key: str) -> str | None:
    """``base_model.model.<module>.hra_u`` → ``<module>``; None for any other tensor."""
    if not key.endswith(KEY_SUFFIX):
        return None
    name = key[: -len(KEY_SUFFIX)]
    if not name.startswith(KEY_PREFIX) or len(name) == len(KEY_PREFIX):
        raise ValueError(
            f"tensor {key!r} is not named like PEFT's 'base_model.model.<module>.hra_u'; "
            "was this file written by peft's save_pretrained?"
        )
    return name[len(KEY_PREFIX) :]


def parse_weights(data: bytes, r: int) -> tuple[dict[str, torch.Tensor], tuple[str, ...]]:
    """({module: U (in_features, r)}, names of other tensors) from adapter_model.safetensors bytes."""
    from safetensors.torch import load as st_load

    _check_size(WEIGHTS_NAME, len(data))
    header, _ = _parse_header(data)
    wanted = {}
    for key, info in header.items():
        module = _module_name(key)
        if module is None:
            continue
        shape = info["shape"]
        if len(shape) != 2:
            raise ValueError(f"{key}: U must be 2-D (in_features, r); got shape {tuple(shape)}")
        if shape[1] != r:
            raise ValueError(
                f"{key}: shape {tuple(shape)} disagrees with r={r} in {CONFIG_NAME} (expected (d_in, {r}))"
            )
        if shape[0] < 1:
            raise ValueError(f"{key}: in_features must be ≥ 1; got shape {tuple(shape)}")
        wanted[key] = module
    if not wanted:
        raise ValueError(f"{WEIGHTS_NAME} holds no '…hra_u' tensor: it is not an HRA adapter")
    try:
        tensors = st_load(data)
    except Exception as e:  # the library's own checks, after ours (SafetensorError and others)
        raise ValueError(f"{WEIGHTS_NAME} could not be read: {e}") from None
    vectors = {}
    for key, module in sorted(wanted.items(), key=lambda kv: kv[1]):
        U = tensors[key]
        if not torch.isfinite(U).all():
            raise ValueError(f"{key}: U holds NaN or inf values; the reflections are undefined")
        zero = (U.double().norm(dim=0) == 0).nonzero().flatten().tolist()
        if zero:
            raise ValueError(f"{key}: column(s) {zero} of U are zero; H_i = I − 2uuᵀ/‖u‖² is undefined")
        vectors[module] = U
    extra = tuple(sorted(k for k in header if k not in wanted))
    return vectors, extra


def read_adapter_files(files: Mapping[str, bytes]) -> HRAAdapter:
    """An adapter from {file name: bytes} holding adapter_config.json and adapter_model.safetensors.

    Names are matched on their last path component. ``adapter_model.bin`` alone is refused.
    """
    by_name = {PurePosixPath(str(k).replace("\\", "/")).name: v for k, v in files.items()}
    if WEIGHTS_NAME not in by_name:
        if PICKLE_NAME in by_name:
            raise ValueError(
                f"only {PICKLE_NAME} was given: that is a pickle, which can run arbitrary code when loaded, "
                f"so it is never opened here. Save the adapter with safe_serialization=True (the default "
                f"since peft 0.6) to get {WEIGHTS_NAME}"
            )
        raise ValueError(f"{WEIGHTS_NAME} is missing: give it together with {CONFIG_NAME}")
    if CONFIG_NAME not in by_name:
        raise ValueError(f"{CONFIG_NAME} is missing: give it together with {WEIGHTS_NAME}")
    cfg = parse_config(by_name[CONFIG_NAME])
    vectors, extra = parse_weights(by_name[WEIGHTS_NAME], cfg["r"])
    return HRAAdapter(config=cfg, vectors=vectors, extra_tensors=extra)


def _read_zip(data: bytes) -> dict[str, bytes]:
    """The adapter's two files from a zip, read in memory. Refuses traversal, bombs and ambiguity."""
    _check_size("the zip file", len(data))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise ValueError(f"not a valid zip file ({e})") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ValueError(f"the zip holds {len(infos)} entries, more than the limit of {MAX_ZIP_ENTRIES}")
    total = 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or ".." in parts or (len(name) > 1 and name[1] == ":"):
            raise ValueError(f"the zip entry {info.filename!r} points outside the archive (path traversal)")
        if info.flag_bits & 0x1:
            raise ValueError(f"the zip entry {info.filename!r} is encrypted")
        total += info.file_size
        if total > MAX_FILE_BYTES or info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1) + 2**20:
            raise ValueError("the zip unpacks to far more data than it holds (a zip bomb?); refused")
    configs = [i for i in infos if PurePosixPath(i.filename).name == CONFIG_NAME and not i.is_dir()]
    if len(configs) > 1:
        raise ValueError(f"the zip holds {len(configs)} adapters ({CONFIG_NAME} files); zip only one")
    folder = str(PurePosixPath(configs[0].filename).parent) if configs else None
    out = {}
    for info in infos:
        p = PurePosixPath(info.filename)
        if info.is_dir() or p.name not in (CONFIG_NAME, WEIGHTS_NAME, PICKLE_NAME):
            continue
        if folder is not None and str(p.parent) != folder:
            continue
        try:
            with zf.open(info) as f:
                blob = f.read(MAX_FILE_BYTES + 1)  # never trust the declared size
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as e:
            raise ValueError(f"the zip entry {info.filename!r} could not be read ({e})") from None
        _check_size(info.filename, len(blob))
        out[p.name] = blob
    return out


def parse_upload(files: Sequence[tuple[str, bytes]]) -> HRAAdapter:
    """What the inspector page calls: one zip, or the two files (any order), as (name, bytes) pairs."""
    files = list(files)
    if not files:
        raise ValueError(f"no file given: upload {CONFIG_NAME} and {WEIGHTS_NAME}, or one zip holding both")
    for name, blob in files:
        _check_size(name, len(blob))
    zips = [(n, b) for n, b in files if n.lower().endswith(".zip") or b[:4] == b"PK\x03\x04"]
    if zips:
        if len(files) != 1:
            raise ValueError("upload either one zip, or the two adapter files, not both")
        return read_adapter_files(_read_zip(zips[0][1]))
    return read_adapter_files(dict(files))


def _read_file(p: Path) -> bytes:
    _check_size(p.name, p.stat().st_size)  # before reading a byte
    return p.read_bytes()


def load_hra_adapter(path: str | os.PathLike | Sequence[str | os.PathLike]) -> HRAAdapter:
    """Load a PEFT HRA adapter from a directory, a zip, or the two files (a list of two paths).

    Returns an ``HRAAdapter`` with ``.r``, ``.config`` (the parsed JSON) and ``.vectors``
    ({module name in the base model: U of shape (in_features, r)}, in the stored dtype).
    """
    if isinstance(path, (list, tuple)):
        return read_adapter_files({Path(p).name: _read_file(Path(p)) for p in path})
    p = Path(path)
    if p.is_dir():
        names = (CONFIG_NAME, WEIGHTS_NAME, PICKLE_NAME)
        return read_adapter_files({n: _read_file(p / n) for n in names if (p / n).is_file()})
    if not p.is_file():
        raise ValueError(f"{p} is neither an adapter directory nor a file")
    if p.suffix.lower() == ".zip":
        return read_adapter_files(_read_zip(_read_file(p)))
    if p.name == WEIGHTS_NAME:  # the weights file: its config lies next to it
        return load_hra_adapter(p.parent)
    raise ValueError(f"{p.name}: give an adapter directory, a .zip, or {CONFIG_NAME} + {WEIGHTS_NAME}")


# --------------------------------------------------------------------------------------------
# writing


def _default_config(r: int, targets: list[str]) -> dict:
    """What peft 0.21's HRAConfig writes, for a model whose adapted modules are ``targets``."""
    return {
        "apply_GS": False,
        "auto_mapping": None,
        "base_model_name_or_path": None,
        "bias": "none",
        "exclude_modules": None,
        "inference_mode": True,
        "init_weights": True,
        "layers_pattern": None,
        "layers_to_transform": None,
        "modules_to_save": None,
        "peft_type": "HRA",
        "peft_version": "0.21.2",
        "r": r,
        "revision": None,
        "target_modules": targets,  # full module names: PEFT matches a name exactly or by suffix
        "task_type": None,
    }


def adapter_files(vectors: Mapping[str, torch.Tensor], **config) -> dict[str, bytes]:
    """{adapter_config.json: …, adapter_model.safetensors: …} for ``vectors`` {module: U (d_in, r)}.

    ``config`` overrides or adds fields of the config (e.g. ``base_model_name_or_path``,
    ``apply_GS=True`` for the orthonormal λ = ∞ variant). All U must share one r, as in PEFT.
    """
    from safetensors.torch import save as st_save

    if not vectors:
        raise ValueError("no vectors to save")
    rs = set()
    tensors = {}
    for name, U in vectors.items():
        if not isinstance(name, str) or not name or name.startswith(".") or name.endswith("."):
            raise ValueError(f"bad module name {name!r}")
        U = torch.as_tensor(U).detach()
        if U.dim() != 2:
            raise ValueError(f"{name}: U must be 2-D (in_features, r); got shape {tuple(U.shape)}")
        if U.dtype not in _DTYPE_NAMES:
            raise ValueError(f"{name}: U must be a float tensor; got {U.dtype}")
        if not torch.isfinite(U).all():
            raise ValueError(f"{name}: U holds NaN or inf values")
        rs.add(U.shape[1])
        tensors[f"{KEY_PREFIX}{name}{KEY_SUFFIX}"] = U.to("cpu").contiguous()
    if len(rs) != 1:
        raise ValueError(f"every layer must share one r (PEFT's HRAConfig has a single r); got {sorted(rs)}")
    r = rs.pop()
    cfg = _default_config(r, sorted(vectors))
    cfg.update(config)
    if cfg.get("peft_type") != "HRA" or cfg.get("r") != r:
        raise ValueError(f"config must keep peft_type='HRA' and r={r}")
    return {
        CONFIG_NAME: (json.dumps(cfg, indent=2, sort_keys=True) + "\n").encode("utf-8"),
        WEIGHTS_NAME: st_save(tensors, metadata={"format": "pt"}),
    }


def save_hra_adapter(vectors: Mapping[str, torch.Tensor], path: str | os.PathLike, **config) -> Path:
    """Write a PEFT HRA adapter directory that ``peft.PeftModel.from_pretrained`` loads."""
    files = adapter_files(vectors, **config)
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    for name, blob in files.items():
        (out / name).write_bytes(blob)
    return out


def adapter_zip(files: Mapping[str, bytes]) -> bytes:
    """A zip (deflated, in memory) of {path inside the zip: bytes}."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, blob in files.items():
            zf.writestr(name, blob)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# export a trained run


def run_vectors(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """{module name in the base model: U} for every HRA layer of an adapted model."""
    from hra_viz.core.adapters import HRAConv2d, HRALinear

    return {
        n: m.u.detach().to("cpu", torch.float32).clone()
        for n, m in model.named_modules()
        if isinstance(m, (HRALinear, HRAConv2d))
    }


_README = """\
# HRA adapter exported from hra-viz / hra-viz から書き出した HRA アダプタ

Run: task `{task}`, r = {r}, λ = {lam:g}, variant `{variant}`, {steps} steps, seed {seed}, \
task_seed {task_seed}. Target accuracy {acc}.

## Contents / 内容

| file | what |
|---|---|
| `hra-adapter/adapter_config.json` | PEFT `HRAConfig` (peft_type HRA, r = {r}{gs}) |
| `hra-adapter/adapter_model.safetensors` | U per layer: `base_model.model.<module>.hra_u`, (d_in, {r}) |
| `base_model.safetensors` | the frozen base model's weights (a small torch MLP, not a Hugging Face model) |
| `run_config.json` | every setting of the run |

## Load it with peft (English)

The base model is not a Hugging Face model: it is a plain PyTorch MLP,
`[features →] Linear → ReLU → Linear → ReLU → Linear`, whose layers sit in an `nn.Sequential`
called `net`. The adapted modules are therefore named `net.0`, `net.2`, `net.4`
(index 1 and 3 are the ReLUs). Layer sizes: {shapes}.
{features_en}
```python
import torch
from peft import PeftModel
from safetensors.torch import load_file
from hra_viz.training.tasks import load_task          # pip install -e . in the hra-viz repository

base = load_task("{task}", seed={task_seed}).base_model      # rebuilt deterministically from the seed
base.load_state_dict(load_file("base_model.safetensors"))    # or: exactly the weights used here
model = PeftModel.from_pretrained(base, "hra-adapter").eval()
logits = model(x)                                            # x: (N, {d0}) float32
merged = model.merge_and_unload()                            # W ← W H: no extra cost at inference
```

Without hra-viz, build the same `nn.Module` (attribute names must match: `net.0`, `net.2`, …),
load `base_model.safetensors` into it, then call `PeftModel.from_pretrained`.
PEFT builds the full d_in × d_in matrix H on every forward pass (O(d_out·d_in²)); hra-viz uses
the exact WY form H = I + ÛΓÛᵀ instead, which gives the same outputs.

## peft での読み込み方（日本語）

ベースモデルは Hugging Face のモデルではなく、PyTorch の単純な MLP
（`[特徴変換 →] Linear → ReLU → Linear → ReLU → Linear`）です。各層は `net` という
`nn.Sequential` に入っているため、アダプタを適用したモジュール名は `net.0`、`net.2`、`net.4` です
（1 と 3 は ReLU です）。層の大きさ: {shapes}。
{features_ja}
上のコードをそのまま使えます。`load_task` はシードから同じベースモデルを再現し、
`base_model.safetensors` はここで使った重みそのものです。hra-viz を使わない場合は、同じ属性名
（`net.0`、`net.2` …）を持つ `nn.Module` を作り、`base_model.safetensors` を読み込んでから
`PeftModel.from_pretrained` を呼んでください。PEFT は順伝播のたびに d_in × d_in の行列 H を
作ります（O(d_out·d_in²)）。hra-viz は同じ出力を与える WY 形式 H = I + ÛΓÛᵀ を使います。
"""


_FEATURES_JA = "\n2 次元の点は、まず固定のフーリエ特徴（`features.B`、学習しないバッファ）に変換されます。\n"  # noqa: E501


def export_run_zip(run) -> bytes:
    """A zip of a trained HRA ``Run``: a PEFT adapter directory, the base weights and a README (EN/JA)."""
    from safetensors.torch import save as st_save

    cfg = run.cfg
    if cfg.method != "hra":
        raise ValueError(f"only HRA runs can be exported as a PEFT HRA adapter; this run is {cfg.method!r}")
    vectors = run_vectors(run.model)
    gs = cfg.variant == "orthonormal"  # λ = ∞: PEFT's apply_GS gives the same H = I − 2QQᵀ
    files = adapter_files(vectors, apply_GS=gs, base_model_name_or_path=f"hra-viz:{cfg.task}")
    base_sd = {k: v.detach().to("cpu").contiguous() for k, v in run.task.base_model.state_dict().items()}
    shapes = ", ".join(
        f"`{n}` {m.in_features}→{m.out_features}"
        for n, m in run.task.base_model.named_modules()
        if isinstance(m, torch.nn.Linear)
    )
    has_features = any(k.startswith("features.") for k in base_sd)
    last = [h for h in run.history if h.get("evaluated")]
    acc = f"{last[-1]['target_acc']:.3f}" if last else "–"
    first = next(m for m in run.task.base_model.modules() if isinstance(m, torch.nn.Linear))
    d0 = 2 if has_features else first.in_features
    readme = _README.format(
        task=cfg.task,
        r=cfg.r,
        lam=cfg.lam,
        variant=cfg.variant,
        steps=run.step_count,
        seed=cfg.seed,
        task_seed=cfg.task_seed,
        acc=acc,
        gs=", apply_GS = true (λ = ∞)" if gs else "",
        shapes=shapes,
        d0=d0,
        features_en="\nThe 2-D points first go through fixed Fourier features "
        "(`features.B`, a buffer that is never adapted).\n"
        if has_features
        else "",
        features_ja=_FEATURES_JA if has_features else "",
    )
    return adapter_zip(
        {
            f"hra-adapter/{CONFIG_NAME}": files[CONFIG_NAME],
            f"hra-adapter/{WEIGHTS_NAME}": files[WEIGHTS_NAME],
            "base_model.safetensors": st_save(base_sd, metadata={"format": "pt"}),
            "run_config.json": (json.dumps(cfg.to_dict(), indent=2) + "\n").encode("utf-8"),
            "README.md": readme.encode("utf-8"),
        }
    )
