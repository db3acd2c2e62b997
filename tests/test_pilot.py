"""Pilots: the JSON the issue specifies, backends that agree (sequential, process pool, Ray), the
memory measure, the recommended chain length, and the `pilot` / `sweep --recommend` commands."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from hra_viz import cli
from hra_viz.training import stats as S
from hra_viz.training import tasks as T
from hra_viz.training.pilot import (
    METRICS,
    load_pilot,
    run_pilot,
    seed_list,
    to_json,
    training_memory_bytes,
)
from hra_viz.training.recommend import recommend_chain_length
from hra_viz.training.sweep import sweep
from hra_viz.training.train import RunConfig

SMALL = dict(task="digits-rotate", methods=("hra", "lora"), r=4, seeds=3, steps=15)
EXACT = ("target_acc", "retention", "drift", "peak_mem_mb")  # step time is a clock reading


@pytest.fixture(autouse=True, scope="module")
def _isolated_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    cache = tmp_path_factory.mktemp("hra_cache")
    mp.setenv("HRA_VIZ_CACHE", str(cache))  # workers (pool, Ray) inherit it
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    T.clear_memory_cache()
    yield cache
    T.clear_memory_cache()
    torch.set_num_threads(threads)
    mp.undo()


@pytest.fixture(scope="module")
def small():
    return run_pilot(**SMALL)


def test_pilot_json_has_the_issue_layout(small, tmp_path):
    p = small
    assert list(p["methods"]) == ["hra", "lora"] and list(p["paired"]) == ["hra-lora"]
    for m in ("hra", "lora"):
        for metric in METRICS:
            e = p["methods"][m][metric]
            assert set(e) >= {"values", "mean", "std", "ci95"} and len(e["values"]) == 3
            vals = np.array(e["values"], dtype=float)
            assert e["mean"] == pytest.approx(vals.mean())
            assert e["std"] == pytest.approx(vals.std(ddof=1))
            assert e["ci95"] == pytest.approx(S.summarize(vals.tolist())["ci95"])
    for metric in METRICS:
        d = p["paired"]["hra-lora"][metric]
        assert set(d) >= {"diff_values", "mean", "ci95", "p_value", "verdict"}
        a, b = p["methods"]["hra"][metric]["values"], p["methods"]["lora"][metric]["values"]
        assert d["diff_values"] == pytest.approx([x - y for x, y in zip(a, b, strict=True)])
        assert d["verdict"] in S.VERDICTS
    # the parameter counts are exact: HRA r·d_in over 3 layers of d_in 64; LoRA r·(d_in + d_out)
    assert p["methods"]["hra"]["trainable_params"] == 4 * 64 * 3
    assert p["methods"]["lora"]["trainable_params"] == 4 * (64 + 64) * 2 + 4 * (64 + 10)
    s = p["setup"]
    assert s["seeds"] == [0, 1, 2] and s["steps"] == 15 and s["r"] == 4 and s["task"] == "digits-rotate"
    assert s["device"] == "cpu" and s["memory_measure"] == "tensor-accounting"
    assert {"torch", "numpy", "scipy", "hra_viz", "python"} <= set(s["versions"]) and s["date"]
    assert p["stats"]["ci"] == "student-t" and p["stats"]["test"] == "paired-t"
    # JSON round trip: plain JSON (NaN → null), read back and checked
    path = tmp_path / "p.json"
    path.write_text(to_json(p))
    json.loads(path.read_text())
    back = load_pilot(path)
    assert back["methods"]["hra"]["target_acc"]["values"] == p["methods"]["hra"]["target_acc"]["values"]


def test_the_same_seeds_give_the_same_numbers_and_seeds_differ(small):
    again = run_pilot(**{**SMALL, "seeds": [2, 0]})
    for metric in EXACT:
        v3 = small["methods"]["hra"][metric]["values"]
        assert again["methods"]["hra"][metric]["values"] == [v3[2], v3[0]]  # seed order is kept
    vals = small["methods"]["hra"]["target_acc"]["values"]
    assert len(set(vals)) > 1  # the seed really changes the run


def test_backends_agree_local_pool_and_ray(small):
    ray = pytest.importorskip("ray")
    pool = run_pilot(**SMALL, processes=2)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=100 * 2**20)
    try:
        on_ray = run_pilot(**SMALL, backend="ray")
        cfg = RunConfig(steps=10)
        sw_local = sweep(cfg, r=(2, 4), methods=("hra", "oft"), seeds=(0, 1))
        sw_ray = sweep(cfg, r=(2, 4), methods=("hra", "oft"), seeds=(0, 1), backend="ray")
    finally:
        ray.shutdown()
    assert on_ray["setup"]["backend"] == "ray" and "ray" in on_ray["setup"]["versions"]
    assert on_ray["methods"]["hra"]["status_code"] == ["finished"] * 3, on_ray["methods"]["hra"]["status"]
    assert pool["methods"]["hra"]["status_code"] == ["finished"] * 3, pool["methods"]["hra"]["status"]
    for other in (pool, on_ray):
        for m in ("hra", "lora"):
            for metric in EXACT:
                assert other["methods"][m][metric]["values"] == small["methods"][m][metric]["values"], (
                    m,
                    metric,
                )
    cols = ["method", "r", "block_size", "seed", "target_acc", "source_acc", "drift", "trainable_params"]
    pd.testing.assert_frame_equal(sw_local[cols], sw_ray[cols])


def test_an_unreachable_cluster_is_a_clear_error_not_a_hang():
    pytest.importorskip("ray")
    from hra_viz.training.backends import run_cells
    from hra_viz.training.sweep import run_one

    with pytest.raises(ValueError, match="cannot reach the Ray cluster"):
        run_cells(run_one, [{"steps": 1}], backend="ray", address="127.0.0.1:1")


def test_ray_tasks_ask_for_gpus_only_when_the_cells_use_cuda():
    from hra_viz.training.backends import _wants_gpu

    assert _wants_gpu([{"device": "cuda"}], cluster_gpus=0) and _wants_gpu([{"device": "cuda:1"}], 0)
    assert _wants_gpu([{"device": "auto"}], cluster_gpus=8)
    assert not _wants_gpu([{"device": "auto"}], cluster_gpus=0) and not _wants_gpu([{"device": "cpu"}], 8)


def test_memory_measure_counts_weights_state_and_activations():
    cfg = RunConfig(method="hra", r=4, batch_size=64)
    m64 = training_memory_bytes(cfg)
    m128 = training_memory_bytes(cfg.replace(batch_size=128))
    m_r16 = training_memory_bytes(cfg.replace(r=16))
    from hra_viz.training.train import Run

    run = Run(cfg)
    weights = sum(p.numel() * p.element_size() for p in run.model.parameters())
    trainable = sum(p.numel() * p.element_size() for p in run.model.parameters() if p.requires_grad)
    batch = 64 * 64 * 4 + 64 * 8  # float32 inputs, int64 labels
    assert m64 > weights + 3 * trainable + batch  # + gradients + Adam's two moments + activations
    assert m64 < 4 * (weights + 3 * trainable + batch) + 64 * 64 * 4 * 40  # and not absurdly more
    assert m128 > m64 and m_r16 > m64
    assert training_memory_bytes(cfg) == m64  # deterministic


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="methods"):
        run_pilot(methods=("hra", "qlora"), seeds=2, steps=5)
    with pytest.raises(ValueError, match="at least one method"):
        run_pilot(methods=(), seeds=2, steps=5)
    with pytest.raises(ValueError, match="backend"):
        run_pilot(seeds=2, steps=5, backend="spark")
    for bad in (0, 101, [1, 1], [], True, [-1]):
        with pytest.raises(ValueError):
            seed_list(bad)
    assert seed_list(3) == [0, 1, 2] and seed_list([5, 2]) == [5, 2]


@pytest.mark.filterwarnings("ignore:symmetric init needs an even r")
def test_invalid_cells_become_missing_values_not_crashes():
    p = run_pilot(methods=("hra", "oft"), r=3, seeds=2, steps=5)  # OFT block 2r = 6 does not divide 64
    assert p["methods"]["oft"]["target_acc"]["values"] == [None, None]
    assert p["methods"]["oft"]["status_code"] == ["invalid", "invalid"]
    assert math.isnan(p["methods"]["oft"]["target_acc"]["mean"])
    assert p["paired"]["hra-oft"]["target_acc"]["verdict"] == "undetermined"


# ------------------------------------------------------------------------------------------
# recommended chain length, on constructed tables


def _table(means_by_r: dict, seeds=(0, 1, 2, 3, 4), spread=0.004, params_per_r=192):
    rows = []
    offsets = np.linspace(-1, 1, len(seeds)) * spread
    for r, mu in means_by_r.items():
        for s, off in zip(seeds, offsets, strict=True):
            rows.append(
                {
                    "method": "hra",
                    "r": r,
                    "seed": s,
                    "lam": 0.0,
                    "target_acc": mu + off,
                    "trainable_params": params_per_r * r,
                    "time_per_step_s": 1e-3 * (1 + r / 32),
                    "status_code": "finished",
                    "status": "finished: 300 steps",
                }
            )
    rows.append(
        {
            "method": "lora",
            "r": 2,
            "seed": 0,
            "lam": 0.0,
            "target_acc": 0.99,
            "trainable_params": 10,
            "time_per_step_s": 1e-3,
            "status_code": "finished",
            "status": "finished",
        }
    )
    return pd.DataFrame(rows)


def test_recommend_smallest_r_within_the_best_ci():
    df = _table({2: 0.70, 4: 0.85, 8: 0.922, 16: 0.924, 32: 0.925})
    rec = recommend_chain_length(df)
    assert rec["best_r"] == 32 and rec["r"] == 8 and rec["basis"] == "ci" and rec["seeds"] == 5
    ev = {e["r"]: e for e in rec["evidence"]}
    assert ev[8]["within"] and not ev[4]["within"] and ev[8]["recommended"] and ev[32]["best"]
    assert rec["threshold"] == pytest.approx(ev[32]["ci95"][0])
    assert ev[8]["params"] == 192 * 8


def test_recommend_the_best_when_nothing_smaller_is_close_and_with_one_seed():
    rec = recommend_chain_length(_table({2: 0.5, 4: 0.7, 8: 0.9}))
    assert rec["r"] == 8 == rec["best_r"]
    one = recommend_chain_length(_table({2: 0.89, 4: 0.9, 8: 0.9}, seeds=(0,)))
    assert one["basis"] == "single_seed" and one["r"] == 4  # the smallest of the tied best


def test_recommend_under_a_budget_and_ignores_invalid_runs():
    df = _table({2: 0.70, 4: 0.85, 8: 0.922, 16: 0.924, 32: 0.925})
    rec = recommend_chain_length(df, max_params=192 * 4)
    assert rec["best_r"] == 4 and rec["r"] == 4
    assert [e["in_budget"] for e in rec["evidence"]] == [True, True, False, False, False]
    df.loc[df.r == 32, "status_code"] = "invalid"
    assert 32 not in {e["r"] for e in recommend_chain_length(df)["evidence"]}
    assert recommend_chain_length(df, max_params=1)["r"] is None
    assert recommend_chain_length(df.iloc[0:0])["basis"] == "none"


# ------------------------------------------------------------------------------------------
# the commands


def test_cli_pilot_writes_json_and_report(tmp_path, capsys):
    out, rep = tmp_path / "p.json", tmp_path / "r.html"
    code = cli.main(
        [
            "pilot",
            "--methods",
            "hra,lora",
            "--r",
            "2",
            "--seeds",
            "2",
            "--steps",
            "5",
            "--json",
            str(out),
            "--report",
            str(rep),
            "--lang",
            "ja",
            "--quiet",
        ]
    )
    assert code == 0
    p = load_pilot(out)
    assert p["setup"]["command"].startswith("python -m hra_viz pilot --methods hra,lora")
    assert "パイロット報告" in rep.read_text()
    text = capsys.readouterr().out
    assert "判定の規則" in text and "wrote" in text


def test_cli_errors_are_one_line(capsys):
    assert cli.main(["pilot", "--methods", "hra,nope", "--seeds", "2", "--steps", "5", "--quiet"]) == 2
    assert "methods must be among" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cli.main(["pilot", "--seeds", "x"])
    assert e.value.code == 2
    with pytest.raises(SystemExit):
        cli.main(["pilot", "--backend", "spark"])


def test_cli_sweep_recommend(tmp_path, capsys):
    code = cli.main(
        [
            "sweep",
            "--r",
            "2,4",
            "--methods",
            "hra",
            "--seeds",
            "0,1",
            "--steps",
            "10",
            "--recommend",
            "--out",
            str(tmp_path),
            "--no-html",
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "Recommended chain length" in out and "Rule: the smallest r" in out and "← recommended" in out


def test_nothing_imports_ray_unless_asked():
    import subprocess
    import sys

    code = (
        "import sys, hra_viz.cli, hra_viz.training.pilot, hra_viz.training.sweep, hra_viz.views.pilot, "
        "hra_viz.views.report; from hra_viz.app import state; print('ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
