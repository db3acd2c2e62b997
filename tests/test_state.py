"""The state registry: defaults in range, URL parsing that never raises, presets that round-trip."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hra_viz.app.state import CONTROLS, PRESETS, canonical, constrain, parse, preset_params
from hra_viz.text import STRINGS

SHARED_URL_KEYS = ("r", "method", "task", "seed", "lam", "lr", "steps", "lang")


def _in_range(c, v) -> bool:
    if c.type == "bool":
        return isinstance(v, bool)
    if c.type == "choice":
        return v in c.choices
    if c.type == "multi":
        ok = isinstance(v, tuple) and all(x in c.choices for x in v) and len(set(v)) == len(v)
        return ok and (not c.max_items or len(v) <= c.max_items)
    if c.log:
        return v in c.choices
    ok_type = isinstance(v, int) and not isinstance(v, bool) if c.type == "int" else isinstance(v, float)
    return ok_type and math.isfinite(v) and c.lo <= v <= c.hi


def test_shared_url_keys_exist():
    for k in SHARED_URL_KEYS:
        assert k in CONTROLS and CONTROLS[k].url_key == k
    assert CONTROLS["lang"].choices == ("en", "ja")


@pytest.mark.parametrize("key", sorted(CONTROLS))
def test_entry_is_complete(key):
    c = CONTROLS[key]
    assert c.type in ("int", "float", "choice", "bool", "multi")
    assert _in_range(c, c.default), key
    assert f"ctl.{key}.label" in STRINGS and f"ctl.{key}.help" in STRINGS
    assert parse(key, canonical(key, c.default)) == (c.default, None)


def test_memory_caps():
    assert CONTROLS["d"].hi <= 64 and CONTROLS["r"].hi <= 64 and CONTROLS["steps"].hi <= 5000
    assert CONTROLS["lr"].log and CONTROLS["lam"].log


CASES = [  # (key, raw, expected value, warning expected)
    ("r", "8", 8, False),
    ("r", " 12 ", 12, False),
    ("r", "-5", 1, True),
    ("r", "1000", 64, True),
    ("r", "abc", 8, True),
    ("r", "", 8, True),
    ("r", "nan", 8, True),
    ("r", "inf", 8, True),
    ("r", "-Infinity", 8, True),
    ("r", "٣", 8, True),  # Arabic-Indic digit: Python's int() would accept it
    ("r", "1_0", 8, True),
    ("r", "0x10", 8, True),
    ("r", "3.7", 4, True),
    ("r", "9" * 5000, 8, True),
    ("r", ["4", "5"], 8, True),
    ("r", ["4"], 4, False),
    ("r", "<script>alert(1)</script>", 8, True),
    ("seed", "1e99", 2**31 - 1, True),
    ("seed", "-1", 0, True),
    ("lang", "xx", "en", True),
    ("lang", "JA", "ja", False),
    ("lang", "ja", "ja", False),
    ("method", "lora", "lora", False),
    ("method", "LoRA'; DROP TABLE", "hra", True),
    ("lam", "1e-4", 1e-4, False),
    ("lam", "0.0001", 1e-4, False),
    ("lam", "0", 0.0, False),
    ("lam", "2e-4", 3e-4, True),
    ("lam", "1e300", 1.0, True),
    ("lr", "0", 1e-4, True),
    ("present", "TRUE", True, False),
    ("present", "yes", False, True),
    ("d", "65", 64, True),
    ("steps", "17", 20, True),  # snapped to the step of 10
    ("compare", "oft", ("oft",), False),
    ("compare", ["lora", "oft"], ("lora", "oft"), False),
    ("compare", ["lora", "LORA"], ("lora",), False),  # duplicates are dropped silently
    ("compare", ["lora", "tpu", "oft"], ("lora", "oft"), True),
    ("compare", ["hra", "lora", "oft", "full"], ("hra", "lora", "oft"), True),  # capped at 3
    ("compare", "", (), False),
    ("compare", ["x"] * 50, ("lora",), True),
    ("rmax", "32", "32", False),
    ("rmax", "33", "16", True),
    ("layer", "9", 3, True),
]


@pytest.mark.parametrize("key,raw,value,warned", CASES)
def test_parse_table(key, raw, value, warned):
    v, w = parse(key, raw)
    assert v == value and type(v) is type(value)
    assert (w is not None) == warned
    if w:
        assert "<script>" not in w and "`" not in w
        _, w_ja = parse(key, raw, "ja")
        assert w_ja != w


_raw = st.one_of(
    st.text(max_size=60),
    st.lists(st.text(max_size=10), max_size=3),
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.binary(max_size=10),
)


@settings(max_examples=400, deadline=None)
@given(key=st.sampled_from(sorted(CONTROLS)), raw=_raw, lang=st.sampled_from(["en", "ja", "xx"]))
def test_parse_never_raises_and_is_always_safe(key, raw, lang):
    v, w = parse(key, raw, lang)
    assert _in_range(CONTROLS[key], v)
    assert w is None or isinstance(w, str)
    # the canonical text of a safe value parses back to itself, silently
    assert parse(key, canonical(key, v)) == (v, None)


def test_unknown_key_does_not_raise():
    v, w = parse("no_such_control", "1")
    assert v is None and w


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip(name):
    for k, raw in preset_params(name).items():
        v, w = parse(k, raw)
        assert w is None and v == PRESETS[name].values[k], (name, k)


def test_required_presets_exist():
    labels = {PRESETS[n].label("en") for n in PRESETS}
    assert {"Classroom: HRA vs LoRA", "Chain length 2→32", "Stakeholder: cost and stability"} <= labels


def test_constrain_r_le_d():
    out, notes = constrain({"r": 20, "d": 8}, "ja")
    assert out["r"] == 8 and len(notes) == 1
    out, notes = constrain({"r": 4, "d": 8})
    assert out["r"] == 4 and not notes


def test_task_choices_match_tasks_module():
    tasks = pytest.importorskip("hra_viz.training.tasks")
    assert set(CONTROLS["task"].choices) == set(tasks.TASKS)
