"""Streamlit glue: the URL, widgets built from the state registry, presets, downloads, presentation mode.

The engine (``hra_viz``) never imports streamlit; this module is the only place where the registry
meets widgets. Every widget is bound to the URL (``bind="query-params"``) under its registry key.

URL safety: ``sanitize_url()`` runs at the top of every script run, *before* any widget exists. It
parses each known parameter with ``state.parse``; when a value is invalid or out of range it writes
the fixed value back to the URL, remembers a warning and reruns, so that Streamlit's own URL seeding
only ever sees safe, canonical values (Streamlit would otherwise silently reset or, for some
inputs, accept values we reject).
"""

from __future__ import annotations

import functools
import io
import json
import threading
from typing import NoReturn

import pandas as pd
import streamlit as st
import torch
from streamlit.errors import StreamlitAPIException

from hra_viz.app.state import CONTROLS, PRESETS, canonical, parse, preset_params, presets_for
from hra_viz.text import t
from hra_viz.views import figures

_WARN_KEY = "_url_warnings"
_RERUNS_KEY = "_url_fix_reruns"
LANG_NAMES = {"en": "English", "ja": "日本語"}


# --------------------------------------------------------------------------------------------
# language and URL


def lang() -> str:
    v = st.session_state.get("lang", "en")
    return v if v in ("en", "ja") else "en"


def available_devices() -> list[str]:
    out = ["auto", "cpu"]
    if torch.cuda.is_available():
        out.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        out.append("mps")
    return out


def resolve_device(choice: str) -> str:
    """'auto' → cuda, else mps, else cpu."""
    if choice != "auto":
        return choice
    avail = available_devices()
    return "cuda" if "cuda" in avail else "mps" if "mps" in avail else "cpu"


def _raw(key: str):
    vals = st.query_params.get_all(key)
    return vals[0] if len(vals) == 1 else vals


def init_lang() -> None:
    """Seed the session's language from the URL (first run only; later the widget owns it)."""
    value = "en"
    if "lang" in st.query_params:
        value, _ = parse("lang", _raw("lang"))
    st.session_state["lang"] = value


def sanitize_url() -> None:
    """Check every known URL parameter before any widget reads it; fix, warn and rerun if needed."""
    if "lang" not in st.session_state:  # the language first: warnings are written in it
        init_lang()
    lg = lang()
    warnings, fixes = [], {}
    for key in CONTROLS:
        if key not in st.query_params:
            continue
        raw = _raw(key)
        value, warn = parse(key, raw, lg)
        if key == "device" and value not in available_devices():
            warn = t("warn.device", lg, value=value)
            value = "auto"
        if warn:
            warnings.append(warn)
        if warn or raw != canonical(key, value):
            fixes[key] = value
    if not fixes or st.session_state.get(_RERUNS_KEY, 0) >= 2:
        st.session_state[_RERUNS_KEY] = 0
        return
    for key, value in fixes.items():
        try:
            if value == CONTROLS[key].default:
                del st.query_params[key]
            else:
                st.query_params[key] = canonical(key, value)
        except StreamlitAPIException:  # already bound to a widget: set it through session state
            st.session_state[key] = list(value) if isinstance(value, tuple) else value
    if "lang" in fixes:
        st.session_state["lang"] = fixes["lang"]
    st.session_state[_WARN_KEY] = st.session_state.get(_WARN_KEY, []) + warnings
    st.session_state[_RERUNS_KEY] = st.session_state.get(_RERUNS_KEY, 0) + 1
    st.rerun()


def show_url_warnings() -> None:
    """Show, once, a warning for every URL value that was clamped or reset."""
    for w in st.session_state.pop(_WARN_KEY, []):
        st.warning(w, icon="⚠️")


def _sync_lang_to_url() -> None:
    lg = lang()
    want = None if lg == CONTROLS["lang"].default else lg
    have = st.query_params.get("lang")
    if have != want:
        if want is None:
            del st.query_params["lang"]
        else:
            st.query_params["lang"] = want


def language_selector() -> str:
    """English / 日本語. The URL key ``lang`` (en|ja) is kept in sync by hand: a bound widget would
    write its display text ("日本語") into the URL."""
    st.radio(
        "Language · 言語",
        options=["en", "ja"],
        format_func=LANG_NAMES.get,
        key="lang",
        horizontal=True,
        on_change=_sync_lang_to_url,
    )
    _sync_lang_to_url()
    return lang()


