"""A/B pilot: every chosen method × several seeds on one task, 95 % CIs, a verdict, a meeting report."""

import functools

import streamlit as st

import ui
from hra_viz.text import t
from hra_viz.training.pilot import run_pilot, to_json
from hra_viz.views import figures, live
from hra_viz.views import pilot as pilot_views
from hra_viz.views.report import build_report, report_filename

lang = ui.lang()

with ui.settings_panel():
    st.markdown(f"**{t('page.pilot', lang)}**")
    task = ui.control("task")
    methods = list(ui.control("pilot_methods"))
    r_raw = int(ui.control("r"))
    steps = int(ui.control("steps"))
    n_seeds = int(ui.control("pilot_seeds"))

seed = int(st.session_state.get("seed", 0))
seeds = [(seed + i) % 2**31 for i in range(n_seeds)]  # the global seed, then the next ones
device = st.session_state.get("device_resolved", "cpu")
r_cap = live.max_rank(task)
r = min(r_raw, r_cap)
n_runs = len(methods) * n_seeds

st.title(t("pilot.title", lang))
ui.intro(t("pilot.intro", lang))
st.caption(t("verdict.rule", lang, k=n_seeds))
if r < r_raw:
    st.info(t("train.r_capped", lang, r=r_raw, cap=r_cap, task=task))
if len(methods) < 2:
    st.warning(t("pilot.need_two", lang))
    ui.stop("pilot")

key = (task, tuple(methods), r, steps, tuple(seeds), device)
S = st.session_state  # per user: one visitor's pilot is not another's
if st.button(t("pilot.run", lang, n=n_runs, steps=steps), key="pilot_run", type="primary"):
    bar = st.progress(0.0, text=t("pilot.progress", lang, i=0, n=n_runs, label=""))

    def _progress(i, n, label):
        bar.progress(i / n, text=t("pilot.progress", lang, i=i, n=n, label=label))

    try:
        res = run_pilot(task, methods, r, seeds, steps, device=device, progress=_progress)
        S["pilot_result"] = (key, res)
    except ValueError as e:
        st.error(t("pilot.error", lang, detail=str(e)))
    bar.empty()

result = S.get("pilot_result")
if not result or result[0] != key:
    st.info(t("pilot.press", lang), icon="▶️")
    ui.stop("pilot")
pilot = result[1]
fig_results = figures.pilot_results(pilot, lang)
fig_diffs = figures.pilot_diffs(pilot, lang)
fig_costs = figures.pilot_costs(pilot, lang)


def sec_verdict():
    lines = pilot_views.verdict_lines(pilot, lang)
    show = {"better": st.success, "worse": st.warning, "no_difference": st.info, "negligible": st.info,
            "undetermined": st.info}
    for _, metric, code, text in lines:
        if metric in ("target_acc", "retention"):
            show[code](text)
    with st.expander(t("pilot.more_metrics", lang)):
        for _, metric, _, text in lines:
            if metric not in ("target_acc", "retention"):
                st.markdown(f"- {text}")
    ui.chart(fig_diffs, key="fig_pilot_diffs")


def sec_results():
    st.markdown(t("report.results.text", lang, k=len(seeds)))
    ui.chart(fig_results, key="fig_pilot_results")
    ui.chart(fig_costs, key="fig_pilot_costs")
    st.dataframe(pilot_views.results_table(pilot, lang), hide_index=True, width="stretch")
    if "drift" in pilot["metrics"]:
        st.caption(pilot_views.drift_note(pilot, lang))


def sec_report():
    st.markdown(t("pilot.report.text", lang))
    c = st.container(horizontal=True, wrap=True)  # each button as wide as its label (cut in columns)
    c.download_button(
        t("pilot.download", lang, lang_name=ui.LANG_NAMES[lang]),
        data=functools.partial(build_report, pilot, lang),  # built on click: it inlines plotly.js (~4.7 MB)
        file_name=report_filename(pilot, lang),
        mime="text/html",
        key="pilot_report",
        on_click="ignore",
        type="primary",
    )
    c.download_button(
        t("pilot.download_json", lang),
        data=functools.partial(to_json, pilot),
        file_name=report_filename(pilot, lang).replace(f"-{lang}.html", ".json"),
        mime="application/json",
        key="pilot_json",
        on_click="ignore",
    )


ui.slides(
    [
        (t("pilot.sec.verdict", lang), sec_verdict),
        (t("pilot.sec.results", lang), sec_results),
        (t("pilot.sec.report", lang), sec_report),
    ],
    page="pilot",
)
