"""The start-up warm-up (ui.studies): with default settings the study pages show their result
without a button press, while it runs they show a progress bar (never a blank page), and with other
settings they keep their button. The warm-up's numbers are the button's numbers."""

import pytest
from apptest_util import figs, open_page, open_sections

from hra_viz.app.state import default_values
from ui import studies


@pytest.fixture
def fresh_warmup(monkeypatch):
    """A clean warm-up registry with the warm-up allowed; restored afterwards."""
    monkeypatch.setenv("HRA_VIZ_WARM", "1")
    monkeypatch.setattr(studies, "_JOBS", {})
    monkeypatch.setattr(studies, "_THREAD", None)
    return studies


def _fake_jobs(state: str):
    """The default jobs, marked ``state`` without computing anything (the thread is never started)."""
    jobs = studies._default_jobs()
    for j in jobs:
        j.state, j.done_n, j.total_n = state, 3, 13
    studies._JOBS.update({j.name: j for j in jobs})
    studies._THREAD = object()  # start_warmup() sees a thread and starts none


def test_default_args_match_the_pages_defaults(fresh_warmup):
    d = default_values()
    jobs = {j.name: j for j in studies._default_jobs()}
    assert jobs["spectra"].args == studies.spectra_args(d["task"], d["r"], d["steps"], d["seed"], "cpu")
    lam = studies.lambda_args(d["task"], d["r"], d["lam"], d["lr"], d["steps"], d["seed"], "cpu")
    assert jobs["lambda"].args == lam
    assert jobs["chain"].args[:2] == (d["task"], int(d["rmax"]))
    assert studies.warm_state("spectra", jobs["spectra"].args) is None  # not registered: not started


@pytest.mark.parametrize("page", ["pages/spectra_geometry.py", "pages/regulariser.py"])
def test_running_warmup_shows_progress_not_a_blank_page(fresh_warmup, page):
    _fake_jobs("running")
    at = open_page(page)
    assert not at.exception
    assert not figs(at)  # nothing computed in the visitor's session
    bars = at.get("progress")
    assert bars and "3/13" in bars[0].proto.text
    # other settings: no progress bar, the button and its hint as before
    at2 = open_page(page, steps="20")
    assert not at2.get("progress") and at2.info


def test_finished_warmup_is_shown_without_a_button_press(fresh_warmup):
    d = default_values()
    args = studies.spectra_args(d["task"], d["r"], 20, d["seed"], "cpu")  # 20 steps keeps the test short
    job = studies._Job("spectra", args, lambda progress: studies.spectra_report(*args))
    studies._JOBS["spectra"] = job
    studies._THREAD = object()
    studies._work([job])
    assert studies.warm_state("spectra", args)["state"] == "done"
    at = open_page("pages/spectra_geometry.py", steps="20")
    assert not at.exception
    assert len(figs(at)) == 1  # the page drew its study with no click (its first section; issue 13)
    warm_figs = figs(open_sections(at))
    assert len(warm_figs) == 4
    assert any("server started" in c.value for c in at.caption)
    # pressing the button gives the very same figures (one cache, one computation)
    at.button(key="spec_run").click().run()
    assert figs(at) == warm_figs


def test_real_warmup_thread_runs_every_default_study(fresh_warmup, monkeypatch):
    """The thread itself, on a small grid: every job ends 'done' and the page finds the result."""
    d = default_values()
    small = {
        "spectra": studies.spectra_args(d["task"], 4, 10, 0, "cpu"),
        "lambda": studies.lambda_args(d["task"], 4, d["lam"], d["lr"], 10, 0, "cpu"),
    }
    monkeypatch.setattr(
        studies,
        "_default_jobs",
        lambda: [
            studies._Job("spectra", small["spectra"], lambda p: studies.spectra_report(*small["spectra"])),
            studies._Job("lambda", small["lambda"], lambda p: studies.lambda_study(*small["lambda"])),
        ],
    )
    assert studies.start_warmup()
    assert studies.wait_for_warmup(timeout_s=300)
    states = {n: studies.warm_state(n, a)["state"] for n, a in small.items()}
    assert states == {"spectra": "done", "lambda": "done"}
    at = open_page("pages/regulariser.py", r="4", steps="10")
    assert not at.exception and len(figs(at)) == 1


def test_warmup_off_switch(monkeypatch):
    monkeypatch.setenv("HRA_VIZ_WARM", "0")
    monkeypatch.setattr(studies, "_THREAD", None)
    assert studies.start_warmup() is False and studies._THREAD is None
