"""The chain = I + UΓUᵀ page: H two ways, Γ, the spectrum of H − I, the LoRA view, timings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hra_viz.text import t
from hra_viz.views.figures.style import METHOD_COLORS, _base, _heat, _mat_hover

__all__ = [
    "wy_heatmaps",
    "gamma_heatmap",
    "singular_values",
    "lora_view",
    "wy_timing_lines",
]


def wy_heatmaps(H, WY, diff, err: float, lang: str) -> go.Figure:
    """H (naive product), I + ÛΓÛᵀ and their difference, side by side; max error in the title."""
    fig = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.05,
        subplot_titles=(t("fig.wy.h", lang), t("fig.wy.wy", lang), t("fig.wy.diff", lang, err=f"{err:.1e}")),
    )
    fig.add_trace(_heat(H, "H"), 1, 1)
    fig.add_trace(_heat(WY, "I+ÛΓÛᵀ"), 1, 2)
    fig.add_trace(_heat(diff, "Δ", "coloraxis2"), 1, 3)
    lim = max(float(np.abs(np.asarray(diff)).max()), 1e-18)
    # both colour bars at the right edge, one above the other (H and I + ÛΓÛᵀ share the upper one):
    # placed between the panels, a bar and its labels covered the next panel in a narrow column
    bar = dict(x=1.02, xanchor="left", len=0.47, thickness=12)
    fig.update_layout(
        coloraxis=dict(colorscale="RdBu", cmin=-1, cmax=1,
                       colorbar=dict(bar, y=1.0, yanchor="top", title=dict(text="H", side="top"))),
        coloraxis2=dict(colorscale="RdBu", cmin=-lim, cmax=lim,
                        colorbar=dict(bar, y=0.0, yanchor="bottom", exponentformat="e", nticks=5,
                                      title=dict(text="Δ", side="top"))),
    )
    for c in (1, 2, 3):
        # square cells; in a narrow column the squares sit under their titles; one set of row labels
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{'' if c == 1 else c}", constrain="domain",
                         constraintoward="top", showticklabels=c == 1, row=1, col=c)
        fig.update_xaxes(constrain="domain", row=1, col=c)
    return _base(fig, t("fig.wy.title", lang), 470)


def gamma_heatmap(Gamma, lang: str) -> go.Figure:
    """Γ (r × r): upper triangular with −2 on its diagonal; values written in the cells for small r."""
    G = np.asarray(Gamma)
    r = G.shape[0]
    lim = max(float(np.abs(G).max()), 2.0)
    fig = go.Figure(
        go.Heatmap(
            z=G,
            colorscale="RdBu",
            zmin=-lim,
            zmax=lim,
            hovertemplate=_mat_hover("Γ"),
            text=np.round(G, 2) if r <= 12 else None,
            texttemplate="%{text}" if r <= 12 else None,
        )
    )
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_xaxes(constrain="domain", side="top", dtick=1 if r <= 12 else None)
    fig.update_yaxes(dtick=1 if r <= 12 else None)
    return _base(fig, t("fig.gamma.title", lang, r=r), 460)


def singular_values(sv, r: int, lang: str) -> go.Figure:
    """All d singular values of H − I; at most r of them are non-zero (a dashed line marks r)."""
    sv = np.asarray(sv)
    fig = go.Figure(
        go.Bar(
            x=np.arange(1, len(sv) + 1),
            y=sv,
            marker_color=METHOD_COLORS["hra"],
            hovertemplate="σ%{x} = %{y:.10g}<extra></extra>",
            name="σ",
        )
    )
    fig.add_vline(
        x=r + 0.5,
        line_dash="dash",
        line_color="#D55E00",
        annotation_text=t("fig.sv.rline", lang, r=r),
        annotation_position="top right",
    )
    fig.update_xaxes(title=t("fig.sv.x", lang))
    fig.update_yaxes(title=t("fig.sv.y", lang), range=[0, 2.15])
    return _base(fig, t("fig.sv.title", lang), 400)


def lora_view(W, A, B, WH, lang: str) -> go.Figure:
    """W H = W + A B with A = W Û Γ (d_out × r) and B = Ûᵀ (r × d): four heatmaps with their shapes."""
    mats = [("W H", WH), ("W", W), ("A = WÛΓ", A), ("B = Ûᵀ", B)]
    titles = [f"{n}  ({np.asarray(M).shape[0]}×{np.asarray(M).shape[1]})" for n, M in mats]
    widths = [max(np.asarray(M).shape[1], 0.4 * np.asarray(WH).shape[1]) for _, M in mats]  # room for titles
    fig = make_subplots(
        rows=1,
        cols=4,
        subplot_titles=titles,
        horizontal_spacing=0.07,
        column_widths=[w / sum(widths) for w in widths],
    )
    lim = max(float(np.abs(np.asarray(M)).max()) for _, M in mats)
    for c, (n, M) in enumerate(mats, start=1):
        fig.add_trace(_heat(M, n.split(" ")[0]), 1, c)
        fig.update_yaxes(autorange="reversed", row=1, col=c)
    fig.update_layout(coloraxis=dict(colorscale="RdBu", cmin=-lim, cmax=lim, colorbar=dict(thickness=12)))
    return _base(fig, t("fig.lora.title", lang), 360)


def wy_timing_lines(df: pd.DataFrame, lang: str) -> go.Figure:
    """Measured ms to obtain W H: naive chain vs WY route, against d (log axes)."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=df.d,
            y=df.naive_ms,
            mode="lines+markers",
            name=t("fig.timing.naive", lang),
            line=dict(color=METHOD_COLORS["full"]),
            hovertemplate="d=%{x}: %{y:.4f} ms<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=df.d,
            y=df.wy_ms,
            mode="lines+markers",
            name=t("fig.timing.wy", lang),
            line=dict(color=METHOD_COLORS["hra"]),
            hovertemplate="d=%{x}: %{y:.4f} ms<extra></extra>",
        )
    )
    fig.update_xaxes(type="log", title="d", tickvals=list(df.d))
    fig.update_yaxes(type="log", title=t("fig.timing.y", lang), exponentformat="power")
    return _base(fig, t("fig.timing.title", lang, r=int(df.r.max())), 380)
