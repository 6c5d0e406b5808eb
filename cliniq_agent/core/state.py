"""Typed graph state and the records that travel between nodes and into the audit trace.

Machine data travels as typed records (``ModelRun`` for a fast-path model call, ``AgentReport`` for the
agent's candidates, turns and decisions, ``AgentJob`` for a text the agent is asked to code); a Draft's
``notes`` are for people reading the trace and are never parsed back by code.
"""

from __future__ import annotations

import operator
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal, TypedDict

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from cliniq_agent.agent.records import AgentReport, Candidate
from cliniq_agent.cda.models import CdaParse
from cliniq_agent.core.schema import CompactRecord, Tier
from cliniq_agent.reportability.determine import ReportabilityResult
from cliniq_agent.text.doc import TextDoc

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

    @cached_property
    def doc(self) -> TextDoc:
        """The text as the text tiers read it: one ``TextDoc`` per input, shared by format detection, the
        tiers, the fast path and the agent (its lines, folds and ConText analysis computed once)."""
        return TextDoc(self.text)


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


class ModelValidity(StrEnum):
    """How usable the fast-path model's answer was."""

    VALID = "true"                   # parsed as it came
    REPAIRED = "repaired"            # parsed after repair (truncated JSON closed, stray text cut …)
    GRAMMAR_RETRY = "grammar-retry"  # unusable; the grammar-constrained retry was used
    INVALID = "false"                # unusable even after the retry: the line parser's draft stands alone


class ModelRun(BaseModel):
    """One fast-path model call (after its retry, if any): what was asked, what came back, how usable it was."""

    producer: str
    model: str
    adapter: str | None = None
    prompt_style: Literal["short", "compact"]
    prompt_id: str                   # the prompt file under prompts/
    prompt: str = Field(repr=False)  # the prompt as sent (chat turns joined), for the review page
    validity: ModelValidity
    prompt_tokens: int
    completion_tokens: int
    duration_ms: float
    finish_reason: str | None = None
    grammar: bool = False            # the answer used came from the grammar-constrained retry
    calls: int = 1                   # model calls made (2 with the retry)
    raw: str = Field(repr=False)     # the answer used, as generated (first 2000 characters)
    answer: dict[str, list[str]] | None = None  # parsed codes before grounding: {"c": [...], "l": [...], "m": [...]}


Span = tuple[int, int]


class AgentJob(BaseModel):
    """One text the agent is asked to code: the whole note, or one narrative section of a CDA document.

    ``base`` is the draft the tiers (and the fast path) made of this text; the agent's node emits it
    followed by the agent's own draft, so a section's items stay together in merge order. ``only``,
    ``known_codes`` and ``locator`` narrow a CDA section's job to conditions its coded entries lack."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    producer: str                          # the agent's draft is named so
    doc: TextDoc = Field(repr=False)       # the text, with the facts the tiers already computed
    regions: list[Span]                    # where the agent looks for phrases
    base: Draft
    covered: list[Span] | None = None      # spans already coded (None: those of ``base``)
    candidates: list[Candidate] = Field(default_factory=list)  # phrases to code, proposed when the job is handed over
    proposed_at: float = 0.0  # perf_counter() when proposal began: the job's time budget for model turns counts from here
    only: Literal["conditions"] | None = None
    known_codes: frozenset[str] = frozenset()
    locator: str | None = None             # CDA section XPath: evidence becomes tier ``evidence_tier`` there
    evidence_tier: Tier | None = None

    @property
    def text(self) -> str:
        return self.doc.text


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
    xml_root: etree._Element  # when format == "cda" (not serialised)
    format: DocFormat
    cda: CdaParse  # sections, trigger markers, RR conditions
    route: Route
    agent_jobs: list[AgentJob]  # texts for the agent, each with the draft it completes (the fast path replaces it)
    drafts: Annotated[list[Draft], operator.add]
    model_runs: Annotated[list[ModelRun], operator.add]
    agent_reports: Annotated[list[AgentReport], operator.add]
    record: CompactRecord
    excluded: list[ExcludedItem]
    excluded_upstream: Annotated[list[ExcludedItem], operator.add]  # dropped by an extraction node itself
    reportability: ReportabilityResult  # below-threshold conditions, skipped evidence
    fhir: dict[str, JsonValue] | None
    steps: Annotated[list[StepRecord], operator.add]
