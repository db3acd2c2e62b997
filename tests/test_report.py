"""The meeting report: one self-contained HTML file (nothing fetched), EN and JA, with the verdict.

Pilots are built from constructed per-seed results (``summarize_pilot``), so each verdict is known.
"""

import re
from html import escape
from html.parser import HTMLParser

import numpy as np
import pytest

from hra_viz.text import STRINGS, t
from hra_viz.training.pilot import summarize_pilot
from hra_viz.views.pilot import home_statements, verdict_lines
from hra_viz.views.report import build_report, report_filename

SEEDS = [0, 1, 2, 3, 4]


def _pilot(target: dict, methods=("hra", "lora"), task="digits-rotate"):
    rng = np.random.default_rng(1)
    cells, results = [], []
    for m in methods:
        for i, s in enumerate(SEEDS):
            cells.append(
                {
                    "method": m,
                    "seed": s,
                    "task": task,
                    "r": 8,
                    "block_size": 16,
                    "lam": 0.0,
                    "alpha": None,
                    "lr": None,
                }
            )
            results.append(
                {
                    "target_acc": target[m][i],
                    "retention": 0.5 + 0.02 * rng.standard_normal(),
                    "drift": 3.0 + 0.1 * rng.standard_normal(),
                    "time_per_step_s": 1e-3 * (1 + 0.1 * i),
                    "peak_mem_mb": 0.5,
                    "trainable_params": {"hra": 1536, "lora": 2640, "oft": 1440, "full": 8970}[m],
                    "status_code": "finished",
                    "status": "finished: 300 steps",
                    "device": "cpu",
                    "memory_measure": "tensor-accounting",
                    "base_target_acc": 0.139,
                    "base_source_acc": 0.964,
                }
            )
    setup = {
        "task": task,
        "model": "MLP 64 → 64 → 64 → 10",
        "model_dims": [64, 64, 64, 10],
        "r": 8,
        "steps": 300,
        "batch_size": 128,
        "optimizer": "adam",
        "backend": "local",
        "wall_s": 12.0,
        "versions": {"hra_viz": "0.1.0"},
        "command": "python -m hra_viz pilot --methods hra,lora --seeds 5",
    }
    return summarize_pilot(cells, results, list(methods), SEEDS, setup)


BASE = np.array([0.80, 0.82, 0.79, 0.81, 0.83])
WIN = _pilot({"hra": BASE + 0.05 + np.array([0.0, 0.002, -0.001, 0.001, -0.002]), "lora": BASE})
TIE = _pilot({"hra": BASE + np.array([0.01, -0.01, 0.02, -0.02, 0.0]), "lora": BASE})
LOSS = _pilot({"hra": BASE - 0.05 + np.array([0.0, 0.002, -0.001, 0.001, -0.002]), "lora": BASE})


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags, self.scripts, self.text = [], [], 0, []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.scripts += tag == "script"
        for k, v in attrs:
            if k in ("src", "href", "action", "data", "poster") and v:
                self.refs.append(v)

    def handle_data(self, data):
        if self.tags and self.tags[-1] not in ("script", "style"):
            self.text.append(data)


def _parse(html: str) -> _Refs:
    p = _Refs()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def reports():
    return {lang: build_report(WIN, lang) for lang in ("en", "ja")}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_report_is_self_contained(reports, lang):
    html = reports[lang]
    p = _parse(html)
    assert not [r for r in p.refs if re.match(r"\s*(https?:)?//", r)], p.refs  # nothing fetched
    assert "<link" not in html.lower() and "@import" not in html
    assert html.count("plotly.js v") >= 1  # the library itself is inlined ...
    assert len(re.findall(r"<script[^>]*\bsrc=", html)) == 0  # ... not loaded from anywhere
    assert html.count("Plotly.newPlot") == 3  # results, differences, costs
    assert "@media print" in html and "@page" in html  # prints to PDF
    assert html.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in html


def test_report_is_bilingual_with_the_same_structure(reports):
    en, ja = _parse(reports["en"]), _parse(reports["ja"])
    for tag in ("h1", "h2", "table", "tr", "li"):
        assert en.tags.count(tag) == ja.tags.count(tag), tag
    ja_text = " ".join(ja.text)
    en_text = " ".join(en.text)
    assert "パイロット報告" in ja_text and "注意点" in ja_text and "結論" in ja_text
    assert "Pilot report" in en_text and "Caveats" in en_text and "Verdict" in en_text
    assert "Caveats" not in ja_text and "Verdict" not in ja_text
    assert "MLP 64 → 64 → 64 → 10（ReLU）、元のデータで事前学習済み" in ja_text
    for key in [k for k in STRINGS if k.startswith(("report.", "verdict.", "pilot."))]:
        assert set(STRINGS[key]) == {"en", "ja"}, key
    assert report_filename(WIN, "ja") == "pilot-hra-lora-digits-rotate-5seeds-ja.html"


