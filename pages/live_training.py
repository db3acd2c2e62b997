"""Page 3: Live training. Up to 4 methods on the same task and seed, with play / pause / step / reset."""

import contextlib
import threading
import time
import uuid

import streamlit as st

import ui
from hra_viz.core import peft_io
from hra_viz.text import run_note, run_status, t
from hra_viz.training.tasks import TASKS
from hra_viz.training.train import Run, RunConfig
from hra_viz.views import figures, live

lang = ui.lang()
TICK_S = 0.4  # the fragment's timer; each tick trains for at most live.TICK_BUDGET_S
STEP_BUTTON = 10  # optimiser steps per press of Step

with ui.settings_panel():
    st.markdown(f"**{t('page.training', lang)}**")
    task = ui.control("task")
    method = ui.control("method")
    compare = ui.control("compare")
    r_raw = ui.control("r")
    lam = ui.control("lam")
    variant = ui.control("variant")
    lr = ui.control("lr")
    steps = ui.control("steps")
    ui.preset_buttons("training")

seed = int(st.session_state.get("seed", 0))
device = st.session_state.get("device_resolved", "cpu")
methods = list(dict.fromkeys([method, *compare]))[:4]
r_cap = live.max_rank(task)
r = min(r_raw, r_cap)
settings = (task, tuple(methods), r, lam, variant, lr, steps, seed, device)

st.title(t("train.title", lang))
with ui.intro(t("train.intro", lang)):
    st.caption(t("pilot.live.one_seed", lang, seed=seed))  # a comparison over seeds: the A/B pilot page
if r < r_raw:
    st.info(t("train.r_capped", lang, r=r_raw, cap=r_cap, task=task))

# Per-user runs: st.session_state, never st.cache_resource (every browser would share one model).
S = st.session_state
if S.get("train_settings") != settings or "train_runs" not in S:
    S["train_runs"] = {
        m: Run(
            RunConfig(
                task=task,
                method=m,
                r=r,
                lam=lam,
                variant=variant,
                lr=lr,
                steps=steps,
                seed=seed,
                device=device,
            )
        )
        for m in methods
    }
    S["train_settings"] = settings
    S["train_playing"] = False
runs: dict[str, Run] = S["train_runs"]
all_done = all(run.done for run in runs.values())
SID = S.setdefault("_train_sid", uuid.uuid4().hex)  # this session in live.PLAYING (the fair share)
# Whoever steps this session's runs holds this lock: a script run that Streamlit abandons for a newer
# one (a click during a tick) may still be training, and Pause, Step and the redraw must wait for it.
RUNS_LOCK = S.setdefault("_train_runs_lock", threading.RLock())


playing = ui.transport(
    "train",
    runs,
    RUNS_LOCK,
    STEP_BUTTON,
    all_done,
    t(
        "train.device",
        lang,
        device=device,
        methods=", ".join(t(f"method.{m}", lang) for m in methods),
        seed=seed,
        task=TASKS[task].description_ja if lang == "ja" else TASKS[task].description_en,
    ),
)


def _tick() -> None:
    """k optimiser steps per run, k chosen from the measured step time so the tick stays short.

    The tick's budget is this session's share of the process (``live.tick_budget``): with n
    sessions playing on one server, each trains for 1/n of the time, so every one ticks often.
    """
    first = all(run.step_count == 0 for run in runs.values())
    times = [h["step_time_s"] for run in runs.values() for h in run.history[-20:]]
    S["_train_playing_n"] = n = live.PLAYING.tick(SID)
    S["_train_tick_no"] = S.get("_train_tick_no", 0) + 1
    # The budget is CPU time: a step's wall time also counts the waits for other sessions' ticks.
    mean = S.get("_train_step_cpu_s") or (sum(times) / len(times) if times else None)
    k = live.steps_for_tick(mean, len(runs), budget_s=live.tick_budget(n), first=first)
    c0 = time.thread_time()
    with RUNS_LOCK:
        done = sum(len(run.step(k)) for run in runs.values())
    if done:
        S["_train_step_cpu_s"] = (time.thread_time() - c0) / done


