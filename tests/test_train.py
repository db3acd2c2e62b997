"""Live runs: they learn, they repeat exactly, they survive divergence, they keep or change spectra."""

import math

import pytest
import torch

from hra_viz.training import tasks as T
from hra_viz.training.train import RANGES, Run, RunConfig, prepare, resolve_device

TIMING = {"step_time_s", "elapsed_s"}


@pytest.fixture(autouse=True, scope="module")
def _isolated_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("HRA_VIZ_CACHE", str(tmp_path_factory.mktemp("hra_cache")))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    T.clear_memory_cache()
    prepare()
    yield
    T.clear_memory_cache()
    torch.set_num_threads(threads)
    mp.undo()


def _strip(ms):
    return [{k: v for k, v in m.items() if k not in TIMING} for m in ms]


def test_default_hra_run_lifts_target_accuracy_by_40_points():
    run = Run(RunConfig(device="cpu"))  # the defaults: digits-rotate, HRA r=8, 300 steps
    history = list(run)
    s = run.summary()
    assert len(history) == 300 and run.done and s["status"].startswith("finished")
    assert s["target_acc"] - s["base_target_acc"] >= 0.40
    assert s["trainable_params"] == 8 * (64 + 64 + 64)  # r·d_in per layer
    assert s["max_abs_dsigma"] < 1e-4


def test_same_config_gives_identical_metrics_and_pause_resume_is_free():
    cfg = RunConfig(steps=40, eval_every=7, device="cpu")
    a = Run(cfg)
    whole = a.step(40)
    b = Run(cfg)
    parts = b.step(13) + b.step(0) + b.step(100)  # pause, an empty tick, then past the end
    assert len(parts) == 40 and b.done and b.step(5) == []
    assert _strip(whole) == _strip(parts)
    assert a.summary()["target_acc"] == b.summary()["target_acc"]
    for pa, pb in zip(a.params, b.params, strict=True):
        assert torch.equal(pa, pb)
    # a different seed gives a different run
    c = Run(cfg.replace(seed=1))
    assert _strip(c.step(40)) != _strip(whole)


def test_metrics_are_evaluated_every_k_steps_and_reused_between():
    run = Run(RunConfig(steps=25, eval_every=10, device="cpu"))
    hist = run.step(25)
    assert [m["step"] for m in hist if m["evaluated"]] == [1, 10, 20, 25]
    assert hist[11]["target_acc"] == hist[9]["target_acc"]  # step 12 reuses step 10
    assert all({"step", "loss", "target_acc", "source_acc", "step_time_s"} <= m.keys() for m in hist)


def test_huge_learning_rate_stops_cleanly_with_the_last_finite_state():
    cfg = RunConfig(method="lora", optimizer="sgd", lr=1000.0, steps=50, device="cpu")
    run = Run(cfg)
    hist = run.step(50)  # no exception
    assert run.done and run.diverged and len(hist) < 50
    k = len(hist) + 1  # the step whose loss was not finite
    assert run.status.startswith(f"diverged at step {k}: loss became")
    assert "last finite state" in run.status
    assert all(math.isfinite(m["loss"]) for m in hist)
    assert all(torch.isfinite(p).all() for p in run.params)
    # the kept state is exactly the state after k − 2 steps, whose loss was still finite
    ref = Run(cfg)
    ref.step(k - 2)
    for p, q in zip(run.params, ref.params, strict=True):
        assert torch.equal(p, q)
    s = run.summary()
    assert s["diverged"] and s["status"] == run.status
    assert run.step(3) == []
    # machine-readable status, for pages that translate it
    assert run.status_code == s["status_code"] == "diverged"
    assert run.status_args["step"] == k and run.status_args["kept"] == k - 2
    assert run.status_args["kind"] in ("nan", "inf") and run.status_args["kind"] in run.status


