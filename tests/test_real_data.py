"""The shipped real-model data: counts, uniqueness, the documented split rule, disjointness."""

import csv
import re
from collections import Counter

from hra_viz.training.real.data import DATA_DIR, LABELS, load_intents, load_probe, split_of


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.strip().lower())


def _rows():
    with (DATA_DIR / "intents.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_intents_counts_and_uniqueness():
    rows = _rows()
    assert list(rows[0]) == ["label", "split", "text"]
    counts = Counter(r["label"] for r in rows)
    assert set(counts) == set(LABELS) and len(LABELS) >= 6
    assert min(counts.values()) >= 80, counts
    texts = [_norm(r["text"]) for r in rows]
    assert len(set(texts)) == len(texts), [t for t, c in Counter(texts).items() if c > 1]
    assert all(len(t.split()) >= 3 for t in texts)  # sentences, not keywords


def test_split_follows_the_documented_rule_and_is_disjoint():
    rows = _rows()
    seen = Counter()
    for r in rows:
        assert r["split"] == split_of(seen[r["label"]]), r
        seen[r["label"]] += 1
    d = load_intents()
    assert not {_norm(t) for t in d.train_texts} & {_norm(t) for t in d.test_texts}
    assert len(d.train_texts) == len(d.train_y) and len(d.test_texts) == len(d.test_y)
    test_counts = Counter(d.test_y)
    assert set(test_counts) == set(range(len(LABELS))) and min(test_counts.values()) >= 16
    assert len(d.train_texts) + len(d.test_texts) == len(rows)


def test_probe_sentences():
    probe = load_probe()
    assert len(probe) >= 200
    norm = [_norm(p) for p in probe]
    assert len(set(norm)) == len(norm)
    intents = {_norm(r["text"]) for r in _rows()}
    assert not set(norm) & intents
    # varied: no word (other than function words) dominates the probe set
    words = Counter(w for p in norm for w in set(re.findall(r"[a-z]+", p)) if len(w) > 4)
    assert words.most_common(1)[0][1] < 0.1 * len(probe), words.most_common(5)
