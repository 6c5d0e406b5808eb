"""cda: section-aware parse of an HL7 CDA eICR (templateId-scoped rules in kb/cda), then the text tiers
over narrative sections (HPI, reason for visit, assessment …) for conditions the coded entries lack."""

from __future__ import annotations

from typing import Any

from cliniq_agent.cda import CdaParse, parse_cda
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.lookup.tier import extract_lookup_draft
from cliniq_agent.text.tiers import agent_pass
from cliniq_agent.text.markers.tier import extract_markers_draft
from cliniq_agent.core.schema import CompactRecord, Tier
from cliniq_agent.core.state import Draft, ExcludedItem, RunOptions, RunState


def cda(state: RunState) -> dict[str, Any]:
    parsed = parse_cda(state["xml_root"], source_name=state["source"].name)
    notes = [f"document kind: {parsed.doc_kind}", f"{len(parsed.sections)} sections",
             f"{len(parsed.triggers)} trigger codes", *parsed.notes]
    drafts = [Draft(producer="cda", record=parsed.record, notes=notes)]
    narrative, dropped = narrative_sections(parsed, state["options"])
    drafts.extend(narrative)
    return {"drafts": drafts, "cda": parsed, "excluded_upstream": dropped}


def narrative_sections(parsed: CdaParse, options: RunOptions) -> tuple[list[Draft], list[ExcludedItem]]:
    """Conditions named in narrative sections whose code no coded entry of the document carries.

    Only conditions: narrative lab and drug mentions are too often orders, plans or history to be
    asserted items without their coded entry."""
    coded = {code for c in parsed.record.conditions for code in (c.snomed, c.icd10) if code}
    engine = ContextEngine.default()
    drafts, dropped = [], []
    for section in parsed.text_tier_sections():
        text = section.text
        record = extract_markers_draft(text, engine=engine)
        lookup = extract_lookup_draft(text, [(0, len(text))], engine=engine)
        record.conditions.extend(lookup.conditions)
        base = Draft(producer="cda_narrative", record=CompactRecord(conditions=record.conditions))
        agent, agent_dropped = agent_pass(text, base, options, producer="cda_narrative", regions=[(0, len(text))])
        conditions = [c for c in [*base.record.conditions, *agent.record.conditions]
                      if not ({c.snomed, c.icd10} & coded)]
        for condition in conditions:
            for evidence in condition.evidence:
                evidence.tier, evidence.locator = Tier.CDA_NARRATIVE, section.xpath
        drafts.append(Draft(producer="cda_narrative", record=CompactRecord(conditions=conditions),
                            notes=[f"section {section.kind or section.title}: {len(conditions)} uncoded condition(s)",
                                   *agent.notes],
                            candidates=[{**c, "locator": section.xpath} for c in agent.candidates]))
        dropped.extend(d for d in agent_dropped if d.kind == "conditions")
    return drafts, dropped
