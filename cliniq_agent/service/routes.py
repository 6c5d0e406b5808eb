"""The HTTP endpoints: extract, runs (trace and review page), health, readiness and metrics."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError

from cliniq_agent import __version__
from cliniq_agent.core.errors import InputError
from cliniq_agent.core.extraction import Extraction
from cliniq_agent.service.app import runtime_of
from cliniq_agent.service.errors import NotFound
from cliniq_agent.service.models import (
    CompactResponse,
    ErrorBody,
    ExtractEnvelope,
    FhirResponse,
    Health,
    OutputFormat,
    Readiness,
)
from cliniq_agent.service.runtime import DocumentRequest, ServiceRuntime
from cliniq_agent.trace import RunTrace, TraceStore

router = APIRouter()
system_router = APIRouter(tags=["system"])

DEFAULT_SOURCE_NAME = "<http request>"
JSON_TYPES = ("application/json",)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in (
        (401, "Missing or wrong bearer token."), (413, "The body is over the size cap."),
        (422, "Bad input or an unsupported option (the CLI's message)."),
        (503, "Busy (queue full) or still warming up; see Retry-After."), (504, "Over the time budget."))
}
_DOCUMENT_BODY = {"requestBody": {"required": True, "content": {
    "application/xml": {"schema": {"type": "string"}, "example": "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">…"},
    "text/plain": {"schema": {"type": "string"}, "example": "Dx: Pertussis (A37.90)\nLab: B. pertussis PCR positive"},
    "application/json": {"schema": {"$ref": "#/components/schemas/ExtractEnvelope"}},
}}}

FormatQuery = Annotated[OutputFormat, Query(alias="format", description="compact JSON, a FHIR R4 collection Bundle "
                                                                         "(fhir) or a FHIR document Bundle with an "
                                                                         "eICR Composition (fhir-document).")]
LlmQuery = Annotated[bool | None, Query(description="Use the language model (default: the server's setting).")]
EvidenceQuery = Annotated[bool, Query(description="Per-item evidence in compact output.")]
TimeoutQuery = Annotated[float | None, Query(gt=0, description="Seconds for this document, at most the "
                                                                "server's --timeout (a larger value is capped).")]
NameQuery = Annotated[str | None, Query(max_length=256, description="A name for the trace (e.g. the message id).")]


def document_request(runtime: ServiceRuntime, body: bytes, *, source_name: str | None, llm: bool | None,
                     build_fhir: bool, timeout_s: float | None) -> DocumentRequest:
    """Validate this request's choices against the server's (LLM off, timeout cap) before any work."""
    use_llm = runtime.settings.use_llm if llm is None else llm
    runtime.check_options(use_llm)
    limit = runtime.settings.request_timeout_s
    return DocumentRequest(body=body, source_name=source_name or DEFAULT_SOURCE_NAME, use_llm=use_llm,
                           build_fhir=build_fhir, timeout_s=min(timeout_s or limit, limit))


def envelope_from(body: bytes) -> ExtractEnvelope:
    """A JSON body is an envelope {"document": …}; anything else JSON is refused like the CLI refuses it."""
    try:
        envelope = ExtractEnvelope.model_validate_json(body)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InputError(f"JSON body: expected an envelope {{\"document\": \"…\"}} ({where}: {first['msg']}); "
                         "send CDA XML or text as application/xml or text/plain") from None
    return envelope


def result_payload(extraction: Extraction, output_format: OutputFormat, *, evidence: bool) -> dict[str, Any]:
    """The response body: the CLI's output for this format, with the run id and route beside it."""
    return {"run_id": extraction.run_id, "route": extraction.route, "source_format": extraction.format,
            "format": output_format.value, "duration_ms": extraction.duration_ms,
            "result": extraction.to_format(output_format.value, evidence=evidence)}


