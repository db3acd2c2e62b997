"""Adapter inspector: upload a PEFT HRA adapter (or use the built-in example) and look at its reflections."""

import streamlit as st

import ui
from hra_viz.core import peft_io
from hra_viz.text import t
from hra_viz.views import inspector
from hra_viz.views.figures import bridge as bf

lang = ui.lang()
seed = int(st.session_state.get("seed", 0))


@st.cache_data(show_spinner=False, max_entries=4)
def _example(seed: int):
    adapter = inspector.example_adapter(seed)
    return adapter, inspector.layer_table(adapter)


@st.cache_data(show_spinner=False, max_entries=8)
def _parse(files: tuple):
    """(adapter, per-layer table) of an upload; raises ValueError with a clear message on a bad file."""
    adapter = peft_io.parse_upload(files)
    return adapter, inspector.layer_table(adapter)


st.title(t("insp.title", lang))
about = ui.intro(t("insp.intro", lang))
# in presentation mode the upload is a setting (the toolbar's popover, where its errors show too) and
# the notes on the adapter fold into "About this page": the first slide starts on the first screen
here = ui.settings_panel() if ui.presenting() else st.container()
notes = about if ui.presenting() else st.container()

uploads = here.file_uploader(
    t("insp.upload.label", lang),
    type=["json", "safetensors", "zip", "bin"],  # .bin is accepted only to explain why it is refused
    accept_multiple_files=True,
    key="insp_upload",
    help=t("insp.upload.help", lang, mb=peft_io.MAX_FILE_BYTES // 2**20),
)

adapter = None
if uploads:
    try:
        adapter, table = _parse(tuple((f.name, f.getvalue()) for f in uploads))
    except ValueError as e:
        here.error(t("insp.error", lang, err=str(e).rstrip(".")), icon="🚫")
    except Exception as e:  # a page must survive any file
        here.error(t("insp.error", lang, err=f"{type(e).__name__}: {e}"), icon="🚫")
if adapter is None:
    adapter, table = _example(seed)
    cfg = inspector.EXAMPLE_CONFIG
    notes.info(t("insp.example", lang, r=cfg["r"], steps=cfg["steps"], task=cfg["task"]))
else:
    here.success(t("insp.uploaded", lang, n=len(adapter.vectors), r=adapter.r))
if adapter.apply_gs:
    notes.warning(t("insp.gs_note", lang))
if adapter.extra_tensors:
    extra = adapter.extra_tensors
    names = ", ".join(f"`{n}`" for n in extra[:5]) + (" …" if len(extra) > 5 else "")
    notes.caption(t("insp.extra_note", lang, n=len(extra), names=names))

c = st.columns(4)
c[0].metric(t("insp.metric.layers", lang), f"{len(table)}")
c[1].metric(t("insp.metric.params", lang), f"{int((table.d_in * table.r).sum()):,}")
c[2].metric(t("insp.metric.max_h", lang), f"{table.h_minus_i_spec.max():.4f}")
mean = table.mean_pair_angle_deg.mean()
c[3].metric(t("insp.metric.mean_angle", lang), "–" if mean != mean else f"{mean:.1f}°")

modules = list(table.module)
fig_norms = bf.layer_norm_bars(table, lang)


NORM_COLS = ("‖I − ÛᵀÛ‖_F", "‖H − I‖_F", "‖H − I‖₂")


def sec_table():
    st.markdown(t("insp.table.text", lang))
    ui.formula(
        r"W H - W = W(H - I),",
        r"H - I = \hat U\Gamma\hat U^\top,",
        r"\lVert H - I\rVert_2 \le 2,",
        r"H(u_{2k-1})H(u_{2k}) = R_{\mathrm{plane}}(2\theta_k)",
        sep=r"\quad",
    )
    shown = table.drop(columns=["mean_pair_angle_deg"]).rename(
        columns={
            "module": t("insp.col.module", lang),
            "orth_fro": "‖I − ÛᵀÛ‖_F",
            "h_minus_i_fro": "‖H − I‖_F",
            "h_minus_i_spec": "‖H − I‖₂",
            "pair_angles_deg": t("insp.col.pairs", lang),
        }
    )
    ui.table(shown, {k: "%.4f" for k in NORM_COLS})
    ui.chart(fig_norms, key="fig_insp_norms")
    st.caption(t("insp.norms.caption", lang))




def _module() -> str:
    m = st.session_state.get("insp_layer")
    return m if m in modules else modules[0]


_memo: dict = {}


def _figs(module: str):
    """(Gram/Γ figure, mirror-plane figure) of one layer, built once per script run."""
    if module not in _memo:
        d = inspector.layer_detail(adapter.vectors[module], adapter.apply_gs)
        _memo[module] = (
            bf.gram_gamma(d["gram"], d["gamma"], module, lang),
            bf.reflection_planes(d["points"], d["mirror_dirs"], d["captured"], module, lang),
        )
    return _memo[module]


def sec_gram():
    # The layer list depends on the file shown, so this selector is not in the URL registry.
    st.selectbox(t("insp.layer.label", lang), modules, key="insp_layer", help=t("insp.layer.help", lang))
    module = _module()
    row = table[table.module == module].iloc[0]
    st.markdown(t("insp.gram.text", lang))
    ui.formula(r"(\hat U^\top\hat U)_{ij} = \cos\angle(u_i, u_j),",
               r"\Gamma = -\big(\tfrac12 I + \operatorname{striu}(\hat U^\top\hat U)\big)^{-1}")
    m = st.columns(3)
    m[0].metric(t("insp.metric.orth", lang), f"{row.orth_fro:.4f}")
    m[1].metric(t("insp.metric.hfro", lang), f"{row.h_minus_i_fro:.4f}")
    m[2].metric(t("insp.metric.hspec", lang), f"{row.h_minus_i_spec:.4f}")
    ui.chart(_figs(module)[0], key="fig_insp_gram")


def sec_planes():
    st.markdown(t("insp.planes.text", lang))
    ui.chart(_figs(_module())[1], key="fig_insp_planes")


ui.slides(
    [
        (t("insp.table.title", lang), sec_table),
        (t("insp.gram.title", lang), sec_gram),
        (t("insp.planes.title", lang), sec_planes),
    ],
    page="inspect",
    eager=1,  # the others open on a click: a new visitor's browser draws one chart, not three (issue 13)
)

fig_gram, fig_planes = _figs(_module())
st.divider()
ui.downloads(
    {"layer-norms": fig_norms, "gram-gamma": fig_gram, "mirrors": fig_planes},
    {"layers": table},
    key="inspect",
)
