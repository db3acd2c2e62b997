"""Live training, chain length, λ and the CLI: curves, sweeps, Gram matrices, decision boundaries, digits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hra_viz.text import t
from hra_viz.views.figures.style import LAMBDA_COLORS, METHOD_COLORS, _base, _hex_rgba, _name

__all__ = [
    "training_curves",
    "sweep_scatter",
    "decision_boundary",
    "live_curves",
    "gram_heatmaps",
    "decision_boundaries",
    "digit_grid",
    "refresh_live_curves",
    "refresh_gram_heatmaps",
    "refresh_decision_boundaries",
    "refresh_digit_grid",
    "chain_lines",
    "lambda_curves",
]


def training_curves(history: list[dict], title: str = "Training") -> go.Figure:
    """Loss (left) and target / source test accuracy (right) against the step, from ``Run.history``."""
    h = pd.DataFrame(history)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "test accuracy"), horizontal_spacing=0.1)
    if len(h):
        fig.add_trace(
            go.Scatter(
                x=h.step,
                y=h.loss,
                mode="lines",
                name="loss",
                line=dict(color=METHOD_COLORS.get("full", "#CC79A7")),
            ),
            1,
            1,
        )
        ev = h[h.evaluated] if "evaluated" in h else h
        for col, color, dash in (
            ("target_acc", METHOD_COLORS.get("hra", "#0072B2"), "solid"),
            ("source_acc", METHOD_COLORS.get("head", "#7F7F7F"), "dash"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=ev.step,
                    y=ev[col],
                    mode="lines+markers",
                    name=col.replace("_", " "),
                    line=dict(color=color, dash=dash),
                    hovertemplate="step %{x}: %{y:.3f}<extra></extra>",
                ),
                1,
                2,
            )
    fig.update_xaxes(title="step")
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    return _base(fig, title, 380)


def sweep_scatter(
    df: pd.DataFrame, x: str = "trainable_params", ys: tuple[str, ...] = ("target_acc", "source_acc")
) -> go.Figure:
    """One panel per metric in ``ys`` against ``x`` (log axis), one colour per method, from ``sweep``.

    Where a setting ran with several seeds the line joins the means, with the 95 % confidence
    interval of the mean as error bars (Student t, ``training.stats``) and every seed as a faint dot;
    with one seed per setting it is the runs themselves. HRA rows swept over several λ are one line
    per λ, in the λ colours of the regulariser page.
    """
    from hra_viz.training.stats import summarize

    fig = make_subplots(rows=1, cols=len(ys), subplot_titles=ys, horizontal_spacing=0.08)
    ok = df[df["status"].astype(str).str.startswith("finished")] if "status" in df else df
    ok = ok.copy()
    ok["series"] = ok["method"].astype(str)
    hra = ok["series"] == "hra"
    if "lam" in ok and ok.loc[hra, "lam"].nunique() > 1:
        ok.loc[hra, "series"] = [f"hra λ={v:g}" for v in ok.loc[hra, "lam"]]
    seeds = "seed" in ok and ok.groupby(["series", x])["seed"].nunique().max() > 1
    lam_series = sorted({v for v in ok["series"] if v.startswith("hra λ=")}, key=lambda v: float(v[6:]))
    for c, y in enumerate(ys, start=1):
        for (series, method), g in ok.groupby(["series", "method"], sort=False):
            color = (LAMBDA_COLORS[lam_series.index(series) % len(LAMBDA_COLORS)] if series in lam_series
                     else METHOD_COLORS.get(str(method), "#000000"))
            # the λ lines share their x (same r, same parameters): drawn a little apart, hover keeps x
            dodge = (1.0 + 0.04 * (lam_series.index(series) - (len(lam_series) - 1) / 2)
                     if series in lam_series else 1.0)
            rows = []
            for xv, cell in g.groupby(x, sort=True):
                st = summarize(cell[y].tolist())
                r = cell["budget_r"].iloc[0] if "budget_r" in cell else None
                lo, hi = st["ci95"]
                rows.append((xv, st["mean"], st["mean"] - lo if lo == lo else None,
                             hi - st["mean"] if hi == hi else None, st["n"], r))
            xs, means, minus, plus, ns, rs = zip(*rows, strict=True) if rows else ((),) * 6
            err = None
            if seeds:
                err = dict(type="data", symmetric=False, array=[v or 0 for v in plus],
                           arrayminus=[v or 0 for v in minus], thickness=1.2, width=4, color=color)
                fig.add_trace(
                    go.Scatter(x=g[x] * dodge, y=g[y], mode="markers", name=f"{series} (seeds)",
                               legendgroup=series, showlegend=False, hoverinfo="skip",
                               marker=dict(color=_hex_rgba(color, 0.35), size=5)),
                    1,
                    c,
                )
            fig.add_trace(
                go.Scatter(
                    x=[v * dodge for v in xs],
                    y=list(means),
                    error_y=err,
                    mode="lines+markers",
                    name=series,
                    legendgroup=series,
                    showlegend=c == 1,
                    customdata=[[str(rv), n, xv] for rv, n, xv in zip(rs, ns, xs, strict=True)],
                    marker=dict(color=color),
                    line=dict(color=color),
                    hovertemplate=(f"{series} r=%{{customdata[0]}}<br>{x}=%{{customdata[2]}}"
                                   + f"<br>{y}=%{{y:.3f}}"
                                   + (" (mean of %{customdata[1]} seeds)" if seeds else "")
                                   + "<extra></extra>"),
                ),
                1,
                c,
            )
        fig.update_xaxes(type="log", title=x, row=1, col=c)
    return _base(fig, "Sweep" + (" (means of seeds, 95 % CI)" if seeds else ""), 420)


def decision_boundary(
    xx: np.ndarray, yy: np.ndarray, probs: np.ndarray, points=None, title: str = "Decision boundary"
) -> go.Figure:
    """P(class 1) on the grid of ``tasks.decision_grid`` with optional (x (N, 2), y (N,)) points."""
    fig = go.Figure(
        go.Contour(
            x=xx[0],
            y=yy[:, 0],
            z=probs[..., 1],
            colorscale="RdBu",
            zmin=0,
            zmax=1,
            contours=dict(start=0, end=1, size=0.1),
            opacity=0.7,
            colorbar=dict(title="P(class 1)", thickness=12),
        )
    )
    if points is not None:
        P, lab = (np.asarray(points[0]), np.asarray(points[1]))
        fig.add_trace(
            go.Scatter(
                x=P[:, 0],
                y=P[:, 1],
                mode="markers",
                showlegend=False,
                marker=dict(
                    color=lab,
                    colorscale=[[0, "#B2182B"], [1, "#2166AC"]],
                    size=5,
                    line=dict(width=0.5, color="white"),
                ),
            )
        )
    fig.update_yaxes(scaleanchor="x")
    return _base(fig, title, 480)


def live_curves(hist: pd.DataFrame, lang: str, steps: int | None = None) -> go.Figure:
    """Loss, target accuracy and retention against the step, one colour per method.

    hist: ``live.history_frame`` (method, step, loss, target_acc, retention, evaluated).
    """
    fig = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.07,
        subplot_titles=(t("fig.live.loss", lang), t("fig.live.target", lang), t("fig.live.retention", lang)),
    )
    for m, c, x, y in _curve_traces(hist):
        color, name = METHOD_COLORS.get(m, "#000000"), _name(m, lang)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode=_curve_mode(x),
                name=name,
                legendgroup=m,
                showlegend=c == 1,
                line=dict(color=color, width=2),
                hovertemplate=f"{name} · step %{{x}}: %{{y:.4f}}<extra></extra>",
            ),
            1,
            c,
        )
    fig.update_xaxes(title=t("fig.live.step", lang), range=[0, steps] if steps else None)
    fig.update_yaxes(type="log", row=1, col=1, exponentformat="power")
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    fig.update_yaxes(range=[0, 1.1], row=1, col=3)
    fig.update_layout(legend=dict(orientation="h", y=-0.2))
    return _base(fig, t("fig.live.title", lang), 360)


def _curve_traces(hist: pd.DataFrame):
    """(method, panel 1–3, x, y) of every trace of ``live_curves``, in the order they are added."""
    for m, g in hist.groupby("method", sort=False):
        ev = g[g["evaluated"].astype(bool)] if "evaluated" in g else g
        for c, (frame, col) in enumerate(((g, "loss"), (ev, "target_acc"), (ev, "retention")), start=1):
            yield str(m), c, frame["step"], frame[col]


def _curve_mode(x) -> str:
    return "lines+markers" if len(x) < 3 else "lines"


# The live page redraws its figures on every tick. Building a plotly figure (subplots, template,
# validation) costs tens of milliseconds of CPU, which a server shared by a class pays once per tick
# per student; the refresh_* functions below put new data into a figure built by the matching
# builder instead, in a few milliseconds, and give the same figure as building it afresh. They
# return False (and change nothing) when the figure does not have the data's structure: build it.


def refresh_live_curves(fig: go.Figure, hist: pd.DataFrame) -> bool:
    """Put ``hist``'s points into a figure made by ``live_curves`` for the same methods."""
    traces = list(_curve_traces(hist))
    if len(fig.data) != len(traces) or any(
        tr.legendgroup != m or (tr.xaxis or "x") != ("x" if c == 1 else f"x{c}")
        for tr, (m, c, _, _) in zip(fig.data, traces, strict=True)
    ):
        return False
    with fig.batch_update():
        for tr, (_, _, x, y) in zip(fig.data, traces, strict=True):
            tr.update(x=x, y=y, mode=_curve_mode(x))
    return True


