"""Recommended chain length from a chain-length study, with the evidence behind it.

The rule (``RULE``), applied to HRA rows of a sweep table (``sweep.sweep``, one row per run):

1. Group the finished (or diverged) runs by r; per r take the mean of the metric (default target
   accuracy) over seeds and its 95 % Student-t CI (``stats.summarize``).
2. Keep the r within the budget, if one is given: mean trainable parameters ≤ ``max_params`` and
   mean time per step ≤ ``max_step_time_s``.
3. The best r is the one with the highest mean (the smallest r on a tie).
4. Recommend the smallest r whose mean lies within the best r's CI (mean ≥ the CI's lower end).

With one seed the best r has no CI, so the recommendation is the best r itself, and ``basis``
says "single_seed". Invalid or crashed cells never count. Only one λ is used: ``lam`` if given,
else the first λ of the table.
"""

from __future__ import annotations

import math

import pandas as pd

from hra_viz.training import stats as S

__all__ = ["RULE", "recommend_chain_length", "summarize_by"]

RULE = "smallest_r_within_best_ci"
_USABLE = ("finished", "diverged")


def _usable(df: pd.DataFrame) -> pd.Series:
    if "status_code" in df:
        return df["status_code"].astype(str).isin(_USABLE)
    return df["status"].astype(str).str.startswith(_USABLE)


def summarize_by(df: pd.DataFrame, by: str, metric: str) -> pd.DataFrame:
    """Per value of ``by``: n, mean, std, ci_lo, ci_hi of ``metric`` over seeds (usable runs only)."""
    rows = []
    for key, g in df[_usable(df)].groupby(by, sort=True):
        g = g.sort_values("seed") if "seed" in g else g
        s = S.summarize(pd.to_numeric(g[metric], errors="coerce").tolist())
        rows.append(
            {
                by: key,
                "n": s["n"],
                "mean": s["mean"],
                "std": s["std"],
                "ci_lo": s["ci95"][0],
                "ci_hi": s["ci95"][1],
            }
        )
    return pd.DataFrame(rows, columns=[by, "n", "mean", "std", "ci_lo", "ci_hi"])


def recommend_chain_length(
    df: pd.DataFrame,
    metric: str = "target_acc",
    method: str = "hra",
    lam: float | None = None,
    max_params: float | None = None,
    max_step_time_s: float | None = None,
) -> dict:
    """Apply ``RULE`` (module docstring) to the ``method`` rows of a sweep table.

    Returns {r (or None), best_r, threshold, metric, method, lam, seeds (most seeds of any r),
    basis ("ci" | "single_seed" | "none"), rule, budget, evidence (one dict per r: r, n, mean,
    std, ci95, params, step_time_s, in_budget, within, best, recommended)}.
    """
    out = {
        "r": None,
        "best_r": None,
        "threshold": math.nan,
        "metric": metric,
        "method": method,
        "lam": None,
        "seeds": 0,
        "basis": "none",
        "rule": RULE,
        "budget": {"max_params": max_params, "max_step_time_s": max_step_time_s},
        "evidence": [],
    }
    rows = df[(df["method"] == method) & _usable(df)] if len(df) else df
    if not len(rows):
        return out
    if "lam" in rows:
        lams = list(dict.fromkeys(float(v) for v in rows["lam"]))
        use = float(lam) if lam is not None else lams[0]
        rows = rows[(rows["lam"].astype(float) - use).abs() <= 1e-12 * max(1.0, abs(use))]
        out["lam"] = use
    rows = rows[rows["r"].notna()]
    if not len(rows):
        return out
    rows = rows.assign(r=rows["r"].astype(int))
    summ = summarize_by(rows, "r", metric)
    cost = rows.groupby("r").agg(params=("trainable_params", "mean"), step_time_s=("time_per_step_s", "mean"))
    evidence = []
    for rec in summ.itertuples(index=False):
        params = float(cost.loc[rec.r, "params"])
        st = float(cost.loc[rec.r, "step_time_s"])
        ok = (max_params is None or params <= max_params) and (
            max_step_time_s is None or st <= max_step_time_s
        )
        evidence.append(
            {
                "r": int(rec.r),
                "n": int(rec.n),
                "mean": float(rec.mean),
                "std": float(rec.std),
                "ci95": [float(rec.ci_lo), float(rec.ci_hi)],
                "params": params,
                "step_time_s": st,
                "in_budget": bool(ok and rec.n > 0 and math.isfinite(rec.mean)),
                "within": False,
                "best": False,
                "recommended": False,
            }
        )
    out["evidence"] = evidence
    out["seeds"] = max((e["n"] for e in evidence), default=0)
    cands = [e for e in evidence if e["in_budget"]]
    if not cands:
        return out
    best = max(cands, key=lambda e: (e["mean"], -e["r"]))
    best["best"] = True
    out["best_r"] = best["r"]
    lo = best["ci95"][0]
    if best["n"] >= 2 and math.isfinite(lo):
        out["threshold"] = lo
        out["basis"] = "ci"
        for e in cands:
            e["within"] = e["mean"] >= lo
        chosen = min((e for e in cands if e["within"]), key=lambda e: e["r"])
    else:
        out["basis"] = "single_seed"
        best["within"] = True
        chosen = best
    chosen["recommended"] = True
    out["r"] = chosen["r"]
    return out