def _figure(name: str, build, refresh=None):
    """The section's figure: the one of the previous tick with new data put in (``refresh``, a few ms)
    when it has the same settings and language, else built afresh (tens of ms of plotly)."""
    key = (settings, lang)
    memo = S.get(f"_train_fig_{name}")
    if memo is not None and memo[0] == key and refresh is not None and refresh(memo[1]):
        return memo[1]
    fig = build()
    S[f"_train_fig_{name}"] = (key, fig)
    return fig


def _metrics_row() -> None:
    # Each column opens with the method's name alone (the parameter count follows its metrics): a
    # longer header ("LoRA · 学習パラメータ 2,640 個") wrapped in some columns only
    cols = ui.method_stacks([t(f"method.{m}", lang) for m in runs])
    for col, run in zip(cols, runs.values(), strict=True):
        n = live.run_numbers(run)
        with col:
            st.metric(t("train.m.target", lang), f"{n['target_acc']:.1%}", f"{n['target_pt']:+.1f} pt")
            st.metric(t("train.m.retention", lang), f"{n['retention']:.1%}", f"{n['source_pt']:+.1f} pt")
            st.caption(t("train.params", lang, n=f"{n['params']:,}"))
            code = run.status_code
            if code == "running" and not S.get("train_playing"):
                code = "paused"  # between Step presses, or after Pause
            status = run_status(code, run.status_args, lang, fallback=run.status)
            if run.diverged:
                st.error(t("train.diverged", lang, status=status), icon="💥")
            else:
                st.caption(t("train.status", lang, step=run.step_count, steps=run.cfg.steps, status=status))
            for code, args in run.note_codes:
                st.warning(run_note(code, args, lang), icon="⚠️")


def _sec_curves(figs: dict, hist) -> None:
    st.markdown(t("train.curves.text", lang))
    ui.formula(
        ui.word("fml.retention") + " = " + ui.RETENTION + ",",
        r"L = \mathrm{CE} + \lambda \sum_{" + ui.word("fml.layers") + r"}"
        r" \lVert I - \hat U^\top \hat U\rVert_F^2",
    )
    fig_c = _figure(
        "curves",
        lambda: figures.live_curves(hist, lang, steps=steps),
        lambda f: figures.refresh_live_curves(f, hist),
    )
    ui.chart(fig_c, key="fig_live_curves")
    figs["curves"] = fig_c


def _sec_gram(figs: dict, hist) -> None:
    grams = live.hra_grams(runs["hra"].model)
    off = live.max_offdiag(grams)
    st.markdown(t("train.gram.text", lang, r=r, off=off))
    ui.formula(
        r"(\hat U^\top \hat U)_{ij} = \cos\angle(u_i, u_j),",
        ui.word("fml.penalty") + r" = \lVert I - \hat U^\top\hat U\rVert_F^2",
    )
    pen = runs["hra"].history[-1].get("orth_penalty") if runs["hra"].history else None
    if pen is not None:
        st.caption(t("train.gram.penalty", lang, pen=pen))
    fig_g = _figure(
        "gram", lambda: figures.gram_heatmaps(grams, lang), lambda f: figures.refresh_gram_heatmaps(f, grams)
    )
    ui.chart(fig_g, key="fig_live_gram")
    figs["gram"] = fig_g