# --------------------------------------------------------------------------------------------
# widgets from the registry


def control(key: str, where=None, **overrides):
    """Create the widget for registry entry ``key`` (bound to the URL) and return its value."""
    c = CONTROLS[key]
    w = where if where is not None else st
    lg = lang()
    common = dict(label=c.label(lg), help=c.help(lg), key=key, bind="query-params")
    common.update(overrides)
    if c.widget == "toggle":
        return w.toggle(value=c.default, **common)
    if c.type == "multi":
        return tuple(
            w.multiselect(
                options=list(c.choices), default=list(c.default), max_selections=c.max_items or None, **common
            )
        )
    if c.widget == "number":
        return w.number_input(
            min_value=int(c.lo), max_value=int(c.hi), value=c.default, step=int(c.step), **common
        )
    if c.widget == "select_slider":
        return w.select_slider(
            options=list(c.choices), value=c.default, format_func=lambda v: f"{v:g}", **common
        )
    if c.type == "choice":
        options = list(c.choices) if key != "device" else available_devices()
        # Options are shown as their URL tokens (a bound widget writes its display text into the URL,
        # so the text must not depend on the language); the help text explains each one.
        if c.widget == "selectbox":
            return w.selectbox(options=options, index=options.index(c.default), **common)
        return w.segmented_control(options=options, default=c.default, required=True, **common)
    if c.type == "int":
        return w.slider(
            min_value=int(c.lo), max_value=int(c.hi), value=int(c.default), step=int(c.step), **common
        )
    return w.slider(
        min_value=float(c.lo), max_value=float(c.hi), value=float(c.default), step=float(c.step), **common
    )


# --------------------------------------------------------------------------------------------
# presets


def _apply_preset(name: str) -> None:
    for k, v in PRESETS[name].values.items():
        st.session_state[k] = list(v) if isinstance(v, tuple) else v


def preset_link(name: str) -> str:
    p = PRESETS[name]
    q = "&".join(
        "&".join(f"{k}={x}" for x in v) if isinstance(v, list) else f"{k}={v}"
        for k, v in preset_params(name).items()
    )
    return f"/{p.page}?{q}"


def preset_buttons(page: str, where=None) -> None:
    """One button per preset of this page; clicking sets every value (widgets and URL follow)."""
    w = where if where is not None else st
    lg = lang()
    items = presets_for(page)
    if not items or presenting():  # presentation mode shows them in ``presentation_bar``
        return
    w.markdown(f"**{t('ui.presets', lg)}**")
    for p in items:
        w.button(
            p.label(lg),
            help=f"{p.help(lg)}  \n`{preset_link(p.name)}`",
            key=f"preset_{p.name}",
            on_click=_apply_preset,
            args=(p.name,),
            width="stretch",
        )


# --------------------------------------------------------------------------------------------
# downloads


