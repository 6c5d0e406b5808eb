"""Length-preserving text folding so that matches on folded text map back to source offsets."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_SPECIAL = {"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ß": "s", "’": "'", "‘": "'", "“": '"', "”": '"'}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _SPECIAL:
        return _SPECIAL[char]
    base = [c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)]
    folded = (base[0] if base else char).lower()
    return folded if len(folded) == 1 else char.lower()[:1] or char


def fold(text: str) -> str:
    """Lower-case, accent-stripped copy of ``text`` with exactly the same length."""
    if text.isascii():  # every ASCII character folds to its lower case (no accents, one character each)
        return text.lower()
    return "".join(_fold_char(char) for char in text)
