"""The app's GPU path: every engine call the pages make, with device='cuda'. Skipped without a GPU
(CI has none); run on the lent H200 for the notes."""

import pytest
import torch

from hra_viz.core import peft_io
from hra_viz.training.train import Run, RunConfig
from hra_viz.views import live

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]

CASES = [
    ("hra", "digits-rotate"),
    ("lora", "moons-rotate"),
    ("oft", "digits-noise"),
    ("full", "digits-occlude"),
]


def test_live_page_calls_on_cuda():
    runs = {m: Run(RunConfig(task=t, method=m, steps=40, device="cuda")) for m, t in CASES}
    for run in runs.values():
        run.step(20)
        assert run.device.type == "cuda"
        nums = live.run_numbers(run)
        assert 0.0 <= nums["target_acc"] <= 1.0 and nums["params"] > 0
    assert len(live.history_frame(runs)) > 0
    assert all(g.shape == (8, 8) for g in live.hra_grams(runs["hra"].model).values())
    assert {"xx", "yy", "p1"} <= set(live.moons_view(runs["lora"]))
    assert {"images", "pred", "true"} <= set(live.digit_samples(runs["hra"]))
    runs["hra"].run_to_end()
    assert runs["hra"].summary()["status_code"] == "finished"
    assert peft_io.export_run_zip(runs["hra"])[:2] == b"PK"


def test_other_pages_calls_on_cuda():
    rep = live.spectra_report(steps=30, device="cuda")
    assert set(rep["methods"]) == {"hra", "lora", "oft", "full"}
    curves, summary = live.lambda_study(steps=20, device="cuda")
    assert len(curves) and len(summary)
    from hra_viz.training.pilot import run_pilot

    pilot = run_pilot("digits-rotate", ("hra", "lora", "oft", "full"), 8, 2, 20, device="cuda")  # home page
    assert set(pilot["methods"]) == {"hra", "lora", "oft", "full"}
    assert len(live.chain_cell("digits-rotate", "hra", 4, 1e-4, steps=20, device="cuda")) == 1