def gram_heatmaps(grams: dict, lang: str) -> go.Figure:
    """ÛᵀÛ (r × r) of each HRA layer: 1 on the diagonal, cosines between the u_i elsewhere."""
    names = list(grams)
    fig = make_subplots(
        rows=1, cols=max(len(names), 1), subplot_titles=names or [""], horizontal_spacing=0.06
    )
    for c, n in enumerate(names, start=1):
        G = np.asarray(grams[n])
        fig.add_trace(
            go.Heatmap(
                z=G,
                coloraxis="coloraxis",
                hovertemplate=f"{n}: " + "ûᵢ·ûⱼ [%{y}, %{x}] = %{z:.6f}<extra></extra>",
            ),
            1,
            c,
        )
        fig.update_yaxes(
            autorange="reversed", scaleanchor=f"x{'' if c == 1 else c}", constrain="domain", row=1, col=c
        )
        fig.update_xaxes(constrain="domain", row=1, col=c)
    fig.update_layout(coloraxis=dict(colorscale="RdBu", cmin=-1, cmax=1, colorbar=dict(thickness=12)))
    return _base(fig, t("fig.gram.title", lang), 330)


def refresh_gram_heatmaps(fig: go.Figure, grams: dict) -> bool:
    """Put new Gram matrices into a figure made by ``gram_heatmaps`` for the same layers."""
    names = list(grams)
    titles = [a.text for a in fig.layout.annotations]
    if len(fig.data) != len(names) or titles != (names or [""]):
        return False
    with fig.batch_update():
        for tr, n in zip(fig.data, names, strict=True):
            tr.z = np.asarray(grams[n])
    return True


