"""Shared look: one colour per method (Okabe–Ito), fonts, layout, heatmap and hover helpers."""

from __future__ import annotations

import unicodedata

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
    "PRESENT_SCALE",
    "for_presentation",
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


# Subplot titles are one line at 16 px, 7.2-8.2 px per unit of width (a CJK glyph is 2 units;
# measured in Chromium). In the app's narrowest usual column (a 1024-px screen with the sidebar
# open, inside an expander) a figure's plot area is ~440 px wide, ~360 px beside a colour bar. Titles
# wider than the distance between two panels' centres ran into their neighbours there; a figure title
# wider than the figure was cut at its edge.
TITLE_PX_PER_UNIT = 8.2
NARROW_PLOT_PX = 440.0
NARROW_PLOT_PX_COLORBAR = 360.0
TITLE_MAX_UNITS = 58  # a figure's title (bold, 17 px) in a 530-px-wide figure


def text_units(s: str) -> int:
    """Display width of ``s`` in units of a Latin character: East Asian wide and full-width count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def wrap_title(text: str, limit: int) -> str:
    """``text`` on two lines (``<br>``) when it is wider than ``limit`` units: before a parenthesis,
    else after a colon or a "·", else at a space, else between two CJK glyphs; at the rightmost such
    point that keeps the first line within ``limit`` (never at a space beside an operator: "‖I −"
    stays whole). Unchanged when it fits or has no such point."""
    if "<br>" in text or text_units(text) <= limit:
        return text
    best, best_rank = None, -1
    for i in range(1, len(text)):
        if text_units(text[:i]) > limit:
            break
        prev, ch = text[i - 1], text[i]
        if ch in "(（":
            rank = 4
        elif prev in "：:·・":
            rank = 3
        elif prev == " " and i >= 2 and not {text[i - 2], ch} & set("−-+=×/<>≤≥"):
            rank = 2
        elif text_units(prev) == 2 and text_units(ch) == 2 and ch not in "、。）)・：":
            rank = 1
        else:
            continue
        if rank >= best_rank:
            best, best_rank = i, rank
    if best is None:
        return text
    return text[:best].rstrip() + "<br>" + text[best:].lstrip()


def _wrap_subplot_titles(fig: go.Figure) -> bool:
    """Wrap each subplot title (the annotations ``make_subplots`` adds) that is wider than the distance
    from its panel's centre to the next panel's, in the narrow column (``NARROW_PLOT_PX``). Whether a
    title of the top row now has two lines (it then needs more room under the figure's title)."""
    centres = sorted({round(sum(ax.domain) / 2, 4) for ax in fig.select_xaxes() if ax.domain})
    if len(centres) < 2:
        return False
    pitch = min(b - a for a, b in zip(centres, centres[1:], strict=False))
    bar = any(tr.type in ("heatmap", "contour") for tr in fig.data)
    limit = int(pitch * (NARROW_PLOT_PX_COLORBAR if bar else NARROW_PLOT_PX) / TITLE_PX_PER_UNIT)
    title_like = ("paper", "paper", "center", "bottom", False)
    titles = [a for a in fig.layout.annotations
              if (a.xref, a.yref, a.xanchor, a.yanchor, a.showarrow) == title_like and a.y is not None]
    top = max((a.y for a in titles), default=0.0)  # the top row's titles (paper coordinates)
    tall = False
    for a in titles:
        a.text = wrap_title(a.text or "", limit)
        tall |= "<br>" in a.text and a.y >= top - 1e-9
    return tall


def _show_empty_panels(fig: go.Figure) -> None:
    """Give each subplot that holds no trace an invisible, empty one (``meta="empty-panel"``). plotly.js
    draws no axes for a subplot without a trace, so a live figure before its first point (no history
    yet) showed its first panel's axes and only the titles of the others."""
    used = {getattr(tr, "xaxis", None) or "x" for tr in fig.data}
    for ax in fig.select_xaxes():
        ref = "x" + ax.plotly_name[len("xaxis"):]
        if ax.anchor and ref not in used:
            fig.add_trace(go.Scatter(x=[], y=[], xaxis=ref, yaxis=ax.anchor, mode="lines", showlegend=False,
                                     hoverinfo="skip", meta="empty-panel"))


def _name_x_axes_once(fig: go.Figure) -> None:
    """Drop an x-axis title that the panel right below it repeats (same title, overlapping x domain):
    between two rows it sat where the lower panel's subplot title is drawn, and ran into it once that
    title wrapped. A grid thus names its shared axis under each column's lowest panel."""
    axes = [ax for ax in fig.select_xaxes() if ax.anchor and ax.domain]

    def y_domain(ax):
        return fig.layout["yaxis" + ax.anchor[1:]].domain or (0.0, 1.0)

    repeated = [
        ax for ax in axes if ax.title.text and any(
            o is not ax and o.title.text == ax.title.text and min(ax.domain[1], o.domain[1]) > max(
                ax.domain[0], o.domain[0]) and y_domain(o)[1] < y_domain(ax)[0] for o in axes)
    ]
    for ax in repeated:  # decided first, then dropped: a middle row's title still counts for the one above
        ax.title.text = None


def _base(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    _show_empty_panels(fig)
    _name_x_axes_once(fig)
    extra = 22 * _wrap_subplot_titles(fig)
    title = wrap_title(title, TITLE_MAX_UNITS)
    extra += 22 * ("<br>" in title)
    fig.update_layout(
        # at the top of the figure, clear of subplot titles of two lines above the panels
        title=dict(text=title, x=0.0, xanchor="left", y=1.0, yref="container", yanchor="top", pad=dict(t=14)),
        height=height + extra,
        font=FONT,
        margin=dict(l=60, r=30, t=70 + extra, b=50),
        template="plotly_white",
    )
    return fig


# Presentation mode sets the page's text at 22 px; its figures' 12-px ticks and 16-px subplot titles
# stayed small on a projector. The whole figure is drawn 1.25× larger: every font, the margins and the
# height (so that whatever plotly places in paper fractions, such as a legend below the axes, keeps
# its place); the width stays the column's, which in presentation mode (no sidebar) is wide enough
# that titles wrapped for the narrow column (NARROW_PLOT_PX) still fit.
PRESENT_SCALE = 1.25
_FONT_KEYS = frozenset({"font", "tickfont", "textfont", "insidetextfont", "outsidetextfont"})
_PLOTLY_DEFAULT_FONT_PX = 12
_STREAMLIT_DEFAULT_HEIGHT_PX = 450


def _scale_fonts(node, k: float) -> None:
    if isinstance(node, dict):
        for key, v in node.items():
            if key == "hoverlabel":
                continue
            if key in _FONT_KEYS and isinstance(v, dict) and isinstance(v.get("size"), int | float):
                v["size"] = round(v["size"] * k, 1)
            _scale_fonts(v, k)
    elif isinstance(node, list | tuple):
        for v in node:
            _scale_fonts(v, k)


def for_presentation(fig: go.Figure, scale: float = PRESENT_SCALE) -> go.Figure:
    """A copy of ``fig`` drawn ``scale`` times larger for presentation mode: every font size that the
    figure sets (and plotly's 12-px default where it sets none), its margins and its height. ``fig``
    itself is left as it is (its downloads keep the normal size)."""
    spec = fig.to_plotly_json()
    layout = spec.setdefault("layout", {})
    _scale_fonts(spec, scale)
    font = layout.setdefault("font", {})
    if not isinstance(font.get("size"), int | float):
        font["size"] = round(_PLOTLY_DEFAULT_FONT_PX * scale, 1)
    margin = layout.get("margin") or {}
    layout["margin"] = {k: round(v * scale) if k in ("l", "r", "t", "b") and isinstance(v, int | float) else v
                        for k, v in margin.items()}
    layout["height"] = round((layout.get("height") or _STREAMLIT_DEFAULT_HEIGHT_PX) * scale)
    return go.Figure(spec, _validate=False)  # spec comes from a valid figure; only sizes changed


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
