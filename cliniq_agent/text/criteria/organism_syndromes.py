"""Diagnoses written as an organism and the syndrome it causes: "Listeria meningitis", "Lyme carditis",
"méningite à Listeria", "neumonía por Legionella", "meningite por Listeria", "viêm màng não do não mô cầu".

Clinicians name the infection by its organism and its clinical form rather than by the code list's disease name
("listeriosis", "Lyme disease"), so the lookup tier finds no name. A syndrome word of kb/criteria/syndrome_words.tsv
written next to an organism (before it in English, after a connector in the other languages and in "meningitis due
to", or as an adjective after the syndrome in es/fr/pt: "artrite séptica gonocócica") that
kb/reportability/text_links.tsv links to a reportable condition the way it links a diagnosis display (dx / any
rows, with their exclusions and required words) names that condition. The ConText engine must assert the
organism for the patient (a ruled-out, negated, family or planned mention adds nothing).
"""

from __future__ import annotations

from functools import lru_cache

import regex

from cliniq_agent.core.schema import Assertion, CompactRecord, Condition, Evidence, Tier
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.terminology.normalize import fold_key
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.criteria.sentences import STOP
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.spanindex import SpanIndex

_TOKEN = regex.compile(r"[\p{L}\p{N}]+(?:[.'’][\p{L}\p{N}]+)*\.?")
_CLAUSE_STOP = regex.compile(r"[,;:()\n]|" + STOP)
_MAX_ORGANISM_TOKENS = 4
_MAX_ADJECTIVE_DISTANCE = 3   # "arthrite septique gonococcique": the organism's adjective among the next three words
# the generic words ("infection", "disease") name a diagnosis only where the note has named none yet
_GENERIC = regex.compile(r"(?:infection|disease|infeccion|infeccao|nhiem\s+trung|nhiem\s+khuan|benh)\b")


@lru_cache(maxsize=1)
def _syndromes() -> tuple[regex.Pattern[str], ...]:
    """(organism-first syndromes, syndrome-first syndromes with their connector, syndromes an organism's adjective
    follows, the connectors that end the adjective's search), all languages."""
    rows = kb_table("criteria", "syndrome_words.tsv")
    return tuple(regex.compile(r"\b(?:" + "|".join(row["pattern"] for row in rows if row["position"] == position) + r")\b")
                 for position in ("organism_first", "syndrome_first", "organism_adjective", "adjective_stop"))


def _tokens_before(folded: str, lo: int, at: int) -> int:
    """Start of the last few tokens before ``at`` in the same clause."""
    stop = max((m.end() for m in _CLAUSE_STOP.finditer(folded, lo, at)), default=lo)
    tokens = list(_TOKEN.finditer(folded, stop, at))[-_MAX_ORGANISM_TOKENS:]
    return tokens[0].start() if tokens else at


def _tokens_after(folded: str, at: int, hi: int) -> int:
    """End of the next few tokens after ``at`` in the same clause."""
    stop = _CLAUSE_STOP.search(folded, at, hi)
    end = stop.start() if stop else hi
    tokens = list(_TOKEN.finditer(folded, at, end))[:_MAX_ORGANISM_TOKENS]
    return tokens[-1].end() if tokens else at


def _words_after(folded: str, at: int, hi: int, connector: regex.Pattern[str]) -> list[tuple[int, int]]:
    """The spans of the next few words after ``at`` in the same clause, up to a connector ("por", "à", "de")."""
    stop = _CLAUSE_STOP.search(folded, at, hi)
    words = []
    for token in list(_TOKEN.finditer(folded, at, stop.start() if stop else hi))[:_MAX_ADJECTIVE_DISTANCE]:
        if connector.fullmatch(token.group()):
            break
        words.append(token.span())
    return words


def _linked(kb: TerminologyKB, phrase: str, syndrome: str) -> list[str]:
    """Conditions the phrase names through its organism (not through the syndrome word alone)."""
    alone = {link.condition for _, link in kb.text_links.match(syndrome, "dx")}
    # an invasive organism's lab row asks for a normally sterile site; a syndrome of one ("bacteremia", "meningitis",
    # "bactériémie", "nhiễm khuẩn huyết") meets it: "S. pyogenes bacteremia" is invasive group A strep disease
    invasive = [cond.condition for row, cond in kb.text_links.match(phrase, "lab")
                if row.use == "lab" and row.require is not None and row.require.search(fold_key(syndrome))]
    return [link.condition for _, link in kb.text_links.match(phrase, "dx") if link.condition not in alone] + \
        [code for code in invasive if code not in alone]