def test_report_covers_setup_results_costs_stability_and_caveats(reports):
    text = " ".join(_parse(reports["en"]).text)
    for needle in (
        "digits-rotate",
        "MLP 64 → 64 → 64 → 10",
        "0, 1, 2, 3, 4",
        "300 steps",
        "cpu",
        "python -m hra_viz pilot",
        "95 % CI",
        "1,536",
        "2,640",
        "Stability across seeds",
        "all 5 runs finished",
        "Costs",
        "peak memory",
        "multiple comparisons",
    ):
        assert needle in text, needle


def _sentences(pilot, lang="en"):
    return {(pair, metric): (code, s) for pair, metric, code, s in verdict_lines(pilot, lang)}


def test_verdict_win_tie_loss():
    code, s = _sentences(WIN)[("hra-lora", "target_acc")]
    assert code == "better" and s.startswith("target accuracy: HRA beats LoRA by 5.0 points")
    code, s = _sentences(TIE)[("hra-lora", "target_acc")]
    assert code == "no_difference" and "no detectable difference between HRA and LoRA with 5 seeds" in s
    assert "beats" not in s and "behind" not in s
    code, s = _sentences(LOSS)[("hra-lora", "target_acc")]
    assert code == "worse" and "HRA is behind LoRA by 5.0 points" in s
    code, s = _sentences(TIE, "ja")[("hra-lora", "target_acc")]
    assert "シード 5 個では、HRA と LoRA の間に検出できる差はありません" in s


@pytest.mark.parametrize(
    "pilot,needle",
    [
        (WIN, "target accuracy: HRA beats LoRA by 5.0 points"),
        (TIE, "target accuracy: no detectable difference between HRA and LoRA with 5 seeds"),
        (LOSS, "target accuracy: HRA is behind LoRA by 5.0 points"),
    ],
)
def test_the_verdict_appears_in_the_report(pilot, needle):
    html = build_report(pilot, "en")
    text = " ".join(_parse(html).text)
    assert text.count(needle) == 2  # in short (top) and in the verdict section
    assert t("verdict.rule", "en", k=5) in text


def test_one_seed_and_one_method_still_render():
    one = summarize_pilot(
        [
            {
                "method": "hra",
                "seed": 0,
                "task": "digits-rotate",
                "r": 8,
                "block_size": 4,
                "lam": 0.0,
                "alpha": None,
                "lr": None,
            }
        ],
        [{"target_acc": 0.8, "status_code": "finished"}],
        ["hra"],
        [0],
        {"steps": 10},
    )
    html = build_report(one, "ja")
    assert "パイロット報告" in html and "Plotly.newPlot" in html
    two = _pilot({"hra": BASE, "lora": BASE})
    code, s = _sentences(two)[("hra-lora", "target_acc")]
    assert code == "no_difference"  # identical runs: CI [0, 0] contains 0


def test_home_statements_follow_the_verdict_rule():
    four = _pilot(
        {
            "hra": BASE,
            "lora": BASE + 0.05,
            "oft": BASE - 0.1 + 0.001 * np.arange(5),
            "full": BASE + np.array([0.01, -0.01, 0.02, -0.02, 0.0]),
        },
        methods=("hra", "lora", "oft", "full"),
    )
    st = home_statements(four)
    keys = [k for k, _, _ in st]
    assert keys[0] == "pilot.home.behind" and st[0][1]["m"] == "lora" and st[0][2] == "warning"
    assert st[0][1]["gap"] == "5.0"
    assert keys[-1] == "home.loses.conflict"
    for key, vals, _ in st:
        t(key, "en", **vals) and t(key, "ja", **vals)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_drift_is_named_by_how_the_task_measures_it(lang):
    """Drift is the outputs' KL on the digit tasks and 1 − Spearman ρ on the real model: the pilot's
    figures, table and report name the one the pilot used and explain it once. The figure titles were one
    long sentence covering both, which ran over the next panel's title (seen in the browser)."""
    from hra_viz.training.real_pilot import REAL_TASK
    from hra_viz.views import figures as F
    from hra_viz.views.pilot import drift_note, metric_name, results_table

    real = _pilot({"hra": BASE, "lora": BASE}, task=REAL_TASK)
    for pilot, word, other in ((WIN, "KL", "Spearman"), (real, "Spearman", "KL")):
        name = metric_name("drift", lang, pilot["setup"]["task"])
        assert word in name and other not in name
        def flat(s):  # a long title may be on two lines
            return s.replace("<br>", "").replace(" ", "")

        titles = [flat(a.text) for a in F.pilot_results(pilot, lang).layout.annotations]
        assert flat(name) in titles
        assert name in results_table(pilot, lang).columns
        html = build_report(pilot, lang)
        assert html.count(name) >= 2 and escape(drift_note(pilot, lang)) in html  # results and stability
        assert word in drift_note(pilot, lang) and other not in drift_note(pilot, lang)
    # three panels side by side: each title must fit a third of the figure
    for pilot in (WIN, real):
        for fig in (F.pilot_results(pilot, lang), F.pilot_diffs(pilot, lang), F.pilot_costs(pilot, lang)):
            for a in fig.layout.annotations:
                for line in a.text.split("<br>"):
                    width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in line)  # CJK glyphs: double width
                    assert width <= 40, a.text
    assert metric_name("drift", lang) == t("pilot.metric.drift", lang)  # no task: just the word
