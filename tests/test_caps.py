"""Caps: no user-supplied size can make the server allocate without bound.

Every size-like control of the registry has a finite maximum, ``parse`` clamps a huge value to it,
and where the engine has its own ranges (``train.RANGES``) the registry's caps lie inside them.
"""

import math

import pytest

from hra_viz.app.state import CONTROLS, parse
from hra_viz.training import train

# every control whose value sizes an allocation, a loop or a sweep (d, r, steps, chain, grid, …)
SIZE_KEYS = ["r", "steps", "d", "dout", "mirrors", "stage", "layer", "rmax", "compare", "methods", "tokens",
             "block", "other", "seed"]  # fmt: skip


def test_size_keys_exist():
    assert set(SIZE_KEYS) <= set(CONTROLS)


@pytest.mark.parametrize("key", SIZE_KEYS)
def test_finite_cap_and_huge_values_clamp(key):
    c = CONTROLS[key]
    if c.type in ("int", "float"):
        assert c.hi is not None and math.isfinite(c.hi) and c.lo is not None and math.isfinite(c.lo)
        for huge in ("1e300", "9" * 30, str(2**64), "1e4000"):
            v, warn = parse(key, huge)
            assert v <= c.hi and warn, (key, huge, v)
        v, _ = parse(key, str(int(c.hi) + 1))
        assert v == c.hi
    elif c.type == "choice":  # a size offered as a fixed set of options: the largest is the cap
        assert c.choices and all(str(x).isdigit() for x in c.choices)
        v, warn = parse(key, "1" + "0" * 20)
        assert v == c.default and warn
    elif c.type == "multi":
        assert 0 < c.max_items <= len(c.choices)
        v, _ = parse(key, list(c.choices) * 3)
        assert len(v) <= c.max_items


def test_memory_caps_are_small():
    assert CONTROLS["d"].hi <= 64 and CONTROLS["dout"].hi <= 64 and CONTROLS["r"].hi <= 64
    assert CONTROLS["steps"].hi <= 5000 and int(max(CONTROLS["rmax"].choices, key=int)) <= 64
    assert CONTROLS["compare"].max_items <= 3 and CONTROLS["mirrors"].hi <= 6


@pytest.mark.parametrize("key", sorted(set(CONTROLS) & set(train.RANGES)))
def test_registry_caps_within_engine_ranges(key):
    c, (lo, hi) = CONTROLS[key], train.RANGES[key]
    assert lo <= c.lo and c.hi <= hi, (key, (c.lo, c.hi), (lo, hi))
    assert lo <= c.default <= hi
    for x in c.choices:
        assert lo <= x <= hi, (key, x)


def test_rmax_sweep_within_engine_r_range():
    lo, hi = train.RANGES["r"]
    assert all(lo <= int(x) <= hi for x in CONTROLS["rmax"].choices)
