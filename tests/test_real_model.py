"""all-MiniLM-L6-v2 from the registry package: offline loading, embeddings, parameter counts, spectra,
retention metrics and the step-able run (one model load per module)."""

import math
import os
import socket

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from hra_viz.training.real import metrics as RM
from hra_viz.training.real.model import N_LAYERS, MiniLM, model_dir
from hra_viz.training.real.run import RealConfig, RealRun, adapter_param_count, get_real_model

SENTENCES = ["Where is my parcel? It was due on Monday.", "I want my money back", "Bees dance."]


@pytest.fixture(scope="module")
def real():
    return get_real_model("cpu")


def test_loads_offline_with_no_socket(monkeypatch):
    """The hub is off and any attempt to open a connection raises: loading still works."""
    assert os.environ.get("HF_HUB_OFFLINE") == "1" and os.environ.get("TRANSFORMERS_OFFLINE") == "1"
    tried = []

    def refuse(*args, **kwargs):
        tried.append(args)
        raise OSError("network access is not allowed in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    d = model_dir()
    for f in ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt"):
        assert (d / f).is_file()
    m = MiniLM(d)  # a fresh load, not the cached one
    e = m.embed(SENTENCES)
    assert e.shape == (3, 384) and torch.allclose(e.norm(dim=1), torch.ones(3), atol=1e-6)
    assert 22_000_000 < m.n_parameters() < 23_000_000  # 22.7 M
    assert not tried


def test_embedding_is_masked_mean_pool_then_l2(real):
    """Against an independent float64 reference: the model in float64, pooling written in numpy."""
    m = real.minilm
    ours = m.embed(SENTENCES).double().numpy()
    enc = m.encode(SENTENCES)
    m64 = MiniLM(m.dir)
    m64.model.double()
    with torch.no_grad():
        h = m64.model(input_ids=enc.input_ids, attention_mask=enc.attention_mask,
                      token_type_ids=enc.token_type_ids).last_hidden_state.numpy()
    mask = enc.attention_mask.numpy().astype(np.float64)
    ref = (h * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    assert np.abs(ours - ref).max() < 1e-5
    assert mask[2].sum() < mask[0].sum()  # the short sentence is padded: the mask matters
    # the cached-lower-layers path gives the same embeddings as BertModel itself
    for start in (0, 4, N_LAYERS):
        from hra_viz.training.real.model import bidirectional_mask, mean_pool

        hs, am = m.hidden_states(SENTENCES, start)
        mask4 = bidirectional_mask(m.config, hs, am)
        with torch.no_grad():
            for layer in m.model.encoder.layer[start:]:
                hs = layer(hs, mask4)
        assert torch.allclose(mean_pool(hs, am).double(), torch.from_numpy(ours), atol=1e-5)


def test_parameter_formulas(real):
    # the example, written out: 6 layers × (q, v) × 384 × r
    assert adapter_param_count("hra", 8, "qv", 6) == 6 * 2 * 384 * 8 == 36_864
    assert adapter_param_count("lora", 8, "qv", 6) == 6 * 2 * 8 * (384 + 384)
    assert adapter_param_count("oft", 8, "qv", 6, block_size=16) == 6 * 2 * 24 * (16 * 15 // 2)
    assert adapter_param_count("full", 8, "qv", 6) == 6 * 2 * (384 * 384 + 384)
    assert adapter_param_count("hra", 8, "all", 6) == 6 * 8 * (5 * 384 + 1536)
    assert adapter_param_count("head", 8, "all", 6) == 0
    for method in ("hra", "lora", "oft", "full", "head"):
        for layers, k in (("qv", 6), ("all", 1)):
            run = RealRun(RealConfig(method=method, layers=layers, top_k=k, steps=1), real=real)
            want = adapter_param_count(method, 8, layers, k, block_size=16)
            assert run.params_adapter == want, (method, layers, k)
            assert run.params_head == 384 * 6 + 6


def test_hra_keeps_the_real_spectrum_and_lora_does_not(real):
    out = {}
    for method in ("hra", "lora", "oft"):
        run = RealRun(RealConfig(method=method, top_k=1, steps=3, lr=0.05, eval_every=3), real=real)
        run.step(3)
        sp = run.spectra()
        assert set(sp) == {"encoder.layer.5.attention.self.query", "encoder.layer.5.attention.self.value"}
        # the adapter moved W: W' ≠ W
        name = "encoder.layer.5.attention.self.value"
        assert (run.effective_weight(name) - real.base_weight(name).double()).abs().max() > 1e-3
        out[method] = max(v["max_abs_dsigma"] for v in sp.values())
    assert out["hra"] <= 1e-4 and out["oft"] <= 1e-4
    assert out["lora"] > 1e-3, out


def test_retention_metrics_against_independent_references():
    g = torch.Generator().manual_seed(0)
    E0 = torch.nn.functional.normalize(torch.randn(40, 16, generator=g, dtype=torch.float64), dim=1)
    noise = torch.randn(40, 16, generator=g, dtype=torch.float64)
    E1 = torch.nn.functional.normalize(E0 + 0.3 * noise, dim=1)
    r = RM.retention(E0, E1, k=5)
    a, b = E0.numpy(), E1.numpy()
    assert math.isclose(r["cos"], float(np.mean(np.sum(a * b, 1))), abs_tol=1e-12)
    iu = np.triu_indices(40, 1)
    rho = spearmanr((a @ a.T)[iu], (b @ b.T)[iu]).statistic
    assert math.isclose(r["spearman"], rho, abs_tol=1e-10)
    overlaps = []
    for i in range(40):
        n0 = [j for j in np.argsort(-(a @ a[i])) if j != i][:5]
        n1 = [j for j in np.argsort(-(b @ b[i])) if j != i][:5]
        overlaps.append(len(set(n0) & set(n1)) / 5)
    assert math.isclose(r["knn"], float(np.mean(overlaps)), abs_tol=1e-12)
    same = RM.retention(E0, E0)
    assert same == pytest.approx({"cos": 1.0, "spearman": 1.0, "knn": 1.0})
    assert 0 < r["knn"] < 1 and 0 < r["spearman"] < 1


def test_run_steps_history_summary_and_same_seed(real):
    runs = [RealRun(RealConfig(method="hra", top_k=1, steps=4, eval_every=2), real=real) for _ in range(2)]
    for run in runs:
        rows = run.step(3) + run.step(5)
        assert [h["step"] for h in rows] == [1, 2, 3, 4] and run.done and run.status_code == "finished"
        assert [h["evaluated"] for h in rows] == [True, True, False, True]
    assert [h["loss"] for h in runs[0].history] == [h["loss"] for h in runs[1].history]
    s = runs[0].summary()
    assert s["acc_before"] == real.baseline(0)["acc"] > 0.8  # the head-only baseline, measured first
    assert 0 <= s["acc_after"] <= 1 and 0 < s["retention_cos"] <= 1 + 1e-9 and s["params_adapter"] == 6144
    assert s["step_ms"] > 0 and s["peak_mem_mb"] >= 0 and s["peak_mem_kind"] == "cpu_rss_peak_delta"
    # head-only leaves the encoder untouched: retention is exactly 1
    head = RealRun(RealConfig(method="head", steps=2), real=real)
    head.step(2)
    ev = head.evaluate()
    assert ev["retention_cos"] == pytest.approx(1.0) and ev["knn_overlap"] == 1.0


def test_divergence_is_caught_and_the_last_finite_state_kept(real):
    run = RealRun(RealConfig(method="lora", top_k=1, steps=10), real=real)
    run.step(2)
    with torch.no_grad():
        run.head.weight.fill_(float("nan"))
    assert run.step(3) == []
    assert run.diverged and run.status_code == "diverged" and run.status_args["kind"] == "nan"
    assert all(torch.isfinite(p).all() for p in run.params)
    assert run.step(1) == []  # a finished run stays finished


def test_bad_config_is_a_clear_error():
    with pytest.raises(ValueError, match="method"):
        RealConfig(method="qlora")
    with pytest.raises(ValueError, match="top_k"):
        RealConfig(top_k=7)
    with pytest.raises(ValueError, match="layers"):
        RealConfig(layers="ffn")
