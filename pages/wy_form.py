"""Page 2: Chain = I + ÛΓÛᵀ. The dense product against its compact WY form, Γ, rank, LoRA view, cost."""

import streamlit as st

import ui
from hra_viz.app.state import constrain
from hra_viz.text import t
from hra_viz.views import figures, wy_view

lang = ui.lang()
TOKENS = 256

with ui.settings_panel():
    st.markdown(f"**{t('page.wy_form', lang)}**")
    d_in = ui.control("d")
    d_out = ui.control("dout")
    r_raw = ui.control("r")
    init = ui.control("init")
    ui.preset_buttons("wy-form")

values, notes = constrain({"r": r_raw, "d": d_in}, lang)
r = values["r"]
seed = int(st.session_state.get("seed", 0))


@st.cache_data(show_spinner=False, max_entries=64)
def _report(d, r, dout, seed, init):
    return wy_view.wy_report(d, r, dout, seed, init)


@st.cache_data(show_spinner=False, max_entries=64)
def _timing(r):
    return wy_view.wy_timing(r)


rep = _report(d_in, r, d_out, seed, init)

st.title(t("wy.title", lang))
ui.intro(t("wy.intro", lang))
for n in notes:
    st.info(n)
if rep["fell_back"]:
    st.warning(t("wy.odd_symmetric", lang, r=r))

@st.cache_resource(show_spinner=False, max_entries=64)
def _figures(d, r, dout, seed, init, lang):
    """The four figures of these settings, built once per server (pure builders; never mutated)."""
    rep = _report(d, r, dout, seed, init)
    return (
        figures.wy_heatmaps(rep["H"], rep["WY"], rep["diff"], rep["wy_error"], lang),
        figures.gamma_heatmap(rep["Gamma"], lang),
        figures.singular_values(rep["sv_dense"], r, lang),
        figures.lora_view(rep["W"], rep["A"], rep["B"], rep["WH"], lang),
    )


fig_h, fig_g, fig_sv, fig_l = _figures(d_in, r, d_out, seed, init, lang)


def sec_equal():
    st.markdown(t("wy.equal.text", lang, d=d_in, r=r))
    ui.formula(
        r"H = H_1 H_2\cdots H_r = I + \hat U\,\Gamma\,\hat U^\top,",
        r"\hat U = \Big[\tfrac{u_1}{\lVert u_1\rVert},\dots,\tfrac{u_r}{\lVert u_r\rVert}\Big]",
    )
    c = st.columns(3)
    c[0].metric(t("wy.metric.wy_err", lang), f"{rep['wy_error']:.1e}")
    c[1].metric(t("wy.metric.orth", lang), f"{rep['orth_error']:.1e}")
    c[2].metric("det H = (−1)ʳ", f"{rep['det']:+.6f}")
    ui.chart(fig_h, key="fig_wy")


def sec_gamma():
    st.markdown(t("wy.gamma.text", lang))
    ui.formula(
        r"\Gamma = -\Big(\tfrac12 I + \operatorname{striu}(\hat U^\top \hat U)\Big)^{-1},",
        r"\Gamma_k = \begin{bmatrix}\Gamma_{k-1} & -2\,\Gamma_{k-1}\hat U_{k-1}^\top \hat u_k\\"
        r" 0 & -2\end{bmatrix}",
    )
    c = st.columns(2)
    c[0].metric(t("wy.metric.gamma_err", lang), f"{rep['gamma_error']:.1e}")
    c[1].metric(t("wy.metric.gamma_shape", lang), f"{r} × {r}")
    ui.chart(fig_g, key="fig_gamma")


