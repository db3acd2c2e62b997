"""Shared look: one colour per method (Okabe–Ito), fonts, layout, heatmap and hover helpers."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from hra_viz.text import t

__all__ = [
    "METHOD_COLORS",
    "METHOD_NAMES",
    "MIRROR_COLORS",
    "ORIGINAL_COLOR",
    "FONT",
    "LAMBDA_COLORS",
    "to_html",
]


# Okabe–Ito palette: distinguishable with every common colour-vision deficiency.
METHOD_COLORS = {
    "hra": "#0072B2",  # blue
    "lora": "#E69F00",  # orange
    "oft": "#009E73",  # green
    "full": "#CC79A7",  # purple
    "head": "#7F7F7F",  # grey
    "frozen": "#BBBBBB",
}


METHOD_NAMES = {"hra": "HRA", "lora": "LoRA", "oft": "OFT", "full": "Full FT", "head": "Head only"}


MIRROR_COLORS = ("#D55E00", "#56B4E9", "#009E73", "#CC79A7", "#E69F00", "#000000")


ORIGINAL_COLOR = "#9A9A9A"


FONT = dict(family="Inter, 'Noto Sans JP', 'Hiragino Sans', 'Yu Gothic', sans-serif")


# λ values on the regulariser page: a sequential, colour-blind-safe ramp; λ = ∞ is black.
LAMBDA_COLORS = ("#56B4E9", "#0072B2", "#009E73", "#E69F00", "#D55E00", "#CC79A7")


def _name(m: str, lang: str) -> str:
    return t(f"method.{m}", lang)


def _base(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0.0, xanchor="left"),
        height=height,
        font=FONT,
        margin=dict(l=60, r=30, t=70, b=50),
        template="plotly_white",
    )
    return fig


def show_empty_panels(fig: go.Figure, cells) -> go.Figure:
    """Give each (row, col) subplot in ``cells`` an invisible, empty trace. plotly.js draws no axes
    for a subplot that holds no trace, so a live figure before its first point (no history yet)
    showed its first panel's axes and only the titles of the others."""
    for r, c in cells:
        fig.add_trace(go.Scatter(x=[], y=[], mode="lines", showlegend=False, hoverinfo="skip",
                                 meta="empty-panel"), r, c)
    return fig


def to_html(fig: go.Figure) -> str:
    """Self-contained HTML (plotly.js inlined) that opens offline."""
    return fig.to_html(include_plotlyjs=True, full_html=True)


def _mat_hover(name: str) -> str:
    return name + "[%{y}, %{x}] = %{z:.10g}<extra></extra>"


def _heat(M, name: str, coloraxis: str = "coloraxis") -> go.Heatmap:
    return go.Heatmap(z=np.asarray(M), coloraxis=coloraxis, hovertemplate=_mat_hover(name), name=name)


def _hex_rgba(color: str, alpha: float) -> str:
    c = color.lstrip("#")
    return f"rgba({int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},{alpha})"
