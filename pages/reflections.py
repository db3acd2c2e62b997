"""Page 1: reflections in 2-D and 3-D. Mirrors from angles, a shape through the chain, pairs as rotations."""

import streamlit as st

import ui
from hra_viz.app.state import constrain
from hra_viz.core import householder as hh
from hra_viz.text import t
from hra_viz.views import figures, geometry

lang = ui.lang()

with ui.settings_panel():
    st.markdown(f"**{t('page.reflections', lang)}**")
    dim = ui.control("dim")
    shape = ui.control("shape")
    mirrors = ui.control("mirrors")
    az, el = [], []
    for i in range(1, mirrors + 1):
        if dim == "3D":
            c1, c2 = st.columns(2)
            az.append(ui.control(f"a{i}", c1))
            el.append(ui.control(f"e{i}", c2))
        else:
            az.append(ui.control(f"a{i}"))
    stage_raw = ui.control("stage")
    ui.preset_buttons("reflect")

values, _ = constrain({"stage": stage_raw, "mirrors": mirrors})
stage = values["stage"]
d = 3 if dim == "3D" else 2

U = geometry.mirror_vectors(az, el if d == 3 else None)  # (d, r), unit columns
points, weights, connected = geometry.shape_points(shape, d)
stages = geometry.chain_stages(points, U)
H = hh.householder_chain(U)
pres = geometry.preservation(points, H)
pair = geometry.pair_report(U, points)
det = pres["det"]

if d == 2:
    fig_chain = figures.reflections_2d(stages, U, stage, connected, weights, lang)
else:
    fig_chain = figures.reflections_3d(stages, U, stage, connected, lang)

st.title(t("refl.title", lang))
with ui.intro(t("refl.intro", lang, where=ui.where_settings())):
    ui.formula(
        r"H_i = I - 2\,\frac{u_i u_i^\top}{\lVert u_i\rVert^2},",
        r"H = H_1 H_2 \cdots H_r,",
        r"H x = H_1\big(H_2(\cdots H_r(x))\big)",
    )


def sec_chain():
    st.markdown(t("refl.chain.text", lang))
    left, right = st.columns([3, 1])
    with left:
        ui.chart(fig_chain, key="fig_reflections")
    with right:
        st.metric(t("refl.metric.stage", lang), f"{stage} / {mirrors}")
        st.metric("det H", f"{det:+.6f}")
        flipped = det < 0
        st.metric(
            t("refl.metric.orientation", lang),
            t("refl.orient.flipped" if flipped else "refl.orient.kept", lang),
        )
        if stage == mirrors:
            st.caption(t("refl.stage_capped", lang, r=mirrors))


def sec_pair():
    ui.formula(r"H(u_1)\,H(u_2) = R_{\mathrm{span}(u_1,u_2)}(2\theta),", r"\theta = \angle(u_1, u_2)")
    if pair is None:
        st.info(t("refl.pair.need_two", lang))
        return
    st.markdown(t("refl.pair.text", lang))
    c = st.columns(4)
    c[0].metric(t("refl.pair.theta", lang), f"{pair['theta']:.2f}°")
    c[1].metric(t("refl.pair.two_theta", lang), f"{pair['two_theta']:.2f}°")
    c[2].metric(t("refl.pair.measured", lang), f"{abs(pair['measured']):.4f}°")
    c[3].metric(t("refl.pair.error", lang), f"{pair['error']:.1e}°")
    st.caption(t("refl.pair.caption", lang, pred=pair["predicted"], meas=pair["measured"]))


def sec_orientation():
    st.markdown(t("refl.odd.text", lang))
    st.latex(r"\det H = \prod_i \det H_i = (-1)^r")
    c = st.columns(3)
    c[0].metric("r", f"{mirrors}")
    c[1].metric("(−1)ʳ", f"{(-1) ** mirrors:+d}")
    c[2].metric(t("refl.odd.measured", lang), f"{det:+.9f}")
    st.markdown(t("refl.odd.now_flipped" if det < 0 else "refl.odd.now_kept", lang, r=mirrors))


def sec_preserved():
    st.markdown(t("refl.keep.text", lang))
    ui.formula(r"\lVert Hx\rVert = \lVert x\rVert,", r"\angle(Hx, Hy) = \angle(x, y),", r"H^\top H = I",
               sep=r"\quad")
    c = st.columns(3)
    c[0].metric(t("refl.keep.len", lang), f"{pres['max_len_change']:.1e}")
    c[1].metric(t("refl.keep.angle", lang), f"{pres['max_angle_change_deg']:.1e}°")
    c[2].metric(t("refl.keep.orth", lang), f"{pres['orth_error']:.1e}")
    st.caption(t("refl.keep.caption", lang, n=len(points)))


ui.slides(
    [
        (t("refl.chain.title", lang), sec_chain),
        (t("refl.pair.title", lang), sec_pair),
        (t("refl.odd.title", lang), sec_orientation),
        (t("refl.keep.title", lang), sec_preserved),
    ],
    page="reflect",
)

numbers = {
    "dim": dim,
    "shape": shape,
    "r": mirrors,
    "stage": stage,
    "azimuth_deg": az,
    "elevation_deg": el,
    "det_H": det,
    **{k: v for k, v in pres.items() if k != "det"},
}
if pair is not None:
    numbers.update({f"pair_{k}": v for k, v in pair.items()})
st.divider()
ui.downloads({"reflections": fig_chain}, {"numbers": ui.numbers_table(numbers)}, key="reflections")
