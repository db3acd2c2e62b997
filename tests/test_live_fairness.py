"""Sharing one server among a class (issue 13): the playing-session count, the tick budget, and the
in-place figure refreshes the live page uses instead of rebuilding its figures on every tick."""

import threading

import numpy as np
import pandas as pd
import pytest

from hra_viz.training import metrics as M
from hra_viz.training.train import Run, RunConfig
from hra_viz.views import figures as F
from hra_viz.views import live


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------------------------
# who is playing, and each one's share


def test_playing_sessions_count_leave_and_stale():
    clock = FakeClock()
    p = live.PlayingSessions(stale_s=5.0, clock=clock)
    assert p.count() == 0
    assert p.tick("a") == 1
    assert p.tick("b") == 2
    assert p.tick("a") == 2  # a session counts once, however often it ticks
    p.leave("b")
    assert p.count() == 1
    p.leave("never-seen")  # harmless
    clock.now += 4.0
    assert p.tick("c") == 2  # a ticked 4 s ago: still playing
    clock.now += 1.5
    assert p.count() == 1  # a's last tick is 5.5 s old: a closed tab stops counting
    assert p.tick("a") == 2  # and counts again once it ticks


def test_playing_sessions_threads():
    p = live.PlayingSessions(stale_s=60.0)
    barrier = threading.Barrier(16)

    def student(i: int) -> None:
        barrier.wait()
        for _ in range(200):
            p.tick(f"s{i}")

    threads = [threading.Thread(target=student, args=(i,)) for i in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert p.count() == 16


def _wait_until(cond, limit: int = 10_000) -> None:
    for _ in range(limit):  # bounded: 10 s at most
        if cond():
            return
        threading.Event().wait(0.001)
    raise AssertionError("condition not reached")


def test_fair_turns_first_come_first_served():
    turns = live.FairTurns(slots=1)
    release = threading.Event()
    order, inside, most = [], [0], [0]
    lock = threading.Lock()

    def tick(name: str, hold: threading.Event | None = None) -> None:
        with turns.turn():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                order.append(name)
            if hold is not None:
                hold.wait(10)
            with lock:
                inside[0] -= 1

    first = threading.Thread(target=tick, args=("a", release))
    first.start()
    _wait_until(lambda: order == ["a"])
    threads = []
    for i, name in enumerate("bcdefg", start=2):  # they queue in this order while "a" holds its turn
        th = threading.Thread(target=tick, args=(name,))
        th.start()
        threads.append(th)
        _wait_until(lambda i=i: turns._issued == i)
    assert order == ["a"]  # nobody overtook the running tick
    release.set()
    for th in [first, *threads]:
        th.join(10)
    assert order == list("abcdefg") and most[0] == 1


def test_fair_turns_slots_and_bounded_wait():
    two = live.FairTurns(slots=2)
    hold = threading.Event()
    entered = []

    def tick(name: str) -> None:
        with two.turn():
            entered.append(name)
            hold.wait(10)

    ths = [threading.Thread(target=tick, args=(n,)) for n in "ab"]
    for th in ths:
        th.start()
    _wait_until(lambda: len(entered) == 2)  # two slots: both run at once
    hold.set()
    for th in ths:
        th.join(10)

    stuck = live.FairTurns(slots=1, max_wait_s=0.05)
    never = threading.Event()
    holder = threading.Thread(target=lambda: stuck.turn().__enter__() or never.wait(10))
    holder.start()
    _wait_until(lambda: stuck._issued == 1)
    with stuck.turn():  # the holder never gives its turn back: this one runs anyway after max_wait_s
        assert not never.is_set()
    never.set()
    holder.join(10)


def test_tick_budget_shares_the_process():
    b = live.TICK_BUDGET_S
    assert live.tick_budget(1) == b and live.tick_budget(0) == b  # alone (or not counted yet)
    for n in (2, 4, 8, 16):
        assert live.tick_budget(n) == pytest.approx(b / n)
        assert n * live.tick_budget(n) == pytest.approx(b)  # a round of ticks trains for b in all
    # fewer steps per tick under load, never fewer than one
    step = 1e-3
    ks = [live.steps_for_tick(step, 2, budget_s=live.tick_budget(n)) for n in (1, 2, 4, 8, 16, 64)]
    assert ks == sorted(ks, reverse=True) and ks[0] > ks[-1] == 1
    assert ks[3] == int(b / 8 / (2 * step))


def test_slow_every():
    assert [live.slow_every(n) for n in (0, 1, 4, 5, 8, 9, 16, 17)] == [1, 1, 1, 2, 2, 3, 4, 5]


# --------------------------------------------------------------------------------------------
# the history frame, built column by column


def _history_frame_rows(runs):
    """The previous implementation (one dict per row), kept as the reference."""
    rows = []
    for method, run in runs.items():
        base_src = run.task.base_acc["source"]
        for h in run.history:
            rows.append({"method": method, **h, "retention": M.retention(h["source_acc"], base_src)})
    cols = ["method", "step", "loss", "target_acc", "source_acc", "retention", "evaluated", "orth_penalty",
            "step_time_s", "elapsed_s"]  # fmt: skip
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=cols)
    return df[[c for c in cols if c in df.columns]]


