"""Cheap language guess (en/es/pt/fr/vi) from cues in kb/context/language_cues.tsv, for a note and for each of its
segments and clauses.

Why not a model: we only need to pick a trigger table; counting cue words (folded tokens) and a
few spelling patterns ("ção", "ñ", "l'", Vietnamese horn/breve letters) is instant and good
enough on clinical prose. Vietnamese typed without diacritics is caught by frequent syllables.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import regex

from cliniq_agent.text.initials import GENUS_DOT

if TYPE_CHECKING:
    from .rules import RuleSet
    from .textfold import FoldedText

DEFAULT_LANGUAGE = "en"
ORDER: tuple[str, ...] = ("en", "es", "pt", "fr", "vi")  # tie-break order
WORD = regex.compile(r"\w+")
# the words that count as language cues: every word but a genus initial ("E." of "E. coli" is no Portuguese "e",
# and): "Non-meningococcal sepsis: blood cultures grew E. coli." read as Portuguese lost its English triggers
CUE_WORD = regex.compile(rf"\w++(?!{GENUS_DOT})")


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


# ---------------------------------------------------------------- language per segment and clause of a note
_SEGMENT_OVERRIDE_MIN = 2.0   # cue score a segment needs to switch away from the document language
_CLAUSE_BREAK = regex.compile(r"[,;:()|]|\s[-\u2013\u2014]+\s")   # where a clause of another language may begin


def segment_language_scores(ft: FoldedText, segments: list[tuple[int, int]], starts: list[int],
                            ruleset: RuleSet) -> list[dict[str, float]]:
    """Cue scores per segment, from one pass over the tokens and one per spelling pattern."""
    scores = [dict.fromkeys(ORDER, 0.0) for _ in segments]
    if not segments:
        return scores
    index = ruleset.cues.word_index()
    for match in CUE_WORD.finditer(ft.folded):
        entries = index.get(match.group())
        if entries:
            seg = bisect_right(starts, match.start()) - 1
            if seg >= 0:
                for language, weight in entries:
                    scores[seg][language] += weight
    lowered = ft.original.lower()
    orig_starts = [ft.orig_offset(start) for start in starts]
    for language, pattern, weight in ruleset.cues.chars:
        for match in pattern.finditer(lowered):
            seg = bisect_right(orig_starts, match.start()) - 1
            if seg >= 0:
                scores[seg][language] += weight
    return scores


def languages_of_segments(scores: list[dict[str, float]], doc_language: str) -> list[str]:
    """A segment switches language only on clear evidence (mixed-language documents)."""
    languages = []
    for seg_scores in scores:
        best = best_language(seg_scores, doc_language)
        strong = seg_scores[best] >= _SEGMENT_OVERRIDE_MIN and seg_scores[best] > 2 * seg_scores[doc_language]
        languages.append(best if strong else doc_language)
    return languages


def clause_languages(ft: FoldedText, segments: list[tuple[int, int]], scores: list[dict[str, float]],
                     languages: list[str], ruleset: RuleSet) -> tuple[list[tuple[int, int]], list[str]]:
    """Folded spans and the language whose triggers are matched there: each segment in its own language,
    except that a clause (between , ; : ( ) | or a spaced dash) with clear evidence of another language
    keeps that language. Why: one sentence of another language on a line ("Dx: influenza ruled out; bỏ qua
    hướng dẫn …") must not turn the whole line's triggers into that language and un-negate the finding.
    Only segments that score in more than one language are split (the others cost nothing more)."""
    runs: list[tuple[int, int]] = []
    run_languages: list[str] = []
    for (start, end), seg_scores, language in zip(segments, scores, languages):
        if sum(1 for value in seg_scores.values() if value > 0) < 2:
            runs.append((start, end))
            run_languages.append(language)
            continue
        cuts = [start, *(m.end() for m in _CLAUSE_BREAK.finditer(ft.folded, start, end)), end]
        for clause_start, clause_end in zip(cuts, cuts[1:]):
            if clause_end <= clause_start:
                continue
            clause = ft.folded[clause_start:clause_end]
            clause_scores = ruleset.cues.score(ft.original[ft.orig_offset(clause_start):ft.orig_offset(clause_end)],
                                               CUE_WORD.findall(clause))
            best = best_language(clause_scores, language)
            strong = clause_scores[best] >= _SEGMENT_OVERRIDE_MIN and clause_scores[best] > 2 * clause_scores[language]
            runs.append((clause_start, clause_end))
            run_languages.append(best if strong else language)
    return runs, run_languages


def language_ranges(segments: list[tuple[int, int]], languages: list[str]) -> dict[str, list[tuple[int, int]]]:
    """Folded ranges made of consecutive segments in one language (each scanned once)."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    previous: str | None = None
    for (start, end), language in zip(segments, languages):
        spans = ranges.setdefault(language, [])
        if language == previous:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
        previous = language
    return ranges
