"""cda: section-aware parse of an HL7 CDA eICR (templateId-scoped rules in kb/cda), then — per narrative
section (HPI, reason for visit, assessment …) — the regex and lookup tiers for conditions the coded
entries lack, each section handed to the agent as a job (the agent node codes what they left)."""

from __future__ import annotations

from typing import Any

from cliniq_agent.agent.propose import hand_over
from cliniq_agent.cda import CdaParse, parse_cda
from cliniq_agent.core.schema import CompactRecord, Tier
from cliniq_agent.core.state import AgentJob, Draft, RunState
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.lookup.tier import extract_lookup_draft
from cliniq_agent.text.markers.tier import extract_markers_draft
from cliniq_agent.text.tiers import coded_spans


def cda(state: RunState) -> dict[str, Any]:
    parsed = parse_cda(state["xml_root"], source_name=state["source"].name)
    notes = [f"document kind: {parsed.doc_kind}", f"{len(parsed.sections)} sections",
             f"{len(parsed.triggers)} trigger codes", *parsed.notes]
    handed = hand_over(narrative_sections(parsed))
    return {**handed, "drafts": [Draft(producer="cda", record=parsed.record, notes=notes), *handed.get("drafts", [])],
            "cda": parsed}


def narrative_sections(parsed: CdaParse) -> list[AgentJob]:
    """One agent job per narrative section, its base the conditions the regex and lookup tiers found there
    whose code no coded entry of the document carries.

    Only conditions: narrative lab and drug mentions are too often orders, plans or history to be
    asserted items without their coded entry."""
    coded = frozenset(code for c in parsed.record.conditions for code in (c.snomed, c.icd10) if code)
    engine = ContextEngine.default()
    jobs = []
    for section in parsed.text_tier_sections():
        doc = TextDoc(section.text)   # where a section's text enters the text tiers: one document, read once
        found = extract_markers_draft(doc, engine=engine).conditions
        found.extend(extract_lookup_draft(doc, [(0, len(doc))], engine=engine).conditions)
        conditions = [c for c in found if not ({c.snomed, c.icd10} & coded)]
        for condition in conditions:
            for evidence in condition.evidence:
                evidence.tier, evidence.locator = Tier.CDA_NARRATIVE, section.xpath
        base = Draft(producer="cda_narrative", record=CompactRecord(conditions=conditions),
                     notes=[f"section {section.kind or section.title}: {len(conditions)} uncoded condition(s) "
                            "from the regex and lookup tiers"])
        jobs.append(AgentJob(producer="cda_narrative", doc=doc, regions=[(0, len(doc))], base=base,
                             covered=coded_spans(CompactRecord(conditions=found)), only="conditions",
                             known_codes=coded, locator=section.xpath, evidence_tier=Tier.CDA_NARRATIVE))
    return jobs