def _csv(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue()


def downloads(figs: dict, tables: dict, key: str) -> None:
    """Download buttons: each figure as self-contained HTML, all numbers as one CSV per table.

    The files are made when a button is clicked (a callable ``data``), not on every run: a figure's
    HTML inlines plotly.js (~4.7 MB), so building them eagerly cost each run several such strings.
    """
    lg = lang()
    # one row that wraps, each button as wide as its label: in columns, eight buttons (the home page
    # in presentation mode) were cut to "⬇ pa…"
    row = st.container(horizontal=True, wrap=True)
    for name, fig in figs.items():
        row.download_button(
            t("ui.dl_html", lg, name=name),
            data=functools.partial(figures.to_html, fig),
            file_name=f"{key}-{name}.html",
            mime="text/html",
            key=f"dl_{key}_{name}",
            on_click="ignore",
        )
    for name, df in tables.items():
        row.download_button(
            t("ui.dl_csv", lg, name=name),
            data=functools.partial(_csv, df),
            file_name=f"{key}-{name}.csv",
            mime="text/csv",
            key=f"dl_{key}_{name}_csv",
            on_click="ignore",
        )


def numbers_table(rows: dict) -> pd.DataFrame:
    """A two-column (quantity, value) table from a flat dict of live numbers, for CSV export."""
    return pd.DataFrame(
        {
            "quantity": list(rows),
            "value": [json.dumps(v) if isinstance(v, (list, dict)) else v for v in rows.values()],
        }
    )


# --------------------------------------------------------------------------------------------
# presentation mode

# Text at 22 px for a projector; the sidebar and Streamlit's header (which only held the hidden toolbar,
# and covered 3.75rem = 82 px of the slide) are hidden. The slide picker is the presenter's navigation,
# not what the room reads: smaller, so that a page's six slide titles do not fill the first screen;
# the same for the presenter's toolbar, which then fits one line of a 1024-px screen. Previous / Next
# keep their shortcuts (PageUp / PageDown) in the tooltip: drawn on the buttons, the key names pushed
# "Leave presentation" onto a second line.
_PRESENT_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 22px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header [data-testid="stToolbar"], header[data-testid="stHeader"] { display: none !important; }
[data-testid="stMainBlockContainer"] {
  max-width: 1400px; padding-top: 1.5rem;
  padding-left: clamp(1rem, 4vw, 5rem); padding-right: clamp(1rem, 4vw, 5rem); }
h1 { font-size: 2.6rem !important; } h2, h3 { font-size: 1.9rem !important; }
[data-testid="stMetricValue"] * { font-size: clamp(1.15rem, 20cqi, 2.6rem) !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.25rem; }
[class*="st-key-slide_"] [data-testid="stMarkdownContainer"] p { font-size: 0.85rem; }
.st-key-present_toolbar button kbd { display: none; }
.st-key-present_toolbar button { min-height: 0; padding: 0.2rem 0.6rem; }
.st-key-present_toolbar button p { font-size: 0.8rem; }
</style>
"""


# Every page: a display formula wider than its column wraps between KaTeX's top-level groups instead
# of scrolling sideways with its end hidden (on a 1024-px screen with the sidebar open, 12 of the
# app's formulas were cut). KaTeX splits a formula into groups after each top-level relation or
# operator and at \allowbreak; ``formula`` puts each statement in one group, so it wraps between them.
# Metric labels and deltas wrap rather than end in an ellipsis ("95 % CI 88.1…" hid the interval).
# A value's font follows its column's width (cqi: % of the value box, which is a size container),
# from Streamlit's 2.25rem down to 1.15rem, so that a number fits a narrow column (4 or 5 metrics
# side by side at 1024 px, or at 800 px with the sidebar open: "1.75 … 1.94" showed as "1.75 … …");
# a value of several words may also wrap between them. A value still too wide keeps Streamlit's
# clipping, which the browser tests look for.
# A row of metrics (st.columns, one metric in each column) lines its values and deltas up when one
# label or delta wraps to more lines than the others: the row becomes a grid of three rows (label,
# value, delta) that each column's nested boxes share (subgrid). Only rows whose columns hold one
# metric each, and only where Streamlit keeps columns side by side (≥ 640 px; narrower, they stack).
# Subplot titles are wrapped for a plot area of NARROW_PLOT_PX (figures.style); in a chart narrower than
# 600 px (an 800-px window with the sidebar open) they ran into each other, so there they are drawn at
# 80 % (a transform, which keeps each title centred above its panel and its own font size relative).
_COL, _VB, _EL, _MET = (f'[data-testid="{k}"]'
                        for k in ("stColumn", "stVerticalBlock", "stElementContainer", "stMetric"))
_COL_ITEM = f"> {_COL} > {_VB} > {_EL}"
_METRIC_ROW = f'[data-testid="stHorizontalBlock"]:has({_COL_ITEM} > {_MET}):not(:has({_COL_ITEM} + *))' \
    f":not(:has({_COL_ITEM} > :not({_MET})))"
_METRIC_CSS = f"""
@media (min-width: 640px) {{
{_METRIC_ROW} {{
  display: grid; grid-auto-flow: column; grid-auto-columns: minmax(0, 1fr);
  grid-template-rows: auto auto auto; row-gap: 0; }}
{_METRIC_ROW} > {_COL}, {_METRIC_ROW} > {_COL} > {_VB}, {_METRIC_ROW} {_COL_ITEM},
{_METRIC_ROW} {_COL_ITEM} > {_MET}, {_METRIC_ROW} {_COL_ITEM} > {_MET} > div {{
  display: grid; grid-row: span 3; grid-template-rows: subgrid; grid-template-columns: minmax(0, 1fr);
  row-gap: 0; width: auto; min-width: 0; }} }}
"""
# ``method_stacks``: each column is its method's name, then a stack of its numbers. The columns share a
# grid of two rows (name, stack: subgrid), so a name that wraps ("全パラメータ学習" in a quarter of a
# projector) moves every stack down together instead of that column's metrics only.
_STACKS = '.st-key-method_stacks [data-testid="stHorizontalBlock"]'
_STACKS_CSS = f"""
@media (min-width: 640px) {{
{_STACKS} {{ display: grid; grid-auto-flow: column; grid-auto-columns: minmax(0, 1fr);
  grid-template-rows: auto auto; }}
{_STACKS} > {_COL}, {_STACKS} > {_COL} > {_VB} {{
  display: grid; grid-row: span 2; grid-template-rows: subgrid; grid-template-columns: minmax(0, 1fr);
  width: auto; min-width: 0; }} }}
"""
_BASE_CSS = f"""
<style>
.katex-display > .katex, .katex-display > .katex > .katex-html {{ white-space: normal; }}
.katex-display > .katex > .katex-html > .base {{ margin: 0.12em 0; }}
[data-testid="stMetricLabel"] *, [data-testid="stMetricDelta"] * {{
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }}
[data-testid="stMetricValue"] {{ container-type: inline-size; }}
[data-testid="stMetricValue"] * {{
  font-size: clamp(1.15rem, 18cqi, 2.25rem); white-space: normal !important; }}
{_METRIC_CSS}
{_STACKS_CSS}
[data-testid="stPlotlyChart"] {{ container-type: inline-size; }}
@container (max-width: 600px) {{ .js-plotly-plot .annotation-text {{
  transform-box: fill-box; transform-origin: 50% 100%; transform: scale(0.8); }} }}
</style>
"""


def method_stacks(names: list[str]) -> list:
    """Side by side, one column per method: its name in bold, then a container for its numbers (the
    returned list, in order). The stacks start level whatever the names wrap to (``_STACKS_CSS``)."""
    cols = st.container(key="method_stacks").columns(len(names))
    out = []
    for col, name in zip(cols, names, strict=True):
        col.markdown(f"**{name}**")
        out.append(col.container())
    return out


def formula(*parts: str | tuple[str, ...], sep: str = r"\qquad") -> None:
    """A display formula made of separate statements, ``sep`` between them: on a narrow column it
    wraps between them (and only there: each part is one TeX group, which KaTeX does not break)
    instead of scrolling. A tuple is one statement that may also wrap between its pieces (a thin space
    apart), e.g. before its "="."""

    def group(p) -> str:
        return "{" + p + "}" if isinstance(p, str) else r"\;\allowbreak ".join(map(group, p))

    st.latex((sep + r"\allowbreak ").join(map(group, parts)))


RETENTION = r"\frac{\text{acc}_{\text{source}}(W')}{\text{acc}_{\text{source}}(W)}"  # the toy tasks'


_TEX_ESCAPES = str.maketrans({c: "\\" + c for c in "%&#_${}"})


def word(key: str) -> str:
    """A word inside a formula, in the page's language: ``\\text{…}`` of ``t(key)``, TeX's special
    characters escaped."""
    return r"\text{" + t(key, lang()).translate(_TEX_ESCAPES) + "}"


def page_css() -> None:
    """The app's own CSS for every page (formulas and metric texts that wrap; the values and deltas
    of a row of metrics line up), and presentation mode's when it is on."""
    st.html(_BASE_CSS + (_PRESENT_CSS if presenting() else ""))


