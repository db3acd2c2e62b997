"""Dump every page's plotly figure JSON on fixed inputs, to check that a refactor changes no figure.

    python tools/page_figures.py OUT_DIR          # once before, once after the change
    python tools/page_figures.py --compare A B    # identical? prints a line per page

Each page is opened through app.py with its default settings in EN and JA; pages whose figures need a
button (chain length, spectra, λ, the live page's Step) get that button pressed once. Numbers that are
wall-clock timings (ms per step) differ run to run: those figures are compared with their timing
traces masked, and the script says which ones were masked.
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HRA_VIZ_WARM", "0")  # no background warm-up: the buttons decide, deterministically

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

PAGES = {  # page file -> button key pressed once after the first run (None: none)
    "pages/home.py": None,
    "pages/reflections.py": None,
    "pages/wy_form.py": None,
    "pages/live_training.py": "train_step",
    "pages/chain_length.py": "chain_run",
    "pages/spectra_geometry.py": "spec_run",
    "pages/regulariser.py": "lam_run",
    "pages/inspector.py": None,
    "pages/budget.py": None,
}


def dump(out: Path) -> None:
    from apptest_util import figs, open_page

    out.mkdir(parents=True, exist_ok=True)
    for page, button in PAGES.items():
        for lang in ("en", "ja"):
            at = open_page(page, lang=lang, seed="0")
            shots = {"load": figs(at)}
            if button:
                at.button(key=button).click().run()
                assert not at.exception, [e.value for e in at.exception]
                shots["after_button"] = figs(at)
            name = f"{Path(page).stem}.{lang}.json"
            (out / name).write_text(json.dumps(shots, sort_keys=True, indent=1, ensure_ascii=False))
            print(name, {k: len(v) for k, v in shots.items()}, flush=True)


# Figures that plot wall-clock timings: (page stem, shot, figure index) -> trace indices (None: all).
# Their y values and text labels are masked; everything else (x, names, layout, texts) must match.
TIMED = {
    ("home", "load", 3): None,  # ms per training step, per method
    ("wy_form", "load", 4): None,  # ms of the dense vs WY product
    ("chain_length", "after_button", 0): range(12, 16),  # the ms-per-step panel
}


def _mask_timings(stem: str, shots: dict) -> dict:
    for (page, shot, i), traces in TIMED.items():
        if page == stem and shot in shots and i < len(shots[shot]):
            data = shots[shot][i]["data"]
            for j in traces if traces is not None else range(len(data)):
                if j < len(data):
                    for k in ("y", "text", "customdata"):  # ratios to the frozen layer are timings too
                        data[j].pop(k, None)
    return shots


def _strip_uid(obj):
    """Plotly JSON minus per-render ids."""
    if isinstance(obj, dict):
        return {k: _strip_uid(v) for k, v in obj.items() if k not in ("uid",)}
    if isinstance(obj, list):
        return [_strip_uid(v) for v in obj]
    return obj


def compare(a: Path, b: Path) -> int:
    bad = 0
    for fa in sorted(a.glob("*.json")):
        fb = b / fa.name
        if not fb.exists():
            print(f"{fa.name}: MISSING after")
            bad += 1
            continue
        stem = fa.name.split(".")[0]
        A = _mask_timings(stem, json.loads(fa.read_text()))
        B = _mask_timings(stem, json.loads(fb.read_text()))
        n = sum(len(v) for v in A.values())
        same = _strip_uid(A) == _strip_uid(B)
        print(f"{fa.name}: {n} figures, {'identical' if same else 'DIFFERENT'}")
        bad += not same
    return bad


if __name__ == "__main__":
    if sys.argv[1] == "--compare":
        sys.exit(1 if compare(Path(sys.argv[2]), Path(sys.argv[3])) else 0)
    dump(Path(sys.argv[1]))
