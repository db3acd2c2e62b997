"""The home page: parameters, spectrum kept, cost of a step, accuracy and retention per method."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hra_viz.text import t
from hra_viz.views.figures.style import METHOD_COLORS, _base, _name

__all__ = [
    "parameter_bars",
    "spectrum_bars",
    "step_cost_bars",
]


def _method_bars(methods, y, text, customdata, hovertemplate: str, lang: str) -> go.Figure:
    """One bar per method in its colour, the value written above it; the home page's bar charts."""
    return go.Figure(
        go.Bar(
            x=[_name(m, lang) for m in methods],
            y=y,
            marker_color=[METHOD_COLORS[m] for m in methods],
            text=text,
            textposition="outside",
            customdata=np.stack(customdata, axis=1),
            hovertemplate=hovertemplate,
        )
    )


def parameter_bars(df: pd.DataFrame, lang: str) -> go.Figure:
    """Trainable parameters per method (log axis). df: method, trainable, share_of_full."""
    fig = _method_bars(
        df.method, df.trainable, [f"{n:,}" for n in df.trainable], [df.share_of_full * 100],
        "%{x}: %{y:,} (%{customdata[0]:.3f} %)<extra></extra>", lang,
    )  # fmt: skip
    fig.update_yaxes(type="log", title=t("fig.params.y", lang), exponentformat="power")
    return _base(fig, t("fig.params.title", lang), 380)


def spectrum_bars(df: pd.DataFrame, lang: str) -> go.Figure:
    """max |Δσ| of W per method at equal ‖ΔW‖ (log axis, floored at 1e-17 so that 0 shows)."""
    fig = _method_bars(
        df.method, np.maximum(df.max_sigma_change.to_numpy(), 1e-17),
        [f"{v:.1e}" for v in df.max_sigma_change],
        [df.max_sigma_change, df.max_neuron_angle_change_deg],
        "%{x}: max |Δσ| = %{customdata[0]:.3e}<br>max |Δ∠| = %{customdata[1]:.3e}°<extra></extra>", lang,
    )  # fmt: skip
    fig.update_yaxes(type="log", title=t("fig.spectrum.y", lang), range=[-17, 1], exponentformat="power")
    return _base(fig, t("fig.spectrum.title", lang), 380)


def step_cost_bars(df: pd.DataFrame, lang: str) -> go.Figure:
    """Measured ms per training step per method. df: method, ms_per_step, vs_lora (a ``hra_dense`` row,
    H built as a d × d matrix, is left to the caption: its bar would flatten the others)."""
    df = df[df.method != "hra_dense"]
    fig = _method_bars(
        df.method, df.ms_per_step, [f"{v:.2f} ms" for v in df.ms_per_step], [df.vs_lora],
        "%{x}: %{y:.3f} ms (× %{customdata[0]:.2f} LoRA)<extra></extra>", lang,
    )  # fmt: skip
    fig.update_yaxes(title=t("fig.cost.y", lang), rangemode="tozero")
    return _base(fig, t("fig.cost.title", lang), 380)
