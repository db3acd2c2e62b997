"""PEFT round trip on the real model: our HRA run, exported, loaded by peft into transformers' BertModel,
gives our sentence embeddings to 1e-4 (fp32)."""

import io
import json
import zipfile

import pytest
import torch

from hra_viz.core.peft_io import load_hra_adapter
from hra_viz.training.real.export import export_peft, export_zip
from hra_viz.training.real.model import mean_pool
from hra_viz.training.real.run import RealConfig, RealRun, get_real_model

peft = pytest.importorskip("peft")


def test_peft_hra_adapter_gives_our_embeddings(tmp_path):
    from transformers import BertModel

    real = get_real_model("cpu")
    run = RealRun(RealConfig(method="hra", top_k=2, steps=4, lr=0.05, eval_every=4), real=real)
    run.step(4)
    folder = export_peft(run, tmp_path / "adapter")
    ad = load_hra_adapter(folder)
    assert sorted(ad.vectors) == run.targets and all(U.shape == (384, 8) for U in ad.vectors.values())
    model = peft.PeftModel.from_pretrained(BertModel.from_pretrained(real.model_dir), str(folder)).eval()
    texts = real.texts["test"][:24]
    enc = real.minilm.encode(texts)
    with torch.no_grad():
        h = model(input_ids=enc.input_ids, attention_mask=enc.attention_mask,
                  token_type_ids=enc.token_type_ids).last_hidden_state
    theirs = mean_pool(h, enc.attention_mask)
    ours = run.embeddings("test")[:24]
    base = real.embeddings()["test"][:24]
    assert (theirs - ours).abs().max() < 1e-4
    assert (base - ours).abs().max() > 1e-3  # the adapter changed the embeddings: the test can fail


def test_export_zip_and_refusals():
    real = get_real_model("cpu")
    run = RealRun(RealConfig(method="hra", top_k=1, steps=1), real=real)
    run.step(1)
    zf = zipfile.ZipFile(io.BytesIO(export_zip(run)))
    names = set(zf.namelist())
    assert {"hra-adapter/adapter_config.json", "hra-adapter/adapter_model.safetensors", "head.safetensors",
            "labels.json", "run_config.json", "README.md"} <= names
    assert json.loads(zf.read("labels.json")) == list(real.labels)
    with pytest.raises(ValueError, match="only HRA"):
        export_peft(RealRun(RealConfig(method="lora", top_k=1), real=real), "unused")
