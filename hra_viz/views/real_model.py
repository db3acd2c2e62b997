"""The page "A real model": page data from ``RealRun``s and pure figure builders (data → plotly Figure).

Data helpers take runs and return plain numbers/arrays; figure builders take those and never train.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hra_viz.text import t
from hra_viz.training.real.run import RealRun
from hra_viz.views.figures.style import METHOD_COLORS, _base, _name

__all__ = [
    "short_name",
    "history_frame",
    "run_numbers",
    "qv_spectra",
    "grams",
    "max_offdiag",
    "predictions",
    "prediction_table",
    "pca_maps",
    "curves_figure",
    "spectra_figure",
    "cost_figure",
    "pca_figure",
]

CURVES = ("loss", "test_acc", "retention_cos", "retention_spearman", "knn_overlap")
_CURVE_TITLES = ("real.fig.loss", "real.fig.acc", "real.fig.cos", "real.fig.spearman", "real.fig.knn")


def short_name(module: str) -> str:
    """``encoder.layer.5.attention.self.query`` → ``L5 query``."""
    parts = module.split(".")
    layer = parts[2] if len(parts) > 2 else "?"
    kind = {"query": "query", "key": "key", "value": "value"}.get(parts[-1])
    if kind is None:
        blocks = {"attention": "attn.out", "intermediate": "ffn.in", "output": "ffn.out"}
        kind = blocks.get(parts[3], parts[-1]) if len(parts) > 3 else parts[-1]
    return f"L{layer} {kind}"


# --------------------------------------------------------------------------------------------
# page data


def history_frame(runs: dict[str, RealRun]) -> pd.DataFrame:
    rows = [{"method": m, **{k: h.get(k) for k in ("step", "evaluated", "step_time_s", *CURVES)}}
            for m, run in runs.items() for h in run.history]
    cols = ["method", "step", "evaluated", "step_time_s", *CURVES]
    return pd.DataFrame(rows, columns=cols)


def run_numbers(run: RealRun) -> dict:
    """The live numbers of one run (NaN before its first evaluation)."""
    last = run.history[-1] if run.history else {}
    nan = float("nan")
    return {
        "params": run.params_adapter,
        "acc": last.get("test_acc", nan),
        "acc_pt": 100 * (last.get("test_acc", nan) - run.baseline["acc"]),
        "cos": last.get("retention_cos", nan),
        "spearman": last.get("retention_spearman", nan),
        "knn": last.get("knn_overlap", nan),
        "step_ms": run.step_ms(),
        "peak_mb": run.memory.mb if run.memory.started else nan,
    }


def qv_spectra(run: RealRun) -> dict[str, dict]:
    """{module: {sigma_base, sigma, max_abs_dsigma}} for the adapted query and value weights."""
    names = [n for n in run.targets if n.endswith((".query", ".value"))]
    return run.spectra(names)


def grams(run: RealRun) -> dict[str, np.ndarray]:
    """{short module name: ÛᵀÛ} of every HRA layer of the run."""
    return {short_name(n): np.asarray(G) for n, G in run.grams().items()}


def max_offdiag(gs: dict[str, np.ndarray]) -> float:
    vals = [float(np.abs(G - np.diag(np.diag(G))).max()) for G in gs.values() if G.size]
    return max(vals, default=0.0)


def predictions(runs: dict[str, RealRun], per_class: int = 1) -> dict:
    """A few test sentences (``per_class`` per intent) with the true intent, the head-only baseline's
    prediction and each method's: {texts, labels, true, before, after: {method: predictions}}."""
    any_run = next(iter(runs.values()))
    real = any_run.real
    y = real.y["test"].cpu().numpy()
    picks = [int(i) for c in range(len(real.labels)) for i in np.flatnonzero(y == c)[:per_class]]
    return {
        "texts": [real.texts["test"][i] for i in picks],
        "labels": real.labels,
        "true": y[picks],
        "before": any_run.baseline["pred"].numpy()[picks],
        "after": {m: run.predict("test").cpu().numpy()[picks] for m, run in runs.items()},
    }


