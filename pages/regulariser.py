"""Page 6: the λ regulariser against symmetric init, and what the λ = ∞ variant can represent."""

import streamlit as st

import ui
from hra_viz.text import t
from hra_viz.views import figures
from ui import studies

lang = ui.lang()

with ui.settings_panel():
    st.markdown(f"**{t('page.regulariser', lang)}**")
    task = ui.control("task")
    r_raw = ui.control("r")
    lam = ui.control("lam")
    lr = ui.control("lr")
    steps = ui.control("steps")
    ui.preset_buttons("lambda")

seed = int(st.session_state.get("seed", 0))
device = st.session_state.get("device_resolved", "cpu")
key = studies.lambda_args(task, r_raw, lam, lr, steps, seed, device)
r, lams = key[1], key[4]  # r capped at the narrowest layer; λ ∈ {0, λ, 1e-2, 1e-1}

st.title(t("lam.title", lang))
with ui.intro(t("lam.intro", lang)):
    ui.formula(
        r"L = \mathrm{CE} + \lambda \sum_{" + ui.word("fml.layers") + r"}"
        r" \lVert I_r - \hat U^\top \hat U \rVert_F^2,",
        (ui.word("fml.sym_init") + r"\ \lVert I_r - \hat U^\top \hat U\rVert_F^2",
         r"= r + 8\sum_{k<l}\cos^2\angle(v_k, v_l) \ge r"),
    )
if r < r_raw:
    st.info(t("train.r_capped", lang, r=r_raw, cap=r, task=task))
if r % 2:
    st.warning(t("lam.odd", lang, r=r))

label = ", ".join(f"{v:g}" for v in lams) + ", ∞"
warm = studies.warm_state("lambda", key)
if st.button(t("lam.run", lang, lams=label, steps=steps), key="lam_run", type="primary"):
    with st.spinner(t("spec.training", lang)):
        studies.lambda_study(*key)
    st.session_state["lam_key"] = key
elif warm and warm["state"] == "done":
    st.session_state["lam_key"] = key
    st.caption(t("warm.ready", lang, s=warm["seconds"]))
elif warm and warm["state"] in ("queued", "running"):
    studies.wait_panel("lambda", key, lang)
    ui.stop("lambda")
if st.session_state.get("lam_key") != key:
    st.info(t("spec.press", lang), icon="▶️")
    ui.stop("lambda")

curves, summary = studies.lambda_study(*key)
summ = summary.set_index("lam")
fig = figures.lambda_curves(curves, lang)
chain0 = summ.loc["0"]
n_layers = int(chain0.n_layers)


def sec_tension():
    st.markdown(
        t("lam.tension.text", lang, r=r, layers=n_layers, floor=r * n_layers, pen=chain0.penalty_start)
    )
    c = st.columns(len(summ))
    for col, (lab, s) in zip(c, summ.iterrows(), strict=True):
        name = "λ = ∞" if lab == "inf" else f"λ = {lab}"
        col.metric(
            name,
            f"{s.target_acc_end:.1%}",
            t(
                "lam.m.delta",
                lang,
                h=f"{s.h_minus_i_end:.2f}",
                p=f"{s.pair_deg_end:.0f}°" if s.variant == "chain" else "–",
            ),
            delta_color="off",
            delta_arrow="off",
        )
    ui.chart(fig, key="fig_lambda")
    st.caption(t("lam.tension.caption", lang))


def sec_infinity():
    inf = summ.loc["inf"]
    st.markdown(
        t(
            "lam.inf.text",
            lang,
            h0=inf.h_minus_i_start,
            h1=inf.h_minus_i_end,
            t0=inf.target_acc_start,
            s0=inf.source_acc_start,
            bt=inf.base_target_acc,
            bs=inf.base_source_acc,
            t1=inf.target_acc_end,
            c1=chain0.target_acc_end,
        )
    )
    ui.formula(
        r"H_\infty = I - 2QQ^\top,\quad Q^\top Q = I_r:",
        r"H_\infty^2 = I,",
        r"\lVert H_\infty - I\rVert_2 = 2,",
        r"\det H_\infty = (-1)^r",
        sep=r"\quad",
    )
    c = st.columns(3)
    c[0].metric("‖H − I‖₂ (λ = ∞)", f"{inf.h_minus_i_end:.6f}")
    c[1].metric(
        t("lam.m.start_src", lang),
        f"{inf.source_acc_start:.1%}",
        f"{(inf.source_acc_start - inf.base_source_acc) * 100:+.1f} pt",
    )
    c[2].metric(
        t("lam.m.end_target", lang),
        f"{inf.target_acc_end:.1%}",
        t("lam.m.vs_chain", lang, v=f"{chain0.target_acc_end:.1%}"),
        delta_color="off",
    )
    st.markdown(t("lam.inf.can", lang))


ui.slides(
    [(t("lam.tension.title", lang), sec_tension), (t("lam.inf.title", lang), sec_infinity)],
    page="lambda",
)
st.divider()
ui.downloads({"lambda": fig}, {"curves": curves, "summary": summary}, key="lambda")