def chart(fig, key: str) -> None:
    """A plotly figure at its column's width; in presentation mode drawn 1.25× larger (fonts, margins,
    height: ``figures.for_presentation``), to match the page's 22-px text on a projector."""
    st.plotly_chart(figures.for_presentation(fig) if presenting() else fig, width="stretch", key=key)


def presenting() -> bool:
    return bool(st.session_state.get("present", False))


# This script run's presenter toolbar (presentation mode): set by app.py before the page runs, in the
# session's script thread, so that the page's Settings, its presets and the way back share one row.
_RUN = threading.local()


def presenter_toolbar() -> None:
    """Presentation mode: one row at the top of the slide, above the title, for the presenter's buttons:
    the page's Settings (``settings_panel``), its presets and "Leave presentation" (``presentation_bar``).
    app.py calls it on every run, before the page (a no-op outside presentation mode)."""
    _RUN.toolbar = st.container(horizontal=True, wrap=True, key="present_toolbar") if presenting() else None


def _toolbar():
    bar = getattr(_RUN, "toolbar", None)
    return bar if bar is not None else st.container(horizontal=True, wrap=True)


def settings_panel():
    """Where a page puts its controls: the sidebar, or in presentation mode (which hides the sidebar) a
    "Settings" popover in the presenter's toolbar, so that a presenter can still step the reflections
    chain or change r. Its content runs on every rerun either way, so the page's values are the same."""
    if not presenting():
        return st.sidebar
    return _toolbar().popover(t("ui.settings", lang()), icon=":material/tune:", key="settings_panel")