def test_status_codes_and_note_codes():
    from hra_viz.text import run_note, run_status

    run = Run(RunConfig(method="hra", r=3, steps=5, device="cpu"))  # odd r: symmetric init falls back
    assert (run.status_code, run.status_args) == ("ready", {})
    assert run.note_codes == [("odd_r", {"r": 3})] and len(run.notes) == 1
    assert "r = 3" in run_note(*run.note_codes[0], "en") and "奇数" in run_note(*run.note_codes[0], "ja")
    run.step(2)
    assert run.status_code == "running"
    run.step(3)
    assert (run.status_code, run.status_args, run.status) == ("finished", {"steps": 5}, "finished: 5 steps")
    assert run_status(run.status_code, run.status_args, "ja") == "完了：5 ステップ"
    assert run_status("no-such-code", {}, "ja", fallback=run.status) == run.status


def test_hra_cannot_diverge_because_h_stays_orthogonal():
    run = Run(RunConfig(lr=1e3, steps=30, device="cpu"))
    run.step(30)
    assert run.status.startswith("finished") and run.summary()["max_abs_dsigma"] < 1e-3


@pytest.mark.parametrize("method", ["hra", "lora", "oft", "full", "head"])
def test_every_method_trains(method):
    run = Run(RunConfig(method=method, steps=60, device="cpu"))
    losses = [m["loss"] for m in run.step(60)]
    assert sum(losses[-10:]) / 10 < 0.7 * sum(losses[:10]) / 10
    s = run.summary()
    assert s["target_acc"] > s["base_target_acc"] + 0.2
    assert s["drift"] > 0


# (method, extra config, keeps every adapted layer's singular values)
SPECTRUM_CASES = [
    ("hra", {}, True),
    ("hra", {"variant": "orthonormal"}, True),
    ("hra", {"r": 5, "init": "random"}, True),
    ("oft", {"block_size": 8}, True),
    ("lora", {}, False),
    ("full", {}, False),
    ("head", {}, False),
]


@pytest.mark.parametrize("method,extra,keeps", SPECTRUM_CASES)
def test_orthogonal_methods_keep_the_spectrum(method, extra, keeps):
    lr = 3e-2 if method != "full" else 5e-3
    run = Run(RunConfig(method=method, steps=40, lr=lr, device="cpu", **extra))
    run.step(40)
    layers = run.summary()["layers"]
    changed = {n: v["delta_w_fro"] > 1e-3 for n, v in layers.items()}
    assert any(changed.values())  # the run did change some weight
    for name, v in layers.items():
        if keeps:
            assert v["max_abs_dsigma"] < 1e-4, name
        elif changed[name]:
            assert v["max_abs_dsigma"] > 1e-2, name


def test_summary_at_identity_init_has_no_drift_and_hra_diagnostics():
    run = Run(RunConfig(device="cpu"))
    s = run.summary()
    assert s["steps_done"] == 0 and s["target_acc"] == pytest.approx(s["base_target_acc"])
    assert s["drift"] == pytest.approx(0.0, abs=1e-9)
    # symmetric init: ÛᵀÛ has the r pair entries = 1 off the diagonal, plus random cross-pair cosines,
    # so ‖I − ÛᵀÛ‖² = r + Σ cross cos² ≥ r per layer
    assert s["orth_penalty"] >= 3 * 8
    assert s["h_minus_i_fro_max"] < 1e-5
    for key in (
        "target_acc",
        "source_acc",
        "base_target_acc",
        "base_source_acc",
        "trainable_params",
        "wall_s",
        "drift",
        "status",
        "max_abs_dsigma",
        "retention",
    ):
        assert key in s


def test_lambda_adds_the_orthogonality_penalty():
    from hra_viz.core.adapters import orthogonality_loss

    cfg = RunConfig(steps=1, device="cpu")
    plain, reg = Run(cfg), Run(cfg.replace(lam=0.5))
    penalty = float(orthogonality_loss(reg.model).detach())  # same init: the logits at step 1 are equal
    assert reg.step(1)[0]["loss"] == pytest.approx(plain.step(1)[0]["loss"] + 0.5 * penalty, rel=1e-5)
    a, b = Run(cfg.replace(steps=60)), Run(cfg.replace(steps=60, lam=0.1))
    a.step(60)
    b.step(60)
    assert b.summary()["orth_penalty"] < a.summary()["orth_penalty"]