def _sec_samples(figs: dict, hist) -> None:
    if TASKS[task].kind == "moons":
        st.markdown(t("train.boundary.text", lang))
        views = {m: live.moons_view(run) for m, run in runs.items()}
        fig_b = _figure(
            "boundary",
            lambda: figures.decision_boundaries(views, lang),
            lambda f: figures.refresh_decision_boundaries(f, views),
        )
        ui.chart(fig_b, key="fig_live_boundary")
        figs["boundary"] = fig_b
        return
    # Under load (more sessions playing than live.SLOW_FIGURES_SHARE), the predictions and their
    # figure are renewed only every live.slow_every(n) ticks; text and figure always show the same.
    old = S.get("_train_digits")
    n_playing = S.get("_train_playing_n", 1) if S.get("train_playing") else 1
    if old is not None and old[0] == settings and S.get("_train_tick_no", 0) % live.slow_every(n_playing):
        samples = old[1]
    else:
        samples = {m: live.digit_samples(run) for m, run in runs.items()}
        S["_train_digits"] = (settings, samples)
    right = {m: int((s["pred"] == s["true"]).sum()) for m, s in samples.items()}
    st.markdown(
        t(
            "train.digits.text",
            lang,
            n=len(next(iter(samples.values()))["true"]),
            right=", ".join(f"{t(f'method.{m}', lang)} {v}" for m, v in right.items()),
        )
    )
    # The predictions change far less often than the ticks come: renew the figure only when they do
    # (an unchanged figure also costs the browser no redraw).
    preds = tuple((m, tuple(s["pred"].tolist())) for m, s in samples.items())
    memo = S.get("_train_fig_digits")
    if memo is not None and memo[0] == (settings, lang) and S.get("_train_digits_preds") == preds:
        fig_d = memo[1]
    else:
        fig_d = _figure(
            "digits",
            lambda: figures.digit_grid(samples, lang),
            lambda f: figures.refresh_digit_grid(f, samples, lang),
        )
        S["_train_digits_preds"] = preds
    ui.chart(fig_d, key="fig_live_digits")
    figs["digits"] = fig_d


# (title, renderer): one idea per slide in presentation mode, all of them in order otherwise, the
# first EAGER drawn on arrival and the others folded until opened.
EAGER = 2
SECTIONS = {"curves": (t("train.curves.title", lang), _sec_curves)}
if "hra" in runs:
    SECTIONS["gram"] = (t("train.gram.title", lang), _sec_gram)
SECTIONS["samples"] = (
    t("train.boundary.title" if TASKS[task].kind == "moons" else "train.digits.title", lang),
    _sec_samples,
)


@st.fragment(run_every=TICK_S if playing else None)
def live_view(only: str | None = None) -> None:
    """The live part of the page: every section, or only one (a slide in presentation mode).

    While playing, the ticks of all sessions on this server take turns (``live.TURNS``, first come
    first served), so that a class shares the server fairly.
    """
    with live.TURNS.turn() if S.get("train_playing") else contextlib.nullcontext():
        _live_view(only)


def _live_view(only: str | None) -> None:
    with RUNS_LOCK:  # an abandoned run's tick finishes before this run reads or steps the runs
        pass
    if S.get("train_playing") and S.get("train_settings") == settings:
        _tick()
        if all(run.done for run in runs.values()):
            S["train_playing"] = False
            live.PLAYING.leave(SID)
            st.rerun(scope="app")  # stop the timer and enable the downloads
    else:
        live.PLAYING.leave(SID)  # paused, stepped, reset or done: no longer takes a share
    hist = live.history_frame(runs)
    done_steps = max((run.step_count for run in runs.values()), default=0)
    _metrics_row()
    figs: dict = {}
    if only is None:
        # The first sections are drawn on arrival; the others open on a click, and are only then
        # computed and drawn (issue 13: a new visitor's browser draws fewer charts).
        ui.show_sections([(title, lambda render=render: render(figs, hist), name)
                          for name, (title, render) in SECTIONS.items()], page="training", eager=EAGER)
    else:
        SECTIONS[only][1](figs, hist)

    # Downloads only when the timer is off (HTML with plotly.js inlined is 4 MB), and not on slides.
    if not S.get("train_playing") and only is None:
        st.divider()
        ui.downloads(figs, {"metrics": hist}, key=f"training-{done_steps}")
        if "hra" in runs and runs["hra"].step_count:  # the trained HRA run as a PEFT adapter (issue 6)
            st.download_button(
                t("export.label", lang),
                data=peft_io.export_run_zip(runs["hra"]),
                file_name=f"hra-adapter-{runs['hra'].cfg.task}-r{runs['hra'].cfg.r}-step{done_steps}.zip",
                mime="application/zip",
                help=t("export.help", lang),
                key=f"dl_peft_{done_steps}",
                on_click="ignore",
            )


if ui.presenting():
    # The slide picker lives outside the fragment: leaving presentation or a preset reruns the whole app.
    ui.slides(
        [(title, lambda name=name: live_view(name)) for name, (title, _) in SECTIONS.items()], page="training"
    )
else:
    live_view()
