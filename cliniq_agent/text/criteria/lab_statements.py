"""Laboratory results written in prose: "stool culture grew Salmonella", "flu A positive", "PCR dương tính".

Case definitions confirm most notifiable infections by laboratory evidence (isolation, nucleic-acid or antigen
detection, IgM or reactive serology, organisms on a smear), and notes report it in a sentence, not on a lab
line. Within one clause, an organism or analyte that kb/reportability/text_links.tsv links to a reportable
condition, asserted for the patient by the ConText engine, together with a result word of
kb/criteria/result_statements.tsv becomes a lab item (name = the organism as written, result = the words,
interpretation POS / NEG). Reportability then reads it like any other lab.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import regex
from pydantic import BaseModel

from cliniq_agent.core.budget import check_budget
from cliniq_agent.core.schema import Assertion
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.criteria.disease_names import disease_names, without_breakthrough
from cliniq_agent.text.criteria.sentences import STOP, pieces_between
from cliniq_agent.text.criteria.negative_workup import SPECIMEN_PLACE
from cliniq_agent.text.context.prefilter import LiteralOccurrences, required_literals
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.spanindex import SpanIndex
from cliniq_agent.terminology.prefix_index import PrefixIndex
from cliniq_agent.terminology.tones import ends_in_marked_letter, has_marks

# clause ends: ; newline, a sentence stop (sentences.py: not after "E.", a digit or a genus's "sp." / "spp."), a comma
# (not right after a sign glued to a test abbreviation: "CT+, GC-" is one list of results; nor between a result
# of "CT", "GC" or "NG" and the next of them: "CT positive, GC negative" is one STI panel, where "CT" is chlamydia),
# contrastive conjunctions ("positive for X but negative for Y"), and a slash right after a result
# ("Gonorrhea -/Chlamydia +", "chlamydia pos/gonorrhea neg", "Salmonella neg / Shigella pos"; not "HIV 1/2 Ag/Ab",
# nor a sign after a short abbreviation: "GC-/CT+" is one panel, "CT" is chlamydia only beside "GC"); a comma before
# a susceptibility ("S. aureus from the wound, vancomycin-resistant") does not end the isolate's clause
_SLASH_AFTER_RESULT = (r"(?:(?<=\p{L}{4}\s?[+-])|(?<=\b(?:pos|neg|positiv\w*|negativ\w*|positi[fv]e?s?|reacti\w*|nonreactive|"
                       r"non-reactive|reagentes?|detect\w*|duong\s+tinh|am\s+tinh)))\s*/(?=\s*\p{L})")
_AFTER_STI_RESULT = (r"(?<!\b(?:ct|gc|ng)\s*(?:\(\s*[+-]\s*\)|[+-](?:ve)?|pos\w*|neg\w*|reacti\w*|detect\w*|reagente))")
_NOT_SUSCEPTIBILITY = r"(?!\s*(?:\p{L}+[\s-]+)?(?:resistant|resistente?s?|resistante?s?|khang)\b)"
_CLAUSE_END = regex.compile(
    r"[;\n]|" + STOP + r"|(?<!\b\p{L}{2,6}[+-])(?:" + _AFTER_STI_RESULT + r",\s|,\s(?!\s*(?:gc|ng|ct)\b))"
    + _NOT_SUSCEPTIBILITY + r"|\s(?:but|however|whereas|pero|aunque|mas|porem|mais|tandis\s+que|nhung|tuy\s+nhien)\s|"
    + _SLASH_AFTER_RESULT, regex.IGNORECASE)
_TOKEN = regex.compile(r"\p{L}+|\p{N}+")
_MAX_TOKENS_APART = 8      # result word and organism further apart than this are not one statement
SYNONYM_ROW = -1           # LabStatement.row of a disease named by a curated synonym (not a text_links row)


class ResultPhrase(BaseModel):
    positive: bool
    language: str
    pattern: object
    required: tuple[str, ...] | None = None   # literals one of which every match holds (context/prefilter.py)


class _TestKind(BaseModel):
    persisting: object            # antibody markers that stay reactive after cure
    current: object               # tests of current infection (nucleic acid, nontreponemal titre)
    conditions: frozenset[str]    # where a negative current test outweighs a reactive persisting marker


class LabStatement(BaseModel):
    condition: str
    span: tuple[int, int]
    result_span: tuple[int, int]
    positive: bool
    row: int
    test: str                 # persisting | current | other: what the clause says was measured
    disease_name: bool        # the text_links row names the disease ("dx"), not an organism or test
    specimen: str | None = None   # the clause's words a row's `require` asked for ("CSF", "blood"): invasive disease
    inherited: bool = False       # a clause without an organism continuing the line's previous one ("…, RNA not detected")


@lru_cache(maxsize=1)
def result_phrases() -> tuple[ResultPhrase, ...]:
    rows = [row for row in kb_table("criteria", "result_statements.tsv") if row["class"] in ("positive", "negative")]
    phrases = [ResultPhrase(positive=row["class"] == "positive", language=row["language"], pattern=pattern,
                            required=required_literals(pattern))
               for row in rows for pattern in [regex.compile(row["pattern"])]]
    return tuple(sorted(phrases, key=lambda p: p.positive))        # negative rows first


def _has_result(folded: str, clause: tuple[int, int], words: LiteralOccurrences) -> bool:
    """Whether the clause has a result word of any language: the first row that matches settles it (one
    alternation of all rows is slower: their leading lookbehinds keep the regex engine from skipping ahead).
    A row none of whose literals starts in the clause is not run (``words``: where they occur in the note)."""
    if not words.may_match_any(*clause):
        return False
    return any(words.may_match(index, *clause) and phrase.pattern.search(folded, *clause)
               for index, phrase in enumerate(result_phrases()))


def result_words(folded: str) -> LiteralOccurrences:
    return LiteralOccurrences(folded, [phrase.required for phrase in result_phrases()])


@lru_cache(maxsize=1)
def _link_index(kb: TerminologyKB) -> PrefixIndex:
    """Which text-link rows can match a clause (a row that cannot match adds nothing, whatever its
    exclude / require says), so each clause runs a few rows' patterns instead of all of them."""
    return PrefixIndex([link.source.strip() for link in kb.text_links.links])


