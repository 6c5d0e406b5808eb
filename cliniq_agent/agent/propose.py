"""Proposal step: phrases in narrative text that name a diagnosis, a lab test or a drug, found after
cue words (kb/agent/cues.tsv, five languages) and not already coded by another tier."""

from __future__ import annotations

import time
from bisect import bisect_right
from functools import lru_cache
from collections.abc import Iterator
from typing import Any

import regex

from cliniq_agent.agent.records import AgentReport, Candidate, Kind
from cliniq_agent.core.budget import check_budget
from cliniq_agent.text.spanindex import SpanIndex
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.core.state import AgentJob
from cliniq_agent.core.textnorm import fold
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.initials import genus_initial_at
from cliniq_agent.text.tiers import coded_spans

_SENTENCE = regex.compile(r"[^.!?\n]+[.!?]?")
_SENTENCE_FALLBACK = 200   # characters of context when a position starts no sentence
_TRIM = " ,:;-–—()[]\"'"
_DIAGNOSIS_END = regex.compile(r",|:(?=\s)")   # where a diagnosis phrase ends: its details follow
_COMMA = regex.compile(",")
_LEADING_FILLER = regex.compile(r"^(?:(?:a|an|the|of|with|for|active|acute|chronic|likely|probable|possible|suspected|"
                                r"presumed|confirmed|el|la|los|las|un|una|de|do|da|o|a|le|les|du|des|une)\s+)+")


@lru_cache(maxsize=1)
def _cues() -> tuple[tuple[str, Kind, _CuePattern, int], ...]:
    return tuple(
        (row["id"], row["kind"], _CuePattern(row["pattern"], row.get("anchor", ""), row.get("reach", "")),  # type: ignore[misc]
         int(row["max_words"]))
        for row in kb_table("agent", "cues.tsv")
    )


class _CuePattern:
    """A cue's pattern, matched exactly as ``finditer`` would; a cue with an ``anchor`` (a word every match
    holds, e.g. the result word of "X came back positive") and a ``reach`` (matched backwards from the anchor:
    at least as far back as any match can start) is tried only at the positions within reach of an anchor.
    A pattern that may start anywhere ("a phrase of 6 to 90 characters, then a result word") otherwise costs a
    backtracking attempt at every character of the note."""

    def __init__(self, pattern: str, anchor: str, reach: str) -> None:
        self.pattern = regex.compile(pattern)
        self._anchor = regex.compile(anchor) if anchor else None
        self._reach = regex.compile(reach, regex.REVERSE) if reach else None

    def finditer(self, folded: str, start: int, end: int) -> Iterator[regex.Match[str]]:
        if self._anchor is None or self._reach is None:
            yield from self.pattern.finditer(folded, start, end)
            return
        windows = sorted((reach.start() if (reach := self._reach.match(folded, start, anchor.start())) else
                          anchor.start(), anchor.start()) for anchor in self._anchor.finditer(folded, start, end))
        position = start   # where finditer would search next; a position in no window starts no match
        for low, high in windows:
            candidate = max(position, low)
            while candidate <= high:
                match = self.pattern.match(folded, candidate, end)
                if match is None:
                    candidate += 1
                    continue
                yield match
                candidate = max(match.end(), match.start() + 1)
            position = max(position, candidate)


class _Sentences:
    """The text's sentences, found once and looked up by bisect (a scan per candidate is quadratic)."""

    def __init__(self, text: str) -> None:
        self._length = len(text)
        self._spans: list[tuple[int, int]] | None = None
        self._text = text

    def around(self, position: int) -> tuple[int, int]:
        if self._spans is None:
            self._spans = [match.span() for match in _SENTENCE.finditer(self._text)]
            self._starts = [start for start, _ in self._spans]
        index = bisect_right(self._starts, position) - 1
        if index >= 0 and position < self._spans[index][1]:
            return self._spans[index]
        return position, min(self._length, position + _SENTENCE_FALLBACK)


def propose(text: str | TextDoc, regions: list[tuple[int, int]], covered: list[tuple[int, int]]) -> list[Candidate]:
    """Candidate phrases inside ``regions`` that overlap no ``covered`` span (already coded elsewhere)."""
    doc = TextDoc.of(text)
    text, folded = doc.text, doc.fold
    covered_index = SpanIndex(covered)
    sentences = _Sentences(text)
    candidates: list[Candidate] = []
    seen: set[tuple[str, str]] = set()
    for start, end in regions:
        check_budget("agent proposal")
        for cue_id, kind, pattern, max_words in _cues():
            for match in pattern.finditer(folded, start, end):
                span = _phrase_span(text, match.span("phrase"), max_words, cut_at_comma=kind == "conditions")
                if span is None or covered_index.overlaps(span):
                    continue
                phrase = text[span[0]:span[1]]
                key = (kind, fold(phrase))
                if key in seen:
                    continue
                seen.add(key)
                candidates.append(Candidate(id=len(candidates), kind=kind, phrase=phrase, span=span,
                                            sentence=sentences.around(span[0]), cue=cue_id))
    return candidates


def _phrase_span(text: str, span: tuple[int, int], max_words: int, *, cut_at_comma: bool = False) -> tuple[int, int] | None:
    """The phrase itself: at most ``max_words`` words, without fillers; a diagnosis ends at its first
    comma ("brucellosis, awaiting serology" → "brucellosis") or at a colon that opens its details
    ("Suspected tuberculous pleuritis: ADA elevated at 85 U/L" → "tuberculous pleuritis"; not a label opening its
    line, "Medications: oseltamivir")."""
    start, end = span
    if cut_at_comma:
        # a colon ends it only after the phrase's first words on its line: "Medications: oseltamivir" is a label
        opens_line = not text[text.rfind("\n", 0, start) + 1:start].strip()
        stop = (_COMMA if opens_line else _DIAGNOSIS_END).search(text, start, end)
        end = stop.start() if stop else end
    words = list(regex.finditer(r"\S+", text[start:end]))
    if not words:
        return None
    if len(words) > max_words:
        end = start + words[max_words - 1].end()
    raw = text[start:end]
    stripped = raw.strip(_TRIM)
    if not stripped:
        return None
    start += raw.find(stripped)
    filler = _LEADING_FILLER.match(fold(stripped))
    if filler:
        start += filler.end()
        stripped = stripped[filler.end():]
    if len(stripped) < 3 or genus_initial_at(text, start + len(stripped)):
        return None   # "infección por E" of "infección por E. coli …": the stop cut an organism's name in two
    return start, start + len(stripped)


def hand_over(jobs: list[AgentJob]) -> dict[str, Any]:
    """The agent's first step, run by the node that makes the jobs: propose each job's phrases. With a phrase to
    code anywhere the jobs go to the agent node; with none, the base drafts go straight to the merge (on most
    eICRs no narrative phrase is left uncoded, and the agent's subgraph would only pass an empty list along)."""
    proposed = [job.model_copy(update={"proposed_at": time.perf_counter(), "candidates": propose(
        job.doc, job.regions, job.covered if job.covered is not None else coded_spans(job.base.record))})
        for job in jobs]
    if any(job.candidates for job in proposed):
        return {"agent_jobs": proposed}
    return {"agent_jobs": [], "drafts": [job.base for job in proposed],
            "agent_reports": [AgentReport(producer=job.producer, locator=job.locator) for job in proposed]}