def refresh_decision_boundaries(fig: go.Figure, views: dict) -> bool:
    """Put new decision grids into a figure made by ``decision_boundaries`` for the same methods."""
    if len(fig.data) != 2 * len(views) or any(
        (fig.data[2 * i].type, fig.data[2 * i + 1].type) != ("contour", "scatter") for i in range(len(views))
    ):
        return False
    with fig.batch_update():
        for i, v in enumerate(views.values()):
            fig.data[2 * i].update(x=v["xx"][0], y=v["yy"][:, 0], z=v["p1"])
            fig.data[2 * i + 1].update(x=v["x"][:, 0], y=v["x"][:, 1], marker=dict(color=v["y"]))
    return True


def decision_boundaries(views: dict, lang: str) -> go.Figure:
    """P(class 1) on a grid for each method (``live.moons_view``) with the rotated target points."""
    names = list(views)
    fig = make_subplots(
        rows=1,
        cols=max(len(names), 1),
        horizontal_spacing=0.04,
        subplot_titles=[_name(m, lang) for m in names] or [""],
    )
    for c, m in enumerate(names, start=1):
        v = views[m]
        fig.add_trace(
            go.Contour(
                x=v["xx"][0],
                y=v["yy"][:, 0],
                z=v["p1"],
                coloraxis="coloraxis",
                contours=dict(start=0, end=1, size=0.1),
                opacity=0.75,
                hovertemplate="x=%{x:.2f}, y=%{y:.2f}: P(1) = %{z:.4f}<extra></extra>",
            ),
            1,
            c,
        )
        fig.add_trace(
            go.Scatter(
                x=v["x"][:, 0],
                y=v["x"][:, 1],
                mode="markers",
                showlegend=False,
                marker=dict(
                    color=v["y"],
                    colorscale=[[0, "#B2182B"], [1, "#2166AC"]],
                    size=5,
                    line=dict(width=0.6, color="white"),
                ),
                hovertemplate="(%{x:.2f}, %{y:.2f}) label %{marker.color}<extra></extra>",
            ),
            1,
            c,
        )
        fig.update_yaxes(scaleanchor=f"x{'' if c == 1 else c}", constrain="domain", row=1, col=c)
        fig.update_xaxes(constrain="domain", row=1, col=c)
    fig.update_layout(
        coloraxis=dict(colorscale="RdBu", cmin=0, cmax=1, colorbar=dict(title="P(1)", thickness=12))
    )
    return _base(fig, t("fig.boundary.title", lang), 380)


