"""The real model is a pilot task too (issue 12): run_pilot(task="minilm-intents") gives the toy-task
pilot's JSON, and its numbers are the real model's own runs, seed by seed."""

import math
import re

import pytest

from hra_viz.training.pilot import run_pilot
from hra_viz.training.real import RealConfig, RealRun
from hra_viz.training.real_pilot import REAL_TASK
from hra_viz.views.report import build_report

STEPS = 3


@pytest.fixture(scope="module")
def pilot():
    return run_pilot(REAL_TASK, ["hra", "lora"], 8, [0, 1], STEPS, device="cpu")


def test_real_pilot_json_and_numbers(pilot):
    assert pilot["setup"]["task"] == REAL_TASK and "all-MiniLM-L6-v2" in pilot["setup"]["model"]
    for m in ("hra", "lora"):
        for metric in ("target_acc", "retention", "drift", "step_time_s", "peak_mem_mb"):
            entry = pilot["methods"][m][metric]
            assert len(entry["values"]) == 2 and len(entry["ci95"]) == 2
    assert set(pilot["paired"]) == {"hra-lora"}
    # an independent run of the same cell gives the same numbers
    s = RealRun(RealConfig(method="hra", r=8, steps=STEPS, seed=1, device="cpu")).run_to_end().summary()
    assert pilot["methods"]["hra"]["target_acc"]["values"][1] == pytest.approx(s["acc_after"], abs=1e-12)
    assert pilot["methods"]["hra"]["retention"]["values"][1] == pytest.approx(s["retention_cos"], abs=1e-12)
    drift = 1 - s["retention_spearman"]
    assert pilot["methods"]["hra"]["drift"]["values"][1] == pytest.approx(drift, abs=1e-12)
    assert math.isfinite(pilot["setup"]["base_target_acc"])


def test_real_pilot_report_in_both_languages(pilot):
    from test_report import _parse  # the self-containment check of the toy-task reports

    for lang in ("en", "ja"):
        html = build_report(pilot, lang)
        assert "all-MiniLM-L6-v2" in html
        assert not [r for r in _parse(html).refs if re.match(r"\s*(https?:)?//", r)]


def test_real_pilot_refuses_unknown_methods():
    with pytest.raises(ValueError, match="minilm-intents"):
        run_pilot(REAL_TASK, ["hra", "nope"], 8, 2, STEPS, device="cpu")