def intro(text: str):
    """A page's introduction under its title, as a container the page may add its formulas to. In
    presentation mode it is folded ("About this page"): on a 1024 × 768 projector the intros pushed
    every slide's first line below the screen (720-1975 px down)."""
    box = st.expander(t("ui.about_page", lang())) if presenting() else st.container()
    box.markdown(text)
    return box


def where_settings() -> str:
    """The words for where the page's controls are ("the sidebar", or presentation mode's Settings)."""
    return t("ui.where_settings.present" if presenting() else "ui.where_settings", lang())


def _leave_presentation() -> None:
    st.session_state["present"] = False


SMALL_TABLE_ROWS = 30  # up to this many rows a table is static HTML; longer ones scroll in a grid


def _fmt(v, fmt: str) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    if fmt == "localized":
        return f"{v:,}"
    return fmt % v


def table(df: pd.DataFrame, formats: dict | None = None) -> None:
    """A table of results: ``formats`` maps a column to a printf format ("%.4f") or "localized".

    A small one (≤ SMALL_TABLE_ROWS rows) is static HTML (``st.table``); ``st.dataframe``'s grid
    would make a new visitor's browser load and compile ~1.5 MB more JavaScript (issue 13). A longer
    one stays a scrollable, sortable ``st.dataframe``.
    """
    formats = formats or {}
    if len(df) > SMALL_TABLE_ROWS:
        config = {c: st.column_config.NumberColumn(format=f) for c, f in formats.items()}
        st.dataframe(df, hide_index=True, width="stretch", column_config=config)
        return
    shown = df.copy()
    for c, f in formats.items():
        if c in shown:
            shown[c] = [_fmt(v, f) for v in shown[c]]
    st.table(shown, hide_index=True)


def section_key(page: str, name: str) -> str:
    """Session-state key of a folded section's expander (True while it is open)."""
    return f"open_{page}_{name}"


def show_sections(items: list, page: str, eager: int | None = None) -> None:
    """Sections [(title, render_fn) or (title, render_fn, name), …] in order.

    The first ``eager`` (all when None) are drawn on arrival under their title. Each later one is a
    closed expander with the same title whose content is built only once it is opened
    (``on_change="rerun"``; it stays open for the session): a student who opens a shared link gets a
    first paint with fewer charts and widget code to load (issue 13), and every section is one click
    away. ``name`` keys the expander's state (default: the function's name).
    """
    for i, item in enumerate(items):
        title, fn = item[0], item[1]
        if eager is None or i < eager:
            st.subheader(title)
            fn()
            continue
        name = item[2] if len(item) > 2 else getattr(fn, "__name__", str(i))
        box = st.expander(f"**{title}**", key=section_key(page, name), on_change="rerun")
        if box.open:
            with box:
                fn()


def slides(sections: list, page: str, eager: int | None = None) -> None:
    """Render a page made of sections [(title, render_fn), …].

    Normally every section is shown in order, the first ``eager`` drawn on arrival and the others
    folded until opened (see ``show_sections``). In presentation mode only one is shown ("one idea per
    screen"), with the page's presets and a way back, since the sidebar is hidden.
    """
    lg = lang()
    if not presenting():
        show_sections(sections, page, eager)
        return
    titles = [s[0] for s in sections]
    choice = st.radio(
        t("ui.slide", lg),
        options=list(range(len(titles))),
        horizontal=True,
        format_func=lambda i: titles[i],
        key=f"slide_{page}",
        label_visibility="collapsed",  # the options are the slides' titles; a label cost a line
    )
    presentation_bar(page, slide=choice, n_slides=len(titles))
    st.subheader(titles[choice])
    sections[choice][1]()


