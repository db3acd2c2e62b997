"""`python -m hra_viz real`: a 5-step run on the CPU, its JSON and its PEFT export; bad input exits 2."""

import json

import pytest
import torch

from hra_viz.cli import main
from hra_viz.cli_real import JSON_KEYS


def test_five_step_cpu_run_writes_json_and_adapter(tmp_path, capsys):
    out, adapter = tmp_path / "out.json", tmp_path / "adapter"
    rc = main(["real", "--method", "hra", "--r", "8", "--steps", "5", "--layers", "qv", "--seed", "0",
               "--device", "cpu", "--top-k", "1", "--json", str(out), "--export", str(adapter), "--quiet"])
    assert rc == 0
    d = json.loads(out.read_text())
    assert set(JSON_KEYS) <= set(d)
    assert d["method"] == "hra" and d["r"] == 8 and d["device"] == "cpu" and d["steps"] == 5
    assert d["params_adapter"] == 1 * 2 * 384 * 8
    assert 0 < d["acc_before"] <= 1 and 0 <= d["acc_after"] <= 1
    assert 0 < d["retention_cos"] <= 1 + 1e-9 and -1 <= d["retention_spearman"] <= 1
    assert 0 <= d["knn_overlap"] <= 1
    assert d["max_abs_dsigma"] <= 1e-4 and d["step_ms"] > 0 and d["peak_mem_mb"] >= 0
    assert len(d["probe_sentences"]) == 4 and all(isinstance(s, str) for s in d["probe_sentences"])
    emb = torch.tensor(d["probe_embeddings"])
    assert emb.shape == (4, 384)
    assert torch.allclose(emb.norm(dim=1), torch.ones(4, dtype=emb.dtype), atol=1e-5)
    assert d["model_dir"].endswith("model")
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    assert cfg["peft_type"] == "HRA" and cfg["r"] == 8
    assert cfg["target_modules"] == [f"encoder.layer.5.attention.self.{m}" for m in ("query", "value")]
    assert "finished: 5 steps" in capsys.readouterr().out


@pytest.mark.parametrize("argv, msg", [
    (["real", "--method", "lora", "--export", "x"], "--method hra"),
    (["real", "--r", "0"], "r must be in"),
    (["real", "--top-k", "9"], "top_k"),
])
def test_bad_arguments_exit_2_with_a_message(argv, msg, capsys):
    assert main([*argv, "--device", "cpu", "--quiet"]) == 2
    assert msg in capsys.readouterr().err
