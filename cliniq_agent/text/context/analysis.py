"""Per-document work done once and reused for every target span: folding, segmentation,
language per segment, all trigger matches (longest match wins), section and quote scopes.

Why: the callers assess many mentions in the same note; matching ~100 patterns once per note and
answering each span with a few bisects keeps 100 spans in a 5 kB note far under 50 ms.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import regex

from cliniq_agent.text.spanindex import SpanIndex

from .language import (
    ORDER,
    WORD,
    best_language,
    clause_languages,
    language_ranges,
    languages_of_segments,
    segment_language_scores,
)
from .pieces import PieceScanner
from .prefilter import Vocabulary
from .rules import ANY_LANGUAGE, Category, Direction, Rule, RuleSet, SectionRule
from .segment import split_segments
from .textfold import FoldedText, fold_with_offsets

_QUOTE_MAX_CHARS = 400
_QUOTE_MIN_WORDS = 3          # shorter quotes are scare quotes / terms, not reported speech
_SINGLE_OPEN = regex.compile(r"(?<!\w)'(?=\w)")
_SINGLE_CLOSE = regex.compile(r"(?<=[\w.!?,;)])'(?!\w)")
_CONTINUATION = regex.compile(r"[ \t]+\S|[ \t]*[-*\u2022]")
_HEADER_LINE = regex.compile(r"^[^\n:]{1,80}:", regex.MULTILINE)
_DOUBLE_QUOTE = regex.compile(r'"')


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule match in folded coordinates."""

    start: int
    end: int
    rule: Rule


@dataclass(frozen=True, slots=True)
class SectionScope:
    start: int
    end: int
    header: tuple[int, int]
    rule: SectionRule


@dataclass(frozen=True, slots=True)
class Quote:
    start: int   # first char inside the quotes
    end: int     # the closing quote's offset
    patient_words: bool  # introduced by a QUOTE_OK label ("CC:", "patient states")


@dataclass(slots=True)
class DocAnalysis:
    text: FoldedText
    language: str
    segments: list[tuple[int, int]]        # folded coordinates
    segments_orig: list[tuple[int, int]]   # original coordinates
    segment_starts: list[int]
    segment_languages: list[str]
    segment_hits: list[list[Hit]]
    token_starts: list[int]
    sections: list[SectionScope]
    quotes: list[Quote]
    segment_hit_starts: list[list[int]]    # per segment, the start of each hit (bisect index)
    longest_hit: int                       # longest trigger match in the document (folded chars)
    section_index: SpanIndex[SectionScope]
    quote_index: SpanIndex[Quote]

    def segment_index(self, start: int, end: int) -> int | None:
        """Index of the segment holding folded offset ``start`` (or, failing that, ``end - 1``)."""
        for pos in (start, max(start, end - 1)):
            index = bisect_right(self.segment_starts, pos) - 1
            if index >= 0 and pos < self.segments[index][1]:
                return index
        return None

    def tokens_between(self, lo: int, hi: int) -> int:
        if hi <= lo:
            return 0
        return bisect_left(self.token_starts, hi) - bisect_left(self.token_starts, lo)

    def segments_overlapping(self, start: int, end: int) -> range:
        """Indexes of the segments that share a character with folded [start, end)."""
        first = max(0, bisect_right(self.segment_starts, start) - 1)
        if first < len(self.segments) and self.segments[first][1] <= start:
            first += 1
        return range(first, bisect_left(self.segment_starts, end))

    def hits_near(self, index: int, start: int, end: int, window: int) -> list[Hit]:
        """Hits of segment ``index`` that overlap folded [start, end) or lie within ``window`` word
        tokens before or after it: the only ones whose scope can reach a target there."""
        tokens = self.token_starts
        before = bisect_left(tokens, start) - window - 1
        lowest = tokens[before] + 1 - self.longest_hit if before >= 0 else 0
        after = bisect_left(tokens, end) + window
        highest = tokens[after] if after < len(tokens) else len(self.text.folded)
        starts = self.segment_hit_starts[index]
        return self.segment_hits[index][bisect_left(starts, lowest):bisect_right(starts, highest)]

    def hits_within(self, index: int, lo: int, hi: int) -> list[Hit]:
        """Hits of segment ``index`` that start inside folded [lo, hi]."""
        starts = self.segment_hit_starts[index]
        return self.segment_hits[index][bisect_left(starts, lo):bisect_right(starts, hi)]