def find_organism_syndromes(text: str | TextDoc, spans: list[tuple[int, int]], record: CompactRecord, *,
                            engine: ContextEngine, kb: TerminologyKB) -> tuple[CompactRecord, list[str]]:
    """Conditions named as organism + syndrome inside ``spans``, skipping mentions an earlier tier coded."""
    doc = TextDoc.of(text)
    text, folded = doc.text, doc.fold
    first, after, adjective, stop = _syndromes()
    coded = SpanIndex([e.span for name in CompactRecord.ITEM_LISTS if name != "vitals"
                       for item in getattr(record, name) for e in item.evidence if e.span])
    have = {c.snomed for c in record.conditions if c.snomed and c.assertion is Assertion.PRESENT}
    out, notes = CompactRecord(), []
    for lo, hi in spans:
        found: list[tuple[tuple[int, int], tuple[int, int]]] = []   # (organism span, syndrome span)
        for match in first.finditer(folded, lo, hi):
            start = _tokens_before(folded, lo, match.start())
            if start < match.start():
                found.append(((start, match.start()), match.span()))
        for match in after.finditer(folded, lo, hi):
            end = _tokens_after(folded, match.end(), hi)
            if end > match.end():
                found.append(((match.end(), end), match.span()))
        for match in adjective.finditer(folded, lo, hi):   # the next words that name an organism themselves
            found += [(token, match.span()) for token in _words_after(folded, match.end(), hi, stop)
                      if kb.text_links.match(text[token[0]:token[1]], "dx")]
        for organism, syndrome_span in found:
            organism = _trim(text, _next_to_syndrome(doc, engine, organism, organism[1] <= syndrome_span[0], (lo, hi)))
            if organism is not None:
                cut = _before_coded(coded, organism, organism[1] <= syndrome_span[0])
                organism = _trim(text, cut) if cut else None
            if organism is None or coded.overlaps(organism):
                continue
            phrase = (min(organism[0], syndrome_span[0]), max(organism[1], syndrome_span[1]))
            syndrome = text[syndrome_span[0]:syndrome_span[1]]
            if have and _GENERIC.match(folded, *syndrome_span):
                continue   # "… is a reportable arboviral infection" beside a named diagnosis: a category, not another one
            for code in dict.fromkeys(_linked(kb, text[phrase[0]:phrase[1]], syndrome)):
                condition = kb.condition(code)
                if condition is None:
                    continue
                condition = kb.diagnosis_condition(condition)
                verdict = engine.assess(doc, organism)
                if verdict.assertion is not Assertion.PRESENT or condition.snomed in have:
                    continue
                have.add(condition.snomed)
                out.conditions.append(Condition(
                    name=condition.name, snomed=condition.snomed, assertion=Assertion.PRESENT,
                    status="suspected" if verdict.certainty == "suspected" else None,
                    evidence=[Evidence(tier=Tier.INFERRED, span=phrase, text=text[phrase[0]:phrase[1]],
                                       rule="organism_syndrome" + (f";{verdict.rule_id}" if verdict.rule_id else ""))]))
                notes.append(f"organism syndrome: '{text[phrase[0]:phrase[1]]}' names {condition.name}")
    return out, notes


def _before_coded(coded: SpanIndex, span: tuple[int, int], before: bool) -> tuple[int, int] | None:
    """The organism words up to a mention an earlier tier coded, on the far side from the syndrome: "bacteriemia
    por S. pyogenes tras varicela" → "S. pyogenes" ("varicela" is coded: another diagnosis, not the organism)."""
    start, end = span
    if before:
        ends = [e for _, e in coded.within(0, end) if start < e <= end]
        start = max(ends, default=start)
    else:
        starts = [s for s, _ in coded.within(start + 1, end)]
        end = min(starts, default=end)
    return (start, end) if end > start else None


def _next_to_syndrome(doc: TextDoc, engine: ContextEngine, span: tuple[int, int], before: bool,
                      bounds: tuple[int, int]) -> tuple[int, int]:
    """The organism words next to the syndrome, up to the nearest ConText trigger among them: "No evidence of Lyme"
    (before "carditis") → "Lyme"; "Listeria éliminée" (after "méningite à") → "Listeria". A trigger that only
    starts (or ends) among them counts too: "infection à virus West Nile peu probable" → "virus West Nile"."""
    start, end = span
    near = (bounds[0], end) if before else (start, bounds[1])
    for t_start, t_end in engine.trigger_spans(doc, near):
        if before and start < t_end <= end:
            start = max(start, t_end)
        elif not before and start < t_start < end:
            end = min(end, t_start)
    return (start, end) if end > start else span


def _trim(text: str, span: tuple[int, int]) -> tuple[int, int] | None:
    start, end = span
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return (start, end) if end > start else None
