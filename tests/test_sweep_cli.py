"""Comparisons, sweeps and the command line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from hra_viz import cli
from hra_viz.training import tasks as T
from hra_viz.training.sweep import compare, grid, sweep
from hra_viz.training.train import RunConfig

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="module")
def _isolated_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    cache = tmp_path_factory.mktemp("hra_cache")
    mp.setenv("HRA_VIZ_CACHE", str(cache))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    T.clear_memory_cache()
    yield cache
    T.clear_memory_cache()
    torch.set_num_threads(threads)
    mp.undo()


# (matched_budget, method, grid r, expected setting)
MAPPING = [
    (False, "hra", 8, {"r": 8}),
    (False, "lora", 8, {"r": 8}),
    (True, "lora", 8, {"r": 4}),
    (True, "lora", 1, {"r": 1}),
    (False, "oft", 4, {"block_size": 8}),
]


@pytest.mark.parametrize("matched,method,r,expected", MAPPING)
def test_grid_maps_the_budget(matched, method, r, expected):
    ((cell, budget),) = grid(RunConfig(), [r], [method], matched_budget=matched)
    assert budget == r
    assert {k: cell[k] for k in expected} == expected


def test_matched_budget_equalises_parameters_on_square_layers():
    # HRA r on d×d has r·d parameters, LoRA r/2 has (r/2)(d + d): equal
    df = sweep(RunConfig(steps=2), r=[8], methods=["hra", "lora"], matched_budget=True)
    hra, lora = df.set_index("method").loc[["hra", "lora"], "trainable_params"]
    square = 2 * 8 * 64  # the two 64 → 64 layers
    assert hra - 8 * 64 == square and lora - 4 * (64 + 10) == square


def test_sweep_returns_a_tidy_table_and_reports_progress():
    calls = []
    df = sweep(
        RunConfig(steps=15),
        r=[2, 4],
        methods=["hra", "lora", "oft", "full"],
        seeds=[0, 1],
        progress=lambda done, total, label: calls.append((done, total, label)),
    )
    assert len(df) == (2 + 2 + 2 + 1) * 2
    assert [c[0] for c in calls] == list(range(1, len(df) + 1)) and all(c[1] == len(df) for c in calls)
    assert all(isinstance(c[2], str) and c[2] for c in calls)
    for col in (
        "task",
        "method",
        "r",
        "lam",
        "lr",
        "seed",
        "budget_r",
        "target_acc",
        "source_acc",
        "trainable_params",
        "wall_s",
        "time_per_step_s",
        "drift",
        "status",
        "max_abs_dsigma",
    ):
        assert col in df.columns
    assert df["status"].str.startswith("finished").all()
    assert df.loc[df.method == "full", "r"].isna().all()
    assert (df.loc[df.method == "oft", "block_size"].tolist()) == [4, 8, 4, 8]
    assert (df.loc[df.method.isin(["hra", "oft"]), "max_abs_dsigma"] < 1e-4).all()


def test_sweep_keeps_rows_that_diverge_or_are_invalid():
    df = sweep(RunConfig(steps=30, optimizer="sgd", lr=1000.0), r=[2], methods=["lora"])
    assert df.loc[0, "status"].startswith("diverged at step")
    df = sweep(RunConfig(task="moons-rotate", steps=5), r=[16, 48], methods=["hra", "oft"])
    status = dict(zip(zip(df.method, df.budget_r, strict=True), df.status, strict=True))
    assert status[("hra", 16)].startswith("finished")
    assert status[("hra", 48)].startswith("invalid:") and "1 ≤ r ≤ 32" in status[("hra", 48)]
    assert status[("oft", 48)].startswith("invalid:")  # b = 96 is not an allowed block size


def test_compare_runs_every_method_on_one_task_and_seed():
    cfgs = [RunConfig(method=m, steps=20) for m in ("hra", "lora", "head")]
    out = compare(cfgs)
    assert [s["config"]["method"] for s in out] == ["hra", "lora", "head"]
    assert all(s["target_acc"] > s["base_target_acc"] for s in out)
    assert len({s["base_source_acc"] for s in out}) == 1


def test_sweep_in_processes_matches_sequential():
    kw = dict(r=[2], methods=["hra", "lora"])
    seq = sweep(RunConfig(steps=10), **kw)
    par = sweep(RunConfig(steps=10), processes=2, **kw)
    pd.testing.assert_series_equal(seq["target_acc"], par["target_acc"], atol=0.02)
    assert par["status"].str.startswith("finished").all()


def _run_cli(args, cache, cwd):
    env = {**os.environ, "HRA_VIZ_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "hra_viz", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_smoke_writes_its_files(tmp_path, _isolated_cache):
    out = tmp_path / "train"
    res = _run_cli(
        [
            "train",
            "--steps",
            "20",
            "--out",
            str(out),
            "--format",
            "json",
            "--threads",
            "1",
            "--device",
            "cpu",
        ],
        _isolated_cache,
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    hist = json.loads((out / "metrics.json").read_text())
    assert len(hist) == 20 and hist[-1]["step"] == 20
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["steps"] == 20 and "target_acc" in summary
    assert (out / "curves.html").stat().st_size > 1000
    sw = tmp_path / "sweep"  # in-process: the same entry point, without a second interpreter start
    assert (
        cli.main(
            ["sweep", "--steps", "5", "--r", "2,4", "--methods", "hra,lora", "--out", str(sw), "--quiet"]
        )
        == 0
    )
    assert len(pd.read_csv(sw / "sweep.csv")) == 4
    assert (sw / "sweep.html").exists()


# (arguments, text that the one-line error must contain)
BAD_ARGS = [
    (["train", "--r", "100"], "r must be in [1, 64]"),
    (["train", "--lr", "-1"], "lr must be in"),
    (["train", "--method", "qlora"], "method must be one of"),
    (["train", "--steps", "abc"], "invalid int value"),
    (["sweep", "--methods", "hra,xx"], "methods must be among"),
    (["sweep", "--r", "2,x"], "comma-separated list"),
    (["frobnicate"], "invalid choice"),
]


@pytest.mark.parametrize("args,message", BAD_ARGS)
def test_cli_bad_arguments_exit_non_zero_without_traceback(args, message, capsys, tmp_path):
    try:
        code = cli.main([*args, "--out", str(tmp_path)] if args[0] in ("train", "sweep") else args)
    except SystemExit as e:  # argparse's own errors
        code = e.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
