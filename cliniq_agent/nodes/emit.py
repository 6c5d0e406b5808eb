"""emit: build and validate the FHIR R4 Bundle (the graph comes here only when the run asks for FHIR)."""

from __future__ import annotations

from typing import Any

from cliniq_agent.core.state import RunState
from cliniq_agent.fhir import build_bundle


def emit(state: RunState) -> dict[str, Any]:
    source = state["source"]
    bundle = build_bundle(state["record"], run_id=state["run_id"], source_name=source.name,
                          source_sha256=source.sha256)
    return {"fhir": bundle}
