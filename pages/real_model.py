"""Page: A real model. all-MiniLM-L6-v2 adapted live (HRA, LoRA, OFT, full, head), play/pause/step/reset."""

import threading
import time

import streamlit as st

import ui
from hra_viz.text import run_note, run_status, t
from hra_viz.training.real import ModelNotInstalled, RealConfig, RealRun, export_zip, get_real_model
from hra_viz.views import real_model as V
from hra_viz.views.figures import gram_heatmaps
from ui import studies

lang = ui.lang()
TICK_S = 0.5  # the fragment's timer
TICK_BUDGET_S = 0.35  # training time per tick, shared by the methods (a tick never holds the server long)
STEP_BUTTON = 10  # optimiser steps per press of Step

with ui.settings_panel():
    st.markdown(f"**{t('page.real_model', lang)}**")
    methods = ui.control("real_methods")
    r = ui.control("r")
    layers = ui.control("real_layers")
    top_k_raw = ui.control("real_top_k")
    steps = ui.control("real_steps")
    ui.preset_buttons("real-model")

seed = int(st.session_state.get("seed", 0))
device = st.session_state.get("device_resolved", "cpu")
settings = studies.real_model_settings(methods, r, layers, top_k_raw, steps, seed, device)
methods, top_k = list(settings[0]), settings[3]

st.title(t("real.title", lang))
about = ui.intro(t("real.intro", lang))  # the paragraph on cached layers and the baseline join it below


@st.cache_resource(show_spinner=False)
def _shared(dev: str):
    """The frozen model, the data and the cached features: read-only, shared by every session."""
    return get_real_model(dev)


try:
    with st.spinner("all-MiniLM-L6-v2 …"):
        real = _shared(device)
except ModelNotInstalled as e:
    st.error(t("real.missing", lang, detail=str(e)), icon="📦")
    ui.stop("real-model")

# Per-user runs: st.session_state, never st.cache_resource (every browser would share one model).
S = st.session_state
# Whoever steps this session's runs holds this lock (see pages/live_training.py: a click during a tick).
RUNS_LOCK = S.setdefault("_real_runs_lock", threading.RLock())
with RUNS_LOCK:  # an abandoned script run's tick finishes before this run reads or steps the runs
    pass
if S.get("real_settings") != settings or "real_runs" not in S:
    with st.spinner("all-MiniLM-L6-v2 …"):
        S["real_runs"] = {
            m: RealRun(RealConfig(method=m, r=r, layers=layers, top_k=top_k, steps=steps, seed=seed,
                                  device=device), real=real)
            for m in methods
        }
    S["real_settings"] = settings
    S["real_playing"] = False
    S.pop("_real_slow", None)
runs: dict[str, RealRun] = S["real_runs"]
first_run = next(iter(runs.values()))
all_done = all(run.done for run in runs.values())

what = t(f"real.what.{layers}", lang)
k_used = first_run.top_k
with about:
    if k_used == 6:
        st.markdown(t("real.cached_all", lang, device=device, what=what))
    else:
        first = 6 - k_used  # 0-based index of the first adapted layer; people count layers from 1
        shown = f"{first + 1}–6" if first + 1 < 6 else "6"
        st.markdown(t("real.cached", lang, device=device, what=what, first=first, k=k_used, layers=shown))
    st.info(t("real.baseline", lang, acc=first_run.baseline["acc"], seed=seed), icon="📏")


playing = ui.transport(
    "real",
    runs,
    RUNS_LOCK,
    STEP_BUTTON,
    all_done,
    t("real.device", lang, device=device, methods=", ".join(t(f"method.{m}", lang) for m in methods),
      seed=seed, folder=real.model_dir),
)


def _tick() -> None:
    """k optimiser steps per run, k from the measured step time so that a tick stays short."""
    times = [h["step_time_s"] for run in runs.values() for h in run.history[-20:]]
    if not times:
        k = 1  # the first tick: one step and the first evaluation, so the first numbers come fast
    else:
        k = max(1, min(20, int(TICK_BUDGET_S / (sum(times) / len(times) * len(runs)))))
    with RUNS_LOCK:
        for run in runs.values():
            run.step(k)


