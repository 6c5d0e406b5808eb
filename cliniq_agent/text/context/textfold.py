"""Case- and accent-folding with offset maps, so matches in the folded text map back to the source.

Why: triggers are written once ("nao", "khong", "antecedents") and must match "não", "KHÔNG",
"Antécédents" and Vietnamese typed without diacritics. NFKD + dropping combining marks does most of
it; a few letters that NFKD leaves alone (đ, œ, ø, curly quotes) are mapped explicitly.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import regex

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


def fold(text: str) -> str:
    """Folded form of a string (no offsets): used for patterns and cue words."""
    if text.isascii() and "`" not in text:
        return text.lower()
    return "".join(fold_char(ch) for ch in text)


@dataclass(frozen=True, slots=True)
class FoldedText:
    """Folded text plus maps between folded and original offsets.

    ``to_orig[i]`` is the original offset of folded char ``i`` (len+1 entries, last = len(original));
    ``to_fold[j]`` is the folded offset where original char ``j`` starts (len+1 entries).
    Both are None when the text is ASCII (offsets are then identical).
    """

    original: str
    folded: str
    to_orig: list[int] | None
    to_fold: list[int] | None

    def orig_offset(self, folded_pos: int) -> int:
        return folded_pos if self.to_orig is None else self.to_orig[folded_pos]

    def fold_offset(self, orig_pos: int) -> int:
        return orig_pos if self.to_fold is None else self.to_fold[orig_pos]

    def orig_span(self, start: int, end: int) -> tuple[int, int]:
        """Original span covering folded [start, end)."""
        if self.to_orig is None:
            return start, end
        if end <= start:
            pos = self.to_orig[start]
            return pos, pos
        # max(): keep combining marks that folded to nothing ("a" + U+0301) inside the span
        return self.to_orig[start], max(self.to_orig[end - 1] + 1, self.to_orig[end])


_NON_ASCII = regex.compile(r"[^\x00-\x5f\x61-\x7f]+")  # non-ASCII, plus "`" (folded to ')


def fold_with_offsets(text: str) -> FoldedText:
    """Fold a whole text; ASCII runs are lower-cased in bulk (offsets unchanged inside them)."""
    if not _NON_ASCII.search(text):
        return FoldedText(text, text.lower(), None, None)
    pieces: list[str] = []
    to_orig: list[int] = []
    to_fold: list[int] = []
    pos = 0
    last = 0
    for match in _NON_ASCII.finditer(text):
        if match.start() > last:
            chunk = text[last:match.start()]
            pieces.append(chunk.lower())
            to_orig.extend(range(last, match.start()))
            to_fold.extend(range(pos, pos + len(chunk)))
            pos += len(chunk)
        for index in range(match.start(), match.end()):
            to_fold.append(pos)
            folded = fold_char(text[index])
            pieces.append(folded)
            to_orig.extend([index] * len(folded))
            pos += len(folded)
        last = match.end()
    if last < len(text):
        chunk = text[last:]
        pieces.append(chunk.lower())
        to_orig.extend(range(last, len(text)))
        to_fold.extend(range(pos, pos + len(chunk)))
        pos += len(chunk)
    to_orig.append(len(text))
    to_fold.append(pos)
    return FoldedText(text, "".join(pieces), to_orig, to_fold)
