"""Attach the RR cross-check to a finished run: read the RR, compare, and record it as a trace step."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from cliniq_agent.rrcheck.compare import cross_check
from cliniq_agent.rrcheck.fhir import with_rr_observations
from cliniq_agent.rrcheck.models import RrCheck
from cliniq_agent.rrcheck.read import read_rr
from cliniq_agent.core.state import RunState, StepRecord
from cliniq_agent.terminology import TerminologyKB


def run_rr_check(rr: str | bytes | Path, state: RunState) -> RunState:
    """``state`` plus ``rr_check``, an ``rr_check`` step and the RR Observations in ``fhir`` (when built)."""
    started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    clock = time.perf_counter()
    conditions, name, sha256 = read_rr(rr)
    parsed = state.get("cda")
    if parsed is not None:
        narratives = [(s.title or s.kind or "section", s.text) for s in parsed.sections if s.text]
    else:
        narratives = [("text", state["source"].text)]
    check = cross_check(conditions, reportable=state["record"].reportable, assessment=state.get("reportability"),
                        excluded=state.get("excluded", []), narratives=narratives, kb=TerminologyKB.load(),
                        rr_source=name, rr_sha256=sha256)
    step = StepRecord(node="rr_check", started_at=started, duration_ms=round((time.perf_counter() - clock) * 1000, 3),
                      summary=summary_line(check), outputs={"rr_check": check.model_dump(mode="json")})
    updated: RunState = {**state, "rr_check": check, "steps": [*state.get("steps", []), step]}
    if state.get("fhir"):
        updated["fhir"] = with_rr_observations(state["fhir"], check, state["run_id"])
    return updated


def summary_line(check: RrCheck) -> str:
    counts = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in check.summary.items() if n)
    return f"RR {check.rr_source}: {counts or 'no conditions'}"