_DIGIT_W = 9  # digit_grid: 8 pixels and a blank column per image


def _digit_rows(samples: dict, lang: str) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[dict]]:
    """``digit_grid``'s data: per method the heatmap row (z, hover text), and every annotation
    (predicted / true over each image, then the method's name), added in one go (add_annotation
    copies the whole tuple every time)."""
    w = _DIGIT_W
    rows, notes = [], []
    for i, (m, s) in enumerate(samples.items(), start=1):
        n = len(s["true"])
        z = np.full((8, n * w - 1), np.nan)
        text = np.full(z.shape, "", dtype=object)
        for j in range(n):
            z[:, j * w : j * w + 8] = np.asarray(s["images"][j])[::-1]
            text[:, j * w : j * w + 8] = f"{_name(m, lang)}: " + t(
                "fig.digits.hover", lang, pred=int(s["pred"][j]), true=int(s["true"][j])
            )
            ok = int(s["pred"][j]) == int(s["true"][j])
            notes.append(
                dict(
                    text=f"{int(s['pred'][j])} / {int(s['true'][j])}",
                    showarrow=False,
                    xref=f"x{'' if i == 1 else i}",
                    yref=f"y{'' if i == 1 else i} domain",
                    x=j * w + 3.5,
                    y=1.0,
                    yanchor="bottom",
                    font=dict(color="#000000" if ok else "#D55E00", size=13),
                )
            )
        rows.append((z, text))
        notes.append(
            dict(
                text=f"<b>{_name(m, lang)}</b>",
                showarrow=False,
                xref="paper",
                yref=f"y{'' if i == 1 else i} domain",
                x=-0.01,
                y=0.5,
                xanchor="right",
                font=dict(color=METHOD_COLORS.get(m, "#000000")),
            )
        )
    return rows, notes


