"""A/B pilots: per-seed values with mean and 95 % CI per method, paired differences, costs.

Input is the pilot dict of ``hra_viz.training.pilot.run_pilot`` (or ``load_pilot``). Accuracies
and retention are drawn in %, differences of them in points, time in ms, memory in MB.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hra_viz.text import t
from hra_viz.views.figures.style import METHOD_COLORS, _base, _name
from hra_viz.views.pilot import metric_name

__all__ = ["SCALE", "pilot_results", "pilot_diffs", "pilot_costs", "accuracy_ci_bars"]

# metric -> (factor for display, axis suffix)
SCALE = {
    "target_acc": (100.0, "%"),
    "retention": (100.0, "%"),
    "drift": (1.0, ""),
    "step_time_s": (1e3, "ms"),
    "peak_mem_mb": (1.0, "MB"),
}


def _num(v) -> float:
    return float("nan") if v is None else float(v)


def _err(mean: float, ci: list, f: float) -> tuple[float, float]:
    lo, hi = _num(ci[0]), _num(ci[1])
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return 0.0, 0.0
    return (hi - mean) * f, (mean - lo) * f


def _metric_title(metric: str, lang: str, task: str = "") -> str:
    f, unit = SCALE.get(metric, (1.0, ""))
    name = metric_name(metric, lang, task)
    return f"{name} ({unit})" if unit else name


def _diff_title(metric: str, lang: str, task: str = "") -> str:
    """Differences of accuracies are in points, not %."""
    if SCALE.get(metric, (1.0, ""))[1] == "%":
        return f"{metric_name(metric, lang, task)} ({t('pilot.unit.pts', lang, v='').strip()})"
    return _metric_title(metric, lang, task)


def _strip(fig, row, col, xs, entry: dict, f: float, color: str, name: str, seeds, show: bool, lang: str):
    vals = [_num(v) * f for v in entry["values"]]
    jitter = np.linspace(-0.18, 0.18, len(vals)) if len(vals) > 1 else np.zeros(1)
    fig.add_trace(
        go.Scatter(
            x=[xs + j for j in jitter],
            y=vals,
            mode="markers",
            name=name,
            legendgroup=name,
            showlegend=False,
            marker=dict(color=color, size=7, opacity=0.55),
            customdata=list(seeds),
            hovertemplate=f"{name} · {t('report.fig.seed', lang)} %{{customdata}}: %{{y:.4g}}<extra></extra>",
        ),
        row,
        col,
    )
    mean = _num(entry["mean"])
    up, down = _err(mean, entry["ci95"], f)
    fig.add_trace(
        go.Scatter(
            x=[xs],
            y=[mean * f],
            mode="markers",
            name=name,
            legendgroup=name,
            showlegend=show,
            marker=dict(color=color, size=13, symbol="diamond", line=dict(color="#222222", width=1)),
            error_y=dict(type="data", array=[up], arrayminus=[down], color=color, thickness=2.5, width=10),
            hovertemplate=(
                f"{name} · {t('report.fig.mean_ci', lang)}: %{{y:.4g}}"
                f" [{(mean * f) - down:.4g}, {(mean * f) + up:.4g}]<extra></extra>"
            ),
        ),
        row,
        col,
    )


def _method_panels(pilot: dict, metrics: list[str], title: str, lang: str, height: int) -> go.Figure:
    methods = list(pilot["methods"])
    seeds = pilot["setup"]["seeds"]
    fig = make_subplots(
        rows=1,
        cols=len(metrics),
        horizontal_spacing=0.09,
        subplot_titles=[_metric_title(m, lang, pilot["setup"].get("task", "")) for m in metrics],
    )
    for c, metric in enumerate(metrics, 1):
        f = SCALE.get(metric, (1.0, ""))[0]
        for i, m in enumerate(methods):
            _strip(
                fig,
                1,
                c,
                i,
                pilot["methods"][m][metric],
                f,
                METHOD_COLORS.get(m, "#333333"),
                _name(m, lang),
                seeds,
                c == 1,
                lang,
            )
        fig.update_xaxes(
            tickvals=list(range(len(methods))),
            ticktext=[_name(m, lang) for m in methods],
            range=[-0.6, len(methods) - 0.4],
            row=1,
            col=c,
        )
    fig.update_layout(legend=dict(orientation="h", y=-0.15))
    return _base(fig, title, height)


def pilot_results(pilot: dict, lang: str, metrics=("target_acc", "retention", "drift")) -> go.Figure:
    """Per method: every seed (dots), the mean (diamond) and its 95 % CI (whiskers), one panel per metric."""
    return _method_panels(pilot, list(metrics), t("report.fig.results", lang), lang, 420)


def pilot_costs(pilot: dict, lang: str) -> go.Figure:
    """Step time and peak memory per method (seeds, mean, 95 % CI), and trainable parameters (bars)."""
    fig = _method_panels(pilot, ["step_time_s", "peak_mem_mb"], t("report.fig.costs", lang), lang, 400)
    return fig


def pilot_diffs(pilot: dict, lang: str, metrics=("target_acc", "retention")) -> go.Figure:
    """First method − each other method, per seed (dots) and mean with 95 % CI; a line at 0."""
    pairs = list(pilot["paired"])
    a = pilot["setup"]["methods"][0]
    seeds = pilot["setup"]["seeds"]
    fig = make_subplots(
        rows=1,
        cols=len(metrics),
        horizontal_spacing=0.1,
        subplot_titles=[_diff_title(m, lang, pilot["setup"].get("task", "")) for m in metrics],
    )
    for c, metric in enumerate(metrics, 1):
        f = SCALE.get(metric, (1.0, ""))[0]
        for i, pair in enumerate(pairs):
            b = pair.split("-", 1)[1]
            p = pilot["paired"][pair][metric]
            entry = {"values": p["diff_values"], "mean": p["mean"], "ci95": p["ci95"]}
            _strip(
                fig,
                1,
                c,
                i,
                entry,
                f,
                METHOD_COLORS.get(b, "#333333"),
                f"{_name(a, lang)} − {_name(b, lang)}",
                seeds,
                c == 1,
                lang,
            )
        fig.add_hline(y=0, line_color="#444444", line_width=1, row=1, col=c)
        fig.update_xaxes(
            tickvals=list(range(len(pairs))),
            ticktext=[f"{_name(a, lang)} − {_name(p.split('-', 1)[1], lang)}" for p in pairs],
            range=[-0.6, len(pairs) - 0.4],
            row=1,
            col=c,
        )
    fig.update_layout(legend=dict(orientation="h", y=-0.15))
    return _base(fig, t("report.fig.diffs", lang, a=_name(a, lang)), 400)


def accuracy_ci_bars(df, lang: str) -> go.Figure:
    """Home page: mean target accuracy and retention per method with 95 % CI whiskers.

    df: method, target_acc, target_lo, target_hi, retention, retention_lo, retention_hi,
    base_target_acc (``views.pilot.home_table``).
    """
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=(t("fig.acc.target", lang), t("fig.acc.retention", lang)),
    )
    names = [_name(m, lang) for m in df.method]
    colors = [METHOD_COLORS.get(m) for m in df.method]
    for c, (col, lo, hi) in enumerate(
        (("target_acc", "target_lo", "target_hi"), ("retention", "retention_lo", "retention_hi")), 1
    ):
        y = df[col].to_numpy(dtype=float)
        up = np.nan_to_num(df[hi].to_numpy(dtype=float) - y)
        down = np.nan_to_num(y - df[lo].to_numpy(dtype=float))
        fig.add_trace(
            go.Bar(
                x=names,
                y=y,
                marker_color=colors,
                text=[f"{v:.1%}" for v in y],
                textposition="inside",
                insidetextanchor="end",
                showlegend=False,
                error_y=dict(type="data", array=up, arrayminus=down, color="#222222", thickness=1.5, width=8),
                customdata=np.stack([df[lo], df[hi]], axis=1),
                hovertemplate="%{x}: %{y:.4f} [%{customdata[0]:.4f}, %{customdata[1]:.4f}]<extra></extra>",
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