def _fits_marks(ft: FoldedText, rule: Rule, start: int, end: int, segment: tuple[int, int]) -> bool:
    """A `toned` row's match in a sentence written with diacritics fits the row as written ("phong" there is
    leprosy, not "phòng"); in a sentence typed without any, the folded match stands."""
    if ft.original[slice(*ft.orig_span(*segment))].isascii():
        return True
    lo, hi = ft.orig_span(start, end)
    return rule.toned.fullmatch(unicodedata.normalize("NFC", ft.original[lo:hi])) is not None


def _longest_first(hits: list[Hit], blocked: SpanIndex, folded: str) -> list[Hit]:
    """Keep non-overlapping hits, longest first (so "cannot be ruled out" beats "ruled out").

    Kept hits are bucketed by position (bucket width = the longest hit), so each new hit is checked
    against the few kept hits near it instead of all of them."""
    kept: list[Hit] = []
    ordered = sorted(hits, key=lambda h: (h.start - h.end, h.start))
    width = max(1, ordered[0].end - ordered[0].start) if ordered else 1
    buckets: dict[int, list[Hit]] = {}
    for hit in ordered:
        if blocked.overlaps((hit.start, hit.end)):
            continue
        near = (other for bucket in range((hit.start - width) // width, (hit.end - 1) // width + 1)
                for other in buckets.get(bucket, ()))
        if any(hit.start < other.end and other.start < hit.end
               and (hit.start, hit.end) != (other.start, other.end)
               and not _two_readings(hit, other, folded) for other in near):
            continue  # identical spans coexist (e.g. a forward and a backward reading)
        kept.append(hit)
        buckets.setdefault(hit.start // width, []).append(hit)
    kept.sort(key=lambda h: h.start)
    return kept


# words after a forward trigger inside a backward one that make a result phrase ("não [foi] reagente")
_RESULT_TAIL_WORDS = 2


def _two_readings(a: Hit, b: Hit, folded: str) -> bool:
    """Overlapping forward and backward readings of one trigger ("X ruled out" / "ruled out X") both stay, unless
    the forward one is the first word of a short backward result phrase ("não" of "HIV não reagente, HCV
    reagente", "no" of "no reactivo"): its scope would start inside that phrase and read the next item of a result
    list. A backward row that spans its own target ("tratado por sífilis en 2009") keeps both readings."""
    if a.rule.category is not b.rule.category or a.rule.direction is b.rule.direction:
        return False
    forward, backward = (a, b) if a.rule.direction is Direction.FORWARD else (b, a)
    if forward.rule.direction is not Direction.FORWARD or backward.rule.direction is not Direction.BACKWARD:
        return True
    if forward.end >= backward.end or forward.start < backward.start:
        return True
    return len(folded[forward.end:backward.end].split()) > _RESULT_TAIL_WORDS


def _header_matches(folded: str, ruleset: RuleSet) -> list[tuple[int, int, SectionRule]]:
    """(start, end, rule) of every header rule matching at the start of a line with a colon.

    Why the memo: a header rule cannot consume a colon except inside its optional "(...)" part, so on a
    line whose text before its first colon holds no "(" a match can only end at that colon and depends on
    that text alone. Known-format notes repeat a few labels ("Dx:", "Lab:") on thousands of lines: each
    distinct label text is matched against the header rules once, not once per line."""
    rules = ruleset.sections + ruleset.section_ends
    headers: list[tuple[int, int, SectionRule]] = []
    by_head: dict[str, list[tuple[int, SectionRule]]] = {}
    for line in _HEADER_LINE.finditer(folded):  # only lines with a colon can hold a header
        start, head = line.start(), line.group()
        if "(" in head:   # "Dx (ICD-10: A01):" — a match may end at a later colon: match in the text
            line_end = folded.find("\n", line.end())
            line_end = len(folded) if line_end < 0 else line_end
            for rule in rules:
                match = _match_near(rule.compiled, folded, start, line_end)
                if match is not None:
                    headers.append((match.start(), match.end(), rule))
            continue
        found = by_head.get(head)
        if found is None:
            found = by_head[head] = [(match.end(), rule) for rule in rules
                                     if (match := rule.compiled.match(head)) is not None]
        headers.extend((start, start + end, rule) for end, rule in found)
    return headers


def _section_scopes(folded: str, ruleset: RuleSet) -> list[SectionScope]:
    headers = _header_matches(folded, ruleset)
    headers.sort(key=lambda item: (item[0], item[0] - item[1]))
    header_lines = sorted({start for start, _, _ in headers})
    scopes = []
    previous_start = -1
    for start, end, rule in headers:
        if start == previous_start:      # longest header at this line wins
            continue
        previous_start = start
        if rule.category is Category.END:
            continue
        line_end = folded.find("\n", end)
        line_end = len(folded) if line_end < 0 else line_end
        inline = bool(folded[end:line_end].strip())
        scope_end = line_end if inline else end
        pos = line_end
        while pos < len(folded):
            next_start = pos + 1
            next_end = folded.find("\n", next_start)
            next_end = len(folded) if next_end < 0 else next_end
            line = folded[next_start:next_end]
            if not line.strip():
                break
            later = bisect_left(header_lines, next_start)
            if later < len(header_lines) and header_lines[later] < next_end:
                break  # the next line opens another section
            if inline and not _CONTINUATION.match(line):
                break
            scope_end = next_end
            pos = next_end
        if scope_end > end:
            scopes.append(SectionScope(end, scope_end, (start, end), rule))
    return scopes


def _match_near(pattern: regex.Pattern[str], text: str, pos: int, line_end: int) -> regex.Match[str] | None:
    """``pattern.match(text, pos)``, tried first within the line: an unbounded match costs time in proportion
    to the whole text (``regex`` module), once per header line and rule. Only a match cut short by the line
    end (a partial match, rare) is tried again on the whole text, so the result is the same."""
    match = pattern.match(text, pos, line_end, partial=True)
    if match is None or not match.partial:
        return match
    return pattern.match(text, pos)


def _lines(folded: str) -> list[tuple[int, int]]:
    """Line spans; a quotation never spans lines (table cells and wrapped headers would pair up)."""
    spans, start = [], 0
    while True:
        end = folded.find("\n", start)
        if end < 0:
            spans.append((start, len(folded)))
            return spans
        spans.append((start, end))
        start = end + 1


def _quotes(ft: FoldedText, ruleset: RuleSet) -> list[Quote]:
    """Quoted passages (double quotes of any style, or 'single' quotes that are not apostrophes)."""
    folded = ft.folded
    pairs: list[tuple[int, int]] = []
    for start, end in _lines(folded):
        if '"' in folded[start:end]:
            marks = [m.start() for m in _DOUBLE_QUOTE.finditer(folded, start, end)]
            pairs.extend(zip(marks[0::2], marks[1::2]))
        if "'" not in folded[start:end]:
            continue
        pos = start
        while (opening := _SINGLE_OPEN.search(folded, pos, end)) is not None:
            closing = _SINGLE_CLOSE.search(folded, opening.end(), end)
            if closing is None:
                break
            pairs.append((opening.start(), closing.start()))
            pos = closing.end()
    quotes = []
    for opening, closing in pairs:
        inner = folded[opening + 1:closing]
        if closing - opening > _QUOTE_MAX_CHARS or len(WORD.findall(inner)) < _QUOTE_MIN_WORDS:
            continue
        if any(rule.compiled.search(inner) for rule in ruleset.quote_terms):
            continue  # a quoted term or code display, not speech
        line_start = folded.rfind("\n", 0, opening) + 1
        before = folded[line_start:opening]
        patient = any(rule.compiled.search(before) for rule in ruleset.quote_ok)
        quotes.append(Quote(opening + 1, closing, patient))
    return quotes


def analyse(text: str, ruleset: RuleSet, language: str | None, *, folded: FoldedText | None = None,
            prefilter: bool = True) -> DocAnalysis:
    """The analysis of one note (``TextDoc.context`` keeps it; ``folded``: the note's fold when already made).
    ``prefilter`` False scans every trigger rule (the reference the prefilter's test compares with)."""
    ft = folded if folded is not None else fold_with_offsets(text)
    segments_orig = split_segments(text, ruleset.abbreviations, ruleset.answers)
    segments = [(ft.fold_offset(a), ft.fold_offset(b)) for a, b in segments_orig]
    starts = [start for start, _ in segments]
    if language is not None:
        doc_language = language
        seg_languages = [language] * len(segments)
    else:
        scores = segment_language_scores(ft, segments, starts, ruleset)
        total = {lang: sum(seg[lang] for seg in scores) for lang in ORDER}
        doc_language = best_language(total)
        seg_languages = languages_of_segments(scores, doc_language)

    per_segment: list[list[Hit]] = [[] for _ in segments]
    runs, run_languages = (segments, seg_languages) if language is not None else \
        clause_languages(ft, segments, scores, seg_languages, ruleset)
    ranges = language_ranges(runs, run_languages)
    ranges[ANY_LANGUAGE] = [(0, len(ft.folded))]
    vocabulary = Vocabulary(ft.folded) if prefilter else None
    scanner = PieceScanner(ft.folded) if prefilter else None
    for lang, spans in ranges.items():
        for rule in ruleset.triggers.get(lang, ()):
            if vocabulary is not None and not vocabulary.may_match(rule.required):
                continue  # none of the words every match needs is in the note: the scan would find nothing
            for start, end in spans:
                matches = scanner.finditer(rule, start, end) if scanner is not None else \
                    rule.compiled.finditer(ft.folded, start, end)
                for match in matches:
                    if match.end() <= match.start():
                        continue
                    index = bisect_right(starts, match.start()) - 1
                    end = match.end()
                    if index >= 0 and end > segments[index][1] and not ft.folded[segments[index][1]:end].strip():
                        end = segments[index][1]   # a trailing "\s*" ran into the space before a list item
                    if index < 0 or end > segments[index][1]:
                        continue  # outside every segment, or crossing a sentence end
                    if rule.toned is not None and not _fits_marks(ft, rule, match.start(), end, segments[index]):
                        continue  # "bệnh phong" (leprosy) is no "phòng" (prevention)
                    per_segment[index].append(Hit(match.start(), end, rule))

    sections = _section_scopes(ft.folded, ruleset)
    headers = SpanIndex(scope.header for scope in sections)
    segment_hits = [_longest_first(hits, headers, ft.folded) if hits else hits for hits in per_segment]
    quotes = _quotes(ft, ruleset)
    return DocAnalysis(
        text=ft,
        language=doc_language,
        segments=segments,
        segments_orig=segments_orig,
        segment_starts=starts,
        segment_languages=seg_languages,
        segment_hits=segment_hits,
        token_starts=[m.start() for m in WORD.finditer(ft.folded)],
        sections=sections,
        quotes=quotes,
        segment_hit_starts=[[hit.start for hit in hits] for hits in segment_hits],
        longest_hit=max((hit.end - hit.start for hits in segment_hits for hit in hits), default=0),
        section_index=SpanIndex(((scope.start, scope.end) for scope in sections), sections),
        quote_index=SpanIndex(((quote.start, quote.end) for quote in quotes), quotes),
    )


