"""Every user-visible string, in English and Japanese: ``t(key, lang, **fmt)``.

One string table per area, each a module with ``STRINGS = {key: {"en": …, "ja": …}}``:
``controls`` (sidebar, controls, presets, URL warnings), ``figures``, ``home``, ``geometry`` (the
reflections and WY pages), ``training`` (live training, chain length, spectra, λ), ``bridge``
(inspector, cost page, PEFT export), ``pilot`` (A/B pilots, the meeting report, the recommended
chain length, multi-seed notes), ``serving`` (the start-up warm-up).
A new area is a new module plus one entry in ``AREAS``.

The Japanese is written for business readers (polite です/ます); method names (HRA, LoRA, OFT)
stay in Latin letters. A missing key or language raises, so tests catch it (tests/test_i18n.py
also checks that both languages use the same ``{placeholders}``). Strings are always passed
through ``str.format``: write literal braces as ``{{`` and ``}}``. A key lives in exactly one area.
"""

from __future__ import annotations

from importlib import import_module

__all__ = ["LANGS", "STRINGS", "AREAS", "t", "run_status", "run_note"]

LANGS = ("en", "ja")
AREAS = ("controls", "figures", "home", "geometry", "training", "bridge", "pilot", "serving", "real_model")


def _merge(areas: tuple[str, ...]) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for area in areas:
        table = import_module(f"{__name__}.{area}").STRINGS
        clash = sorted(set(table) & set(merged))
        if clash:
            raise RuntimeError(f"text keys defined in more than one area ({area}): {clash}")
        merged.update(table)
    return merged


STRINGS: dict[str, dict[str, str]] = _merge(AREAS)


def run_status(code: str, args: dict | None, lang: str, fallback: str = "") -> str:
    """A run's status (``train.Run.status_code`` / ``status_args``) in the page's language.

    Unknown codes (e.g. rows cached before codes existed) fall back to ``fallback``, the engine's
    English ``status`` text.
    """
    key = f"run.status.{code}"
    if key not in STRINGS:
        return fallback or str(code)
    try:
        return t(key, lang, **(args or {}))
    except (KeyError, ValueError):
        return fallback or str(code)


def run_note(code: str, args: dict | None, lang: str) -> str:
    """A note from ``train.Run.note_codes`` in the page's language (other warnings stay as written)."""
    if code == "text" or f"run.note.{code}" not in STRINGS:
        return str((args or {}).get("text", code))
    return t(f"run.note.{code}", lang, **(args or {}))


def t(key: str, lang: str, /, **fmt) -> str:
    """The string ``key`` in ``lang`` ("en" or "ja"), formatted with ``fmt``. Raises on a missing key/lang."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    try:
        entry = STRINGS[key]
    except KeyError:
        raise KeyError(f"no text for key {key!r}") from None
    return entry[lang].format(**fmt)
