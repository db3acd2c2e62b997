"""Every text exists in English and Japanese, with the same {placeholders}."""

import re
import string

import pytest

from hra_viz.text import LANGS, STRINGS, t

_JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _fields(s: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(s) if name}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_key_has_both_languages_and_same_placeholders(key):
    entry = STRINGS[key]
    assert set(entry) == set(LANGS), key
    assert all(isinstance(entry[lg], str) and entry[lg].strip() for lg in LANGS), key
    assert _fields(entry["en"]) == _fields(entry["ja"]), key
    dummy = dict.fromkeys(_fields(entry["en"]), 1.5)
    for lg in LANGS:
        t(key, lg, **dummy)  # formats without error


def test_japanese_is_japanese():
    # Long texts (not symbols such as "max |HᵀH − I|" or method names) must really be written in Japanese.
    long_keys = [
        k for k, v in STRINGS.items() if len(v["en"]) > 25 and not k.startswith(("method.", "fig.wy"))
    ]
    missing = [k for k in long_keys if not _JA.search(STRINGS[k]["ja"])]
    assert not missing, missing


def test_missing_key_or_language_fails_loudly():
    with pytest.raises(KeyError):
        t("no.such.key", "en")
    with pytest.raises(ValueError):
        t("page.home", "fr")
    with pytest.raises(KeyError):
        t("warn.reset", "en")  # a placeholder left unfilled


def test_method_names_stay_latin():
    for m in ("hra", "lora", "oft"):
        assert STRINGS[f"method.{m}"]["ja"] == STRINGS[f"method.{m}"]["en"]