def sec_rank():
    st.markdown(t("wy.rank.text", lang))
    ui.formula(
        r"\operatorname{rank}(H - I) = \operatorname{rank}(\hat U\Gamma\hat U^\top) \le r,",
        r"H v = v\quad (v \perp \operatorname{span}(U))",
    )
    c = st.columns(3)
    c[0].metric(
        t("wy.metric.rank", lang),
        f"{rep['rank']}",
        t("wy.metric.rank_of", lang, r=r, d=d_in),
        delta_color="off",
        delta_arrow="off",
    )
    c[1].metric(t("wy.metric.sv_match", lang), f"{rep['sv_match']:.1e}")
    c[2].metric("max |H − I|", f"{rep['identity_error']:.3g}")
    ui.chart(fig_sv, key="fig_sv")


def sec_lora():
    st.markdown(t("wy.lora.text", lang))
    st.latex(
        r"W H = W + \underbrace{(W\hat U\Gamma)}_{A:\ d_{out}\times r}\,"
        r"\underbrace{\hat U^\top}_{B:\ r\times d_{in}}"
    )
    c = st.columns(3)
    c[0].metric(t("wy.metric.lora_err", lang), f"{rep['lora_error']:.1e}")
    c[1].metric(t("wy.metric.hra_params", lang), f"{r * d_in:,}")
    c[2].metric(t("wy.metric.lora_params", lang), f"{r * (d_in + d_out):,}")
    ui.chart(fig_l, key="fig_lora")
    st.caption(t("wy.lora.caption", lang, dout=d_out, d=d_in, r=r))


timing = _timing(r)


@st.cache_resource(show_spinner=False, max_entries=64)
def _timing_figure(r, lang):
    return figures.wy_timing_lines(_timing(r), lang)


fig_t = _timing_figure(r, lang)
flops = wy_view.flop_table(TOKENS, d_in, d_out, r)


def sec_cost():
    st.markdown(t("wy.cost.text", lang, n=TOKENS))
    ui.formula(
        r"W\,(H_1\cdots H_r):\ O(d^2 r + d_{out} d^2)",
        r"W + ((W\hat U)\Gamma)\hat U^\top:\ O(d_{out}\, d\, r)",
    )
    last = timing.iloc[-1]
    c = st.columns(3)
    c[0].metric(t("wy.metric.naive_ms", lang, d=int(last.d)), f"{last.naive_ms:.2f} ms")
    c[1].metric(t("wy.metric.wy_ms", lang, d=int(last.d)), f"{last.wy_ms:.2f} ms")
    c[2].metric(t("wy.metric.speedup", lang), f"× {last.speedup:.1f}")
    ui.chart(fig_t, key="fig_timing")  # full width: beside the table it was cramped
    shown = flops.rename(
        columns={
            "route": t("wy.flops.route", lang),
            "flops": t("wy.flops.small", lang, dout=d_out, d=d_in),
            "x_frozen": "×",
            "flops_big": t("wy.flops.big", lang),
            "x_frozen_big": "× ",
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "×": st.column_config.NumberColumn(format="%.2f"),
            "× ": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    st.caption(t("wy.cost.caption", lang, n=TOKENS, r=r))


ui.slides(
    [
        (t("wy.equal.title", lang), sec_equal),
        (t("wy.gamma.title", lang), sec_gamma),
        (t("wy.rank.title", lang), sec_rank),
        (t("wy.lora.title", lang), sec_lora),
        (t("wy.cost.title", lang), sec_cost),
    ],
    page="wy-form",
    eager=1,  # the others open on a click: a new visitor's browser draws one chart, not five (issue 13)
)

numbers = {
    k: rep[k]
    for k in (
        "d",
        "r",
        "dout",
        "wy_error",
        "gamma_error",
        "orth_error",
        "det",
        "rank",
        "sv_match",
        "identity_error",
        "lora_error",
    )
}
numbers.update({"init": init, "seed": seed, "singular_values_H_minus_I": rep["sv_dense"].tolist()})
st.divider()
ui.downloads(
    {"wy-heatmaps": fig_h, "gamma": fig_g, "singular-values": fig_sv, "lora-view": fig_l, "timing": fig_t},
    {"numbers": ui.numbers_table(numbers), "timing": timing, "flops": flops},
    key="wy",
)
