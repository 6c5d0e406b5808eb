"""Typed Python API: ``extract(source) -> Extraction``."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from cliniq_agent import __version__
from cliniq_agent.errors import CliniqError
from cliniq_agent.ingest import read_source
from cliniq_agent.resources import set_offline_environment
from cliniq_agent.schema import CompactRecord
from cliniq_agent.state import DocFormat, ExcludedItem, Route, RunOptions, RunState, StepRecord
from cliniq_agent.trace import RunTrace, TraceStore


class Extraction(BaseModel):
    """The result of one run: the compact record plus how it was obtained."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    run_id: str
    route: Route
    format: DocFormat
    source_name: str
    source_sha256: str
    record: CompactRecord
    excluded: list[ExcludedItem] = Field(default_factory=list)
    steps: list[StepRecord] = Field(default_factory=list)
    duration_ms: float
    fhir_bundle: dict[str, JsonValue] | None = Field(default=None, repr=False)

    def to_compact(self, *, evidence: bool = True) -> dict[str, Any]:
        return self.record.to_compact(evidence=evidence)

    def to_fhir(self) -> dict[str, Any]:
        if self.fhir_bundle is None:
            from cliniq_agent.fhir import build_bundle

            self.fhir_bundle = build_bundle(self.record, run_id=self.run_id, source_name=self.source_name,
                                            source_sha256=self.source_sha256)
        return self.fhir_bundle


def extract(
    source: str | bytes | Path,
    *,
    use_llm: bool = True,
    model_path: Path | None = None,
    lora_path: Path | None = None,
    chat_format: str | None = None,
    recover_xml: bool = False,
    build_fhir: bool = False,
    persist_trace: bool = True,
    source_name: str | None = None,
    prompt_style: str = "auto",
) -> Extraction:
    """Extract coded data from an eICR (CDA XML), known-format text or narrative.

    ``source``: a Path to a file, raw bytes, or the document text itself (``"-"`` reads stdin).
    ``use_llm=False`` runs the deterministic tiers only. ``model_path`` / ``lora_path`` / ``chat_format``
    bring your own GGUF model and adapter; ``prompt_style`` "short" (our adapter's codes-only answer) or
    "compact" (full compact JSON, e.g. the predecessor's v62 adapter); "auto" picks by model.
    Raises ``InputError`` for unusable input; every run (also a failed one) is traced unless
    ``persist_trace`` is false.
    """
    set_offline_environment()
    from cliniq_agent.graph import build_graph

    options = RunOptions(use_llm=use_llm, model_path=model_path, lora_path=lora_path, chat_format=chat_format,
                         recover_xml=recover_xml, build_fhir=build_fhir, persist_trace=persist_trace,
                         prompt_style=prompt_style)
    run_id = uuid.uuid4().hex
    started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    clock = time.perf_counter()
    trace = RunTrace(run_id=run_id, started_at=started, version=__version__,
                     options=options.model_dump(mode="json"))
    try:
        document = read_source(source, name=source_name)
        trace.source_name, trace.source_sha256 = document.name, document.sha256
        state: RunState = build_graph().invoke({"run_id": run_id, "options": options, "source": document})
    except CliniqError as err:
        _finish(trace, clock, status="rejected", error=str(err), persist=persist_trace)
        raise
    except Exception as err:
        _finish(trace, clock, status="error", error=f"{type(err).__name__}: {err}", persist=persist_trace)
        raise
    result = Extraction(
        run_id=run_id, route=state["route"], format=state["format"], source_name=document.name,
        source_sha256=document.sha256, record=state["record"], excluded=state.get("excluded", []),
        steps=state.get("steps", []), duration_ms=0.0, fhir_bundle=state.get("fhir"),
    )
    result.duration_ms = _finish(trace, clock, status="ok", persist=persist_trace, result=result)
    return result


def _finish(trace: RunTrace, clock: float, *, status: str, persist: bool, error: str | None = None,
            result: Extraction | None = None) -> float:
    trace.duration_ms = round((time.perf_counter() - clock) * 1000, 3)
    trace.status, trace.error = status, error
    if result is not None:
        trace.format, trace.route = result.format, result.route
        trace.record = result.record.model_dump(mode="json")
        trace.excluded, trace.steps = result.excluded, result.steps
    if persist:
        TraceStore().save(trace)
    return trace.duration_ms
