"""The spectra and geometry page: σ(W) before and after, Δσ, hyperspherical energy, pair angles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hra_viz.text import t
from hra_viz.views.figures.style import METHOD_COLORS, _base, _name

__all__ = [
    "layer_spectra",
    "delta_spectra",
    "energy_bars",
    "hra_angles",
]


def layer_spectra(rep: dict, layer: str, lang: str) -> go.Figure:
    """σ_i(W) before (grey) and σ_i(W') after training, one colour per method, one layer."""
    fig = go.Figure()
    methods = list(rep["methods"])
    before = rep["methods"][methods[0]]["layers"][layer]["before"]
    idx = np.arange(1, len(before) + 1)
    fig.add_trace(
        go.Scatter(
            x=idx,
            y=before,
            mode="lines",
            name=t("fig.spec.before", lang),
            line=dict(color=METHOD_COLORS["frozen"], width=8),
            hovertemplate="σ%{x}(W) = %{y:.10g}<extra></extra>",
        )
    )
    dashes = {"hra": "solid", "oft": "dash", "lora": "solid", "full": "solid"}
    for m in methods:
        ly = rep["methods"][m]["layers"][layer]
        name = f"{_name(m, lang)} · max |Δσ| = {ly['max_abs_dsigma']:.1e}"
        fig.add_trace(
            go.Scatter(
                x=idx,
                y=ly["after"],
                mode="lines+markers",
                name=name,
                line=dict(color=METHOD_COLORS.get(m), dash=dashes.get(m, "solid"), width=2),
                marker=dict(size=4),
                hovertemplate=f"{_name(m, lang)}: σ%{{x}}(W') = %{{y:.10g}}<extra></extra>",
            )
        )
    fig.update_xaxes(title=t("fig.spec.x", lang))
    fig.update_yaxes(title="σᵢ", type="log", exponentformat="power")
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return _base(fig, t("fig.spec.title", lang, layer=layer), 420)


def delta_spectra(rep: dict, layer: str, r: int, lang: str) -> go.Figure:
    """σ_i(ΔW), ΔW = W' − W: at most r non-zero for HRA and LoRA, many for full fine-tuning."""
    fig = go.Figure()
    for m, v in rep["methods"].items():
        d = np.maximum(np.asarray(v["layers"][layer]["delta"]), 1e-17)
        fig.add_trace(
            go.Scatter(
                x=np.arange(1, len(d) + 1),
                y=d,
                mode="lines+markers",
                name=_name(m, lang),
                line=dict(color=METHOD_COLORS.get(m)),
                marker=dict(size=4),
                hovertemplate=f"{_name(m, lang)}: σ%{{x}}(ΔW) = %{{y:.4g}}<extra></extra>",
            )
        )
    fig.add_vline(
        x=r + 0.5,
        line_dash="dash",
        line_color="#D55E00",
        annotation_text=t("fig.sv.rline", lang, r=r),
        annotation_position="top right",
    )
    fig.update_xaxes(title=t("fig.spec.x", lang))
    fig.update_yaxes(title="σᵢ(ΔW)", type="log", exponentformat="power", range=[-17, 1.5])
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return _base(fig, t("fig.dspec.title", lang, layer=layer), 420)


def energy_bars(table: pd.DataFrame, lang: str) -> go.Figure:
    """|HE(W') − HE(W)| / HE(W) per method and layer (log axis, floored at 1e-17 so that 0 shows)."""
    fig = go.Figure()
    for m, g in table.groupby("method", sort=False):
        rel = (g["he_after"] - g["he_before"]).abs() / g["he_before"]
        fig.add_trace(
            go.Bar(
                x=g["layer"],
                y=np.maximum(rel.to_numpy(), 1e-17),
                name=_name(str(m), lang),
                marker_color=METHOD_COLORS.get(str(m)),
                text=[f"{v:.1e}" for v in rel],
                textposition="outside",
                customdata=np.stack([g["he_before"], g["he_after"]], axis=1),
                hovertemplate=f"{_name(str(m), lang)} %{{x}}: HE = %{{customdata[0]:.10g}}"
                " → %{customdata[1]:.10g}<extra></extra>",
            )
        )
    fig.update_yaxes(type="log", range=[-17, 1], title=t("fig.energy.y", lang), exponentformat="power")
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.2))
    return _base(fig, t("fig.energy.title", lang), 400)


def hra_angles(init: dict, trained: dict, layer: str, lang: str) -> go.Figure:
    """Principal angles span(U) vs top-r right singular vectors of W, and each pair's rotation angle."""
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=(t("fig.angles.principal", lang), t("fig.angles.pairs", lang)),
    )
    for c, key in ((1, "principal_deg"), (2, "pair_deg")):
        for which, data, color in (
            ("init", init, METHOD_COLORS["frozen"]),
            ("trained", trained, METHOD_COLORS["hra"]),
        ):
            y = np.asarray(data[layer][key])
            fig.add_trace(
                go.Bar(
                    x=np.arange(1, len(y) + 1),
                    y=y,
                    name=t(f"fig.angles.{which}", lang),
                    marker_color=color,
                    showlegend=c == 1,
                    legendgroup=which,
                    hovertemplate="%{x}: %{y:.4f}°<extra></extra>",
                ),
                1,
                c,
            )
        # the unit is in the panel's title: an axis title between the panels lay over the left one
        fig.update_yaxes(range=[0, 180 if key == "pair_deg" else 90], row=1, col=c)
    fig.update_xaxes(title="i", row=1, col=1)
    fig.update_xaxes(title=t("fig.angles.pair_x", lang), row=1, col=2)
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.2))
    return _base(fig, t("fig.angles.title", lang, layer=layer), 400)