@lru_cache(maxsize=1)
def test_kinds() -> _TestKind:
    rows = {row["class"]: row for row in kb_table("criteria", "result_statements.tsv")}
    persisting, current = rows["persisting_antibody"], rows["current_infection"]
    return _TestKind(persisting=regex.compile(persisting["pattern"]), current=regex.compile(current["pattern"]),
                     conditions=frozenset(persisting["conditions"].split()))


def _test_of(folded: str, span: tuple[int, int], result_span: tuple[int, int], clause: tuple[int, int]) -> str:
    """What was measured, read between the organism and its result word and a few words either side."""
    lo, hi = min(span[0], result_span[0]), max(span[1], result_span[1])
    window = folded[max(clause[0], lo - 20):min(clause[1], hi + 20)]
    kinds = test_kinds()
    if kinds.current.search(window):
        return "current"
    return "persisting" if kinds.persisting.search(window) else "other"


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return pieces_between(_CLAUSE_END, text, start, end)


def _key_with_offsets(folded: str, start: int, end: int) -> tuple[str, list[int]]:
    """fold_key-like text of ``folded[start:end]`` (tokens split at letter/digit changes, one space between)
    and, per key character, its offset in the original text."""
    parts: list[str] = []
    offsets: list[int] = []
    for token in _TOKEN.finditer(folded, start, end):
        if parts:
            parts.append(" ")
            offsets.append(token.start())
        parts.append(token.group(0))
        offsets.extend(range(token.start(), token.end()))
    return "".join(parts), offsets


