"""Cost on your model: trainable parameters, memory and extra compute per method, for real architectures."""

import pandas as pd
import streamlit as st

import ui
from hra_viz.text import t
from hra_viz.views import budget
from hra_viz.views.figures import bridge as bf

lang = ui.lang()

with ui.settings_panel():
    st.markdown(f"**{t('page.budget', lang)}**")
    arch_name = ui.control("arch")
    methods = ui.control("methods")
    r = ui.control("r")
    block = int(ui.control("block"))
    precision = ui.control("precision")
    tokens = int(ui.control("tokens"))
    targets = ui.control("targets")

st.title(t("cost.title", lang))
ui.intro(t("cost.intro", lang))

_DEFAULT_CUSTOM = pd.DataFrame(
    [  # a small BERT-like block, as a starting point to edit
        ("attn.qkv", 1024, 3072, 24, True),
        ("attn.out", 1024, 1024, 24, True),
        ("mlp.up", 1024, 4096, 24, True),
        ("mlp.down", 4096, 1024, 24, True),
    ],
    columns=["name", "d_in", "d_out", "count", "bias"],
)

arch = None
if arch_name == "custom":
    st.subheader(t("cost.custom.title", lang))
    st.caption(t("cost.custom.text", lang, rows=budget.MAX_CUSTOM_ROWS, dim=budget.MAX_DIM))
    num = dict(min_value=1, max_value=budget.MAX_DIM, step=1, required=True)
    rows = st.data_editor(
        _DEFAULT_CUSTOM,
        num_rows="dynamic",
        hide_index=True,
        key="cost_custom",
        column_config={
            "name": st.column_config.TextColumn(max_chars=64, required=True),
            "d_in": st.column_config.NumberColumn(**num),
            "d_out": st.column_config.NumberColumn(**num),
            "count": st.column_config.NumberColumn(
                min_value=1, max_value=budget.MAX_COUNT, step=1, required=True
            ),
            "bias": st.column_config.CheckboxColumn(default=False),
        },
    )
    other = ui.control("other")
    st.caption(t("cost.targets_custom", lang))
    try:
        arch = budget.custom_arch(rows.to_dict("records"), other_params=other)
    except ValueError as e:
        st.error(t("cost.custom.error", lang, err=e))
else:
    arch = budget.get_arch(arch_name)

if arch is None:
    ui.stop("cost")
if not methods:
    st.warning(t("cost.no_methods", lang))
    ui.stop("cost")

tgt = "all-linear" if arch_name == "custom" else targets
table, errors = budget.budget_table(
    arch, methods, r=r, block_size=block, precision=precision, n_tokens=tokens, targets=tgt
)
for m, err in errors.items():
    st.warning(t("cost.method_error", lang, method=t(f"method.{m}", lang), err=err))
if table.empty:
    ui.stop("cost")

fig = bf.budget_bars(table, lang)


def _size(b: float) -> str:
    for unit, f in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= f:
            return f"{b / f:.2f} {unit}"
    return f"{b:.0f} B"


def sec_figure():
    ui.chart(fig, key="fig_cost")
    def sci(v):  # NaN (not computed for this method) shows as a dash, not "None"
        return "–" if v != v else f"{v:.3g}"

    shown = pd.DataFrame(
        {
            t("cost.col.method", lang): [t(f"method.{m}", lang) for m in table.method],
            t("cost.col.trainable", lang): table.trainable,
            t("cost.col.share", lang): table.share_pct,
            t("cost.col.adapter", lang): table.adapter_bytes / 1e6,
            t("cost.col.adam", lang): table.optimizer_bytes / 1e6,
            t("cost.col.flops", lang): [sci(v) for v in table.extra_flops_per_token],
            t("cost.col.build", lang): [sci(v) for v in table.build_h_flops_per_token],
        }
    )
    ui.table(
        shown,
        {
            t("cost.col.trainable", lang): "localized",
            t("cost.col.share", lang): "%.4f",
            t("cost.col.adapter", lang): "%.2f",
            t("cost.col.adam", lang): "%.2f",
        },
    )
    st.caption(t("cost.note.full", lang, total=arch.total_params))
    st.caption(t("cost.formula.caption", lang, source=arch.source))


def sec_explain():
    if "hra" not in set(table.method):
        st.info(t("cost.explain.no_hra", lang))
        return
    h = table[table.method == "hra"].iloc[0]
    lora = budget.trainable_parameters(arch, "lora", targets=tgt, r=r)
    st.markdown(
        t("cost.explain.params", lang, arch=arch.name, r=r, hra=int(h.trainable), share=h.share_pct,
          total=arch.total_params, lora=lora, ratio=lora / h.trainable)
    )
    master = t("cost.explain.master", lang) if precision == "bf16" else ""
    st.markdown(
        t("cost.explain.memory", lang, adapter=_size(h.adapter_bytes), precision=precision,
          adam=_size(h.optimizer_bytes), master=master)
    )
    fl = budget.hra_flops_per_token(arch, r=r, n_tokens=tokens, targets=tgt)
    st.markdown(
        t("cost.explain.compute", lang, fast=fl["fast"], pct=100 * fl["fast"] / fl["frozen"],
          frozen=fl["frozen"], build=fl["materialise"], tokens=tokens, x=fl["materialise"] / fl["fast"])
    )
    ui.formula(
        r"\text{HRA: } r\,d_{in}",
        r"\text{LoRA: } r\,(d_{in}+d_{out})",
        r"x \mapsto x + ((x\hat U)\Gamma^\top)\hat U^\top:\ \approx 4 N d_{in} r",
    )


ui.slides(
    [(t("cost.summary.title", lang), sec_figure), (t("cost.explain.title", lang), sec_explain)],
    page="cost",
)

st.divider()
numbers = table.assign(arch=arch.name, r=r, block_size=block, precision=precision, tokens_per_step=tokens,
                       targets=tgt, model_total_params=arch.total_params)
ui.downloads({"cost": fig}, {"cost": numbers}, key="cost")
