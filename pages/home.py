"""HRA in one minute: the three claims, each next to a number measured live on a 768 × 768 layer."""

import streamlit as st

import ui
from hra_viz.app.state import PRESETS
from hra_viz.text import t
from hra_viz.views import figures, overview
from hra_viz.views import pilot as pilot_views

lang = ui.lang()
D, R, OFT_BLOCK, TOKENS = 768, 8, 32, 256
SPEC_D = 256  # the spectrum check does 5 dense SVDs: a smaller layer keeps the page fast


@st.cache_data(show_spinner=False)
def _budget():
    return overview.parameter_budget(D, D, R, OFT_BLOCK)


@st.cache_data(show_spinner=False)
def _spectrum(seed: int):
    return overview.spectrum_kept(SPEC_D, SPEC_D, R, OFT_BLOCK, seed=seed)


@st.cache_data(show_spinner=False)
def _cost():
    return overview.step_cost(D, D, R, OFT_BLOCK, TOKENS)


seed = int(st.session_state.get("seed", 0))
with st.spinner(t("ui.computing", lang)):
    budget, spectrum, cost = _budget(), _spectrum(seed), _cost()
    # HRA, LoRA, OFT and full fine-tuning over 5 seeds: computed once per server (or shipped with its
    # provenance in hra_viz/views/data/home_pilot.json), so no visitor waits for it
    home = pilot_views.home_pilot()
    acc = pilot_views.home_table(home)


def _val(df, method, col):
    return df.loc[df.method == method, col].iloc[0]


st.title(t("home.title", lang))
ui.intro(t("home.intro", lang, d=D, r=R))
with st.sidebar:  # presets only: presentation mode shows them on the slide (ui.presentation_bar)
    ui.preset_buttons("")

fig_params = figures.parameter_bars(budget, lang)
fig_spec = figures.spectrum_bars(spectrum, lang)
fig_cost = figures.step_cost_bars(cost, lang)
fig_acc = figures.accuracy_ci_bars(acc, lang)


def claim_params():
    st.markdown(t("home.params.text", lang, d=D, r=R, b=OFT_BLOCK))
    c = st.columns(4)
    for col, m in zip(c, overview.COMPARED, strict=True):
        share = _val(budget, m, "share_of_full") * 100
        col.metric(
            t(f"method.{m}", lang),
            f"{int(_val(budget, m, 'trainable')):,}",
            f"{share:.2f} %",
            delta_color="off",
            delta_arrow="off",
        )
    ui.formula(
        r"\text{HRA}: r\,d_{in}",
        r"\text{LoRA}: r\,(d_{in}+d_{out})",
        r"\text{OFT}: \tfrac{d_{in}}{b}\cdot\tfrac{b(b-1)}{2}",
        ui.word("fml.full") + r": d_{in}d_{out}+d_{out}",
        sep=r"\quad",
    )
    ui.chart(fig_params, key="fig_params")


