"""Typed graph state and the records that travel between nodes and into the audit trace."""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from cliniq_agent.core.schema import CompactRecord

DocFormat = Literal["cda", "known_format", "narrative"]
Route = Literal["cda", "known_format", "fast_path", "narrative"]


class SourceDocument(BaseModel):
    """One input document, already read, size-checked and decoded (see ingest.py)."""

    model_config = ConfigDict(frozen=True)

    name: str
    raw: bytes = Field(repr=False)
    text: str = Field(repr=False)
    sha256: str
    looks_like_xml: bool = False


class RunOptions(BaseModel):
    """Per-run switches (CLI flags and API keywords map onto these)."""

    use_llm: bool = True
    model_path: Path | None = None
    lora_path: Path | None = None
    chat_format: str | None = None
    recover_xml: bool = False
    build_fhir: bool = False
    persist_trace: bool = True
    trace_source: bool = True  # keep the input text in the trace store (for `cliniq-agent review`)
    prompt_style: Literal["auto", "short", "compact"] = "auto"
    time_budget_s: float | None = Field(default=300.0, gt=0)  # per document; None: no budget (see budget.py)


class StepRecord(BaseModel):
    """One node's execution as the auditor sees it."""

    node: str
    started_at: str
    duration_ms: float
    summary: str
    outputs: dict[str, JsonValue] = Field(default_factory=dict)


class Draft(BaseModel):
    """What one extraction node produced; may contain non-asserted items."""

    producer: str
    record: CompactRecord
    notes: list[str] = Field(default_factory=list)
    candidates: list[dict[str, JsonValue]] = Field(default_factory=list)  # the agent's phrases, hits, decisions


class ExcludedItem(BaseModel):
    """An item kept out of the final lists, with the reason (negated, invalid code, …)."""

    kind: str
    name: str | None
    reason: str
    item: dict[str, JsonValue]


class RunState(TypedDict, total=False):
    run_id: str
    options: RunOptions
    source: SourceDocument
    xml_root: Any  # lxml root element when format == "cda" (not serialised)
    format: DocFormat
    cda: Any  # cliniq_agent.cda.CdaParse: sections, trigger markers, RR conditions
    route: Route
    drafts: Annotated[list[Draft], operator.add]
    record: CompactRecord
    excluded: list[ExcludedItem]
    excluded_upstream: Annotated[list[ExcludedItem], operator.add]  # dropped by an extraction node itself
    reportability: Any  # cliniq_agent.reportability.ReportabilityResult (below-threshold, skipped evidence)
    fhir: dict[str, JsonValue] | None
    steps: Annotated[list[StepRecord], operator.add]