def refresh_digit_grid(fig: go.Figure, samples: dict, lang: str) -> bool:
    """Put new predictions into a figure made by ``digit_grid`` for the same methods and images."""
    rows, notes = _digit_rows(samples, lang)
    if len(fig.data) != len(rows) or len(fig.layout.annotations) != len(notes):
        return False
    if any(np.shape(tr.z) != z.shape for tr, (z, _) in zip(fig.data, rows, strict=True)):
        return False
    with fig.batch_update():
        for tr, (z, text) in zip(fig.data, rows, strict=True):
            tr.update(z=z, text=text)
        fig.layout.annotations = notes
    return True


def digit_grid(samples: dict, lang: str) -> go.Figure:
    """One row per method of the same target test images, titled with predicted / true label.

    samples: {method: ``live.digit_samples``}. Wrong predictions are written in orange. Each row is
    one heatmap of the images side by side (a blank column between two images), so the figure has
    one subplot per method rather than one per image: it draws several times faster in the browser,
    which matters because the live page redraws it on every training tick.
    """
    methods = list(samples)
    n = len(samples[methods[0]]["true"]) if methods else 1
    k = max(len(methods), 1)
    fig = make_subplots(rows=k, cols=1, vertical_spacing=0.3 / k)
    w = _DIGIT_W
    rows, notes = _digit_rows(samples, lang)
    for i, (z, text) in enumerate(rows, start=1):
        fig.add_trace(
            go.Heatmap(
                z=z,
                text=text,
                coloraxis="coloraxis",
                hoverongaps=False,
                hovertemplate="%{text}<extra></extra>",
            ),
            i,
            1,
        )
    fig.update_layout(annotations=notes)
    fig.update_xaxes(visible=False, range=[-0.5, n * w - 1.5])
    fig.update_yaxes(visible=False)
    fig.update_layout(coloraxis=dict(colorscale="gray_r", showscale=False))
    fig = _base(fig, t("fig.digits.title", lang), 130 + 110 * k)
    fig.update_layout(margin=dict(l=110, r=20, t=80, b=20))
    return fig


def chain_lines(df: pd.DataFrame, lang: str) -> go.Figure:
    """The chain-length sweep against r: accuracy, retention, parameters, time per step, ‖H − I‖.

    df: ``live.chain_sweep``. Methods without an r (full fine-tuning) are a dashed horizontal line.
    With several seeds per cell, pass ``views.pilot.seed_bands(df)``: lines are then means and
    ``{col}_lo``/``{col}_hi`` are drawn as 95 % CI bands.
    """
    panels = [
        ("target_acc", "fig.chain.target"),
        ("retention", "fig.chain.retention"),
        ("trainable_params", "fig.chain.params"),
        ("time_per_step_s", "fig.chain.time"),
        ("h_minus_i_spec_max", "fig.chain.hmi_spec"),
        ("h_minus_i_fro_max", "fig.chain.hmi_fro"),
    ]
    fig = make_subplots(
        rows=2,
        cols=3,
        subplot_titles=[t(k, lang) for _, k in panels],
        horizontal_spacing=0.08,
        vertical_spacing=0.16,
    )
    ok = df[df["status"].astype(str).str.startswith("finished")]
    rs = sorted(int(v) for v in ok["budget_r"].dropna().unique()) or [1]
    for i, (col, _) in enumerate(panels):
        row, c = i // 3 + 1, i % 3 + 1
        if col not in ok:
            continue
        for label, g in ok.groupby("label", sort=False):
            method = str(g["method"].iloc[0])
            color = METHOD_COLORS.get(method, "#000000")
            y = g[col] * (1e3 if col == "time_per_step_s" else 1)
            if y.isna().all():
                continue
            name = _name(method, lang) if label == method else str(label).replace("hra", "HRA")
            show = i == 0
            if g["budget_r"].isna().all():  # no r: one value, drawn across the r axis
                fig.add_trace(
                    go.Scatter(
                        x=[rs[0], rs[-1]],
                        y=[float(y.iloc[0])] * 2,
                        mode="lines",
                        name=name,
                        legendgroup=str(label),
                        showlegend=show,
                        line=dict(color=color, dash="dash"),
                        hovertemplate=f"{name}: %{{y:.4g}}<extra></extra>",
                    ),
                    row,
                    c,
                )
                continue
            g = g.assign(_y=y).sort_values("budget_r")
            setting = [
                f"r={v}" if m == "lora" or m == "hra" else f"b={b}"
                for m, v, b in zip(g["method"], g["r"], g["block_size"], strict=True)
            ]
            dash = "dot" if "λ" in str(label) and not str(label).endswith("=0") else "solid"
            if f"{col}_lo" in g and g[f"{col}_lo"].notna().any():  # 95 % CI over seeds (seed_bands)
                band = g[g[f"{col}_lo"].notna()]
                xs = band["budget_r"].astype(float).tolist()
                f = 1e3 if col == "time_per_step_s" else 1
                fig.add_trace(
                    go.Scatter(
                        x=xs + xs[::-1],
                        y=(band[f"{col}_hi"] * f).tolist() + (band[f"{col}_lo"] * f).tolist()[::-1],
                        fill="toself",
                        mode="lines",
                        line=dict(width=0),
                        fillcolor=_hex_rgba(color, 0.18),
                        name=f"{name} · 95 % CI",
                        legendgroup=str(label),
                        showlegend=False,
                        hoverinfo="skip",
                    ),
                    row,
                    c,
                )
            fig.add_trace(
                go.Scatter(
                    x=g["budget_r"].astype(float),
                    y=g["_y"],
                    mode="lines+markers",
                    name=name,
                    legendgroup=str(label),
                    showlegend=show,
                    text=setting,
                    line=dict(color=color, dash=dash if method == "hra" else "solid"),
                    hovertemplate=f"{name} (%{{text}}) · r=%{{x}}: %{{y:.4g}}<extra></extra>",
                ),
                row,
                c,
            )
        fig.update_xaxes(type="log", tickvals=rs, title="r", row=row, col=c)  # _base: bottom row only
    fig.update_yaxes(type="log", row=1, col=3, exponentformat="power")
    fig.update_yaxes(range=[0, 1.02], row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=2, col=1)
    fig.update_yaxes(range=[0, 2.1], row=2, col=2)
    fig.update_layout(legend=dict(orientation="h", y=-0.14))
    return _base(fig, t("fig.chain.title", lang), 640)


