"""Lookup tier: KB names found in text become draft items (tier LOOKUP) with their assertion."""

from __future__ import annotations

from bisect import bisect_right

import regex

from cliniq_agent.text.context import AssertionResult, ContextEngine
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.lookup.scanner import KBMention, find_kb_mentions
from cliniq_agent.terminology.normalize import fold_key
from cliniq_agent.text.markers.markers import non_finding_codes
from cliniq_agent.core.schema import CompactRecord, Condition, Evidence, Tier, coded_item
from cliniq_agent.text.spanindex import SpanIndex
from cliniq_agent.terminology import TerminologyKB


def extract_lookup_draft(text: str | TextDoc, spans: list[tuple[int, int]], *, engine: ContextEngine,
                         kb: TerminologyKB | None = None, skip: list[tuple[int, int]] = (),
                         test_spans: list[tuple[int, int]] = ()) -> CompactRecord:
    """Items for KB names inside ``spans`` that do not overlap ``skip`` (spans other tiers already coded).

    Inside ``test_spans`` (lab, medication and vital-sign lines) a disease name names the test, the
    drug's indication or the vaccine, not a diagnosis: no condition comes from there (a positive lab
    still reaches reportability through its LOINC code and result). The same holds in a panel header
    ("GC/CT NAAT: CT detected, GC not detected"): each analyte takes the result written after the colon."""
    kb = kb or TerminologyKB.load()
    doc = TextDoc.of(text)
    text = doc.text
    record = CompactRecord()
    skip_index, test_index = SpanIndex(skip), SpanIndex([*test_spans, *doc.panel_headers])
    scanned = _not_inside(spans, skip) if spans else None     # None: the scanner reads the whole text
    mentions = () if scanned == [] else find_kb_mentions(text, kb, scanned)
    previous: tuple[KBMention, AssertionResult] | None = None
    for mention in mentions:
        if (mention.system, mention.code) in non_finding_codes():
            continue
        if skip_index.overlaps(mention.span):
            continue
        if mention.kind == "conditions" and test_index.overlaps(mention.span):
            continue
        verdict = _gloss_verdict(text, mention, previous) or engine.assess(doc, mention.span)
        previous = (mention, verdict)
        if mention.system == "snomed":
            mention = _in_note_language(mention, verdict.language, kb)
            if mention is None:
                continue
        item = coded_item(mention.kind, mention.system, mention.code, mention.name)
        item.assertion = verdict.assertion
        if isinstance(item, Condition) and verdict.certainty == "suspected":
            item.status = "suspected"
        item.evidence = [Evidence(tier=Tier.LOOKUP, span=mention.span, text=mention.text,
                                  rule=f"lookup:{mention.system}" + (f";{verdict.rule_id}" if verdict.rule_id else ""))]
        getattr(record, mention.kind).append(item)
    return record


# "(" between a name and the next: the next glosses it ("E. coli producteur de shigatoxines (STEC)")
_GLOSS_OPEN = regex.compile(r"[ \t]*\([ \t]*")


def _gloss_verdict(text: str, mention: KBMention, previous: tuple[KBMention, AssertionResult] | None
                   ) -> AssertionResult | None:
    """A name in parentheses right after a name of the same condition (its abbreviation or synonym: "Suspicion de
    ... E. coli producteur de shigatoxines (STEC)", "no tuberculosis (TB)") shares that name's context: the
    trigger that reaches the first name often lies beyond its window from the second."""
    if previous is None:
        return None
    first, verdict = previous
    if (first.system, first.code) != (mention.system, mention.code):
        return None
    opening = _GLOSS_OPEN.fullmatch(text, first.span[1], mention.span[0])
    return verdict if opening is not None and "(" in opening.group() else None


def _not_inside(spans: list[tuple[int, int]], skip: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` less those lying inside one ``skip`` span: every mention found there would overlap it and be
    dropped, so scanning them only costs time (a known-format note whose "Dx:" lines carry their codes)."""
    ordered = sorted(skip)
    starts, reach, running = [start for start, _ in ordered], [], -1
    for _, end in ordered:
        running = max(running, end)
        reach.append(running)
    kept = []
    for start, end in spans:
        count = bisect_right(starts, start)      # skip spans starting at or before this span
        if not (count and reach[count - 1] >= end):
            kept.append((start, end))
    return kept


def _in_note_language(mention: KBMention, language: str | None, kb: TerminologyKB) -> KBMention | None:
    """A folded name that two conditions share in different languages is read in the note's language
    ("rubéola" in a Portuguese note is rubella, "rubeola" in an English one measles); a name that is another
    language's ordinary word names nothing outside its own language (None: English "rage", French rabies)."""
    key = fold_key(mention.text)
    owners = kb.condition_key_languages.get(key)
    if not owners or not language or language in owners.get(mention.code, ()):
        return mention
    for code, languages in owners.items():
        condition = kb.condition(code)
        if language in languages and condition is not None:
            condition = kb.diagnosis_condition(condition)
            return mention.model_copy(update={"code": condition.snomed, "name": condition.name})
    return None if key in kb.own_language_keys else mention


def link_icd10_conditions(record: CompactRecord, kb: TerminologyKB | None = None) -> None:
    """Give a condition coded only in ICD-10-CM the SNOMED code of the reportable condition its code
    precisely indicates ("B20" → HIV infection); broad and exposure links (Z20.822) say too little."""
    kb = kb or TerminologyKB.load()
    for condition in record.conditions:
        if condition.snomed or not condition.icd10:
            continue
        link = kb.icd10_condition(condition.icd10)
        target = kb.condition(link.condition) if link and link.strength == "precise" else None
        if target is None:
            continue
        condition.snomed = kb.diagnosis_condition(target).snomed
        where = condition.evidence[0] if condition.evidence else None
        condition.evidence.append(Evidence(tier=Tier.LOOKUP, rule=f"icd10_link:{link.via}",
                                           text=where.text if where else None, span=where.span if where else None))
