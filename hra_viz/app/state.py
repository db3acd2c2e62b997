"""The one registry of every control: type, default, safe range, URL key, labels (EN/JA), presets.

Modelled on TensorFlow Playground's ``state.ts``: the widgets, the URL and the presets are all
driven from ``CONTROLS``. This module never imports streamlit; ``ui.py`` is the glue.

* ``parse(key, raw)`` turns a raw URL value into a safe value and never raises: out-of-range
  numbers are clamped, anything invalid or hostile is reset to the default, each with a warning.
* ``canonical(key, value)`` is the exact text the widget writes into the URL for that value.
* Caps (d ≤ 64, r ≤ 64, steps ≤ 5000, …) bound every allocation a URL can ask for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hra_viz.text import t

__all__ = [
    "Control",
    "CONTROLS",
    "Preset",
    "PRESETS",
    "parse",
    "canonical",
    "constrain",
    "preset_params",
    "presets_for",
    "default_values",
]

# Numbers in the URL: plain ASCII decimal or scientific notation only (no unicode digits, no "_",
# no hex), at most 32 characters so that int("9" * 10**6) can never be attempted.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?", re.ASCII)
_MAX_RAW_LEN = 32


@dataclass(frozen=True)
class Control:
    """One control. ``key`` is the session-state key, the widget key and the URL key at once."""

    key: str
    type: str  # "int" | "float" | "choice" | "bool" | "multi" (a tuple of distinct choices)
    default: Any
    lo: float | None = None  # safe range for int/float (inclusive)
    hi: float | None = None
    step: float | None = None  # slider step; URL values are snapped to it
    choices: tuple = ()  # allowed values for "choice"; for a log float, the grid of offered values
    log: bool = False  # float offered on a log grid (lr, λ): ``choices`` holds the grid
    widget: str = "slider"  # slider | number | select_slider | segmented | selectbox | toggle | multiselect
    max_items: int = 0  # "multi": at most this many choices (0: no cap)
    why: str = ""  # why this range (memory cap, numerical safety), for readers of the code

    @property
    def url_key(self) -> str:
        return self.key  # bind="query-params" uses the widget key as the URL name

    def label(self, lang: str) -> str:
        return t(f"ctl.{self.key}.label", lang)

    def help(self, lang: str) -> str:
        return t(f"ctl.{self.key}.help", lang)


def _angles() -> list[Control]:
    # 2-D: u_i is the direction at angle a_i; 3-D: azimuth a_i and elevation e_i.
    az = (20, 65, 110, 150, 35, 80)
    el = (10, 50, -30, 70, -60, 25)
    out = []
    for i in range(6):
        out.append(
            Control(f"a{i + 1}", "int", az[i], 0, 179, 1, why="a direction: u and −u give the same mirror")
        )
        out.append(Control(f"e{i + 1}", "int", el[i], -90, 90, 1, why="elevation of u in 3-D"))
    return out


CONTROLS: dict[str, Control] = {
    c.key: c
    for c in [
        # --- global (sidebar) ---
        Control("lang", "choice", "en", choices=("en", "ja"), widget="segmented"),
        Control("device", "choice", "auto", choices=("auto", "cpu", "cuda", "mps"), widget="segmented"),
        Control(
            "seed",
            "int",
            0,
            0,
            2**31 - 1,
            1,
            widget="number",
            why="torch.manual_seed accepts 64 bits; 31 is plenty",
        ),
        Control("present", "bool", False, widget="toggle"),
        # --- shared training controls (URL keys fixed by the issue) ---
        Control(
            "method", "choice", "hra", choices=("hra", "lora", "oft", "full", "head"), widget="segmented"
        ),
        Control(
            "task",
            "choice",
            "digits-rotate",
            choices=("digits-rotate", "digits-noise", "digits-occlude", "moons-rotate"),
            widget="selectbox",
        ),
        Control("r", "int", 8, 1, 64, 1, why="chain length; also r ≤ d (see constrain)"),
        Control(
            "lam",
            "float",
            1e-4,
            0.0,
            1.0,
            log=True,
            widget="select_slider",
            choices=(0.0, 1e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 1e-2, 1e-1, 1.0),
            why="paper's range is 1e-5…1e-3; 0 switches the regulariser off",
        ),
        Control(
            "lr",
            "float",
            1e-2,
            1e-5,
            0.3,
            log=True,
            widget="select_slider",
            choices=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 0.3),
            why="larger rates diverge on the tasks",
        ),
        Control("steps", "int", 300, 10, 5000, 10, why="bounds the time a run can hold the server"),
        Control("variant", "choice", "chain", choices=("chain", "orthonormal"), widget="segmented"),
        # --- page: live training ---
        Control(
            "compare",
            "multi",
            ("lora",),
            choices=("hra", "lora", "oft", "full", "head"),
            widget="multiselect",
            max_items=3,
            why="up to 4 methods side by side (method + 3): each is a live run in this session",
        ),
        # --- page: a real model (all-MiniLM-L6-v2) ---
        Control(
            "real_methods", "multi", ("hra", "lora"), choices=("hra", "lora", "oft", "full", "head"),
            widget="multiselect", max_items=4,
            why="each method is a live copy of the adapted top layers in this session; 4 keep a tick short",
        ),
        Control("real_layers", "choice", "qv", choices=("qv", "all"), widget="segmented"),
        Control(
            "real_top_k", "choice", "auto", choices=("auto", "1", "2", "3", "4", "5", "6"),
            widget="segmented",
            why="auto: 2 of 6 layers on a CPU (live on 2 cores), 6 on a GPU",
        ),
        Control(
            "real_steps", "int", 200, 10, 1000, 10,
            why="a CPU step of the top 2 layers takes ~0.1 s: 1000 steps × 4 methods is minutes, not hours",
        ),
        # --- page: chain length ---
        Control(
            "rmax",
            "choice",
            "16",
            choices=("4", "8", "16", "32", "64"),
            widget="segmented",
            why="sweep r = 2, 4, …, rmax: 4 runs per r value, so the default (16) finishes in seconds",
        ),
        Control("lam_sweep", "bool", False, widget="toggle", why="also sweep λ ∈ {0, λ, 1e-2} for HRA"),
        Control(
            "chain_seeds", "int", 3, 1, 10, 1,
            why="seeds per cell (global seed, +1, …): k seeds multiply the time by k; 3 give error bands",
        ),
        # --- page: A/B pilot ---
        Control(
            "pilot_methods", "multi", ("hra", "lora"), choices=("hra", "lora", "oft", "full", "head"),
            widget="multiselect", max_items=4, why="the first is compared with the others; 4 × 10 runs max",
        ),
        Control(
            "pilot_seeds", "int", 5, 2, 10, 1,
            why="a confidence interval needs 2 seeds; 10 seeds × 4 methods keeps a pilot to about a minute",
        ),
        # --- page: spectra ---
        Control("layer", "int", 1, 1, 3, 1, why="every task's MLP has 3 Linear layers"),
        # --- page: reflections ---
        Control("dim", "choice", "2D", choices=("2D", "3D"), widget="segmented"),
        Control("shape", "choice", "F", choices=("F", "digit"), widget="segmented"),
        Control("mirrors", "int", 2, 1, 6, 1, why="one angle slider (two in 3-D) per mirror"),
        Control(
            "stage", "int", 6, 0, 6, 1, why="how far through the chain the shape has travelled (capped at r)"
        ),
        *_angles(),
        # --- page: WY form ---
        Control(
            "d", "int", 12, 2, 64, 1, why="dense d × d heatmaps: 64² cells is the most a figure shows well"
        ),
        Control("dout", "int", 8, 1, 64, 1, why="rows of the frozen W in the LoRA view"),
        Control("init", "choice", "random", choices=("random", "symmetric"), widget="segmented"),
        # --- page: cost on your model (budget) ---
        Control(
            "arch",
            "choice",
            "llama2-7b",
            choices=("deberta-v3-base", "llama2-7b", "llama-3.2-3b", "vit-b-16", "custom"),
            widget="selectbox",
        ),
        Control(
            "methods", "multi", ("hra", "lora", "oft", "full"), choices=("hra", "lora", "oft", "full"),
            widget="multiselect", max_items=4,
        ),
        Control(
            "block", "choice", "32", choices=("2", "4", "8", "16", "32", "64", "128", "256"),
            widget="segmented", why="OFT block size; must divide every d_in (checked, with a message)",
        ),
        Control("precision", "choice", "fp32", choices=("fp32", "bf16"), widget="segmented"),
        Control(
            "tokens", "choice", "4096", choices=("512", "2048", "4096", "16384", "65536"),
            widget="selectbox", why="tokens per optimiser step (batch × sequence length)",
        ),
        Control(
            "targets", "choice", "all-linear", choices=("all-linear", "attention", "mlp", "qv"),
            widget="segmented",
        ),
        Control(
            "other", "int", 0, 0, 10**13, 1, widget="number",
            why="custom arch: parameters outside the table; 1e13 is above any model trained so far",
        ),
    ]
}


def default_values() -> dict[str, Any]:
    return {k: c.default for k, c in CONTROLS.items()}


def _fmt_float(x: float) -> str:
    return f"{x:g}"


def canonical(key: str, value: Any) -> str | list[str]:
    """The text the widget for ``key`` writes into the URL for ``value``."""
    c = CONTROLS[key]
    if c.type == "multi":  # one value: plain text; several: a repeated key (what st.multiselect writes)
        items = [str(v) for v in value]
        return items[0] if len(items) == 1 else ("" if not items else items)
    if c.type == "bool":
        return "true" if value else "false"
    if c.type == "int":
        return str(int(value))
    if c.type == "float":
        return _fmt_float(float(value))
    return str(value)


def _shown(raw: Any) -> str:
    """A short, inert rendering of a raw value for a warning message (no markup survives)."""
    s = repr(raw)
    s = re.sub(r"[`<>\[\]*_\\|#]", "?", s)
    return s if len(s) <= 40 else s[:37] + "…"


def _reset(c: Control, raw: Any, lang: str, why_key: str) -> tuple[Any, str]:
    return c.default, t(
        "warn.reset",
        lang,
        key=c.key,
        raw=_shown(raw),
        why=t(why_key, lang),
        default=canonical(c.key, c.default),
    )


def parse(key: str, raw: Any, lang: str = "en") -> tuple[Any, str | None]:
    """(safe value, warning or None) for a raw URL value of control ``key``. Never raises.

    A value outside the safe range is clamped; a value that is not a number/choice at all
    (text, NaN, inf, empty, unicode digits, markup, a repeated key, a huge string) is reset to the
    default. Whitespace and letter case are forgiven silently.
    """
    if lang not in ("en", "ja"):
        lang = "en"
    try:
        c = CONTROLS[key]
    except (KeyError, TypeError):
        return None, t("warn.unknown_key", lang, key=_shown(key))
    try:
        return _parse(c, raw, lang)
    except Exception:  # belt and braces: a URL must never crash a page
        return _reset(c, raw, lang, "why.invalid")


def _parse_multi(c: Control, raw: Any, lang: str) -> tuple[Any, str | None]:
    """A repeated URL key (?compare=lora&compare=oft) or one value; unknown items are dropped."""
    items = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    if len(items) > 2 * len(c.choices):
        return _reset(c, raw, lang, "why.too_long")
    out, bad = [], False
    for it in items:
        if not isinstance(it, str):
            bad = True
            continue
        s = it.strip()
        if s == "" and len(items) == 1:
            return (), None  # ?compare= clears the selection
        match = next((ch for ch in c.choices if s.lower() == str(ch).lower()), None)
        if match is None or len(s) > _MAX_RAW_LEN:
            bad = True
        elif match not in out:
            out.append(match)
    if c.max_items and len(out) > c.max_items:
        out, bad = out[: c.max_items], True
    if bad:
        return tuple(out), t(
            "warn.multi", lang, key=c.key, raw=_shown(raw), value=",".join(out) or "–", n=c.max_items
        )
    return tuple(out), None


def _parse(c: Control, raw: Any, lang: str) -> tuple[Any, str | None]:
    if c.type == "multi":
        return _parse_multi(c, raw, lang)
    if isinstance(raw, (list, tuple)):
        if len(raw) == 1:
            raw = raw[0]
        else:
            return _reset(c, raw, lang, "why.repeated")
    if not isinstance(raw, str):
        return _reset(c, raw, lang, "why.invalid")
    s = raw.strip()
    if not s:
        return _reset(c, raw, lang, "why.empty")
    if len(s) > _MAX_RAW_LEN:
        return _reset(c, raw, lang, "why.too_long")

    if c.type == "bool":
        low = s.lower()
        if low in ("true", "false"):
            return low == "true", None
        return _reset(c, raw, lang, "why.not_bool")

    if c.type == "choice":
        if s in c.choices:
            return s, None
        for ch in c.choices:  # forgive case: ?lang=JA
            if s.lower() == str(ch).lower():
                return ch, None
        return _reset(c, raw, lang, "why.not_choice")

    # numbers
    if not _NUMBER.fullmatch(s):
        return _reset(c, raw, lang, "why.not_number")
    x = float(s)
    if not math.isfinite(x):
        return _reset(c, raw, lang, "why.not_finite")
    if c.log:
        grid = c.choices
        if x < c.lo or x > c.hi:
            v = min(grid) if x < c.lo else max(grid)
            return v, t(
                "warn.clamped",
                lang,
                key=c.key,
                raw=_shown(raw),
                value=_fmt_float(v),
                lo=_fmt_float(c.lo),
                hi=_fmt_float(c.hi),
            )
        # nearest grid point in log space; 0 (regulariser off) is only chosen for x == 0
        positive = [g for g in grid if g > 0]
        if x == 0.0:
            v = 0.0 if 0.0 in grid else positive[0]
        else:
            v = min(positive, key=lambda g: abs(math.log10(g) - math.log10(x)))
        if not math.isclose(v, x, rel_tol=1e-9, abs_tol=0.0):
            return v, t("warn.snapped", lang, key=c.key, raw=_shown(raw), value=_fmt_float(v))
        return v, None
    lo, hi = c.lo, c.hi
    clamped = min(max(x, lo), hi)
    if c.step:
        snapped = lo + round((clamped - lo) / c.step) * c.step
        snapped = min(max(snapped, lo), hi)
    else:
        snapped = clamped
    v = int(round(snapped)) if c.type == "int" else float(snapped)
    if clamped != x:
        return v, t(
            "warn.clamped",
            lang,
            key=c.key,
            raw=_shown(raw),
            value=canonical(c.key, v),
            lo=canonical(c.key, lo),
            hi=canonical(c.key, hi),
        )
    if (c.type == "int" and v != x) or not math.isclose(v, x, rel_tol=0.0, abs_tol=1e-12):
        return v, t("warn.snapped", lang, key=c.key, raw=_shown(raw), value=canonical(c.key, v))
    return v, None


def constrain(values: Mapping[str, Any], lang: str = "en") -> tuple[dict[str, Any], list[str]]:
    """Apply the rules that tie controls together (r ≤ d, stage ≤ mirrors). Returns (values, notes)."""
    out = dict(values)
    notes = []
    if "r" in out and "d" in out and out["r"] > out["d"]:
        notes.append(t("warn.r_gt_d", lang, r=out["r"], d=out["d"]))
        out["r"] = out["d"]
    if "stage" in out and "mirrors" in out and out["stage"] > out["mirrors"]:
        out["stage"] = out["mirrors"]  # the slider simply stops at the end of the chain
    return out, notes


# --------------------------------------------------------------------------------------------
# presets: named sets of settings, selectable in the app and shareable as a link


@dataclass(frozen=True)
class Preset:
    name: str  # id, also the i18n key suffix: preset.<name>.label / .help
    page: str  # url path of the page it belongs to ("" = home)
    values: dict = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return t(f"preset.{self.name}.label", lang)

    def help(self, lang: str) -> str:
        return t(f"preset.{self.name}.help", lang)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        # cross-page presets (the training and sweep pages read these keys)
        Preset(
            "classroom",
            "training",
            {
                "method": "hra",
                "compare": ("lora",),
                "task": "moons-rotate",
                "r": 8,
                "lam": 1e-4,
                "lr": 1e-2,
                "steps": 300,
                "seed": 0,
            },
        ),
        Preset(
            "chain_2_32",
            "chain-length",
            {
                "method": "hra",
                "task": "digits-rotate",
                "rmax": "32",
                "r": 32,
                "lam": 1e-4,
                "lr": 1e-2,
                "steps": 300,
                "seed": 0,
            },
        ),
        Preset("stakeholder", "", {"lang": "ja", "present": True, "seed": 0}),
        Preset(
            "four_methods",
            "training",
            {
                "method": "hra",
                "compare": ("lora", "oft", "full"),
                "task": "digits-rotate",
                "r": 8,
                "lam": 1e-4,
                "lr": 1e-2,
                "steps": 300,
                "seed": 0,
            },
        ),
        Preset(
            "spectra_r8", "spectra", {"task": "digits-rotate", "r": 8, "steps": 300, "layer": 1, "seed": 0}
        ),
        Preset(
            "lambda_tension",
            "lambda",
            {"task": "digits-rotate", "r": 8, "steps": 200, "lam": 1e-4, "lr": 1e-2, "seed": 0},
        ),
        # reflections page
        Preset(
            "geo_pair", "reflect", {"dim": "2D", "shape": "F", "mirrors": 2, "stage": 2, "a1": 20, "a2": 65}
        ),
        Preset(
            "geo_odd",
            "reflect",
            {"dim": "2D", "shape": "F", "mirrors": 3, "stage": 3, "a1": 20, "a2": 65, "a3": 110},
        ),
        Preset(
            "geo_cancel", "reflect", {"dim": "2D", "shape": "F", "mirrors": 2, "stage": 2, "a1": 40, "a2": 40}
        ),
        Preset(
            "geo_3d",
            "reflect",
            {"dim": "3D", "shape": "F", "mirrors": 2, "stage": 2, "a1": 0, "e1": 0, "a2": 45, "e2": 0},
        ),
        # WY page
        Preset("wy_small", "wy-form", {"d": 8, "dout": 6, "r": 3, "init": "random", "seed": 0}),
        Preset("wy_symmetric", "wy-form", {"d": 12, "dout": 8, "r": 4, "init": "symmetric", "seed": 0}),
        Preset("wy_full", "wy-form", {"d": 16, "dout": 8, "r": 16, "init": "random", "seed": 0}),
        # a real model
        Preset(
            "real_default", "real-model",
            {"real_methods": ("hra", "lora"), "r": 8, "real_layers": "qv", "real_top_k": "auto",
             "real_steps": 200, "seed": 0},
        ),
        Preset(
            "real_four", "real-model",
            {"real_methods": ("hra", "lora", "oft", "full"), "r": 8, "real_layers": "qv",
             "real_top_k": "auto", "real_steps": 200, "seed": 0},
        ),
        Preset(
            "real_all_linear", "real-model",
            {"real_methods": ("hra", "lora"), "r": 8, "real_layers": "all", "real_top_k": "1",
             "real_steps": 200, "seed": 0},
        ),
    ]
}


def preset_params(name: str) -> dict[str, str | list[str]]:
    """The query parameters that reproduce preset ``name`` (canonical text, as the widgets write it)."""
    p = PRESETS[name]
    return {k: canonical(k, v) for k, v in p.values.items()}


def presets_for(page: str) -> list[Preset]:
    return [p for p in PRESETS.values() if p.page == page]