def claim_kept():
    st.markdown(t("home.kept.text", lang, d=SPEC_D, r=R))
    ui.formula(
        (r"W' = W H,\quad H^\top H = I \;\Rightarrow", r"\sigma_i(W H) = \sigma_i(W),"),
        r"\angle(w_j H, w_k H) = \angle(w_j, w_k)",
        sep=r"\;",
    )
    c = st.columns(4)
    for col, m in zip(c, overview.COMPARED, strict=True):
        label = t("spec.max_dsigma", lang, m=t(f"method.{m}", lang))
        col.metric(label, f"{_val(spectrum, m, 'max_sigma_change'):.1e}")
    ui.chart(fig_spec, key="fig_spectrum")
    hs = home["setup"]
    st.markdown(t("pilot.home.acc.text", lang, k=len(hs["seeds"]), steps=hs["steps"], r=hs["r"]))
    st.latex(ui.word("fml.retention") + " = " + ui.RETENTION)
    c = st.columns(4)
    for col, m in zip(c, overview.COMPARED, strict=True):
        col.metric(
            t("home.acc.metric", lang, m=t(f"method.{m}", lang)),
            f"{_val(acc, m, 'target_acc'):.1%}",
            t("pilot.home.ci", lang, lo=f"{_val(acc, m, 'target_lo'):.1%}",
              hi=f"{_val(acc, m, 'target_hi'):.1%}"),
            delta_color="off",
            delta_arrow="off",
            help=t("home.acc.ret", lang, v=f"{_val(acc, m, 'retention'):.1%}"),
        )
    ui.chart(fig_acc, key="fig_accuracy")
    for key, vals, kind in pilot_views.home_statements(home):
        if "m" in vals:
            vals = {**vals, "m": t(f"method.{vals['m']}", lang),
                    "metric": pilot_views.metric_name(vals["metric"], lang, hs.get("task", ""))}
        show = {"warning": st.warning, "info": st.info, "success": st.success}[kind]
        show(t(key, lang, **vals), icon="⚖️")
    versions = hs.get("versions") or {}
    st.caption(t("pilot.home.provenance", lang, date=str(hs.get("date", ""))[:10], device=hs.get("device"),
                 version=versions.get("hra_viz", "?"), seeds=", ".join(map(str, hs["seeds"])),
                 steps=hs["steps"], command=hs.get("command") or pilot_views.HOME_PILOT_COMMAND))


def claim_cost():
    hra, lora = _val(cost, "hra", "ms_per_step"), _val(cost, "lora", "ms_per_step")
    ratio = hra / lora
    st.markdown(t("home.cost.text", lang, tokens=TOKENS, d=D, r=R))
    c = st.columns(3)
    c[0].metric(t("home.cost.hra", lang), f"{hra:.2f} ms")
    c[1].metric(t("home.cost.lora", lang), f"{lora:.2f} ms")
    c[2].metric(t("home.cost.ratio", lang), f"× {ratio:.2f}")
    if ratio > 1.05:
        st.warning(t("home.cost.loses", lang, ratio=ratio), icon="⚖️")
    else:
        st.success(t("home.cost.par", lang, ratio=ratio))
    ui.formula(
        (r"\text{HRA}: (x \hat U \Gamma^\top)(W \hat U)^\top",
         r"\approx 2 N r (d_{in} + d_{out}) + 2 r\, d_{in} d_{out}"),
        r"\text{LoRA}: (x A^\top) B^\top \;\approx 2 N r (d_{in} + d_{out})",
    )
    ui.chart(fig_cost, key="fig_cost")
    dense = _val(cost, "hra_dense", "ms_per_step")
    st.caption(t("home.cost.caption", lang, dense=dense, vs_lora=dense / lora, vs_hra=dense / hra))


def next_steps():
    st.markdown(t("home.next.text", lang))
    st.page_link("pages/reflections.py", label=t("page.reflections", lang), icon="🪞")
    st.page_link("pages/wy_form.py", label=t("page.wy_form", lang), icon="🧮")
    st.page_link("pages/live_training.py", label=t("page.training", lang), icon="📈")
    st.page_link("pages/chain_length.py", label=t("page.chain_length", lang), icon="📏")
    st.page_link("pages/pilot.py", label=t("page.pilot", lang), icon="🧪")
    st.page_link("pages/spectra_geometry.py", label=t("page.spectra", lang), icon="🎼")
    st.page_link("pages/regulariser.py", label=t("page.regulariser", lang), icon="⚖️")
    st.markdown(f"**{t('ui.presets', lang)}**")
    for p in PRESETS.values():
        link = ui.preset_link(p.name)
        st.markdown(f"- **{p.label(lang)}**: {p.help(lang)}  \n  `{link}`")


ui.slides(
    [
        (t("home.params.title", lang), claim_params),
        (t("home.kept.title", lang), claim_kept),
        (t("home.cost.title", lang), claim_cost),
        (t("home.next.title", lang), next_steps),
    ],
    page="",
)

st.divider()
ui.downloads(
    {"parameters": fig_params, "spectrum": fig_spec, "accuracy": fig_acc, "step-cost": fig_cost},
    {"parameters": budget, "spectrum": spectrum, "accuracy": acc, "step-cost": cost},
    key="home",
)
