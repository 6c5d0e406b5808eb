"""emit: finalise the record and, when asked, build and validate the FHIR R4 Bundle."""

from __future__ import annotations

from typing import Any

from cliniq_agent.fhir import build_bundle
from cliniq_agent.core.state import RunState


def emit(state: RunState) -> dict[str, Any]:
    if not state["options"].build_fhir:
        return {"fhir": None}
    source = state["source"]
    bundle = build_bundle(state["record"], run_id=state["run_id"], source_name=source.name,
                          source_sha256=source.sha256)
    return {"fhir": bundle}
