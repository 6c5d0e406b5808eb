"""reportability: map the asserted record (and the eICR's own trigger markers) to RCTC reportable
conditions; an RR document's own determinations are taken as given."""

from __future__ import annotations

from typing import Any

from cliniq_agent.reportability import assess_reportability
from cliniq_agent.core.state import RunState
from cliniq_agent.terminology import TerminologyKB


def reportability(state: RunState) -> dict[str, Any]:
    # shallow: only ``reportable`` is replaced (assess_reportability reads the items, never changes them)
    record = state["record"].model_copy()
    parsed = state.get("cda")
    triggers = list(parsed.triggers) if parsed is not None else []
    result = assess_reportability(record, triggers, TerminologyKB.load())
    record.reportable = result.reportable
    if parsed is not None and parsed.rr_conditions:  # a Reportability Response states them itself
        known = {r.snomed for r in record.reportable}
        record.reportable.extend(r for r in parsed.rr_conditions if r.snomed not in known and r.confidence > 0)
    return {"record": record, "reportability": result}
