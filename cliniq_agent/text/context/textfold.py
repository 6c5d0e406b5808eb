"""Folded text with offset maps, so matches in the folded text map back to the source.

The fold itself (one character table) is :mod:`cliniq_agent.core.textnorm`; this module keeps, for a whole
note, the full fold ("sœur" -> "soeur") plus the maps between folded and original offsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from cliniq_agent.core.textnorm import fold_char


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
