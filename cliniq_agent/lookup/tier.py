"""Lookup tier: KB names found in text become draft items (tier LOOKUP) with their assertion."""

from __future__ import annotations

from functools import lru_cache

from cliniq_agent.context import ContextEngine
from cliniq_agent.lookup.scanner import KBMention, find_kb_mentions
from cliniq_agent.schema import CompactRecord, Condition, Evidence, Immunization, Lab, Med, Tier
from cliniq_agent.tables import kb_table
from cliniq_agent.terminology import TerminologyKB


@lru_cache(maxsize=1)
def _non_findings() -> frozenset[tuple[str, str]]:
    return frozenset((row["system"], row["code"]) for row in kb_table("regex", "non_finding_codes.tsv"))


def extract_lookup_draft(text: str, spans: list[tuple[int, int]], *, engine: ContextEngine,
                         kb: TerminologyKB | None = None, skip: list[tuple[int, int]] = ()) -> CompactRecord:
    """Items for KB names inside ``spans`` that do not overlap ``skip`` (spans other tiers already coded)."""
    kb = kb or TerminologyKB.load()
    record = CompactRecord()
    for mention in find_kb_mentions(text, kb, spans):
        if (mention.system, mention.code) in _non_findings():
            continue
        if any(mention.span[0] < end and start < mention.span[1] for start, end in skip):
            continue
        item = _item(mention)
        verdict = engine.assess(text, mention.span)
        item.assertion = verdict.assertion
        if isinstance(item, Condition) and verdict.certainty == "suspected":
            item.status = "suspected"
        item.evidence = [Evidence(tier=Tier.LOOKUP, span=mention.span, text=mention.text,
                                  rule=f"lookup:{mention.system}" + (f";{verdict.rule_id}" if verdict.rule_id else ""))]
        getattr(record, mention.kind).append(item)
    return record


def _item(mention: KBMention) -> Condition | Lab | Med | Immunization:
    if mention.kind == "conditions":
        return Condition(name=mention.name, snomed=mention.code)
    if mention.kind == "labs":
        return Lab(name=mention.name, loinc=mention.code)
    if mention.kind == "meds":
        return Med(name=mention.name, rxnorm=mention.code)
    return Immunization(name=mention.name, cvx=mention.code)
