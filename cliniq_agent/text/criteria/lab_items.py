"""Prose lab statements into the record: each statement no earlier tier coded becomes a lab item (or, for a
positive test named by its disease, the condition), after the statements have met the record (lab_reconcile.py:
suspicions a negative test excludes, a reactive persisting marker beside a negative test of current infection).
lab_statements.py finds the statements; this module decides what the record keeps of them."""

from __future__ import annotations

from cliniq_agent.core.schema import Assertion, CompactRecord, Condition, Evidence, Lab, Tier
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.criteria.lab_reconcile import (codes_of, coded, exclude_suspected, group_statements, other_disease,
                                                      supersedes)
from cliniq_agent.text.criteria.lab_statements import (SYNONYM_ROW, clause_results, find_lab_statements, result_words,
                                                       test_kinds)
from cliniq_agent.text.criteria.negative_workup import exclude_by_negative_workup, named_by_test, pending_in_sentence
from cliniq_agent.text.criteria.superseded import settle_superseded, supersede_by_other_agent, supersede_by_other_organism
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.spanindex import SpanIndex


def read_statements(doc: TextDoc, spans: list[tuple[int, int]], *, engine: ContextEngine, kb: TerminologyKB) -> list:
    """The note's lab statements in ``spans``, with those a group of tests shares ("GC/CT NAAT: negative")."""
    found = [s for s in find_lab_statements(doc, spans, engine=engine, kb=kb) if not other_disease(doc.fold, s)]
    return found + group_statements(doc, found)


def settle_suspicions(doc: TextDoc, record: CompactRecord, found: list, kb: TerminologyKB) -> list[str]:
    """The work-up rules over the only-suspected conditions of ``record``, given the note's lab statements
    ``found``: a negative test of the condition's own organism, a negative work-up after the suspicion
    (negative_workup.py), another organism's or a non-reportable agent's positive result that replaces it
    (superseded.py). One trace note each."""
    notes: list[str] = []
    positive = {s.condition for s in found if s.positive}
    settled = {s.condition for s in found if not s.positive and not pending_in_sentence(doc.fold, s.result_span)}
    exclude_suspected(record, settled - positive, kb, notes,
                      test_names=tuple(s.span for s in found if not s.positive and named_by_test(doc.fold, s.span)))
    notes.extend(exclude_by_negative_workup(doc, record, positive=positive, codes_of=lambda c: codes_of(kb, c),
                                            statements=found, results=clause_results, words=result_words(doc.fold)))
    notes.extend(supersede_by_other_organism(doc, record, found, lambda c: codes_of(kb, c)))
    notes.extend(supersede_by_other_agent(doc, record, clause_results, result_words(doc.fold)))
    return notes


def settle_later_suspicions(doc: TextDoc, record: CompactRecord, base: CompactRecord, spans: list[tuple[int, int]],
                            *, engine: ContextEngine, kb: TerminologyKB | None = None) -> list[str]:
    """The work-up rules (``settle_suspicions``, then superseded.settle_superseded) over the suspected conditions of
    ``record`` that a tier after the criteria tier found (the code index: "Suspected hantavirus cardiopulmonary
    syndrome; hantavirus IgM and IgG negative"), so that a suspicion's work-up counts whatever tier read its name.
    ``base``: what the earlier tiers found, read as the note's other conditions and left unchanged."""
    if not any(c.status == "suspected" or c.assertion is Assertion.POSSIBLE for c in record.conditions):
        return []
    kb = kb or TerminologyKB.load()
    work = CompactRecord(conditions=[*(c.model_copy() for c in base.conditions), *record.conditions])
    notes = settle_suspicions(doc, work, read_statements(doc, spans, engine=engine, kb=kb), kb)
    return notes + settle_superseded(doc, work)


def extract_lab_statements(text: str | TextDoc, spans: list[tuple[int, int]], record: CompactRecord, *,
                           engine: ContextEngine, kb: TerminologyKB | None = None) -> tuple[CompactRecord, list[str]]:
    """Lab items for the result statements in ``spans`` that no earlier tier coded, with one trace note each;
    a suspected condition of ``record`` whose test the note reports negative is marked ruled out."""
    doc = TextDoc.of(text)
    text = doc.text
    kb = kb or TerminologyKB.load()
    out, notes = CompactRecord(), []
    skip_index = SpanIndex([e.span for name in CompactRecord.ITEM_LISTS if name != "vitals"
                            for item in getattr(record, name) if coded(item) for e in item.evidence if e.span])
    seen: set[tuple[str, bool]] = set()
    found = read_statements(doc, spans, engine=engine, kb=kb)
    negative_current = {s.condition for s in found if not s.positive and s.test == "current"
                        and s.condition in test_kinds().conditions}
    notes.extend(settle_suspicions(doc, record, found, kb))
    present = {c.snomed for c in record.conditions if c.snomed and c.assertion is Assertion.PRESENT}
    for statement in found:
        if statement.positive and statement.test == "persisting" and statement.condition in negative_current:
            notes.append(f"lab statement: reactive persisting marker for {statement.condition} with a negative test "
                         "of current infection: past or treated infection, not counted")
            for item in record.conditions:   # "Anti-HCV reactive" the lookup tier read as the disease
                if any(e.span and e.span[0] < statement.span[1] and statement.span[0] < e.span[1] for e in item.evidence):
                    item.assertion = Assertion.HISTORICAL
            continue
        if statement.inherited:    # no organism written in it: it only weighs against a persisting marker
            continue
        if skip_index.overlaps(statement.span) and not supersedes(record, statement, kb, notes):
            continue    # another tier already coded this mention
        if statement.positive and codes_of(kb, statement.condition) & present:   # the diagnosis is already there
            continue
        if (statement.condition, statement.positive) in seen:
            continue
        seen.add((statement.condition, statement.positive))
        name = text[statement.span[0]:statement.span[1]]
        lo, hi = min(statement.span[0], statement.result_span[0]), max(statement.span[1], statement.result_span[1])
        if not statement.disease_name and statement.condition not in {
                link.condition for _, link in kb.text_links.match(name, "lab")}:
            name = text[lo:hi]   # "CT" links only in "GC/CT NAAT", "lậu" only before "dương tính": keep the words
            condition = kb.condition(statement.condition)
            if condition is not None and statement.condition not in {
                    link.condition for _, link in kb.text_links.match(name, "lab")}:
                name = f"{name} ({condition.name})"   # "CT+" read apart from its "GC": say which organism it is
        if statement.specimen:   # "CSF culture grew H. influenzae": the sterile site makes it invasive disease
            name = f"{name} ({statement.specimen})"
        result = text[statement.result_span[0]:statement.result_span[1]].strip()
        evidence = [Evidence(tier=Tier.INFERRED, span=(lo, hi), text=text[lo:hi],
                             rule="lab_statement:synonym" if statement.row == SYNONYM_ROW
                             else f"lab_statement:text_links:{statement.row}")]
        if statement.disease_name:   # "TB PCR positive": a positive test for the disease confirms the disease
            found = kb.condition(statement.condition)
            if statement.positive and found is not None:
                condition = kb.diagnosis_condition(found)
                out.conditions.append(Condition(name=condition.name, snomed=condition.snomed,
                                                assertion=Assertion.PRESENT, evidence=evidence))
        else:
            out.labs.append(Lab(name=name, result=result, interpretation="POS" if statement.positive else "NEG",
                                specimen=statement.specimen, assertion=Assertion.PRESENT, evidence=evidence))
        notes.append(f"lab statement: '{name}' {'positive' if statement.positive else 'negative'} ('{result}')")
    return out, notes
