"""Suspect a reportable condition from its clinical criteria when the text names no diagnosis.

Dictated notes often describe a classic picture ("maculopapular rash, fever, coryza") and leave the
diagnosis to the reader. A case definition turns that picture into a *suspected* condition whose
evidence is every finding that met it, so an auditor sees exactly why. Findings only count when the
ConText engine asserts them for the patient, in the language the row was written for.
"""

from __future__ import annotations

from pydantic import BaseModel

from cliniq_agent.core.budget import check_budget
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.criteria.definitions import case_definitions, finding_patterns
from cliniq_agent.text.criteria.lab_items import extract_lab_statements
from cliniq_agent.text.criteria.organism_syndromes import find_organism_syndromes
from cliniq_agent.core.schema import Assertion, CompactRecord, Condition, Evidence, Tier
from cliniq_agent.terminology import TerminologyKB


class FindingHit(BaseModel):
    finding: str
    span: tuple[int, int]
    text: str


class CriteriaMatch(BaseModel):
    """A definition that fired, with the findings that met each of its groups."""

    definition: str
    condition: str
    hits: list[FindingHit]


def find_findings(text: str | TextDoc, spans: list[tuple[int, int]], engine: ContextEngine) -> list[FindingHit]:
    """Findings asserted present for the patient inside ``spans``."""
    doc = TextDoc.of(text)
    text, folded = doc.text, doc.fold
    hits: list[FindingHit] = []
    found: set[tuple[str, tuple[int, int]]] = set()
    for row in finding_patterns():
        check_budget("clinical criteria")
        for start, end in spans:
            for match in row.pattern.finditer(folded, start, end):
                span = match.span()
                if (row.finding, span) in found:
                    continue
                verdict = engine.assess(doc, span)
                if verdict.assertion is not Assertion.PRESENT:
                    continue
                if row.language != "any" and verdict.language != row.language:
                    continue
                hits.append(FindingHit(finding=row.finding, span=span, text=text[span[0]:span[1]]))
                found.add((row.finding, span))
    return hits


def match_definitions(hits: list[FindingHit]) -> list[CriteriaMatch]:
    present = {h.finding for h in hits}
    matches = []
    for definition in case_definitions():
        if all(len(present & set(group.findings)) >= group.min for group in definition.groups):
            used = {f for group in definition.groups for f in group.findings}
            relevant = sorted((h for h in hits if h.finding in used), key=lambda h: h.span)
            shown = _outermost(relevant)  # "tosse" inside "tosse em crises" adds nothing for the reader
            matches.append(CriteriaMatch(definition=definition.id, condition=definition.condition, hits=shown))
    return matches


def _outermost(hits: list[FindingHit]) -> list[FindingHit]:
    """Hits (sorted by span) not nested in another hit with a different span, in one sweep: a hit is
    nested when an earlier-starting hit reaches its end, or a same-start hit ends later."""
    kept: list[FindingHit] = []
    reach = -1                                   # furthest end of hits starting before this group
    index = 0
    while index < len(hits):
        group_start = hits[index].span[0]
        group_end = index
        while group_end < len(hits) and hits[group_end].span[0] == group_start:
            group_end += 1
        group = hits[index:group_end]
        longest = max(h.span[1] for h in group)
        kept.extend(h for h in group if not (reach >= h.span[1] or longest > h.span[1]))
        reach = max(reach, longest)
        index = group_end
    return kept


def infer_from_criteria(text: str | TextDoc, spans: list[tuple[int, int]], record: CompactRecord, *,
                        engine: ContextEngine, kb: TerminologyKB | None = None) -> tuple[CompactRecord, list[str]]:
    """Suspected conditions for ``text`` given the draft ``record`` of the other tiers, with a trace note each.

    Laboratory results written in prose come first (lab_statements.py: "culture grew Salmonella" is a lab item).
    Nothing is inferred when the record already carries a coded diagnosis asserted for the patient, and a
    condition the text mentions in any other way (ruled out, negated, family history) is never inferred."""
    kb, doc = kb or TerminologyKB.load(), TextDoc.of(text)
    # "Listeria meningitis" first, so that a negative work-up read with the lab statements can rule it out
    named, named_notes = find_organism_syndromes(doc, spans, record, engine=engine, kb=kb)
    work = record.model_copy(update={"conditions": [*record.conditions, *named.conditions]})
    out, notes = extract_lab_statements(doc, spans, work, engine=engine, kb=kb)   # laboratory criteria first
    kept = {id(c) for c in work.conditions}     # a lab statement may drop a shorter name it supersedes
    record.conditions[:] = [c for c in record.conditions if id(c) in kept]
    out.conditions[:0] = [c for c in named.conditions if id(c) in kept]
    notes[:0] = named_notes
    if any((c.snomed or c.icd10) and c.assertion is Assertion.PRESENT for c in [*record.conditions, *out.conditions]):
        return out, notes
    mentioned = {c.snomed for c in record.conditions if c.snomed}
    for match in match_definitions(find_findings(doc, spans, engine)):
        condition = kb.condition(match.condition)
        if condition is None or match.condition in mentioned:
            continue
        out.conditions.append(Condition(
            name=condition.name, snomed=condition.snomed, status="suspected", assertion=Assertion.PRESENT,
            evidence=[Evidence(tier=Tier.INFERRED, span=h.span, text=h.text,
                               rule=f"criteria:{match.definition}:{h.finding}") for h in match.hits]))
        notes.append(f"criteria: {condition.name} ({condition.snomed}) suspected under {match.definition} from "
                     + ", ".join(f"'{h.text}'" for h in match.hits))
        mentioned.add(match.condition)
    return out, notes
