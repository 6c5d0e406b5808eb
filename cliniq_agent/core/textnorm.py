"""The one text fold: case- and accent-folding from one character table, in two views.

Why: triggers, labels and KB names are written once ("nao", "khong", "antecedents", "soeur") and must match
"não", "KHÔNG", "Antécédents", "sœur" and Vietnamese typed without diacritics. NFKD + dropping combining marks
does most of it; a few letters NFKD leaves alone (đ, œ, ø, curly quotes, dashes) are mapped in ``_EXTRA``.

- :func:`fold_char` / :func:`fold_full`: the full fold ("sœur" -> "soeur", "ß" -> "ss"); the length may change,
  so matches on it map back through :func:`cliniq_agent.text.context.textfold.fold_with_offsets`.
- :func:`fold`: the same fold cut to one character per character ("sœur" -> "sour", "ß" -> "s"), so offsets in
  the folded text are offsets in the source (the line parser, markers, lookup and mentions rely on that).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Letters / punctuation that NFKD does not decompose but that people type interchangeably.
_EXTRA: dict[str, str] = {
    "đ": "d", "Đ": "d", "ð": "d", "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae",
    "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ı": "i",
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2011": "-", "\u2212": "-",
}


@lru_cache(maxsize=4096)
def fold_char(ch: str) -> str:
    """Fold one character: NFKD, no combining marks, casefolded; may return '' or several chars."""
    if ch in _EXTRA:
        return _EXTRA[ch]
    if ch.isascii():
        return ch.lower()
    out = []
    for part in unicodedata.normalize("NFKD", ch):
        if unicodedata.combining(part):
            continue
        part = _EXTRA.get(part, part)
        out.append(part.casefold())
    return "".join(out)


@lru_cache(maxsize=4096)
def _fold_one(ch: str) -> str:
    folded = fold_char(ch)
    return folded[0] if folded else ch


def fold_full(text: str) -> str:
    """Full fold of a string (its length may change): for patterns and cue words matched on folded text."""
    if text.isascii() and "`" not in text:
        return text.lower()
    return "".join(fold_char(ch) for ch in text)


def fold(text: str) -> str:
    """Lower-case, accent-stripped copy of ``text`` with exactly the same length (one character per character)."""
    if text.isascii() and "`" not in text:
        return text.lower()
    return "".join(_fold_one(ch) for ch in text)
