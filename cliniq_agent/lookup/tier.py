"""Lookup tier: KB names found in text become draft items (tier LOOKUP) with their assertion."""

from __future__ import annotations

from cliniq_agent.context import ContextEngine
from cliniq_agent.lookup.scanner import find_kb_mentions
from cliniq_agent.regex_tier.markers import non_finding_codes
from cliniq_agent.schema import CompactRecord, Condition, Evidence, Tier, coded_item
from cliniq_agent.terminology import TerminologyKB


def extract_lookup_draft(text: str, spans: list[tuple[int, int]], *, engine: ContextEngine,
                         kb: TerminologyKB | None = None, skip: list[tuple[int, int]] = ()) -> CompactRecord:
    """Items for KB names inside ``spans`` that do not overlap ``skip`` (spans other tiers already coded)."""
    kb = kb or TerminologyKB.load()
    record = CompactRecord()
    for mention in find_kb_mentions(text, kb, spans):
        if (mention.system, mention.code) in non_finding_codes():
            continue
        if any(mention.span[0] < end and start < mention.span[1] for start, end in skip):
            continue
        item = coded_item(mention.kind, mention.system, mention.code, mention.name)
        verdict = engine.assess(text, mention.span)
        item.assertion = verdict.assertion
        if isinstance(item, Condition) and verdict.certainty == "suspected":
            item.status = "suspected"
        item.evidence = [Evidence(tier=Tier.LOOKUP, span=mention.span, text=mention.text,
                                  rule=f"lookup:{mention.system}" + (f";{verdict.rule_id}" if verdict.rule_id else ""))]
        getattr(record, mention.kind).append(item)
    return record
