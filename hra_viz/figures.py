"""Pure figure builders: data → ``plotly.graph_objects.Figure``. They never train or read app state.

* One colour per method, everywhere: ``METHOD_COLORS`` (Okabe–Ito, safe for colour-blind readers).
* Signed matrices use the diverging "RdBu" scale centred on 0; magnitudes use "Viridis".
* Every hover shows the exact value; every title is localised through ``lang``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from .geometry import mirror_planes
from .i18n import t

__all__ = [
    "METHOD_COLORS",
    "MIRROR_COLORS",
    "parameter_bars",
    "spectrum_bars",
    "step_cost_bars",
    "reflections_2d",
    "reflections_3d",
    "wy_heatmaps",
    "gamma_heatmap",
    "singular_values",
    "lora_view",
    "wy_timing_lines",
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


def to_html(fig: go.Figure) -> str:
    """Self-contained HTML (plotly.js inlined) that opens offline."""
    return fig.to_html(include_plotlyjs=True, full_html=True)


# --------------------------------------------------------------------------------------------
# home page


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


# --------------------------------------------------------------------------------------------
# reflections page


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


# --------------------------------------------------------------------------------------------
# WY page


def _mat_hover(name: str) -> str:
    return name + "[%{y}, %{x}] = %{z:.10g}<extra></extra>"


def _heat(M, name: str, coloraxis: str = "coloraxis") -> go.Heatmap:
    return go.Heatmap(z=np.asarray(M), coloraxis=coloraxis, hovertemplate=_mat_hover(name), name=name)


def wy_heatmaps(H, WY, diff, err: float, lang: str) -> go.Figure:
    """H (naive product), I + ÛΓÛᵀ and their difference, side by side; max error in the title."""
    fig = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.09,
        subplot_titles=(t("fig.wy.h", lang), t("fig.wy.wy", lang), t("fig.wy.diff", lang, err=f"{err:.1e}")),
    )
    fig.add_trace(_heat(H, "H"), 1, 1)
    fig.add_trace(_heat(WY, "I+ÛΓÛᵀ"), 1, 2)
    fig.add_trace(_heat(diff, "Δ", "coloraxis2"), 1, 3)
    lim = max(float(np.abs(np.asarray(diff)).max()), 1e-18)
    fig.update_layout(
        coloraxis=dict(colorscale="RdBu", cmin=-1, cmax=1, colorbar=dict(x=0.625, len=0.8, thickness=12)),
        coloraxis2=dict(
            colorscale="RdBu",
            cmin=-lim,
            cmax=lim,
            colorbar=dict(x=1.0, len=0.8, thickness=12, exponentformat="e"),
        ),
    )
    for c in (1, 2, 3):
        fig.update_yaxes(
            autorange="reversed", scaleanchor=f"x{'' if c == 1 else c}", constrain="domain", row=1, col=c
        )
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


# --------------------------------------------------------------------------------------------
# training and sweeps (hra_viz.train / hra_viz.sweep / the CLI). Pure: data in, Figure out.


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
    """One panel per metric in ``ys`` against ``x`` (log axis), one colour per method, from ``sweep``."""
    fig = make_subplots(rows=1, cols=len(ys), subplot_titles=ys, horizontal_spacing=0.08)
    ok = df[df["status"].astype(str).str.startswith("finished")] if "status" in df else df
    for c, y in enumerate(ys, start=1):
        for method, g in ok.groupby("method", sort=False):
            g = g.sort_values(x)
            label = g["budget_r"].astype(str) if "budget_r" in g else None
            fig.add_trace(
                go.Scatter(
                    x=g[x],
                    y=g[y],
                    mode="lines+markers",
                    name=str(method),
                    legendgroup=str(method),
                    showlegend=c == 1,
                    text=label,
                    marker=dict(color=METHOD_COLORS.get(str(method), "#000000")),
                    hovertemplate=f"{method} r=%{{text}}<br>{x}=%{{x}}<br>{y}=%{{y:.3f}}<extra></extra>",
                ),
                1,
                c,
            )
        fig.update_xaxes(type="log", title=x, row=1, col=c)
    return _base(fig, "Sweep", 420)


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


# --------------------------------------------------------------------------------------------
# live training, chain length, spectra, λ pages (data from ``hra_viz.live``)

# λ values on the regulariser page: a sequential, colour-blind-safe ramp; λ = ∞ is black.
LAMBDA_COLORS = ("#56B4E9", "#0072B2", "#009E73", "#E69F00", "#D55E00", "#CC79A7")


def _hex_rgba(color: str, alpha: float) -> str:
    c = color.lstrip("#")
    return f"rgba({int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},{alpha})"


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
    for m, g in hist.groupby("method", sort=False):
        color, name = METHOD_COLORS.get(str(m), "#000000"), _name(str(m), lang)
        ev = g[g["evaluated"].astype(bool)] if "evaluated" in g else g
        for c, (frame, col) in enumerate(((g, "loss"), (ev, "target_acc"), (ev, "retention")), start=1):
            fig.add_trace(
                go.Scatter(
                    x=frame["step"],
                    y=frame[col],
                    mode="lines+markers" if len(frame) < 3 else "lines",
                    name=name,
                    legendgroup=str(m),
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
    w = 9  # 8 pixels and a blank column per image
    notes = []  # annotations, added in one go (add_annotation copies the whole tuple every time)
    for i, m in enumerate(methods, start=1):
        s = samples[m]
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
        fig.update_xaxes(type="log", tickvals=rs, title="r", row=row, col=c)
    fig.update_yaxes(type="log", row=1, col=3, exponentformat="power")
    fig.update_yaxes(range=[0, 1.02], row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=2, col=1)
    fig.update_yaxes(range=[0, 2.1], row=2, col=2)
    fig.update_layout(legend=dict(orientation="h", y=-0.14))
    return _base(fig, t("fig.chain.title", lang), 640)


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
        fig.update_yaxes(range=[0, 180 if key == "pair_deg" else 90], title="°", row=1, col=c)
    fig.update_xaxes(title="i", row=1, col=1)
    fig.update_xaxes(title=t("fig.angles.pair_x", lang), row=1, col=2)
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.2))
    return _base(fig, t("fig.angles.title", lang, layer=layer), 400)


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
