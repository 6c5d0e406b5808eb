"""cda: section-aware parse of an HL7 CDA eICR (templateId-scoped rules in kb/cda)."""

from __future__ import annotations

from typing import Any

from cliniq_agent.cda import parse_cda
from cliniq_agent.state import Draft, RunState


def cda(state: RunState) -> dict[str, Any]:
    parsed = parse_cda(state["xml_root"], source_name=state["source"].name)
    notes = [f"document kind: {parsed.doc_kind}", f"{len(parsed.sections)} sections",
             f"{len(parsed.triggers)} trigger codes", *parsed.notes]
    return {"drafts": [Draft(producer="cda", record=parsed.record, notes=notes)], "cda": parsed}
