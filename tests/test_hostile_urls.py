"""Hostile URLs: every key of the state registry × ≥ 40 hostile values, at two levels.

* ``state.parse`` directly (every key × every value): never raises, always returns a safe value, and
  warns whenever the value it returns differs from what the URL asked for.
* The whole app under AppTest (no browser, fast): each hostile value is put into *every* registry key
  of one URL at once, on a different page each time; no exception, and a visible warning naming every
  key whose value was changed.

The keys come from ``CONTROLS``, so a new control is fuzzed without editing this file.
"""

from __future__ import annotations

import math
import re

import pytest
from streamlit.testing.v1 import AppTest

from hra_viz.app.state import CONTROLS, canonical, parse

HOSTILE: list = [
    "-1", "0", "-0", "1", "-999999", "1e9", "9" * 31, "9" * 40, "1e308", "-1e308", "1e-320", "4294967296",
    "NaN", "nan", "inf", "-inf", "+Infinity", "1e99999",
    "", " ", "\t", "abc", "null", "None", "true", "FALSE", "[]", "{}", "0x10", "1_000", "1,5", "1.5.5", "--1",
    "1e", "e5", ".", "٣", "３", "①", "𝟗", "🙂", "\u202e1", "\x00", "%00", "%3Cscript%3E",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "`rm -rf /`",
    "**bold** [x](javascript:1)",
    "../../etc/passwd", "/etc/passwd", "C:\\Windows\\system32", "file:///etc/passwd",
    "a" * 5000, "ja", "EN", "cuda", "mps", "hra", "digits-rotate", "64", "3D",
    ["1", "2"], ["lora", "lora"], ["x"] * 30, ["hra", "lora", "oft", "full", "head"], ["", ""],
]  # fmt: skip
KEYS = list(CONTROLS)
APP_PAGES = [
    "pages/home.py", "pages/reflections.py", "pages/wy_form.py", "pages/live_training.py",
    "pages/chain_length.py", "pages/spectra_geometry.py", "pages/regulariser.py", "pages/inspector.py",
    "pages/budget.py",
]  # fmt: skip
_NUM = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?", re.ASCII)


def test_enough_hostile_values():
    assert len(HOSTILE) >= 40


def _safe(key: str, v) -> bool:
    c = CONTROLS[key]
    if c.type == "multi":
        return isinstance(v, tuple) and set(v) <= set(c.choices) and len(set(v)) == len(v) and (
            not c.max_items or len(v) <= c.max_items
        )
    if c.type == "bool":
        return isinstance(v, bool)
    if c.type == "choice":
        return v in c.choices
    if c.type == "int" and (isinstance(v, bool) or not isinstance(v, int)):
        return False
    ok = isinstance(v, (int, float)) and math.isfinite(v) and c.lo <= v <= c.hi
    return ok and (not c.log or v in c.choices)


def _unchanged(key: str, raw, v) -> bool:
    """True when ``v`` is what ``raw`` asked for (up to whitespace, letter case and number spelling)."""
    c = CONTROLS[key]
    if c.type == "multi":
        items = raw if isinstance(raw, list) else [raw]
        if items == [""] or items == [" "] or items == ["\t"]:
            return v == ()
        asked = list(dict.fromkeys(s.strip().lower() for s in items))  # a repeated item is one item
        return asked == [str(x).lower() for x in v]
    if isinstance(raw, list):
        return len(raw) == 1 and _unchanged(key, raw[0], v)
    s = raw.strip()
    if c.type in ("choice", "bool"):
        return s.lower() == canonical(key, v).lower()
    return bool(_NUM.fullmatch(s)) and float(s) == float(v)


@pytest.mark.parametrize("key", KEYS)
def test_parse_every_key_every_hostile_value(key):
    for raw in HOSTILE:
        for lang in ("en", "ja"):
            v, warn = parse(key, raw, lang)
            assert _safe(key, v), (key, raw, v)
            if not _unchanged(key, raw, v):
                assert warn, f"{key}={raw!r} became {v!r} without a warning"
                assert "<script" not in warn and "<img" not in warn  # inert text only
            assert parse(key, canonical(key, v), lang) == (v, None)  # the fixed URL is clean


def _warned_keys(text: str) -> set[str]:
    return set(re.findall(r"parameter ([a-z_0-9]+)=", text))


# A whole-app run costs seconds on this machine: every 3rd value (a mix of all kinds), each on a page.
APP_VALUES = HOSTILE[::3]


@pytest.mark.parametrize("i", range(len(APP_VALUES)))
def test_app_with_every_key_hostile(i):
    raw = APP_VALUES[i]
    page = APP_PAGES[i % len(APP_PAGES)]
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    for key in KEYS:
        at.query_params[key] = raw
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = "\n".join(w.value for w in at.warning)
    want = set()
    for key in KEYS:
        v, warn = parse(key, raw, "en")
        if key == "device" and not warn and v not in ("auto", "cpu"):
            assert "Device " in text, (raw, text)  # cuda/mps on a CPU machine
        elif warn:
            want.add(key)
    assert want <= _warned_keys(text), (page, raw, sorted(want - _warned_keys(text)))
