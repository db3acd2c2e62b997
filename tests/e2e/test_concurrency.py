"""8 browser sessions train at once, each with its own seed: each result equals a solo engine run with
the same config; no session sees another's; closing one mid-run leaves the others alone; the server's
RSS stays bounded."""

import threading

import pytest
from e2e_util import exceptions, trace_xy, wait_idle

from hra_viz.training.train import Run, RunConfig

N_SESSIONS = 8
STEPS = 20
TASK = "moons-rotate"
RSS_LIMIT_MB = 3000


def _target_curve(page) -> tuple[list, list]:
    return trace_xy(page, "fig_live_curves", "HRA", "x2")


def _solo(seed: int) -> list[float]:
    cfg = RunConfig(task=TASK, method="hra", r=8, lam=1e-4, variant="chain", lr=1e-2, steps=STEPS, seed=seed,
                    device="cpu")  # fmt: skip
    run = Run(cfg).run_to_end()
    return [h["target_acc"] for h in run.history if h.get("evaluated", True)]


def test_eight_sessions_at_once(browser, server):
    samples, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(server.rss_mb())
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    contexts, pages = [], []
    try:
        for _ in range(N_SESSIONS):
            ctx = browser.new_context(viewport={"width": 1200, "height": 900})
            ctx.set_default_timeout(90_000)
            contexts.append(ctx)
            pages.append(ctx.new_page())
        seeds = [100 + i for i in range(N_SESSIONS)]
        for p, seed in zip(pages, seeds, strict=True):
            p.goto(f"{server.url}/training?task={TASK}&compare=&steps={STEPS}&seed={seed}",
                   wait_until="domcontentloaded")  # fmt: skip
        for p in pages:
            wait_idle(p)
            assert exceptions(p) == []
        for p in pages:  # all press Play: the runs overlap on the server
            p.locator(".st-key-train_play button").click()
        contexts[0].close()  # one student leaves in the middle of the run
        for p in pages[1:]:
            p.wait_for_function(
                f"() => {{ const el = document.querySelector('.st-key-fig_live_curves .js-plotly-plot');"
                f" const tr = el && el._fullData &&"
                f" el._fullData.find(t => t.name === 'HRA' && t.xaxis === 'x2');"
                f" return !!tr && tr.x.length > 0 && Math.max(...tr.x) === {STEPS}; }}",
                polling=200,
                timeout=90_000,
            )
            wait_idle(p)
        results = {}
        for p, seed in zip(pages[1:], seeds[1:], strict=True):
            assert exceptions(p) == []
            x, y = _target_curve(p)
            assert x[-1] == STEPS
            results[seed] = y
    finally:
        stop.set()
        sampler.join(timeout=5)
        for ctx in contexts[1:]:
            ctx.close()
    peak = max(samples)
    print(f"\nserver RSS over {len(samples)} samples: peak {peak:.0f} MB, last {samples[-1]:.0f} MB")
    assert peak < RSS_LIMIT_MB
    # each session's curve is its own seed's solo run, and the sessions differ from each other
    for seed, y in results.items():
        assert y == pytest.approx(_solo(seed), abs=1e-9), seed
    assert len({tuple(y) for y in results.values()}) > 1
