"""The real-model task's data, shipped in ``data/`` (see ``data/README.md``).

* ``intents.csv``: 510 customer-support sentences in 6 intents, 85 each, columns label,split,text.
  Split rule: within each class, in file order, every 5th sentence (0-based index i with
  i % 5 == 4) is test, the others train (68 + 17 per class).
* ``probe.txt``: 218 general sentences, one per line, for measuring retention.

Plain UTF-8 text only; nothing is unpickled.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DATA_DIR", "LABELS", "IntentData", "load_intents", "load_probe", "split_of"]

DATA_DIR = Path(__file__).resolve().parent / "data"
LABELS = ("order_status", "cancel_order", "return_refund", "billing", "account_access", "product_question")


def split_of(index_in_class: int) -> str:
    """The documented split rule: every 5th sentence of a class (0-based i % 5 == 4) is test."""
    return "test" if index_in_class % 5 == 4 else "train"


@dataclass(frozen=True)
class IntentData:
    labels: tuple[str, ...]  # class names, index = class id
    train_texts: tuple[str, ...]
    train_y: tuple[int, ...]
    test_texts: tuple[str, ...]
    test_y: tuple[int, ...]


@functools.lru_cache(maxsize=1)
def load_intents() -> IntentData:
    """Train and test sentences with integer labels (the order of ``LABELS``)."""
    rows = list(csv.DictReader((DATA_DIR / "intents.csv").open(encoding="utf-8", newline="")))
    idx = {name: i for i, name in enumerate(LABELS)}
    split: dict[str, tuple[list[str], list[int]]] = {"train": ([], []), "test": ([], [])}
    for r in rows:
        texts, ys = split[r["split"]]
        texts.append(r["text"])
        ys.append(idx[r["label"]])
    return IntentData(LABELS, tuple(split["train"][0]), tuple(split["train"][1]),
                      tuple(split["test"][0]), tuple(split["test"][1]))


@functools.lru_cache(maxsize=1)
def load_probe() -> tuple[str, ...]:
    """The general probe sentences, in file order."""
    lines = (DATA_DIR / "probe.txt").read_text(encoding="utf-8").splitlines()
    return tuple(s.strip() for s in lines if s.strip())
