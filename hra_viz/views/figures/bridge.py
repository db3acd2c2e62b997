"""Pure figure builders for the adapter inspector and the budget calculator (data → plotly Figure).

Same conventions as ``figures``: one colour per method, exact values on hover, localised titles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hra_viz.text import t
from hra_viz.views.figures.style import METHOD_COLORS, MIRROR_COLORS, _base, _heat, _name

__all__ = [
    "layer_norm_bars",
    "gram_gamma",
    "reflection_planes",
    "budget_bars",
]


def layer_norm_bars(df: pd.DataFrame, lang: str) -> go.Figure:
    """Per layer: ‖H − I‖_F, ‖H − I‖_2 and ‖I − ÛᵀÛ‖_F, grouped bars. df from ``inspector.layer_table``."""
    fig = go.Figure()
    series = (
        ("h_minus_i_fro", "‖H − I‖_F", "#0072B2"),
        ("h_minus_i_spec", "‖H − I‖₂", "#56B4E9"),
        ("orth_fro", "‖I − ÛᵀÛ‖_F", "#D55E00"),
    )
    for col, label, color in series:
        fig.add_trace(
            go.Bar(
                x=df.module,
                y=df[col],
                name=label,
                marker_color=color,
                hovertemplate=label + " (%{x}) = %{y:.6g}<extra></extra>",
            )
        )
    fig.add_hline(y=2.0, line_dash="dot", line_color="#888", annotation_text=t("insp.fig.max2", lang))
    fig.update_layout(barmode="group", legend=dict(orientation="h", x=1.0, xanchor="right", y=1.02,
                                                   yanchor="bottom"))
    fig.update_yaxes(title=t("insp.fig.norms.y", lang), rangemode="tozero")
    fig.update_xaxes(tickangle=-25 if len(df) > 4 else 0, automargin=True)
    return _base(fig, t("insp.fig.norms.title", lang), 440)


def gram_gamma(gram, gamma, module: str, lang: str) -> go.Figure:
    """ÛᵀÛ (cosines, I when orthonormal) and Γ (upper triangular, diagonal −2), side by side."""
    G, Gm = np.asarray(gram), np.asarray(gamma)
    r = G.shape[0]
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.14, subplot_titles=("ÛᵀÛ", t("insp.fig.gamma", lang))
    )
    fig.add_trace(_heat(G, "ÛᵀÛ"), 1, 1)
    fig.add_trace(_heat(Gm, "Γ", "coloraxis2"), 1, 2)
    lim = max(float(np.abs(Gm).max()), 2.0)
    fig.update_layout(
        coloraxis=dict(colorscale="RdBu", cmin=-1, cmax=1, colorbar=dict(x=0.43, len=0.85, thickness=12)),
        coloraxis2=dict(colorscale="RdBu", cmin=-lim, cmax=lim, colorbar=dict(x=1.0, len=0.85, thickness=12)),
    )
    ticks = dict(tickmode="array", tickvals=list(range(r)), ticktext=[str(i + 1) for i in range(r)])
    for c in (1, 2):
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{'' if c == 1 else c}", constrain="domain",
                         row=1, col=c, **(ticks if r <= 16 else {}))
        fig.update_xaxes(constrain="domain", row=1, col=c, **(ticks if r <= 16 else {}))
    return _base(fig, t("insp.fig.gram.title", lang, module=module, r=r), 430)


def reflection_planes(points, mirror_dirs, captured: float, module: str, lang: str) -> go.Figure:
    """û_i projected on the top-2 principal plane (arrows) and the mirror lines u_i^⊥ ∩ plane (dashed).

    Consecutive pairs (u_1, u_2), (u_3, u_4), … share a colour: each pair is one plane rotation.
    """
    P, L = np.asarray(points), np.asarray(mirror_dirs)
    r = P.shape[1]
    fig = go.Figure()
    th = np.linspace(0, 2 * np.pi, 121)
    fig.add_trace(
        go.Scatter(x=np.cos(th), y=np.sin(th), mode="lines", line=dict(color="#CCC", width=1),
                   hoverinfo="skip", showlegend=False)
    )
    for i in range(r):
        color = MIRROR_COLORS[(i // 2) % len(MIRROR_COLORS)]
        name = f"u{i + 1}"
        fig.add_trace(
            go.Scatter(
                x=[-1.15 * L[0, i], 1.15 * L[0, i]],
                y=[-1.15 * L[1, i], 1.15 * L[1, i]],
                mode="lines",
                line=dict(color=color, width=1.5, dash="dash" if i % 2 == 0 else "dot"),
                name=t("insp.fig.mirror", lang, i=i + 1),
                legendgroup=name,
                hoverinfo="name",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[0, P[0, i]],
                y=[0, P[1, i]],
                mode="lines+markers+text",
                marker=dict(size=[0, 9], color=color, symbol="arrow", angleref="previous"),
                line=dict(color=color, width=3),
                text=["", name],
                textposition="top center",
                name=name,
                legendgroup=name,
                showlegend=False,
                hovertemplate=name + ": (%{x:.3f}, %{y:.3f})<extra></extra>",
            )
        )
    fig.update_xaxes(range=[-1.25, 1.25], zeroline=True, title=t("insp.fig.pc", lang, k=1))
    fig.update_yaxes(range=[-1.25, 1.25], zeroline=True, scaleanchor="x", title=t("insp.fig.pc", lang, k=2))
    fig.update_layout(legend=dict(font=dict(size=11)))
    return _base(fig, t("insp.fig.planes.title", lang, module=module, pct=100 * captured), 520)


def _mb(b) -> np.ndarray:
    return np.asarray(b, dtype=float) / 1e6


def budget_bars(df: pd.DataFrame, lang: str) -> go.Figure:
    """Three panels, one bar per method: trainable parameters, memory (MB), extra flops per token.

    df from ``budget.budget_table``. Log axes: the methods differ by orders of magnitude.
    The compute panel shows HRA's fast route, HRA building H every step (PEFT 0.21), and LoRA.
    """
    names = [_name(m, lang) for m in df.method]
    colors = [METHOD_COLORS[m] for m in df.method]
    fig = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.1,
        subplot_titles=(t("cost.fig.params", lang), t("cost.fig.memory", lang), t("cost.fig.flops", lang)),
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=df.trainable,
            marker_color=colors,
            text=[f"{n:,}" for n in df.trainable],
            textposition="outside",
            customdata=np.stack([df.share_pct], axis=1),
            hovertemplate="%{x}: %{y:,} (%{customdata[0]:.4f} %)<extra></extra>",
            showlegend=False,
        ),
        1,
        1,
    )
    memory = (("adapter_bytes", "cost.fig.adapter", ""), ("optimizer_bytes", "cost.fig.adam", "/"))
    for col, key, pattern in memory:
        fig.add_trace(
            go.Bar(
                x=names,
                y=_mb(df[col]),
                marker=dict(color=colors, pattern_shape=pattern, line=dict(color="#333", width=0.5)),
                name=t(key, lang),
                offsetgroup=col,
                hovertemplate="%{x}: %{y:,.2f} MB<extra>" + t(key, lang) + "</extra>",
            ),
            1,
            2,
        )
    cx, cy, cc, ct = [], [], [], []
    for m, row in zip(df.method, df.itertuples(), strict=True):
        if m == "hra":
            cx += [t("cost.fig.hra_fast", lang), t("cost.fig.hra_build", lang)]
            cy += [row.extra_flops_per_token, row.build_h_flops_per_token]
            cc += [METHOD_COLORS["hra"], "#9A9A9A"]
        elif m == "lora":
            cx.append(_name("lora", lang))
            cy.append(row.extra_flops_per_token)
            cc.append(METHOD_COLORS["lora"])
    ct = [f"{v:.3g}" for v in cy]
    fig.add_trace(
        go.Bar(x=cx, y=cy, marker_color=cc, text=ct, textposition="outside", showlegend=False,
               hovertemplate="%{x}: %{y:.4g} flops/token<extra></extra>"),
        1,
        3,
    )
    # units in the panels' titles: an axis title between two panels lay over the left one's bars
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=1)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=3)
    fig.update_layout(barmode="group", legend=dict(orientation="h", x=0.36, y=-0.18), bargap=0.25)
    return _base(fig, t("cost.fig.title", lang), 470)
