"""Pilot statistics: Student-t CIs and paired t-tests against scipy/numpy, and the verdict rule."""

import math

import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given, settings
from hypothesis import strategies as st

from hra_viz.training import stats as S

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def _scipy_ci(x):
    x = np.asarray(x, dtype=np.float64)
    return ss.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=ss.sem(x))


def test_t_quantile_matches_tables():
    # two-sided 95 % critical values from any t table
    for df, q in ((1, 12.706), (4, 2.776), (9, 2.262), (29, 2.045)):
        assert S.t_quantile(df) == pytest.approx(q, abs=5e-4)
    assert math.isnan(S.t_quantile(0))


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=2, max_size=12))
def test_summary_matches_numpy_and_scipy(xs):
    s = S.summarize(xs)
    x = np.array(xs)
    assert s["n"] == len(xs) and s["values"] == [float(v) for v in xs]
    assert s["mean"] == pytest.approx(x.mean(), abs=1e-9)
    assert s["std"] == pytest.approx(x.std(ddof=1), abs=1e-9)
    if x.std(ddof=1) > 1e-6:
        lo, hi = _scipy_ci(x)
        assert s["ci95"][0] == pytest.approx(lo, rel=1e-9, abs=1e-9)
        assert s["ci95"][1] == pytest.approx(hi, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=12))
def test_paired_matches_scipy_ttest_rel(pairs):
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    r = S.paired(a, b)
    d = np.array(a) - np.array(b)
    assert r["diff_values"] == pytest.approx(d.tolist())
    assert r["mean"] == pytest.approx(d.mean(), abs=1e-9)
    if d.std(ddof=1) > 1e-6 * max(1.0, abs(d).max()):
        ref = ss.ttest_rel(a, b)
        assert r["p_value"] == pytest.approx(float(ref.pvalue), rel=1e-7, abs=1e-12)
        lo, hi = _scipy_ci(d)
        assert r["ci95"] == pytest.approx([lo, hi], rel=1e-9, abs=1e-9)


def test_worked_example():
    # hand-computed: d = (1, 2, 3, 4, 5): mean 3, s = √2.5, half-width 2.776445 · √2.5 / √5 = 1.963243
    r = S.paired([2, 4, 6, 8, 10], [1, 2, 3, 4, 5])
    assert r["mean"] == 3 and r["std"] == pytest.approx(math.sqrt(2.5))
    assert r["ci95"] == pytest.approx([3 - 1.963243, 3 + 1.963243], abs=1e-6)
    assert r["p_value"] == pytest.approx(0.01324, abs=5e-5)  # t = 4.243 on 4 df (t table)


def test_verdicts_on_constructed_cases():
    rng = np.random.default_rng(0)
    base = rng.normal(0.8, 0.02, size=5)
    noise = rng.normal(0, 0.005, size=5)
    win = S.paired(base + 0.05 + noise, base)  # a clearly higher on every seed
    loss = S.paired(base - 0.05 + noise, base)
    tie = S.paired(base + np.array([0.01, -0.01, 0.02, -0.02, 0.0]), base)  # symmetric noise around 0
    assert S.verdict(win["ci95"]) == "better" and win["p_value"] < 0.001
    assert S.verdict(loss["ci95"]) == "worse" and loss["p_value"] < 0.001
    assert S.verdict(tie["ci95"]) == "no_difference" and tie["p_value"] > 0.5
    # lower is better (drift, time, memory): a higher value is a loss
    assert S.verdict(win["ci95"], higher_is_better=False) == "worse"
    assert S.verdict(loss["ci95"], higher_is_better=False) == "better"


def test_a_large_mean_gap_with_a_ci_through_zero_is_no_win():
    r = S.paired([0.9, 0.5, 0.95], [0.6, 0.7, 0.6])  # mean +0.15, but one seed goes the other way
    assert r["mean"] > 0.1 and r["ci95"][0] < 0 < r["ci95"][1]
    assert S.verdict(r["ci95"]) == "no_difference"


def test_one_seed_zero_variance_and_missing_values():
    one = S.summarize([0.7])
    assert one["mean"] == 0.7 and math.isnan(one["std"]) and all(math.isnan(v) for v in one["ci95"])
    p1 = S.paired([0.7], [0.6])
    assert math.isnan(p1["p_value"]) and S.verdict(p1["ci95"], n=p1["n"]) == "undetermined"
    same = S.paired([0.5, 0.6, 0.7], [0.5, 0.6, 0.7])
    assert same["ci95"] == [0.0, 0.0] and same["p_value"] == 1.0
    assert S.verdict(same["ci95"]) == "no_difference"
    const = S.paired([3.0, 3.0, 3.0], [1.0, 1.0, 1.0])  # e.g. parameter counts: exact, every seed
    assert const["ci95"] == [2.0, 2.0] and const["p_value"] == 0.0 and S.verdict(const["ci95"]) == "better"
    gaps = S.paired([0.9, None, 0.8, float("nan"), 0.85], [0.8, 0.7, 0.7, 0.6, 0.8])
    assert gaps["diff_values"][1] is None and gaps["diff_values"][3] is None and gaps["n"] == 3
    assert gaps["mean"] == pytest.approx(np.mean([0.1, 0.1, 0.05]))
    s = S.summarize([float("nan"), 1.0, 3.0])
    assert s["values"] == [None, 1.0, 3.0] and s["n"] == 2 and s["mean"] == 2.0
    empty = S.summarize([])
    assert empty["n"] == 0 and math.isnan(empty["mean"])
    assert S.verdict([float("nan"), float("nan")]) == "undetermined"
    with pytest.raises(ValueError, match="same seeds"):
        S.paired([1.0, 2.0], [1.0])


def test_a_tiny_deterministic_cost_difference_is_negligible_not_a_win():
    # peak memory measured exactly on every seed: 2 kB less out of ~2 MB is real but does not matter
    mem = S.paired([1.998, 1.998, 1.998], [2.000, 2.000, 2.000])
    assert mem["ci95"][1] < 0  # the CI excludes 0 ...
    assert S.verdict(mem["ci95"], higher_is_better=False, negligible=0.01 * 2.0) == "negligible"
    assert S.verdict(mem["ci95"], higher_is_better=False) == "better"  # ... without a tolerance: a win
    big = S.paired([1.5, 1.5, 1.5], [2.0, 2.0, 2.0])  # 25 % less: a real win
    assert S.verdict(big["ci95"], higher_is_better=False, negligible=0.01 * 2.0) == "better"
    tie = S.paired([1.0, 3.0, 2.0], [2.0, 2.0, 2.0])  # CI through 0 stays "no difference"
    assert S.verdict(tie["ci95"], negligible=0.5) == "no_difference"


def test_every_verdict_has_its_sentences():
    from hra_viz.text import t

    for code in S.VERDICTS:
        for lang in ("en", "ja"):
            assert t(f"report.v.{code}", lang, a="HRA")
            fmt = dict(metric="m", a="A", b="B", gap="1", lo="0", hi="2", p="= 0.1", k=3)
            assert t(f"verdict.{code}", lang, **fmt)