def _compute_slow(runs: dict) -> dict:
    return {
        "spectra": {m: V.qv_spectra(run) for m, run in runs.items() if run.targets},
        "pca": V.pca_maps(runs),
        "pred": V.predictions(runs),
    }


@st.cache_resource(show_spinner=False, max_entries=16)
def _untrained_slow(settings: tuple, _runs: dict) -> dict:
    """Before the first step every session with these settings has the same runs (same seed), so their
    spectra, PCA maps and predictions are computed once per server (read-only, never mutated)."""
    return _compute_slow(_runs)


def _slow_parts() -> dict:
    """Spectra (SVDs), PCA maps and predictions: computed when the runs stand still, then kept."""
    key = (settings, tuple(run.step_count for run in runs.values()))
    memo = S.get("_real_slow")
    if memo is not None and (memo[0] == key or S.get("real_playing")):
        return memo[1]
    untrained = all(run.step_count == 0 for run in runs.values())
    out = _untrained_slow(settings, runs) if untrained else _compute_slow(runs)
    S["_real_slow"] = (key, out)
    return out


def _metrics_row() -> None:
    # the method's name alone on top (as on the live page); the parameter count follows the metrics
    cols = ui.method_stacks([t(f"method.{m}", lang) for m in runs])
    for col, run in zip(cols, runs.values(), strict=True):
        n = V.run_numbers(run)
        with col:
            fresh = n["acc"] == n["acc"]  # NaN before the first evaluation
            st.metric(t("real.m.acc", lang), f"{n['acc']:.1%}" if fresh else "–",
                      f"{n['acc_pt']:+.1f} pt" if fresh else None)
            st.metric(t("real.m.cos", lang), f"{n['cos']:.4f}" if fresh else "–")
            st.caption(t("real.params", lang, n=f"{n['params']:,}"))
            if fresh:
                st.caption(f"{t('real.m.spearman', lang)} {n['spearman']:.4f} · "
                           f"{t('real.m.knn', lang)} {n['knn']:.3f}")
            if n["step_ms"] == n["step_ms"]:
                st.caption(t("real.m.step", lang, ms=n["step_ms"], mb=n["peak_mb"]))
            code = run.status_code
            if code == "running" and not S.get("real_playing"):
                code = "paused"
            status = run_status(code, run.status_args, lang, fallback=run.status)
            if run.diverged:
                st.error(t("train.diverged", lang, status=status), icon="💥")
            else:
                st.caption(t("train.status", lang, step=run.step_count, steps=run.cfg.steps, status=status))
            for code, args in run.note_codes:
                st.warning(run_note(code, args, lang), icon="⚠️")


def _sec_curves(figs: dict) -> None:
    st.markdown(t("real.curves.text", lang, every=first_run.cfg.eval_every))
    ui.formula(r"\mathrm{retention}_{\cos} = \tfrac1n\sum_i \cos(e_i, e_i'),",
               r"\rho = \mathrm{Spearman}\big(\{e_i\cdot e_j\}_{i<j},\ \{e_i'\cdot e_j'\}_{i<j}\big)",
               sep=r"\quad")
    fig = V.curves_figure(V.history_frame(runs), first_run.baseline["acc"], lang, steps=steps)
    ui.chart(fig, key="fig_real_curves")
    figs["curves"] = fig


def _sec_spectra(figs: dict) -> None:
    slow = _slow_parts()
    sp = slow["spectra"]
    if not sp:
        st.caption(t("real.gram.none", lang))
        return
    numbers = ", ".join(f"{t(f'method.{m}', lang)} {max(v['max_abs_dsigma'] for v in s.values()):.1e}"
                        for m, s in sp.items())
    st.markdown(t("real.spectra.text", lang, numbers=numbers))
    st.latex(r"W' = W H,\ H^\top H = I \;\Rightarrow\; \sigma_i(W') = \sigma_i(W)")
    if S.get("real_playing"):
        st.caption(t("real.spectra.wait", lang))
    fig = V.spectra_figure(sp, lang)
    ui.chart(fig, key="fig_real_spectra")
    figs["spectra"] = fig


