"""Request and response bodies of the HTTP API (the OpenAPI schema is generated from these)."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cliniq_agent.core.schema import CompactRecord
from cliniq_agent.core.state import DocFormat, Route


class OutputFormat(str, Enum):
    compact = "compact"
    fhir = "fhir"
    fhir_document = "fhir-document"  # a FHIR document Bundle: eICR Composition first, then the resources


class ExtractEnvelope(BaseModel):
    """A JSON request body: the document as text, plus optional metadata (no FHIR input)."""

    model_config = ConfigDict(extra="forbid")

    document: str = Field(description="The eICR: CDA XML, known-format clinician text or narrative, as text.")
    rr: str | None = Field(default=None, description="The eICR's Reportability Response (RR CDA XML): the result "
                                                      "then carries rr_check, the engine's conditions against the RR's.")
    source_name: str | None = Field(default=None, max_length=256,
                                    description="A name for the trace (e.g. the message id); not logged.")


class CompactResponse(BaseModel):
    """``format=compact``: the compact record and how it was obtained."""

    run_id: str = Field(description="Look the run up with GET /v1/runs/{run_id} or `cliniq-agent trace show`.")
    route: Route
    source_format: DocFormat
    format: Literal["compact"] = "compact"
    duration_ms: float
    result: CompactRecord


class FhirResponse(BaseModel):
    """``format=fhir``: a FHIR R4 Bundle (collection) built from the compact record; ``format=fhir-document``:
    a FHIR R4 document Bundle (an eICR Composition first, then the same resources)."""

    run_id: str
    route: Route
    source_format: DocFormat
    format: Literal["fhir", "fhir-document"] = "fhir"
    duration_ms: float
    result: dict[str, Any] = Field(description="A FHIR R4 Bundle (validated with fhir.resources).")


class BatchLine(BaseModel):
    """One line of the NDJSON stream POST /v1/batch answers, in input order."""

    index: int
    source_name: str
    status: Literal["ok", "rejected", "timeout", "error"]
    run_id: str | None = None
    route: Route | None = None
    source_format: DocFormat | None = None
    duration_ms: float = 0.0
    result: dict[str, Any] | None = None
    error: str | None = None


class ErrorBody(BaseModel):
    """Every error answer: a stable code and the same one-line message the CLI prints."""

    error: str = Field(description="bad_input, unauthorized, not_found, too_large, overloaded, not_ready, "
                                   "timeout, unsupported, internal")
    message: str


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class Readiness(BaseModel):
    status: Literal["ready", "warming", "failed"]
    version: str
    llm: bool
    error: str | None = None