def lambda_curves(curves: pd.DataFrame, lang: str) -> go.Figure:
    """Penalty, ‖H − I‖₂, mean pair rotation angle and target accuracy over training, per λ."""
    panels = [
        ("penalty", "fig.lam.penalty"),
        ("h_minus_i_spec", "fig.lam.hmi"),
        ("pair_deg_mean", "fig.lam.pairs"),
        ("target_acc", "fig.lam.target"),
    ]
    fig = make_subplots(
        rows=1, cols=4, horizontal_spacing=0.06, subplot_titles=[t(k, lang) for _, k in panels]
    )
    labels = list(dict.fromkeys(curves["lam"]))
    for i, lab in enumerate(labels):
        g = curves[curves["lam"] == lab]
        inf = lab == "inf"
        name = "λ = ∞ (orthonormal)" if inf else f"λ = {lab}"
        color = "#000000" if inf else LAMBDA_COLORS[i % len(LAMBDA_COLORS)]
        for c, (col, _) in enumerate(panels, start=1):
            if g[col].isna().all():
                continue
            fig.add_trace(
                go.Scatter(
                    x=g["step"],
                    y=g[col],
                    mode="lines",
                    name=name,
                    legendgroup=lab,
                    showlegend=c == 1,
                    line=dict(color=color, dash="dash" if inf else "solid"),
                    hovertemplate=f"{name} · step %{{x}}: %{{y:.5g}}<extra></extra>",
                ),
                1,
                c,
            )
    fig.update_xaxes(title=t("fig.live.step", lang))
    fig.update_yaxes(range=[0, 2.1], row=1, col=2)
    fig.update_yaxes(range=[0, 180], row=1, col=3)
    fig.update_yaxes(range=[0, 1.02], row=1, col=4)
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return _base(fig, t("fig.lam.title", lang), 400)
