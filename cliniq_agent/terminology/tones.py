"""Vietnamese tone marks in name matching: "bệnh thận" (kidney disease) is not "bệnh than" (anthrax).

Why: names are matched on folded text so that Vietnamese typed without diacritics still reads, but folding merges
words that differ only in their marks ("bệnh thận" / "bệnh than", "bệnh lâu" / "bệnh lậu", "bệnh phòng" /
"bệnh phong"). A surface written with marks must carry the Vietnamese name's marks word by word (their order and
placement aside: "thủy" = "thuỷ"); a surface typed without any is read, except the names of
kb/lookup/tone_homographs.tsv, whose unaccented spelling is mostly the everyday word.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import regex

from cliniq_agent.core.textnorm import fold
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.terminology.normalize import fold_key

# tone marks (grave, acute, tilde, hook, dot below) and vowel marks (circumflex, breve, horn); "đ" counts as one
_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")


def _marks(text: str) -> list[tuple[str, ...]]:
    """Per word, its Vietnamese marks (sorted: the place of a tone on a diphthong varies) and 'đ'."""
    words = []
    for word in _WORD.findall(unicodedata.normalize("NFD", text)):
        words.append(tuple(sorted("đ" if ch in "đĐ" else ch for ch in word if ch in _MARKS or ch in "đĐ")))
    return words


def has_marks(text: str) -> bool:
    """Is ``text`` written with Vietnamese marks (on any word)?"""
    return any(_marks(text))


def tones_agree(surface: str, written: str) -> bool:
    """``surface`` is written without marks, or with ``written``'s marks on every word."""
    marks = _marks(surface)
    return not any(marks) or marks == _marks(written)


def ends_in_marked_letter(surface: str) -> bool:
    """Does ``surface`` end in a one-letter word with a mark? No name does: French "hépatite à CMV" (hepatitis
    caused by CMV) folds to the letters of "hépatite A", whose last word is the plain letter."""
    words = _WORD.findall(unicodedata.normalize("NFD", surface))
    return bool(words) and len(words[-1]) > 1 and len([ch for ch in words[-1] if ch not in _MARKS]) == 1


class ToneNames:
    """Folded name keys that only Vietnamese names produce, with those names as written."""

    def __init__(self, vi_names: Iterable[str], other_names: Iterable[str]) -> None:
        names: dict[str, list[str]] = {}
        for text in vi_names:
            names.setdefault(fold_key(text), []).append(text)
        for text in other_names:
            names.pop(fold_key(text), None)   # a key another language also spells is read as folded
        self._names = names
        self._toned_only = frozenset(fold_key(row["name"]) for row in _homographs())

    def agree(self, surface: str, key: str) -> bool:
        """May ``surface`` (whose folded key is ``key``) be read as the name(s) of that key?"""
        if ends_in_marked_letter(surface):
            return False
        written = self._names.get(key)
        if written is None:
            return True
        if not any(_marks(surface)):
            return key not in self._toned_only
        return any(tones_agree(surface, text) for text in written)

    def agree_in(self, surface: str, key: str, marked_text: bool) -> bool:
        """May a pattern's match ``surface`` (folded key ``key``) inside a phrase be read as the Vietnamese name(s)
        of that key? In text written with marks (``marked_text``) the name must carry its own: "soi" in "soi rạch
        da" (a skin-slit smear) is not "sởi" (measles), "lâu" is not "lậu". Text typed without any marks is read
        as folded, the pattern's own context deciding."""
        if ends_in_marked_letter(surface):
            return False
        written = self._names.get(key)
        if written is None:
            return True
        marks = _marks(surface)
        if not any(marks) and not marked_text:
            return True
        return any(marks == _marks(text) for text in written)

    def vietnamese(self, key: str) -> bool:
        """Is ``key`` the folded key of a name only Vietnamese spells?"""
        return key in self._names

    def phrase_agrees(self, phrase: str, name: str) -> bool:
        """A code-index hit for KB ``name`` (fuzzy or lexical) agrees with where the phrase spells it."""
        key = fold_key(name)
        if key not in self._names:
            return True
        words = fold(name).split()
        found = regex.search(r"(?<!\w)" + r"\W+".join(map(regex.escape, words)) + r"(?!\w)", fold(phrase))
        return found is None or self.agree(phrase[found.start():found.end()], key)


@lru_cache(maxsize=1)
def _homographs() -> tuple[dict[str, str], ...]:
    return kb_table("lookup", "tone_homographs.tsv")
