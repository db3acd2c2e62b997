"""Statistics for pilots: summaries over seeds, Student-t confidence intervals, paired differences.

Pure numbers in, plain dicts out (no torch, no pandas). The conventions, stated once:

* ``std`` is the sample standard deviation (ddof = 1).
* ``ci95`` is the two-sided 95 % **Student-t** interval for the mean:
  mean ± t_{0.975, n−1} · std / √n. It needs n ≥ 2 finite values; with fewer it is [nan, nan].
* A paired comparison of methods a and b over the same seeds works on d_k = a_k − b_k. Its
  ``p_value`` is the two-sided **paired t-test** (the one-sample t-test of d against 0, which is
  scipy's ``ttest_rel``).
* Verdict rule: a difference is called only when its 95 % CI excludes 0. Otherwise the verdict is
  "no detectable difference with K seeds", whatever the means say. Fewer than 2 usable pairs, or a
  non-finite CI, gives "undetermined".
* Degenerate cases: non-finite values (a run that could not be built) are left out, pairwise
  for differences, and ``n`` says how many values were used. Zero variance with n ≥ 2 (every seed
  gives the same difference c) gives ci95 = [c, c] and p = 0 when c ≠ 0 (the t statistic is
  infinite), p = 1 when c = 0 (no evidence of any difference).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "CI_KIND",
    "TEST_KIND",
    "LEVEL",
    "t_quantile",
    "mean_ci",
    "summarize",
    "paired",
    "verdict",
    "VERDICTS",
]

LEVEL = 0.95
CI_KIND = "student-t"  # mean ± t_{(1+level)/2, n-1} · s/√n
TEST_KIND = "paired-t"  # two-sided paired t-test on a − b
# verdict codes, from the point of view of the first method of the pair (a):
# "better": a is better (CI excludes 0 on the good side); "worse": a is worse; "no_difference": CI
# contains 0; "negligible": the CI excludes 0 but lies wholly inside ±``negligible`` (a real difference
# too small to matter, e.g. a few kB of memory measured deterministically); "undetermined": fewer than 2
# usable seeds, or a non-finite CI.
VERDICTS = ("better", "worse", "no_difference", "negligible", "undetermined")

_NAN = float("nan")


def _finite(values: Sequence[float | None]) -> np.ndarray:
    arr = np.array([_NAN if v is None else float(v) for v in values], dtype=np.float64)
    return arr[np.isfinite(arr)]


def t_quantile(df: int, level: float = LEVEL) -> float:
    """The two-sided Student-t critical value t_{(1+level)/2, df} (e.g. 2.776 for df = 4)."""
    if df < 1:
        return _NAN
    from scipy.stats import t  # imported lazily: the app's pages do not all need scipy

    return float(t.ppf(0.5 + level / 2, df))


def mean_ci(x: np.ndarray, level: float = LEVEL) -> tuple[float, float, list[float]]:
    """(mean, std with ddof 1, [lo, hi]) of finite values ``x`` (Student t; see the module docstring)."""
    n = int(x.size)
    if n == 0:
        return _NAN, _NAN, [_NAN, _NAN]
    mean = float(x.mean())
    if n == 1:
        return mean, _NAN, [_NAN, _NAN]
    std = float(x.std(ddof=1))
    if std == 0.0:
        return mean, 0.0, [mean, mean]
    half = t_quantile(n - 1, level) * std / math.sqrt(n)
    return mean, std, [mean - half, mean + half]


def summarize(values: Sequence[float | None], level: float = LEVEL) -> dict:
    """{values (as given, None for missing), n, mean, std, ci95} of one metric over seeds."""
    vals = [None if v is None or not math.isfinite(float(v)) else float(v) for v in values]
    mean, std, ci = mean_ci(_finite(vals), level)
    return {"values": vals, "n": sum(v is not None for v in vals), "mean": mean, "std": std, "ci95": ci}


def _paired_p(d: np.ndarray) -> float:
    n = d.size
    if n < 2:
        return _NAN
    mean, std = float(d.mean()), float(d.std(ddof=1))
    if std == 0.0:
        return 1.0 if mean == 0.0 else 0.0
    from scipy.stats import t

    tstat = mean / (std / math.sqrt(n))
    return float(min(1.0, 2.0 * t.sf(abs(tstat), n - 1)))


def paired(a: Sequence[float | None], b: Sequence[float | None], level: float = LEVEL) -> dict:
    """Paired comparison over seeds: {diff_values (a − b per seed), n, mean, std, ci95, p_value}.

    ``a`` and ``b`` are per-seed values in the same seed order; a seed where either is missing or
    non-finite gets ``None`` in diff_values and is left out of the statistics.
    """
    if len(a) != len(b):
        raise ValueError(f"paired values need the same seeds; got {len(a)} and {len(b)} values")
    diffs: list[float | None] = []
    for x, y in zip(a, b, strict=True):
        ok = x is not None and y is not None and math.isfinite(float(x)) and math.isfinite(float(y))
        diffs.append(float(x) - float(y) if ok else None)
    d = _finite(diffs)
    mean, std, ci = mean_ci(d, level)
    return {
        "diff_values": diffs,
        "n": int(d.size),
        "mean": mean,
        "std": std,
        "ci95": ci,
        "p_value": _paired_p(d),
    }


def verdict(
    ci95: Sequence[float], higher_is_better: bool = True, n: int | None = None, negligible: float = 0.0
) -> str:
    """One of ``VERDICTS`` for the difference a − b with this CI (see the module docstring).

    ``negligible`` ≥ 0: a CI that excludes 0 but lies within [−negligible, +negligible] is "negligible".
    """
    lo, hi = (float(v) if v is not None else _NAN for v in ci95)
    if (n is not None and n < 2) or not (math.isfinite(lo) and math.isfinite(hi)):
        return "undetermined"
    if (lo > 0 or hi < 0) and negligible > 0 and -negligible <= lo and hi <= negligible:
        return "negligible"
    if lo > 0:
        return "better" if higher_is_better else "worse"
    if hi < 0:
        return "worse" if higher_is_better else "better"
    return "no_difference"