@pytest.mark.parametrize("variant", ["chain", "orthonormal"])
def test_lambda_step_is_the_gradient_step_of_loss_plus_lambda_penalty(variant):
    """The live step adds λ ∂P/∂U in closed form after the task loss's backward: the update must be
    the one autograd gives for cross-entropy + λ P (P written out naively), here with SGD."""
    import copy

    import torch.nn.functional as F

    lam, lr = 0.05, 0.1
    run = Run(RunConfig(steps=3, device="cpu", optimizer="sgd", lr=lr, lam=lam, variant=variant))
    for _ in range(2):
        ref = copy.deepcopy(run.model)
        gen = torch.Generator()
        gen.set_state(run.gen.get_state())
        x, y = run._train
        idx = torch.randint(x.shape[0], (run.cfg.batch_size,), generator=gen)
        loss = F.cross_entropy(ref(x[idx]), y[idx])
        us = [p for n, p in ref.named_parameters() if n.endswith(".u")]
        units = [u / u.norm(dim=0) for u in us]
        pen = sum(((torch.eye(n.shape[1]) - n.T @ n) ** 2).sum() for n in units)
        if variant == "chain":
            loss = loss + lam * pen
        loss.backward()
        m = run.step(1)[0]
        assert m["loss"] == pytest.approx(float(loss.detach()), rel=1e-6)
        if variant == "chain":
            assert m["orth_penalty"] == pytest.approx(float(pen.detach()), rel=1e-6)
        for (name, p), (_, q) in zip(run.model.named_parameters(), ref.named_parameters(), strict=True):
            if q.requires_grad:
                assert torch.allclose(p.detach(), q.detach() - lr * q.grad, rtol=1e-5, atol=1e-7), name


def test_moons_run_trains_on_two_dimensional_input():
    run = Run(RunConfig(task="moons-rotate", steps=100, device="cpu"))
    run.step(100)
    s = run.summary()
    assert s["target_acc"] > s["base_target_acc"] + 0.1
    xx, yy, probs = T.decision_grid(run.model, run.task, n=11)
    assert probs.shape == (11, 11, 2)


def test_first_metrics_and_device_choice():
    assert resolve_device("auto").type in ("cuda", "mps", "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
    run = Run(RunConfig(device="cpu"))
    assert run.model.net[0].u.device.type == "cpu"
    assert run.step(1)[0]["evaluated"]


# (field, bad value, text of the allowed range in the message)
BAD_VALUES = [
    ("r", 0, "[1, 64]"),
    ("r", 65, "[1, 64]"),
    ("r", 2.5, "integer"),
    ("lam", -1e-3, "[0.0, 1.0]"),
    ("lr", 0.0, f"[{RANGES['lr'][0]}, {RANGES['lr'][1]}]"),
    ("lr", float("nan"), "lr must be in"),
    ("steps", 0, "[1, 100000]"),
    ("batch_size", 10_000, "[1, 4096]"),
    ("seed", -1, "[0, 2147483647]"),
    ("eval_every", 0, "[1, 100000]"),
    ("alpha", 0.0, "[0.001, 1000.0]"),
    ("angle", 200.0, "[-180.0, 180.0]"),
    ("method", "qlora", "one of ('hra', 'lora', 'oft', 'full', 'head')"),
    ("task", "mnist", "one of"),
    ("variant", "qr", "one of ('chain', 'orthonormal')"),
    ("block_size", 3, "one of (2, 4, 8, 16, 32, 64)"),
    ("device", "tpu", "one of ('auto', 'cpu', 'cuda', 'mps')"),
    ("optimizer", "lbfgs", "one of ('adam', 'sgd')"),
    ("steps", True, "steps must be"),
]


@pytest.mark.parametrize("field,value,allowed", BAD_VALUES)
def test_bad_config_values_name_the_allowed_range(field, value, allowed):
    with pytest.raises(ValueError) as e:
        RunConfig(**{field: value})
    assert field in str(e.value) and allowed in str(e.value)


def test_rank_larger_than_a_layer_is_refused_with_its_range():
    with pytest.raises(ValueError, match=r"1 ≤ r ≤ 32"):
        Run(RunConfig(task="moons-rotate", r=48, device="cpu"))