def _organisms(kb: TerminologyKB, key: str, offsets: list[int], language: Callable[[], str | None],
               lead: tuple[str, list[int]] | None = None, text: str = ""
               ) -> list[tuple[str, tuple[int, int], int, bool, tuple[int, int] | None]]:
    """(condition, original span, text_links row, names the disease, span of the specimen words a `require` asked for) of each organism /
    disease in one clause. ``lead``: the key and offsets of the clause before it when that one gave the specimen's
    positive result without an organism ("Both blood culture bottles turned positive, speciated as S. pneumoniae"):
    its words meet a `require` too. ``text``: the original text the offsets point into; a Vietnamese name a row
    spells folded ("soi" for "sởi") must carry its marks where the clause is written with them (tones.py)."""
    found = []
    marked = has_marks(text[offsets[0]:offsets[-1] + 1]) if text and offsets else False
    links = kb.text_links.links
    unexcluded = without_breakthrough(key)
    for link in (links[position] for position in _link_index(kb).candidates(key)):
        if link.exclude is not None and link.exclude.search(unexcluded):
            continue
        required, where = (link.require.search(key), offsets) if link.require is not None else (None, offsets)
        if link.require is not None and not required and lead is not None and not (
                link.exclude is not None and link.exclude.search(lead[0])):
            required, where = link.require.search(lead[0]), lead[1]
        if link.require is not None and not required:
            continue
        for match in link.pattern.finditer(key):
            if text and not kb.tone_names.agree_in(text[offsets[match.start()]:offsets[match.end() - 1] + 1],
                                                   match.group(0), marked):
                continue
            found.append((link.condition, (offsets[match.start()], offsets[match.end() - 1] + 1), link.row,
                          link.use == "dx",
                          (where[required.start()], where[required.end() - 1] + 1) if required else None))
    for condition, (lo, hi) in disease_names(kb).find(key, language, unexcluded):   # after the text_links rows: they win a tie
        if text and ends_in_marked_letter(text[offsets[lo]:offsets[hi - 1] + 1]):   # "hépatite à EBV" (tones.py)
            continue
        found.append((condition, (offsets[lo], offsets[hi - 1] + 1), SYNONYM_ROW, True, None))
    found.sort(key=lambda f: (f[1][0], -(f[1][1] - f[1][0])))
    kept: list[tuple[str, tuple[int, int], int, bool, tuple[int, int] | None]] = []
    for hit in found:   # a longer name wins over one it contains ("salmonella typhi" over "salmonella")
        if not any(k[1][0] <= hit[1][0] and hit[1][1] <= k[1][1] for k in kept):
            kept.append(hit)
    return kept


def clause_results(folded: str, clause: tuple[int, int], language: str | None,
             words: LiteralOccurrences) -> list[tuple[bool, tuple[int, int]]]:
    """Result words in one clause (``language`` None: of every language)."""
    results: list[tuple[bool, tuple[int, int]]] = []
    for index, phrase in enumerate(result_phrases()):
        if language is not None and phrase.language not in ("any", language):
            continue
        if not words.may_match(index, *clause):
            continue
        for match in phrase.pattern.finditer(folded, *clause):
            span = match.span()
            if not any(s[0] < span[1] and span[0] < s[1] for _, s in results):
                results.append((phrase.positive, span))
    return results


def _closing_results(folded: str, clause: tuple[int, int], words: LiteralOccurrences) -> list[tuple[bool, tuple[int, int]]]:
    """A clause without a result word of its own language may end on one of another ("Bordetella pertussis PCR:
    detected" in a Spanish note, "dengue NS1 positive" in a Vietnamese one): a lab line copied from the report.
    Only a result that closes the clause counts ("placed in negative pressure" is no result)."""
    return [(pos, span) for pos, span in clause_results(folded, clause, None, words)
            if not folded[span[1]:clause[1]].strip(" \t.:)")]


def _names_the_test(folded: str, span: tuple[int, int], result: tuple[int, int]) -> bool:
    """A "smear:" / "goutte épaisse :" result whose own words are the mention: the finding is what follows the colon."""
    return result[0] < span[1] and span[0] < result[1] and folded[result[0]:result[1]].rstrip().endswith(":")


def _glued(span: tuple[int, int], result: tuple[int, int]) -> bool:
    return result[0] == span[1] or result[1] == span[0]