@pytest.fixture(scope="module")
def digit_runs():
    return {m: Run(RunConfig(method=m, steps=40, r=4, eval_every=5)) for m in ("lora", "hra", "oft")}


def test_history_frame_same_as_row_by_row(digit_runs):
    pd.testing.assert_frame_equal(live.history_frame(digit_runs), _history_frame_rows(digit_runs))
    for run in digit_runs.values():
        run.step(7)
    got = live.history_frame(digit_runs)
    pd.testing.assert_frame_equal(got, _history_frame_rows(digit_runs))
    assert len(got) == 21 and got["orth_penalty"].notna().any()  # HRA's penalty, NaN for the others
    lora_only = {"lora": digit_runs["lora"]}  # no HRA: no penalty column at all
    pd.testing.assert_frame_equal(live.history_frame(lora_only), _history_frame_rows(lora_only))
    assert "orth_penalty" not in live.history_frame(lora_only)


# --------------------------------------------------------------------------------------------
# figures refreshed in place == figures built afresh


def _two_states(runs, snapshot, steps=(1, 6)):
    """snapshot() after steps[0] and after steps[1] more steps of every run."""
    out = []
    for k in steps:
        for run in runs.values():
            run.step(k)
        out.append(snapshot())
    return out


def test_refresh_live_curves_equals_a_fresh_figure():
    runs = {m: Run(RunConfig(method=m, steps=40, r=4, eval_every=2)) for m in ("hra", "lora")}
    h1, h2 = _two_states(runs, lambda: live.history_frame(runs))
    fig = F.live_curves(h1, "en", steps=40)
    assert fig.data[0].mode == "lines+markers"  # one point so far
    assert F.refresh_live_curves(fig, h2)
    assert fig.to_json() == F.live_curves(h2, "en", steps=40).to_json()
    assert fig.data[0].mode == "lines" and len(fig.data[0].x) == 7
    # other methods: not this figure's structure, nothing changed
    before = fig.to_json()
    assert not F.refresh_live_curves(fig, h2[h2.method == "hra"])
    assert not F.refresh_live_curves(fig, h2.assign(method=h2.method.replace({"lora": "oft"})))
    assert fig.to_json() == before


def test_refresh_gram_heatmaps_equals_a_fresh_figure():
    runs = {"hra": Run(RunConfig(method="hra", steps=40, r=4, lr=0.05))}
    g1, g2 = _two_states(runs, lambda: live.hra_grams(runs["hra"].model))
    assert not np.allclose(g1["net.0"], g2["net.0"])  # training moved the vectors
    fig = F.gram_heatmaps(g1, "en")
    assert F.refresh_gram_heatmaps(fig, g2)
    assert fig.to_json() == F.gram_heatmaps(g2, "en").to_json()
    assert not F.refresh_gram_heatmaps(fig, {k: v for k, v in list(g2.items())[:2]})
    assert not F.refresh_gram_heatmaps(fig, {f"other.{i}": v for i, v in enumerate(g2.values())})


def test_refresh_decision_boundaries_equals_a_fresh_figure():
    runs = {m: Run(RunConfig(task="moons-rotate", method=m, steps=40, r=2)) for m in ("hra", "lora")}
    v1, v2 = _two_states(runs, lambda: {m: live.moons_view(r, n=21) for m, r in runs.items()})
    fig = F.decision_boundaries(v1, "en")
    assert F.refresh_decision_boundaries(fig, v2)
    assert fig.to_json() == F.decision_boundaries(v2, "en").to_json()
    assert not F.refresh_decision_boundaries(fig, {"hra": v2["hra"]})


def test_refresh_digit_grid_equals_a_fresh_figure(digit_runs):
    def samples():
        return {m: live.digit_samples(r) for m, r in digit_runs.items()}

    s1 = samples()
    for run in digit_runs.values():
        run.step(15)
    s2 = samples()
    s2["hra"]["pred"] = (s2["hra"]["pred"] + 1) % 10  # make sure predictions (and colours) change
    fig = F.digit_grid(s1, "ja")
    assert F.refresh_digit_grid(fig, s2, "ja")
    assert fig.to_json() == F.digit_grid(s2, "ja").to_json()
    assert not F.refresh_digit_grid(fig, {m: s2[m] for m in ("hra", "lora")}, "ja")