def prediction_table(preds: dict, lang: str) -> tuple[pd.DataFrame, dict]:
    """(table, {column: number right}) from ``predictions``."""
    labels, y, before = preds["labels"], preds["true"], preds["before"]
    rows = {t("real.pred.sentence", lang): list(preds["texts"]),
            t("real.pred.true", lang): [labels[v] for v in y],
            t("real.pred.before", lang): [labels[v] for v in before]}
    right = {t("real.pred.before", lang): int((before == y).sum())}
    for m, pred in preds["after"].items():
        col = _name(m, lang)
        rows[col] = [labels[v] for v in pred]
        right[col] = int((pred == y).sum())
    return pd.DataFrame(rows), right


def pca_maps(runs: dict[str, RealRun]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Probe embeddings on the first two principal components of the frozen model's embeddings.

    Returns (base (n, 2), {method: (n, 2)}); every map uses the same axes (the base's PCs and mean).
    """
    any_run = next(iter(runs.values()))
    E0 = any_run.base_probe.double().cpu().numpy()
    mu = E0.mean(0)
    _, _, Vt = np.linalg.svd(E0 - mu, full_matrices=False)
    P = Vt[:2].T
    after = {m: (run.embeddings("probe").double().cpu().numpy() - mu) @ P for m, run in runs.items()}
    return (E0 - mu) @ P, after


# --------------------------------------------------------------------------------------------
# figures


def curves_figure(hist: pd.DataFrame, baseline_acc: float, lang: str, steps: int | None = None) -> go.Figure:
    """Loss, test accuracy and the three retention numbers against the step, one colour per method."""
    fig = make_subplots(rows=2, cols=3, horizontal_spacing=0.07, vertical_spacing=0.16,
                        specs=[[{}, {}, {}], [{}, {}, None]],  # the legend takes the sixth cell
                        subplot_titles=[t(k, lang) for k in _CURVE_TITLES])
    cells = [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2)]
    for m, g in hist.groupby("method", sort=False):
        color, name = METHOD_COLORS.get(m, "#000000"), _name(str(m), lang)
        ev = g[g["evaluated"].astype(bool)]
        for i, (col, (r, c)) in enumerate(zip(CURVES, cells, strict=True)):
            frame = g if col == "loss" else ev
            fig.add_trace(go.Scatter(
                x=frame["step"], y=frame[col], mode="lines+markers" if len(frame) < 3 else "lines",
                name=name, legendgroup=str(m), showlegend=i == 0, line=dict(color=color, width=2),
                hovertemplate=f"{name} · step %{{x}}: %{{y:.4f}}<extra></extra>"), r, c)
    if math.isfinite(baseline_acc):
        fig.add_hline(y=baseline_acc, line=dict(color="#555555", dash="dot", width=1), row=1, col=2,
                      annotation_text=t("real.fig.baseline", lang), annotation_position="bottom right")
    # _base names the step axis once per column, under its lowest panel
    fig.update_xaxes(title=t("real.fig.step", lang), range=[0, steps] if steps else None)
    fig.update_yaxes(type="log", row=1, col=1, exponentformat="power")
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    for r, c in cells[2:]:
        fig.update_yaxes(range=[-0.05, 1.05], row=r, col=c)
    fig.update_layout(legend=dict(orientation="h", x=0.7, y=0.2, xanchor="left"))
    return _base(fig, t("real.fig.curves", lang), 560)


def spectra_figure(spectra: dict[str, dict[str, dict]], lang: str) -> go.Figure:
    """σ_i(W′) − σ_i(W) against i: one row per adapted layer, query left, value right; one colour per method.

    spectra: {method: {module: {sigma_base, sigma, max_abs_dsigma}}} (``qv_spectra`` per run).
    """
    modules = sorted({n for sp in spectra.values() for n in sp}, key=lambda n: (int(n.split(".")[2]), n))
    layers = sorted({int(n.split(".")[2]) for n in modules})
    rows = max(len(layers), 1)
    titles = [f"L{li} {k}" for li in layers for k in ("W_q", "W_v")] or [""]
    fig = make_subplots(rows=rows, cols=2, subplot_titles=titles, horizontal_spacing=0.08,
                        vertical_spacing=min(0.12, 0.5 / rows))
    shown = set()
    for m, sp in spectra.items():
        color, name = METHOD_COLORS.get(m, "#000000"), _name(m, lang)
        for n, v in sp.items():
            r = layers.index(int(n.split(".")[2])) + 1
            c = 1 if n.endswith(".query") else 2
            d = np.asarray(v["sigma"]) - np.asarray(v["sigma_base"])
            fig.add_trace(go.Scatter(
                x=np.arange(1, len(d) + 1), y=d, mode="lines", name=name, legendgroup=m,
                showlegend=m not in shown, line=dict(color=color, width=1.6),
                hovertemplate=f"{name} · {short_name(n)} · i=%{{x}}: Δσ=%{{y:.2e}}<extra></extra>"), r, c)
            shown.add(m)
    fig.update_xaxes(title=t("real.fig.index", lang), row=rows)
    fig.update_yaxes(title=t("real.fig.dsigma", lang), col=1)
    fig.update_layout(legend=dict(orientation="h", y=-0.12))
    return _base(fig, t("real.fig.spectra", lang), 180 + 170 * rows)


def cost_figure(costs: dict[str, dict], lang: str) -> go.Figure:
    """Measured ms per step, peak memory and adapter parameters per method (three bar panels).

    costs: {method: {step_ms, peak_mb, params}}.
    """
    titles = (t("real.fig.ms", lang), t("real.fig.mb", lang), t("real.fig.params", lang))
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.1, subplot_titles=titles)
    names = [_name(m, lang) for m in costs]
    colors = [METHOD_COLORS.get(m, "#000000") for m in costs]
    for c, (key, fmt) in enumerate((("step_ms", ".1f"), ("peak_mb", ".1f"), ("params", ",")), start=1):
        vals = [costs[m][key] for m in costs]
        fig.add_trace(go.Bar(
            x=names, y=[v if v is not None and math.isfinite(v) else None for v in vals], marker_color=colors,
            text=[format(v, fmt) if v is not None and math.isfinite(v) else "–" for v in vals],
            textposition="outside", showlegend=False,
            hovertemplate="%{x}: %{y:" + fmt + "}<extra></extra>"), 1, c)
    return _base(fig, t("real.fig.cost", lang), 340)


def pca_figure(base: np.ndarray, after: dict[str, np.ndarray], sentences: list[str], lang: str) -> go.Figure:
    """The probe embeddings on the base's first two principal components: grey before, colours after."""
    fig = go.Figure()
    hover = [s if len(s) <= 70 else s[:67] + "…" for s in sentences]
    fig.add_trace(go.Scattergl(
        x=base[:, 0], y=base[:, 1], mode="markers", name=t("real.fig.before", lang), text=hover,
        marker=dict(color="#BBBBBB", size=7), hovertemplate="%{text}<extra></extra>"))
    for m, A in after.items():
        name = _name(m, lang)
        fig.add_trace(go.Scattergl(
            x=A[:, 0], y=A[:, 1], mode="markers", name=name, text=hover,
            marker=dict(color=METHOD_COLORS.get(m, "#000000"), size=5, opacity=0.8),
            hovertemplate=f"{name}: %{{text}}<extra></extra>"))
    fig.update_xaxes(title=t("real.fig.pc", lang, i=1))
    fig.update_yaxes(title=t("real.fig.pc", lang, i=2), scaleanchor="x")
    return _base(fig, t("real.fig.pca", lang), 520)
