"""Page 5: Spectra and geometry of trained HRA, LoRA, OFT and full fine-tuning runs."""

import streamlit as st

import ui
from hra_viz.text import t
from hra_viz.views import figures, live
from ui import studies

lang = ui.lang()
METHODS = studies.SPECTRA_METHODS

with ui.settings_panel():
    st.markdown(f"**{t('page.spectra', lang)}**")
    task = ui.control("task")
    r_raw = ui.control("r")
    steps = ui.control("steps")
    layer_i = ui.control("layer")
    ui.preset_buttons("spectra")

seed = int(st.session_state.get("seed", 0))
device = st.session_state.get("device_resolved", "cpu")
key = studies.spectra_args(task, r_raw, steps, seed, device)
r = key[1]  # capped at the narrowest layer

st.title(t("spec.title", lang))
ui.intro(t("spec.intro", lang))
if r < r_raw:
    st.info(t("train.r_capped", lang, r=r_raw, cap=r, task=task))

warm = studies.warm_state("spectra", key)
if st.button(t("spec.run", lang, r=r, steps=steps), key="spec_run", type="primary"):
    with st.spinner(t("spec.training", lang)):
        studies.spectra_report(*key)
    st.session_state["spec_key"] = key
elif warm and warm["state"] == "done":
    st.session_state["spec_key"] = key
    st.caption(t("warm.ready", lang, s=warm["seconds"]))
elif warm and warm["state"] in ("queued", "running"):
    studies.wait_panel("spectra", key, lang)
    ui.stop("spectra")
if st.session_state.get("spec_key") != key:
    st.info(t("spec.press", lang), icon="▶️")
    ui.stop("spectra")

rep = studies.spectra_report(*key)
table = live.spectra_table(rep)
layer = rep["layers"][min(layer_i, len(rep["layers"])) - 1]
row = table[table.layer == layer].set_index("method")

@st.cache_resource(show_spinner=False, max_entries=64)
def _figures(key, layer, lang):
    """The four figures of one study, layer and language, built once per server (never mutated)."""
    rep = studies.spectra_report(*key)
    return (
        figures.layer_spectra(rep, layer, lang),
        figures.delta_spectra(rep, layer, key[1], lang),
        figures.energy_bars(live.spectra_table(rep), lang),
        figures.hra_angles(rep["hra_init"], rep["hra"], layer, lang),
    )


fig_s, fig_d, fig_e, fig_a = _figures(key, layer, lang)


def sec_spectrum():
    st.markdown(t("spec.kept.text", lang, layer=layer))
    st.latex(r"W' = W H,\ H^\top H = I\ \Rightarrow\ \sigma_i(W') = \sigma_i(W)")
    c = st.columns(4)
    for col, m in zip(c, METHODS, strict=True):
        col.metric(
            t("spec.max_dsigma", lang, m=t(f"method.{m}", lang)),
            f"{row.loc[m, 'max_abs_dsigma']:.1e}",
            t("spec.acc", lang, acc=f"{rep['methods'][m]['target_acc']:.1%}"),
            delta_color="off",
            delta_arrow="off",
        )
    ui.chart(fig_s, key="fig_spec")


def sec_delta():
    st.markdown(t("spec.delta.text", lang, r=r))
    ui.formula(r"\Delta W = W' - W = (W\hat U\Gamma)\,\hat U^\top,", r"\operatorname{rank}\Delta W \le r")
    c = st.columns(4)
    for col, m in zip(c, METHODS, strict=True):
        col.metric(t("spec.rank", lang, m=t(f"method.{m}", lang)), f"{int(row.loc[m, 'rank_delta_w'])}")
    ui.chart(fig_d, key="fig_dspec")


def sec_energy():
    st.markdown(t("spec.energy.text", lang))
    ui.formula(
        r"\mathrm{HE}(W) = \sum_{i<j} \lVert \hat w_i - \hat w_j \rVert^{-1},",
        r"\hat w_i = w_i / \lVert w_i \rVert",
    )
    c = st.columns(4)
    for col, m in zip(c, METHODS, strict=True):
        col.metric(
            t(f"method.{m}", lang),
            f"{row.loc[m, 'he_after']:.6g}",
            f"{row.loc[m, 'he_after'] - row.loc[m, 'he_before']:+.2e}",
            delta_color="off",
        )
    ui.chart(fig_e, key="fig_energy")


def sec_angles():
    pa, pr = rep["hra"][layer]["principal_deg"], rep["hra"][layer]["pair_deg"]
    st.markdown(t("spec.angles.text", lang, r=r))
    ui.formula(
        r"\cos\theta_i = \sigma_i(Q_U^\top V_r),",
        r"H(u_{2k-1})H(u_{2k}) = R_{\mathrm{plane}}\big(2\angle(u_{2k-1}, u_{2k})\big)",
    )
    c = st.columns(3)
    c[0].metric(t("spec.m.principal", lang), f"{pa.min():.1f}° … {pa.max():.1f}°")
    c[1].metric(t("spec.m.pairs", lang), f"{pr.mean():.1f}°" if len(pr) else "–")
    c[2].metric(
        t("spec.m.pairs_init", lang), f"{rep['hra_init'][layer]['pair_deg'].mean():.1f}°" if len(pr) else "–"
    )
    ui.chart(fig_a, key="fig_angles")


ui.slides(
    [
        (t("spec.kept.title", lang), sec_spectrum),
        (t("spec.delta.title", lang), sec_delta),
        (t("spec.energy.title", lang), sec_energy),
        (t("spec.angles.title", lang), sec_angles),
    ],
    page="spectra",
    eager=1,  # the others open on a click: a new visitor's browser draws one chart, not four (issue 13)
)
st.divider()
ui.downloads(
    {"spectra": fig_s, "delta-spectra": fig_d, "energy": fig_e, "angles": fig_a},
    {"layers": table},
    key="spectra",
)
