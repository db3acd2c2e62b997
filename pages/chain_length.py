"""Page 4: Chain length. Sweep r (and λ) for HRA against LoRA and OFT at matched budgets."""

import streamlit as st

import ui
from hra_viz.text import run_status, t
from hra_viz.training.recommend import recommend_chain_length
from hra_viz.views import figures, live
from hra_viz.views import pilot as pilot_views
from ui import studies

lang = ui.lang()

with ui.settings_panel():
    st.markdown(f"**{t('page.chain_length', lang)}**")
    task = ui.control("task")
    rmax = int(ui.control("rmax"))
    lam = ui.control("lam")
    lam_sweep = ui.control("lam_sweep")
    lr = ui.control("lr")
    steps = ui.control("steps")
    n_seeds = int(ui.control("chain_seeds"))
    ui.preset_buttons("chain-length")

seed = int(st.session_state.get("seed", 0))
device = st.session_state.get("device_resolved", "cpu")
key = studies.chain_args(task, rmax, lam, lam_sweep, lr, steps, seed, device, n_seeds)
seeds, lams = key[3], key[5]  # the global seed and the next ones; λ values
rs = live.sweep_grid(min(rmax, live.max_rank(task)))
n_runs = len(live.chain_cells(task, rmax, lams)) * len(seeds)


st.title(t("chain.title", lang))
with ui.intro(t("chain.intro", lang)):
    ui.formula(
        r"\text{HRA}: r\,d_{in}",
        r"\text{LoRA}(r/2): \tfrac r2(d_{in}+d_{out})",
        r"\text{OFT}(b = 2r): d_{in}\tfrac{2r-1}{2}",
    )
    st.caption(t("chain.matched", lang))
if rmax > live.max_rank(task):
    st.info(t("chain.capped", lang, rmax=rmax, cap=live.max_rank(task)))

warm = studies.warm_state("chain", key)
have = st.session_state.get("chain_result_key") == key
if st.button(
    t("chain.run", lang, n=n_runs, rs=", ".join(map(str, rs)), steps=steps), key="chain_run", type="primary"
):
    bar = st.progress(0.0, text=t("chain.progress", lang, i=0, n=n_runs, label=""))

    def _progress(i, n, label):
        bar.progress(i / n, text=t("chain.progress", lang, i=i, n=n, label=label))

    studies.chain_sweep(key, _progress)
    bar.empty()
    st.session_state["chain_result_key"] = key
    have = True
elif warm and warm["state"] == "done":  # the server computed the default study when it started
    st.session_state["chain_result_key"] = key
    st.caption(t("warm.ready", lang, s=warm["seconds"]))
    have = True
elif warm and warm["state"] in ("queued", "running"):
    studies.wait_panel("chain", key, lang)
    ui.stop("chain-length")

if not have:
    st.info(t("chain.press", lang), icon="▶️")
    ui.stop("chain-length")

runs = studies.chain_sweep(key)  # one row per run (seed), cached cell by cell
df = pilot_views.seed_bands(runs)  # one row per setting: means over seeds, 95 % CI columns
finished = (
    df.status_code.astype(str).eq("finished")
    if "status_code" in df
    else df.status.astype(str).str.startswith("finished")
)
hra = df[(df.method == "hra") & finished]
lora = df[(df.method == "lora") & finished]


@st.cache_resource(show_spinner=False, max_entries=32)
def _chain_figure(key, lang):
    """The study's figure, built once per server per settings and language (never mutated)."""
    return figures.chain_lines(pilot_views.seed_bands(studies.chain_sweep(key)), lang)


fig = _chain_figure(key, lang)
rec = recommend_chain_length(runs, lam=lam)


def _recommendation():
    rule, result = pilot_views.rec_text(rec, lang)
    (st.success if rec["r"] is not None else st.info)(result, icon="📏")
    st.caption(rule)
    bands = t("pilot.chain.bands", lang, k=len(seeds)) if len(seeds) > 1 else t("pilot.chain.one_seed", lang)
    st.caption(bands)
    if rec["evidence"]:  # built once opened (issue 13: a closed expander's table is still sent and drawn)
        ev_key = ui.section_key("chain-length", "evidence")
        box = st.expander(t("rec.title", lang), key=ev_key, on_change="rerun")
        if box.open:
            with box:
                st.table(pilot_views.rec_table(rec, lang))


def sec_numbers():
    if not len(hra):
        st.info(t("chain.no_hra", lang))
        return
    best = hra.loc[hra.target_acc.idxmax()]
    c = st.columns(4) if not ui.presenting() else [*st.columns(2), *st.columns(2)]  # big fonts: 2 × 2
    c[0].metric(t("chain.m.best", lang), f"r = {int(best.r)}", f"{best.target_acc:.1%}", delta_color="off")
    c[1].metric(t("chain.m.ret", lang, r=int(best.r)), f"{best.retention:.1%}")
    c[2].metric(
        t("chain.m.hmi", lang), f"{hra.h_minus_i_spec_max.min():.2f} … {hra.h_minus_i_spec_max.max():.2f}"
    )
    c[3].metric(
        t("chain.m.ms", lang),
        f"{hra.time_per_step_s.mean() * 1e3:.2f} ms",
        f"LoRA {lora.time_per_step_s.mean() * 1e3:.2f} ms" if len(lora) else None,
        delta_color="off",
    )
    _recommendation()


def sec_plot():
    st.markdown(t("chain.read", lang))
    ui.formula(r"\lVert H - I\rVert_2 \le 2,", r"\operatorname{rank}(H - I) \le r")
    ui.chart(fig, key="fig_chain")


def sec_table():
    cols = [
        "label",
        "method",
        "budget_r",
        "r",
        "block_size",
        "lam",
        "n_seeds",
        "trainable_params",
        "target_acc",
        "target_acc_lo",
        "target_acc_hi",
        "retention",
        "source_acc",
        "time_per_step_s",
        "h_minus_i_spec_max",
        "h_minus_i_fro_max",
        "status",
    ]
    view = df[[c for c in cols if c in df]].copy()
    if "status_code" in df:  # the engine's status text is English: show it in the page's language
        view["status"] = [
            run_status(code, args if isinstance(args, dict) else {}, lang, fallback=str(text))
            for code, args, text in zip(df.status_code, df.status_args, df.status, strict=True)
        ]
    st.dataframe(view, hide_index=True, width="stretch")


ui.slides(
    [
        (t("chain.sec.numbers", lang), sec_numbers),
        (t("fig.chain.title", lang), sec_plot),
        (t("chain.sec.table", lang), sec_table),
    ],
    page="chain-length",
    eager=2,  # the full table opens on a click: its grid's code is 1.5 MB of JavaScript (issue 13)
)
st.divider()
ui.downloads({"sweep": fig}, {"sweep": runs}, key="chain-length")
