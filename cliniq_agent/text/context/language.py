"""Cheap language guess (en/es/pt/fr/vi) from cues in kb/context/language_cues.tsv.

Why not a model: we only need to pick a trigger table; counting cue words (folded tokens) and a
few spelling patterns ("ção", "ñ", "l'", Vietnamese horn/breve letters) is instant and good
enough on clinical prose. Vietnamese typed without diacritics is caught by frequent syllables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import regex

DEFAULT_LANGUAGE = "en"
ORDER: tuple[str, ...] = ("en", "es", "pt", "fr", "vi")  # tie-break order
WORD = regex.compile(r"\w+")


@dataclass(slots=True)
class LanguageCues:
    words: dict[str, dict[str, float]] = field(default_factory=dict)   # language -> folded word -> weight
    chars: list[tuple[str, regex.Pattern[str], float]] = field(default_factory=list)
    _index: dict[str, tuple[tuple[str, float], ...]] | None = None

    def word_index(self) -> dict[str, tuple[tuple[str, float], ...]]:
        """word -> ((language, weight), ...): one dict lookup per token."""
        if self._index is None:
            index: dict[str, list[tuple[str, float]]] = {}
            for language, words in self.words.items():
                for word, weight in words.items():
                    index.setdefault(word, []).append((language, weight))
            self._index = {word: tuple(items) for word, items in index.items()}
        return self._index

    def score(self, original: str, tokens: Iterable[str]) -> dict[str, float]:
        scores = dict.fromkeys(ORDER, 0.0)
        index = self.word_index()
        for token in tokens:
            for language, weight in index.get(token, ()):
                scores[language] += weight
        if self.chars:
            lowered = original.lower()
            for language, pattern, weight in self.chars:
                scores[language] += weight * len(pattern.findall(lowered))
        return scores


def best_language(scores: dict[str, float], default: str = DEFAULT_LANGUAGE) -> str:
    best = max(ORDER, key=lambda lang: (scores.get(lang, 0.0), lang == default, -ORDER.index(lang)))
    return best if scores.get(best, 0.0) > 0 else default
