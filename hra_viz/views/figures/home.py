"""The home page: parameters, spectrum kept, cost of a step, accuracy and retention per method."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hra_viz.text import t
from hra_viz.views.figures.style import METHOD_COLORS, _base, _name

__all__ = [
    "parameter_bars",
    "spectrum_bars",
    "step_cost_bars",
    "accuracy_bars",
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
    """Measured ms per training step per method. df: method, ms_per_step, vs_lora."""
    fig = _method_bars(
        df.method, df.ms_per_step, [f"{v:.2f} ms" for v in df.ms_per_step], [df.vs_lora],
        "%{x}: %{y:.3f} ms (× %{customdata[0]:.2f} LoRA)<extra></extra>", lang,
    )  # fmt: skip
    fig.update_yaxes(title=t("fig.cost.y", lang), rangemode="tozero")
    return _base(fig, t("fig.cost.title", lang), 380)


def accuracy_bars(df: pd.DataFrame, lang: str) -> go.Figure:
    """Target accuracy and retention per method (``live.home_comparison``), base model as a line."""
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=(t("fig.acc.target", lang), t("fig.acc.retention", lang)),
    )
    names = [_name(m, lang) for m in df.method]
    colors = [METHOD_COLORS.get(m) for m in df.method]
    for c, col in ((1, "target_acc"), (2, "retention")):
        fig.add_trace(
            go.Bar(
                x=names,
                y=df[col],
                marker_color=colors,
                text=[f"{v:.1%}" for v in df[col]],
                textposition="outside",
                showlegend=False,
                hovertemplate="%{x}: %{y:.4f}<extra></extra>",
            ),
            1,
            c,
        )
    base = float(df["base_target_acc"].iloc[0])
    fig.add_hline(
        y=base,
        line_dash="dash",
        line_color="#555555",
        row=1,
        col=1,
        annotation_text=t("fig.acc.base", lang, v=f"{base:.1%}"),
        annotation_position="top left",
    )
    fig.update_yaxes(range=[0, 1.15], tickformat=".0%")
    return _base(fig, t("fig.acc.title", lang), 380)