def _sec_gram(figs: dict) -> None:
    if "hra" not in runs:
        st.caption(t("real.gram.none", lang))
        return
    gs = V.grams(runs["hra"])
    st.markdown(t("real.gram.text", lang, off=V.max_offdiag(gs)))
    fig = gram_heatmaps(gs, lang)
    ui.chart(fig, key="fig_real_gram")
    figs["gram"] = fig


def _sec_cost(figs: dict) -> None:
    mem = t("real.cost.mem_cuda" if device.startswith("cuda") else "real.cost.mem_cpu", lang)
    st.markdown(t("real.cost.text", lang, device=device, mem=mem))
    costs = {m: {"step_ms": V.run_numbers(run)["step_ms"], "peak_mb": V.run_numbers(run)["peak_mb"],
                 "params": run.params_adapter} for m, run in runs.items()}
    fig = V.cost_figure(costs, lang)
    ui.chart(fig, key="fig_real_cost")
    figs["cost"] = fig


def _sec_predictions(figs: dict) -> None:
    table, right = V.prediction_table(_slow_parts()["pred"], lang)
    st.markdown(t("real.pred.text", lang, right=", ".join(f"{k} {v}/{len(table)}" for k, v in right.items())))
    ui.table(table)


def _sec_pca(figs: dict) -> None:
    st.markdown(t("real.pca.text", lang))
    base, after = _slow_parts()["pca"]
    fig = V.pca_figure(base, after, list(real.probe), lang)
    ui.chart(fig, key="fig_real_pca")
    figs["pca"] = fig


SECTIONS = {
    "curves": (t("real.curves.title", lang), _sec_curves),
    "spectra": (t("real.spectra.title", lang), _sec_spectra),
    "gram": (t("real.gram.title", lang), _sec_gram),
    "cost": (t("real.cost.title", lang), _sec_cost),
    "pred": (t("real.pred.title", lang), _sec_predictions),
    "pca": (t("real.pca.title", lang), _sec_pca),
}


@st.fragment(run_every=TICK_S if playing else None)
def live_view(only: str | None = None) -> None:
    """The live part of the page: every section, or only one (a slide in presentation mode)."""
    if S.get("real_playing") and S.get("real_settings") == settings:
        t0 = time.perf_counter()
        _tick()
        S["_real_tick_s"] = time.perf_counter() - t0
        if all(run.done for run in runs.values()):
            S["real_playing"] = False
            st.rerun(scope="app")  # stop the timer, compute the spectra, enable the download
    _metrics_row()
    figs: dict = {}
    if only is None:
        # The curves are drawn on arrival; the other sections open on a click, and are only then
        # computed and drawn (issue 13: six charts and a grid made a new visitor wait).
        ui.show_sections([(title, lambda render=render: render(figs), name)
                          for name, (title, render) in SECTIONS.items()], page="real-model", eager=1)
    else:
        SECTIONS[only][1](figs)
    if not S.get("real_playing") and only is None:
        st.divider()
        done = max(run.step_count for run in runs.values())
        ui.downloads(figs, {"metrics": V.history_frame(runs)}, key=f"real-model-{done}")
        if "hra" in runs and runs["hra"].step_count:
            st.download_button(
                t("real.export.label", lang),
                data=export_zip(runs["hra"]),
                file_name=f"hra-adapter-all-MiniLM-L6-v2-r{r}-{layers}-step{runs['hra'].step_count}.zip",
                mime="application/zip",
                help=t("real.export.help", lang),
                key=f"dl_real_peft_{done}",
                on_click="ignore",
            )


if ui.presenting():
    ui.slides([(title, lambda name=name: live_view(name)) for name, (title, _) in SECTIONS.items()],
              page="real-model")
else:
    live_view()
