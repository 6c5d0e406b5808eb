"""Regex tier over free text: every inline code marker attached to a clinical mention becomes an item, named
by the phrase before it (or the XML displayName), with its assertion from the ConText engine.

A marker with nothing clinical attached ("SNOMED 840539006." on its own, or in instruction-like text, which
``find_code_markers`` already drops) yields no item: in free text a code needs a name, or a pasted CDA tag."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import lru_cache

import regex

from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.mentions import Clause, Item, build_item
from cliniq_agent.text.markers.markers import CodeMarker, find_code_markers
from cliniq_agent.core.schema import CompactRecord, Tier
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.core.textnorm import fold

_SENTENCE_END = regex.compile(r"(?<=[.!?])\s+(?=[A-Z¿¡])|\n")
_MAX_NAME_WORDS = 8
_TWO_LETTERS = regex.compile(r"\p{L}{2}")
_MARKER_GAP = regex.compile(r"[\s,;/()\[\]]*")
_WORD = regex.compile(r"\S+")


@lru_cache(maxsize=1)
def _boundary_pattern() -> regex.Pattern[str]:
    words = sorted({fold(row["word"]) for row in kb_table("regex", "name_boundaries.tsv")}, key=len, reverse=True)
    return regex.compile(r"(?<!\w)(?:" + "|".join(regex.escape(w) for w in words) + r")(?!\w)")


def extract_markers_draft(text: str | TextDoc, spans: list[tuple[int, int]] | None = None, *,
                          engine: ContextEngine | None = None, tier: Tier = Tier.REGEX) -> CompactRecord:
    """Items for every code marker inside ``spans`` (default: the whole text)."""
    engine = engine or ContextEngine.default()
    doc = TextDoc.of(text)
    text = doc.text
    record = CompactRecord()
    for start, end in spans or [(0, len(text))]:
        markers = [m.model_copy(update={"span": (m.span[0] + start, m.span[1] + start),
                                        "block": (m.block[0] + start, m.block[1] + start) if m.block else None})
                   for m in find_code_markers(text[start:end], doc.instruction_cues)]
        for kind, mention in _mentions(text, (start, end), markers):
            for item in build_item(kind, doc, Clause(span=mention), engine=engine, tier=tier):
                if _anchored(item):
                    getattr(record, kind).append(item)
    return record


def _anchored(item: Item) -> bool:
    """A free-text item stands on a clinical mention: a name with a letter in it, or an XML tag's display."""
    if any((ev.rule or "").startswith("xml_") for ev in item.evidence):
        return True
    return bool(item.name and _TWO_LETTERS.search(item.name))


def _sentence_breaks(text: str, region: tuple[int, int]) -> tuple[list[int], list[int]]:
    """Starts and ends of the sentence breaks in ``region``, found once per region (a scan per marker was
    quadratic on long notes)."""
    spans = [match.span() for match in _SENTENCE_END.finditer(text, *region)]
    return [start for start, _ in spans], [end for _, end in spans]


def _sentence_of(breaks: tuple[list[int], list[int]], region: tuple[int, int], position: int) -> tuple[int, int]:
    starts, ends = breaks
    before = bisect_right(ends, position)          # breaks that end at or before the position
    after = bisect_left(starts, position, before)  # the first break that starts at or after it
    return (ends[before - 1] if before else region[0]), (starts[after] if after < len(starts) else region[1])


def _mentions(text: str, region: tuple[int, int], markers: list[CodeMarker]) -> list[tuple[str, tuple[int, int]]]:
    """(kind, span) per marker group: from the name start to the end of the text that follows it."""
    mentions: list[tuple[str, tuple[int, int]]] = []
    breaks = _sentence_breaks(text, region) if markers else ([], [])
    previous_end = region[0]
    index = 0
    while index < len(markers):
        marker = markers[index]
        group_end = index
        while group_end + 1 < len(markers) and markers[group_end + 1].kind == marker.kind and \
                _MARKER_GAP.fullmatch(text[markers[group_end].span[1]:markers[group_end + 1].span[0]]) and \
                markers[group_end + 1].system != marker.system:
            group_end += 1
        last = markers[group_end]
        sentence = _sentence_of(breaks, region, marker.span[0])
        if marker.block:
            span = (marker.block[0], marker.block[1])
        else:
            name_start = _name_start(text, max(sentence[0], previous_end), marker.span[0])
            next_start = markers[group_end + 1].span[0] if group_end + 1 < len(markers) else sentence[1]
            tail_end = min(next_start, sentence[1]) if next_start > last.span[1] else sentence[1]
            span = (name_start, max(tail_end, last.span[1]))
        mentions.append((marker.kind, span))
        previous_end = last.span[1]
        index = group_end + 1
        while index < len(markers) and markers[index].block and markers[index].block == marker.block and marker.block:
            index += 1  # other tags of the same XML observation were read with it
    return mentions


def _name_start(text: str, floor: int, marker_start: int) -> int:
    """Start of the name phrase before a marker: after the last boundary word, at most 8 words back."""
    window = text[floor:marker_start]
    folded = fold(window)
    cut = 0
    for match in _boundary_pattern().finditer(folded):
        if match.end() < len(folded.rstrip(" (")):
            cut = match.end()
    words = list(_WORD.finditer(window[cut:]))
    if len(words) > _MAX_NAME_WORDS:
        cut += words[-_MAX_NAME_WORDS].start()
    return floor + cut