def _apply_slide_preset(name: str) -> None:
    _apply_preset(name)
    st.session_state["_presets_used"] = st.session_state.get("_presets_used", 0) + 1


def _turn_slide(key: str, to: int) -> None:
    st.session_state[key] = to


def presentation_bar(page: str, slide: int = 0, n_slides: int = 0) -> None:
    """Presentation mode's stand-in for the hidden sidebar: the page's presets and a way back, in the
    presenter's toolbar at the top of the slide (``presenter_toolbar``), after the page's Settings.

    The presets are one popover, a button per line: in columns of three their labels were cut short on
    a 1024-px projector ("Two mirrors = a r…"), and as buttons in the row they took three lines of it.
    With ``n_slides`` > 1, Previous / Next buttons turn the slides from ``slide`` (the one shown), also
    by PageUp / PageDown."""
    lg = lang()
    row = _toolbar()
    items = presets_for(page)
    if items:
        # a new key after each preset closes the popover over the slide (Streamlit has no call for it)
        n = st.session_state.get("_presets_used", 0)
        box = row.popover(t("ui.presets", lg), icon=":material/bookmark:", key=f"presets_{page}_{n}")
        for p in items:
            box.button(p.label(lg), key=f"preset_slide_{p.name}", on_click=_apply_slide_preset,
                       args=(p.name,), width="stretch")
    if n_slides > 1:  # a presenter's clicker sends PageUp / PageDown, as to slide software
        key = f"slide_{page}"  # the slide picker's (``slides``)
        row.button(t("ui.prev_slide", lg), key=f"prev_{page}", icon=":material/chevron_left:",
                   help=t("ui.key_hint", lg, key="PageUp"), shortcut="PageUp", disabled=slide <= 0,
                   on_click=_turn_slide, args=(key, slide - 1))
        row.button(t("ui.next_slide", lg), key=f"next_{page}", icon=":material/chevron_right:",
                   icon_position="right", help=t("ui.key_hint", lg, key="PageDown"), shortcut="PageDown",
                   disabled=slide >= n_slides - 1, on_click=_turn_slide, args=(key, slide + 1))
    row.button(t("ui.leave_present", lg), on_click=_leave_presentation, key=f"leave_{page}")


def stop(page: str) -> NoReturn:
    """``st.stop()`` for a page that ends early (no result yet, a study still running, an error). In
    presentation mode it first draws ``presentation_bar``: the sidebar is hidden there, so a page that
    stopped before its slides left the presenter no button to leave by (the A/B pilot before its run)."""
    if presenting():
        presentation_bar(page)
    st.stop()


def transport(prefix: str, runs: dict, lock, step_k: int, all_done: bool, caption: str) -> bool:
    """The Play / Pause / Step k / Reset row of a page that trains live; returns whether it is playing.

    State lives in ``session_state[f"{prefix}_playing"]``; Reset drops ``f"{prefix}_settings"`` so
    that the page builds its runs anew. Step takes ``lock``, which whoever steps the runs holds: a
    script run that Streamlit abandons for a newer one may still be training.
    """
    S = st.session_state
    lg = lang()

    def _play():
        S[f"{prefix}_playing"] = True

    def _pause():
        S[f"{prefix}_playing"] = False

    def _step():
        S[f"{prefix}_playing"] = False
        with lock:
            for run in runs.values():
                run.step(step_k)

    def _reset():
        S.pop(f"{prefix}_settings", None)
        S[f"{prefix}_playing"] = False

    playing = bool(S.get(f"{prefix}_playing")) and not all_done
    # One row that wraps, each button as wide as its label (in fixed columns the labels were cut to
    # "▶ …" at 1024 px); the caption on the line below.
    row = st.container(horizontal=True, wrap=True, vertical_alignment="center")
    row.button(t("train.play", lg), key=f"{prefix}_play", on_click=_play, disabled=playing or all_done,
               type="primary")
    row.button(t("train.pause", lg), key=f"{prefix}_pause", on_click=_pause, disabled=not playing)
    row.button(t("train.step", lg, k=step_k), key=f"{prefix}_step", on_click=_step, disabled=all_done)
    row.button(t("train.reset", lg), key=f"{prefix}_reset", on_click=_reset)
    st.caption(caption)
    return playing
