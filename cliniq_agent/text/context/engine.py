"""ContextEngine: the assertion status (ConText) of one target mention inside a text.

Algorithm (per target span): take the sentence/line holding it; every trigger in that segment
whose scope reaches the target applies. A forward trigger reaches a target after it, a backward
trigger one before it, within ``window`` word tokens, unless a termination term, a trigger of
another category or another target type (a vaccine name) lies in between, or (``clause`` rows)
a comma. Section headers ("Family history:") and quoted passages add whole-region modifiers.
When several apply, the precedence table (kb/context/precedence.tsv) picks the winner; ties go
to the trigger closest to the target.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import regex
from pydantic import BaseModel, ConfigDict

from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.schema import Assertion
from cliniq_agent.text.doc import TextDoc

from .analysis import DocAnalysis, Hit
from .rules import ANY_LANGUAGE, LANGUAGES, Category, Direction, RuleSet, load_ruleset

_LIST_TOKEN = regex.compile(r"\w+|[&/]")
_CLAUSE_REST = regex.compile(r"[^.;:\n]{0,80}")   # the rest of a clause after a target (list continuation)
_PARENTHESISED = regex.compile(r"\([^()\n]*\)")
_GLUED = regex.compile(r"[\s-]{1,2}")      # a product name, then the mention ("Imovax Rabies")
_PAREN_OPEN = regex.compile(r"\s*\(\s*")   # a mention, then "(" and a product name (rules flagged paren)
# header categories whose line is a list that a later clause stating a finding leaves ("Vaccines: …; measles IgM
# positive", "DDx: dengue, malaria, leptospirosis. Malaria smear positive", "Ruled out: TB. Legionella antigen
# positive"): the header's scope ends at that clause's ";" or sentence stop; the finding is one of the
# *_term_finding rows (a result or a diagnosis)
_LIST_SECTIONS = frozenset({Category.VACCINATION, Category.POSSIBLE, Category.RULED_OUT})
# the *_term_finding rows are the TERMINATE rows that end vaccination scopes (other terminators that apply to
# RULED_OUT, such as "+" after a test, are not findings of their own)
_FINDING_ENDS = Category.VACCINATION
#: a clause break: ";" or a sentence stop (also where a labelled list line may end, text/lines/labels.py)
CLAUSE_BREAK = regex.compile(r";|[.!?](?=\s|$)")
#: a numbered list item opening a segment ("2) dengue - NS1 negative"; segment.py cuts before each number)
_LIST_ITEM = regex.compile(r"\d{1,2}[.)][ \t]+")
# a sentence that opens with a label of its own ("Frottis : ...", "Diagnosis: ...") ends a header's inline list
# the parenthesis right after a listed item, which gives that item's own verdict ("COVID-19 (retenue, PCR positive)")
_ITEM_NOTE = regex.compile(r"[ \t]*\(([^()\n]{1,80})\)")
_NEXT_LABEL = regex.compile(r"[.!?]\s+[^\W\d][^\W\d' /-]{0,40}?\s*:(?!\S)")
# lead-in categories that reach every item of the numbered list they introduce ("Differential: 1) ... 2) ...",
# "Not detected: 1. measles 2. rubella")
_LIST_LEADS = frozenset({Category.POSSIBLE, Category.RULED_OUT, Category.NEGATED})


class Modifier(BaseModel):
    """One modifier that applies to the target (for the trace)."""

    model_config = ConfigDict(frozen=True)

    category: str                       # ConText category, e.g. "FAMILY", "SUSPECTED", "QUOTED"
    rule_id: str
    trigger: str                        # matched text as written in the source
    trigger_span: tuple[int, int]       # original character offsets
    distance: int                       # word tokens between trigger and target (0 = adjacent/inside)


class AssertionResult(BaseModel):
    """The verdict for one target span. ``modifiers`` lists all that applied, winner first."""

    model_config = ConfigDict(frozen=True)

    assertion: Assertion = Assertion.PRESENT
    category: str | None = None         # winning ConText category (None = no modifier)
    trigger: str | None = None
    trigger_span: tuple[int, int] | None = None
    rule_id: str | None = None
    language: str
    certainty: str | None = None        # "suspected" when suspected/probable/presumptive applies
    modifiers: tuple[Modifier, ...] = ()


class ContextEngine:
    """Rule-driven ConText over five languages; one instance per rule set. A document's analysis is kept
    on its ``TextDoc`` (pass the ``TextDoc``; a plain ``str`` reaches the same one through ``TextDoc.of``)."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        # the widest scope of any trigger: hits farther from a target than this cannot reach it
        self._max_window = max((rule.window for rules in ruleset.triggers.values() for rule in rules), default=0)
        self._finding_rules = [rule for rules in ruleset.triggers.values() for rule in rules
                               if rule.category is Category.TERMINATE
                               and rule.applies and _FINDING_ENDS in rule.applies]

    @classmethod
    def from_folder(cls, folder: Path) -> ContextEngine:
        return cls(load_ruleset(folder))

    @classmethod
    def default(cls) -> ContextEngine:
        """The engine over kb/context/ (loaded and compiled once per process)."""
        return _default_engine()

    # -- public API ---------------------------------------------------------------------------

    def segments(self, text: str | TextDoc) -> list[tuple[int, int]]:
        """Sentence / line spans (original offsets) that bound every trigger's scope."""
        return list(self._analysis(text, None).segments_orig)

    def detect_language(self, text: str | TextDoc) -> str:
        """Language code of the text ("en", "es", "pt", "fr" or "vi"); English when no cue matches."""
        return self._analysis(text, None).language

    def assess(self, text: str | TextDoc, span: tuple[int, int], *, language: str | None = None,
               until: int | None = None) -> AssertionResult:
        """Assertion of the mention at ``span`` (character offsets into ``text``).

        ``until``: only text before this offset counts (triggers and quotes must end by then), e.g. a lab's
        result words after the test name. The document is analysed once either way, so assessing many
        mentions of one long note costs one analysis, not one per mention."""
        start, end = span
        if not 0 <= start < end <= len(text):   # len() of a str or a TextDoc: the note's length
            raise ValueError(f"target span {span!r} is empty or outside the text (length {len(text)})")
        if language is not None and language not in LANGUAGES:
            raise ValueError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
        if until is not None and not end <= until <= len(text):
            raise ValueError(f"until={until} must lie between the span end {end} and the text length {len(text)}")
        doc = self._analysis(text, language)
        fs, fe = doc.text.fold_offset(start), doc.text.fold_offset(end)
        limit = len(doc.text.folded) if until is None else doc.text.fold_offset(until)
        index = doc.segment_index(fs, fe)
        seg_language = doc.segment_languages[index] if index is not None else doc.language
        found: list[Modifier] = []
        if index is not None:
            hits = [hit for hit in doc.hits_near(index, fs, fe, self._max_window) if hit.end <= limit]
            found.extend(self._trigger_modifiers(doc, index, hits, fs, fe))
            found.extend(self._list_lead_modifiers(doc, index, fs))
        found.extend(self._region_modifiers(doc, fs, fe, limit))
        return self._decide(found, seg_language)

    def trigger_spans(self, text: str | TextDoc, span: tuple[int, int], *,
                      language: str | None = None) -> list[tuple[int, int]]:
        """Original-text spans of every modifier trigger (not pseudo/terminators) inside ``span``.

        Callers use it to cut trigger words out of a mention before naming or assessing it
        ("Salmonella infection ruled out" → target "Salmonella infection")."""
        doc = self._analysis(text, language)
        fs, fe = doc.text.fold_offset(span[0]), doc.text.fold_offset(span[1])
        spans = []
        for index in doc.segments_overlapping(fs, fe):
            for hit in doc.hits_within(index, fs, fe):
                if hit.rule.category in (Category.PSEUDO, Category.TERMINATE):
                    continue
                if fs <= hit.start and hit.end <= fe:
                    spans.append(doc.text.orig_span(hit.start, hit.end))
        return sorted(spans)

    # -- internals ----------------------------------------------------------------------------

    def _analysis(self, text: str | TextDoc, language: str | None) -> DocAnalysis:
        return TextDoc.of(text).context(self.ruleset, language)

    def _modifier(self, doc: DocAnalysis, category: Category, rule_id: str, span: tuple[int, int],
                  distance: int) -> Modifier:
        a, b = doc.text.orig_span(*span)
        return Modifier(category=category.value, rule_id=rule_id, trigger=doc.text.original[a:b],
                        trigger_span=(a, b), distance=distance)

    def _trigger_modifiers(self, doc: DocAnalysis, index: int, hits: list[Hit], fs: int, fe: int) -> list[Modifier]:
        found = []
        for hit in hits:
            rule = hit.rule
            if rule.category in (Category.PSEUDO, Category.TERMINATE):
                continue
            if hit.start < fe and fs < hit.end:  # trigger overlaps the target itself
                if rule.category is Category.VACCINATION:  # "MMR", "hepatitis B vaccine" as the target
                    found.append(self._modifier(doc, rule.category, rule.id, (hit.start, hit.end), 0))
                continue
            if rule.direction is Direction.TARGET:
                folded = doc.text.folded
                if rule.paren and ((hit.start >= fe and _PAREN_OPEN.fullmatch(folded, fe, hit.start))
                                   or (hit.end <= fs and _GLUED.fullmatch(folded, hit.end, fs))):
                    # "typhoid (Vivotif 2023)", "varicela (Varivax)", "Imovax Rabies": the product named for it
                    found.append(self._modifier(doc, rule.category, rule.id, (hit.start, hit.end), 0))
                continue  # another target type: only a scope boundary here
            forward = rule.direction in (Direction.FORWARD, Direction.BIDIRECTIONAL) and hit.end <= fs
            backward = rule.direction in (Direction.BACKWARD, Direction.BIDIRECTIONAL) and hit.start >= fe
            if not (forward or backward):
                continue
            lo, hi = (hit.end, fs) if forward else (fe, hit.start)
            distance = doc.tokens_between(lo, hi)
            if distance > rule.window or self._blocked(doc, doc.hits_within(index, lo, hi), hit, lo, hi):
                continue
            found.append(self._modifier(doc, rule.category, rule.id, (hit.start, hit.end), distance))
        return found

    def _list_lead_modifiers(self, doc: DocAnalysis, index: int, fs: int) -> list[Modifier]:
        """A numbered list's items are segments of their own ("ID consult: differential was 1) malaria - smears
        negative; 2) dengue ...; 3) typhoid ..."), so the trigger that introduces the list cannot reach them; a
        differential / ruled-out / negated trigger that ends the segment before the first item applies to every item
        that does not carry a terminator of its own."""
        folded, lead = doc.text.folded, index
        while lead >= 0 and _LIST_ITEM.match(folded, doc.segments[lead][0]):
            lead -= 1
        if lead == index or lead < 0:
            return []
        end = doc.segments[lead][1]
        # terminators of the item's own segment that name categories (result words; not ";", which ends all)
        own = [hit.rule.applies for hit in doc.segment_hits[index] if hit.rule.category is Category.TERMINATE]
        return [self._modifier(doc, hit.rule.category, hit.rule.id, (hit.start, hit.end),
                               doc.tokens_between(hit.end, fs))
                for hit in doc.segment_hits[lead]
                if hit.rule.category in _LIST_LEADS and hit.rule.direction in (Direction.FORWARD, Direction.BIDIRECTIONAL)
                and doc.tokens_between(hit.end, end) == 0
                # an item with its own result words ("2. rubella IgM positive") is not covered by the lead-in
                and not any(applies is not None and hit.rule.category in applies for applies in own)]

    def _blocked(self, doc: DocAnalysis, hits: list[Hit], hit: Hit, lo: int, hi: int) -> bool:
        """A terminator, another category's trigger / target type, or (clause rows) a comma that
        is not part of a list ("A, B and C were ruled out" keeps A in scope)."""
        category = hit.rule.category
        for other in hits:
            if other is hit or other.start < lo or other.end > hi:
                continue
            other_category = other.rule.category
            if other_category is Category.PSEUDO:
                continue
            if other_category is Category.TERMINATE:
                if hit.rule.over_result and other.rule in self._finding_rules:
                    continue   # "VZV DNA detected, vaccine strain": the target's own result, then what it found
                if other.rule.applies is None or category in other.rule.applies:
                    return True
            elif other_category is not category:
                ends = self.ruleset.precedence[other_category].ends_scope_of
                if ends is None or category in ends:
                    return True
        if not hit.rule.clause:
            return False
        # a comma inside parentheses lists what the name's result is about ("syphilis (RPR, TPHA) negative")
        between = _PARENTHESISED.sub(lambda m: " " * len(m.group()), doc.text.folded[lo:hi])
        comma = between.rfind(",")
        if comma < 0:
            return False
        conjunctions = self.ruleset.conjunctions
        listed = conjunctions.get(hit.rule.language, frozenset()) | conjunctions.get(ANY_LANGUAGE, frozenset())
        if hit.rule.language == ANY_LANGUAGE:
            listed = frozenset().union(*conjunctions.values())
        tail = between[comma + 1:]
        if any(token in listed for token in _LIST_TOKEN.findall(tail)):
            return False
        if tail.strip() or hit.end > lo:
            return True
        # a forward trigger and the target right after a comma: a middle item ("against A, B and C") when the
        # list goes on to a conjunction after it
        rest = _CLAUSE_REST.match(doc.text.folded, hi).group()
        return not any(token in listed for token in _LIST_TOKEN.findall(rest))

    def _region_modifiers(self, doc: DocAnalysis, fs: int, fe: int, limit: int) -> list[Modifier]:
        found = []
        for scope in reversed(list(doc.section_index.containing(fs))):   # document order
            if scope.rule.category in _LIST_SECTIONS:
                ends = self._finding_break(doc, scope.header[1], scope.end)
                if ends is not None and ends < fs:   # the header's list ended before the target
                    continue
                label = _NEXT_LABEL.search(doc.text.folded, scope.header[1], scope.end)
                if label is not None and label.start() < fs:   # "DDx: X vs Y. Smear: ... Diagnosis: X"
                    continue
                if scope.rule.category is not Category.VACCINATION and self._item_finding(doc, fe):
                    continue   # "DDx: influenza (excluded), COVID-19 (confirmed, PCR positive)"
            distance = doc.tokens_between(scope.header[1], fs)
            found.append(self._modifier(doc, scope.rule.category, scope.rule.id, scope.header, distance))
        for quote in reversed(list(doc.quote_index.containing(fs))):
            if fe <= quote.end < limit and not quote.patient_words:
                found.append(self._modifier(doc, Category.QUOTED, "quote", (quote.start - 1, quote.end + 1),
                                            doc.tokens_between(quote.start, fs)))
        return found

    def _finding_break(self, doc: DocAnalysis, lo: int, hi: int) -> int | None:
        """Folded offset of the first clause break (";" or a sentence stop) in folded [lo, hi) whose clause, up to
        the next break, states a finding of its own: a terminator of vaccination scopes ("positive", "confirmed by",
        "diagnosed", "isolated" … the *_term_finding rows of five languages) lies in it."""
        folded = doc.text.folded
        breaks = list(CLAUSE_BREAK.finditer(folded, lo, hi))
        for number, brk in enumerate(breaks):
            c_lo = brk.end()
            c_hi = breaks[number + 1].start() if number + 1 < len(breaks) else hi
            if c_hi <= c_lo:
                continue
            # the rows' own matches, not the kept hits: a longer overlapping row ("positive for") may have won
            if any(rule.compiled.search(folded, c_lo, c_hi) for rule in self._finding_rules):
                return brk.start()
        return None

    def _item_finding(self, doc: DocAnalysis, fe: int) -> bool:
        """Whether the parenthesis right after a listed item (folded end ``fe``) states a finding of its own: the
        item's verdict ("COVID-19 (retenue, PCR positive)", "rubella (IgM positive)") settles it, so the list's
        header (a differential, a rule-out list; not a vaccine list, whose "anti-HBs positive" is immunity) no longer
        makes it possible."""
        note = _ITEM_NOTE.match(doc.text.folded, fe)
        return note is not None and any(rule.compiled.search(doc.text.folded, *note.span(1))
                                        for rule in self._finding_rules)

    def finding_clause_start(self, text: str | TextDoc, start: int, end: int) -> int | None:
        """Original offset of the first ";" / sentence stop in ``text[start:end]`` after which a clause states a
        finding (``_finding_break``): where a list line ("Vaccines: DTaP x3; pertussis confirmed by PCR") ends."""
        doc = self._analysis(text, None)
        folded_break = self._finding_break(doc, doc.text.fold_offset(start), doc.text.fold_offset(end))
        return None if folded_break is None else doc.text.orig_span(folded_break, folded_break + 1)[0]

    def _decide(self, found: list[Modifier], language: str) -> AssertionResult:
        if not found:
            return AssertionResult(language=language)
        table = self.ruleset.precedence
        ordered = sorted(found, key=lambda m: (table[Category(m.category)].rank, m.distance, m.trigger_span))
        winner = ordered[0]
        precedence = table[Category(winner.category)]
        certainty = precedence.certainty
        if certainty is None:
            certainty = next((table[Category(m.category)].certainty for m in ordered
                              if table[Category(m.category)].certainty), None)
        return AssertionResult(
            assertion=precedence.assertion,
            category=winner.category,
            trigger=winner.trigger,
            trigger_span=winner.trigger_span,
            rule_id=winner.rule_id,
            language=language,
            certainty=certainty,
            modifiers=tuple(ordered),
        )


@lru_cache(maxsize=1)
def _default_engine() -> ContextEngine:
    return ContextEngine.from_folder(kb_path("context"))
