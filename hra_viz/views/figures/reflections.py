"""The reflections page: a shape reflected by each mirror of the chain, in 2D and 3D."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import torch

from hra_viz.text import t
from hra_viz.views.figures.style import METHOD_COLORS, MIRROR_COLORS, ORIGINAL_COLOR, _base
from hra_viz.views.geometry import mirror_planes

__all__ = [
    "reflections_2d",
    "reflections_3d",
]


def _stage_name(k: int, r: int, lang: str) -> str:
    if k == 0:
        return t("fig.refl.original", lang)
    first = r - k + 1
    chain = "".join(f"H{_sub(i)}" for i in range(first, r + 1))
    return f"{chain} x"


def _sub(i: int) -> str:
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(c)] for c in str(i))


def _shape_trace_2d(P: np.ndarray, connected: bool, weights, name, color, width, opacity, show_legend=True):
    if connected:
        return go.Scatter(
            x=P[:, 0],
            y=P[:, 1],
            mode="lines",
            name=name,
            line=dict(color=color, width=width),
            opacity=opacity,
            showlegend=show_legend,
            hovertemplate=name + "<br>(%{x:.6f}, %{y:.6f})<extra></extra>",
        )
    return go.Scatter(
        x=P[:, 0],
        y=P[:, 1],
        mode="markers",
        name=name,
        opacity=opacity,
        showlegend=show_legend,
        marker=dict(color=color, size=6 + 10 * np.asarray(weights) * width / 4),
        hovertemplate=name + "<br>(%{x:.6f}, %{y:.6f})<extra></extra>",
    )


def reflections_2d(stages, U, stage: int, connected: bool, weights, lang: str) -> go.Figure:
    """Mirror lines u_i^⊥ (dashed), the vectors u_i, the shape at every stage (current one bold)."""
    U = np.asarray(U)
    r = U.shape[1]
    fig = go.Figure()
    for i in range(r):
        u = U[:, i]
        m = np.array([-u[1], u[0]]) * 1.7
        c = MIRROR_COLORS[i % len(MIRROR_COLORS)]
        fig.add_trace(
            go.Scatter(
                x=[-m[0], m[0]],
                y=[-m[1], m[1]],
                mode="lines",
                line=dict(color=c, dash="dash"),
                name=t("fig.refl.mirror", lang, i=i + 1),
                legendgroup=f"m{i}",
                hovertemplate=t("fig.refl.mirror", lang, i=i + 1) + "<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[0, 0.45 * u[0]],
                y=[0, 0.45 * u[1]],
                mode="lines+markers",
                line=dict(color=c, width=3),
                marker=dict(symbol="arrow", size=12, angleref="previous"),
                name=f"u{_sub(i + 1)}",
                legendgroup=f"m{i}",
                showlegend=False,
                hovertemplate=f"u{_sub(i + 1)} = ({u[0]:.6f}, {u[1]:.6f})<extra></extra>",
            )
        )
    for k, P in enumerate(stages):
        P = np.asarray(P)
        if k == 0:
            fig.add_trace(
                _shape_trace_2d(P, connected, weights, _stage_name(0, r, lang), ORIGINAL_COLOR, 2.5, 1.0)
            )
        elif k < stage:
            fig.add_trace(
                _shape_trace_2d(
                    P,
                    connected,
                    weights,
                    _stage_name(k, r, lang),
                    MIRROR_COLORS[(r - k) % len(MIRROR_COLORS)],
                    1.5,
                    0.35,
                )
            )
        elif k == stage:
            fig.add_trace(
                _shape_trace_2d(P, connected, weights, _stage_name(k, r, lang), METHOD_COLORS["hra"], 4, 1.0)
            )
    fig.update_xaxes(range=[-1.75, 1.75], zeroline=True, zerolinecolor="#DDD")
    fig.update_yaxes(range=[-1.75, 1.75], scaleanchor="x", scaleratio=1, zeroline=True, zerolinecolor="#DDD")
    fig.update_layout(legend=dict(orientation="v", x=1.02, y=1))
    return _base(fig, t("fig.refl.title", lang, k=stage, r=r), 560)


def reflections_3d(stages, U, stage: int, connected: bool, lang: str) -> go.Figure:
    """3-D: translucent mirror planes u_i^⊥, the vectors u_i, the shape at the chosen stage."""
    U_t = torch.as_tensor(np.asarray(U))
    r = U_t.shape[1]
    fig = go.Figure()
    for i, C in enumerate(mirror_planes(U_t)):
        c = MIRROR_COLORS[i % len(MIRROR_COLORS)]
        fig.add_trace(
            go.Mesh3d(
                x=C[:, 0],
                y=C[:, 1],
                z=C[:, 2],
                i=[0, 0],
                j=[1, 2],
                k=[2, 3],
                color=c,
                opacity=0.18,
                name=t("fig.refl.mirror", lang, i=i + 1),
                showlegend=True,
                hoverinfo="name",
            )
        )
        u = U_t[:, i].numpy()
        fig.add_trace(
            go.Scatter3d(
                x=[0, 0.6 * u[0]],
                y=[0, 0.6 * u[1]],
                z=[0, 0.6 * u[2]],
                mode="lines",
                line=dict(color=c, width=7),
                name=f"u{_sub(i + 1)}",
                showlegend=False,
                hovertemplate=f"u{_sub(i + 1)} = ({u[0]:.4f}, {u[1]:.4f}, {u[2]:.4f})<extra></extra>",
            )
        )
    for k, P in enumerate(stages):
        P = np.asarray(P)
        if k not in (0, stage) and k > stage:
            continue
        name = _stage_name(k, r, lang)
        color = (
            ORIGINAL_COLOR if k == 0 else METHOD_COLORS["hra"] if k == stage else MIRROR_COLORS[(r - k) % 6]
        )
        width = 4 if k in (0, stage) else 2
        opacity = 1.0 if k in (0, stage) else 0.35
        mode = "lines" if connected else "markers"
        fig.add_trace(
            go.Scatter3d(
                x=P[:, 0],
                y=P[:, 1],
                z=P[:, 2],
                mode=mode,
                name=name,
                opacity=opacity,
                line=dict(color=color, width=width),
                marker=dict(color=color, size=3),
                hovertemplate=name + "<br>(%{x:.4f}, %{y:.4f}, %{z:.4f})<extra></extra>",
            )
        )
    ax = dict(range=[-1.4, 1.4], zeroline=True)
    fig.update_layout(
        scene=dict(
            xaxis=ax, yaxis=ax, zaxis=ax, aspectmode="cube", camera=dict(eye=dict(x=1.3, y=-1.5, z=1.0))
        )
    )
    return _base(fig, t("fig.refl.title", lang, k=stage, r=r), 600)