@router.post("/v1/extract", tags=["extract"], response_model=CompactResponse | FhirResponse,
             responses=ERROR_RESPONSES, openapi_extra=_DOCUMENT_BODY)
async def extract(request: Request, output_format: FormatQuery = OutputFormat.compact, llm: LlmQuery = None,
                  evidence: EvidenceQuery = True, timeout_s: TimeoutQuery = None,
                  name: NameQuery = None) -> Response:
    """Extract one document: CDA XML, known-format clinician text or narrative (the body), or a JSON
    envelope ``{"document": …}``. Answers the compact record (or FHIR R4 Bundle) with its ``run_id``."""
    runtime = runtime_of(request)
    body = await request.body()
    if request.headers.get("content-type", "").split(";")[0].strip().lower() in JSON_TYPES:
        envelope = envelope_from(body)
        body, name = envelope.document.encode("utf-8"), name or envelope.source_name
        rr = envelope.rr.encode("utf-8") if envelope.rr is not None else None
    else:
        rr = None
    document = replace(document_request(runtime, body, source_name=name, llm=llm,
                                        build_fhir=output_format is OutputFormat.fhir, timeout_s=timeout_s), rr=rr)
    extraction = await runtime.extract(document)
    payload = await run_in_threadpool(result_payload, extraction, output_format, evidence=evidence)
    return JSONResponse(payload, headers={"X-Run-Id": extraction.run_id})


@router.get("/v1/runs/{run_id}", tags=["runs"], response_model=RunTrace, responses=ERROR_RESPONSES)
async def run_trace(request: Request, run_id: str) -> Response:
    """The audit trace of a run: options, timeline of steps, record, evidence, excluded mentions."""
    trace = await run_in_threadpool(_trace_store(runtime_of(request)).get, run_id)
    if trace is None:
        raise NotFound(f"no run with id '{run_id}' (see 'cliniq-agent trace list')")
    return Response(trace.model_dump_json(), media_type="application/json")


@router.get("/v1/runs/{run_id}/review", tags=["runs"], response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {}}, "description": "A self-contained HTML page."},
                       **ERROR_RESPONSES})
async def run_review(request: Request, run_id: str) -> Response:
    """The run's review page (as `cliniq-agent review` writes it): source with evidence highlighted,
    record, excluded mentions, reportability, timeline. No network, only its own script (CSP)."""
    from cliniq_agent.review import render_review
    from cliniq_agent.review.render import asset, content_security_policy

    trace = await run_in_threadpool(_trace_store(runtime_of(request)).get, run_id)
    if trace is None:
        raise NotFound(f"no run with id '{run_id}' (see 'cliniq-agent trace list')")
    page = await run_in_threadpool(render_review, trace)
    return HTMLResponse(page, headers={"Content-Security-Policy": content_security_policy(asset("review.js")),
                                       "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@router.get("/metrics", tags=["system"], response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}})
async def metrics(request: Request) -> Response:
    """Documents by route and status, latency per route, model calls, queue depth (Prometheus)."""
    runtime = runtime_of(request)
    return Response(runtime.metrics.exposition(), media_type=runtime.metrics.content_type)


@system_router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up (no authentication: for load balancers and orchestrators)."""
    return Health(version=__version__)


@system_router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(request: Request) -> Response:
    """200 once the models and the code index are loaded; 503 while warming (or when loading failed)."""
    runtime = runtime_of(request)
    state = Readiness(status=runtime.readiness, version=__version__, llm=runtime.settings.use_llm,
                      error="the engine failed to load; see the server log" if runtime.warm_error else None)
    headers = None if state.status == "ready" else {"Retry-After": str(runtime.settings.retry_after_s)}
    return JSONResponse(json.loads(state.model_dump_json()), status_code=200 if state.status == "ready" else 503,
                        headers=headers)


def _trace_store(runtime: ServiceRuntime) -> TraceStore:
    return runtime.engine.trace_store if runtime.engine is not None else TraceStore()