def _across_comma(folded: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    lo, hi = (a[1], b[0]) if a[1] <= b[0] else (b[1], a[0])
    return "," in folded[lo:hi]


_POINTS_AHEAD = regex.compile(r"\s*(?:[:(]|(?:for|to|para|pour|a|au|aux|voi|com|con|de)\b)")
# a result word between a determiner and the organism qualifies it ("a negative orthopoxvirus PCR", "two negative AFB
# smears", "una IgM ... ": an adjective of the test), unlike an exclusion that closes the disease before it
_JOINER = regex.compile(r"→|->|=>|[—–]|\s-\s")   # "X negative → Y", "X negative - Y": the next statement
_DETERMINER_BEFORE = regex.compile(r"(?:^|[.;:,(]|\b(?:a|an|the|one|two|three|both|repeat|repeated|another|un|una|um|uma|une|dos|las|los|os|as|les|deux|trois|hai|ba))\s*$")


def _own_results(folded: str, span: tuple[int, int],
                 results: list[tuple[bool, tuple[int, int], int]]) -> list[tuple[bool, tuple[int, int], int]]:
    """A result written after the organism ("rubella IgM positive") is the organism's own; a result word before it
    that does not point ahead ("measles ruled out rubella IgM positive", "dengue descartado chikungunya PCR
    positivo": the exclusion closes the previous disease) then belongs to the disease before it. A result that
    points ahead ("positive for", "negative:", "dương tính với") or qualifies it after a determiner ("a negative
    orthopoxvirus PCR from two lesions") stays the organism's. A colon points ahead only to a list: an organism with
    a result of its own after it starts a new statement ("sérologie dengue négative : leptospirose confirmée par PCR",
    "IgM negative: rubella IgM positive": the competing diagnosis); an arrow or a spaced dash after a result word
    always does ("PCR Ehrlichia négative → babésiose", "NS1 negative - in fact leptospirosis")."""
    def ahead(result: tuple[int, int]) -> bool:
        return bool(_POINTS_AHEAD.match(folded, result[1])) or (
            not folded[result[1]:span[0]].strip() and bool(_DETERMINER_BEFORE.search(folded, max(0, result[0] - 12), result[0])))
    if any(r[1][0] >= span[1] for r in results):
        results = [r for r in results if r[1][0] >= span[1] or not folded[r[1][1]:span[0]].lstrip().startswith(":")]
    results = [r for r in results if r[1][0] >= span[1] or not _JOINER.search(folded, r[1][1], span[0])]
    trailing = [r for r in results if r[1][0] >= span[1] and not ahead(r[1])]
    if not trailing:
        return results
    return [r for r in results if r[1][0] >= span[1] or ahead(r[1])]


def _tokens_between(folded: str, a: tuple[int, int], b: tuple[int, int]) -> int:
    lo, hi = (a[1], b[0]) if a[1] <= b[0] else (b[1], a[0])
    return len(_TOKEN.findall(folded, lo, hi)) if lo < hi else 0


def find_lab_statements(text: str | TextDoc, spans: list[tuple[int, int]], *, engine: ContextEngine,
                        kb: TerminologyKB) -> list[LabStatement]:
    doc = TextDoc.of(text)
    text, folded = doc.text, doc.fold
    statements = []
    words = result_words(folded)
    headers = SpanIndex(doc.panel_headers)   # "GC/CT NAAT: CT detected": header organisms take no result
    note_language = lru_cache(maxsize=1)(lambda: engine.detect_language(doc))   # asked only for a shared name
    for start, end in spans:
        previous: list[LabStatement] = []    # the statements of the last clause that had one (same line)
        lead, last_end = None, start   # (key, offsets) of a clause that gave a positive result and no organism
        for clause in _clauses(folded, start, end):   # folded: "nhưng", "porém" match their unaccented forms
            check_budget("lab statements")
            if previous and "\n" in folded[previous[-1].span[1]:clause[0]]:
                previous = []
            if folded[last_end:clause[0]].strip() != ",":   # the lead lasts over the commas of one sentence
                lead = None
            last_end = clause[1]
            if not _has_result(folded, clause, words):   # no result word at all: no statement (no organism scan)
                continue
            key, offsets = _key_with_offsets(folded, *clause)
            if not key:
                continue
            organisms = _organisms(kb, key, offsets, note_language,
                                   lead if lead and _identification().match(folded, clause[0]) else None, text)
            if not organisms:
                statements.extend(_elliptical(doc, clause, previous, engine, words))
                if any(pos for pos, _ in clause_results(folded, clause, None, words)):
                    lead = (key, offsets)
                continue
            lead = None
            found_here = len(statements)
            for condition, span, row, disease_name, specimen in organisms:
                if headers.overlaps(span):
                    continue
                verdict = engine.assess(doc, span)
                if verdict.assertion not in (Assertion.PRESENT, Assertion.NEGATED):
                    continue
                results = [(pos, s, _tokens_between(folded, span, s))
                           for pos, s in clause_results(folded, clause, verdict.language, words)
                           or _closing_results(folded, clause, words)]
                results = [r for r in results if r[2] <= _MAX_TOKENS_APART and not _names_the_test(folded, span, r[1])]
                results = _own_results(folded, span, results)
                # a specimen's place ("en orina", "in urine") before a negative result of its clause is no finding:
                # "antígeno de Legionella en orina no detectado"
                results = [r for r in results if not (r[0] and SPECIMEN_PLACE.match(folded, r[1][0]) and any(
                    not other[0] and other[1][0] >= r[1][1] for other in results))]
                if not results:
                    continue
                # nearest first; on a tie one not across a comma ("CT negative, NG positive": NG's is "positive"),
                # then a sign glued to the name ("GC+"), then negative
                positive, result_span, _ = min(results, key=lambda r: (r[2], _across_comma(folded, span, r[1]),
                                                                       not _glued(span, r[1]), r[0]))
                if positive and verdict.assertion is Assertion.NEGATED:   # "negative for X, positive for Y"
                    continue
                if specimen and (kb.text_links.match(text[specimen[0]:specimen[1]], "lab") or any(
                        other[1] != span and other[1][0] < specimen[1] and specimen[0] < other[1][1] for other in organisms)):
                    specimen = None   # the words a row required name an organism ("GC", "NG" beside "CT"): context
                statements.append(LabStatement(condition=condition, span=span, result_span=result_span,
                                               positive=positive, row=row, disease_name=disease_name,
                                               specimen=text[specimen[0]:specimen[1]] if specimen else None,
                                               test=_test_of(folded, span, result_span, clause)))
            if len(statements) > found_here:
                previous = statements[found_here:]
    return statements


@lru_cache(maxsize=1)
def _identification() -> regex.Pattern[str]:
    """A clause that goes on naming what the clause before it found ("..., identified as S. pneumoniae")."""
    row = next(row for row in kb_table("criteria", "result_statements.tsv") if row["class"] == "identification")
    return regex.compile(row["pattern"])


def _elliptical(doc: TextDoc, clause: tuple[int, int], previous: list[LabStatement], engine: ContextEngine,
                words: LiteralOccurrences) -> list[LabStatement]:
    """A clause that names a test of current infection and a result but no organism ("…, RNA not detected",
    "…, IgM négative", "…, surface antigen negative", "NS1 negative, IgM positive") continues the organism of the
    line's previous statement: serology panels are written as one organism followed by its markers. A negative
    carried over tells a resolved or past infection (a reactive persisting marker) from a case; a positive one only
    keeps the suspicion its organism's negative test would rule out (it makes no lab item: ``inherited``)."""
    folded = doc.fold
    if not previous:
        return []
    kinds = test_kinds()
    test = kinds.current.search(folded, *clause)
    if test is None:
        return []
    verdict = engine.assess(doc, test.span())
    if verdict.assertion not in (Assertion.PRESENT, Assertion.NEGATED):
        return []
    results = [(pos, s) for pos, s in clause_results(folded, clause, verdict.language, words)
               if _tokens_between(folded, test.span(), s) <= _MAX_TOKENS_APART]
    if not results or len({pos for pos, _ in results}) > 1:
        return []
    positive, result_span = min(results, key=lambda r: _tokens_between(folded, test.span(), r[1]))
    adjacent = not (folded[clause[0]:test.start()].strip(" ,") or folded[previous[-1].result_span[1]:clause[0]].strip(" ,"))
    if positive and not adjacent:
        return []   # a positive continues only the marker list right before it ("NS1 negative, IgM positive")
    out, seen = [], set()
    for statement in previous:
        if statement.condition in seen:
            continue
        seen.add(statement.condition)
        out.append(LabStatement(condition=statement.condition, span=test.span(), result_span=result_span,
                                positive=positive, row=statement.row, test="current", disease_name=False,
                                inherited=True))
    return out
