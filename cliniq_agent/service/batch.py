"""POST /v1/batch: several documents in one NDJSON or multipart request, results streamed as NDJSON.

The batch is admitted once (503 before any output when the queue is full) and its documents run one
after another in that slot, each with its own time budget; a bad document becomes a ``rejected`` line
and the stream goes on. Results come back in input order, one JSON object per line, as soon as each is
done, so a client can start storing them while the rest run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from starlette.background import BackgroundTask

from cliniq_agent.core.errors import BudgetExceeded, CliniqError, InputError
from cliniq_agent.service.app import require_token, runtime_of
from cliniq_agent.service.errors import PayloadTooLarge, RequestTimeout, Unsupported, message_of
from cliniq_agent.service.limits import Deadline, Slot
from cliniq_agent.service.models import BatchLine, ExtractEnvelope, OutputFormat
from cliniq_agent.service.routes import (
    ERROR_RESPONSES,
    EvidenceQuery,
    FormatQuery,
    LlmQuery,
    TimeoutQuery,
    document_request,
    result_payload,
)
from cliniq_agent.service.runtime import DocumentRequest, ServiceRuntime

router = APIRouter(dependencies=[Depends(require_token)])

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines")
_BATCH_BODY = {"requestBody": {"required": True, "content": {
    "application/x-ndjson": {"schema": {"type": "string"},
                             "example": '{"document": "Dx: Pertussis", "source_name": "msg-1"}\n'
                                        '{"document": "<ClinicalDocument …", "source_name": "msg-2"}\n'},
    "multipart/form-data": {"schema": {"type": "object", "additionalProperties": {
        "type": "string", "format": "binary"}}},
}}}


class BatchItem:
    """One document of a batch as parsed from the body, or the reason it could not be parsed."""

    def __init__(self, name: str, body: bytes | None = None, problem: str | None = None,
                 rr: bytes | None = None) -> None:
        self.name, self.body, self.problem, self.rr = name, body, problem, rr


@router.post("/v1/batch", tags=["extract"], responses={
    200: {"content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/BatchLine"}}},
          "description": "One BatchLine per document, in input order."}, **ERROR_RESPONSES},
    openapi_extra=_BATCH_BODY, response_class=StreamingResponse)
async def batch(request: Request, output_format: FormatQuery = OutputFormat.compact, llm: LlmQuery = None,
                evidence: EvidenceQuery = True, timeout_s: TimeoutQuery = None) -> StreamingResponse:
    """Extract several documents: NDJSON lines ``{"document": …, "source_name": …}``, or multipart
    form-data with one file per document. Streams one NDJSON ``BatchLine`` per document."""
    runtime = runtime_of(request)
    template = document_request(runtime, b"", source_name=None, llm=llm,
                                build_fhir=output_format is OutputFormat.fhir, timeout_s=timeout_s)
    items = parse_batch(await request.body(), request.headers.get("content-type", ""), runtime)
    runtime.require_engine()
    admission = runtime.gate.slot(Deadline(template.timeout_s))
    slot = await admission.__aenter__()  # 503/504 now, as a status, before the stream starts
    released = False

    async def release() -> None:
        nonlocal released
        if not released:
            released = True
            await admission.__aexit__(None, None, None)

    async def lines() -> AsyncIterator[bytes]:
        try:
            for index, item in enumerate(items):
                line = await _run_item(runtime, slot, index, item, template, output_format, evidence)
                yield (line.model_dump_json(exclude_none=True) + "\n").encode("utf-8")
        finally:
            await release()

    return StreamingResponse(lines(), media_type="application/x-ndjson", background=BackgroundTask(release))


async def _run_item(runtime: ServiceRuntime, slot: Slot, index: int, item: BatchItem, template: DocumentRequest,
                    output_format: OutputFormat, evidence: bool) -> BatchLine:
    if item.problem is not None or item.body is None:
        return BatchLine(index=index, source_name=item.name, status="rejected", error=item.problem)
    request = replace(template, body=item.body, source_name=item.name, rr=item.rr)
    try:
        extraction = await runtime.run_in_slot(slot, request, Deadline(request.timeout_s))
        payload = await run_in_threadpool(result_payload, extraction, output_format, evidence=evidence)
    except (BudgetExceeded, RequestTimeout) as err:
        return BatchLine(index=index, source_name=item.name, status="timeout", error=message_of(err))
    except CliniqError as err:
        return BatchLine(index=index, source_name=item.name, status="rejected", error=message_of(err))
    except Exception as err:  # an internal bug on this document: recorded, the stream goes on
        return BatchLine(index=index, source_name=item.name, status="error",
                         error=f"internal error: {type(err).__name__}: {message_of(err)[:300]}")
    return BatchLine(index=index, source_name=item.name, status="ok", run_id=payload["run_id"],
                     route=payload["route"], source_format=payload["source_format"],
                     duration_ms=payload["duration_ms"], result=payload["result"])


def parse_batch(body: bytes, content_type: str, runtime: ServiceRuntime) -> list[BatchItem]:
    """The documents of a batch body (NDJSON or multipart), checked against the per-document limits."""
    media = content_type.split(";")[0].strip().lower()
    if media in NDJSON_TYPES:
        items = _ndjson_items(body)
    elif media == "multipart/form-data":
        items = _multipart_items(body, content_type)
    else:
        raise Unsupported(f"content type {media or 'none'!r}: POST /v1/batch takes application/x-ndjson "
                          "(one {\"document\": …} per line) or multipart/form-data (one file per document)")
    settings = runtime.settings
    if not items:
        raise InputError("batch: no documents in the request body")
    if len(items) > settings.max_batch_documents:
        raise PayloadTooLarge(f"batch: {len(items)} documents is over the limit of {settings.max_batch_documents}")
    for item in items:
        if item.body is not None and len(item.body) > settings.max_body_bytes:
            item.body, item.problem = None, (f"{item.name}: input is over the {settings.max_body_bytes} byte "
                                             "per-document limit")
    return items


def _ndjson_items(body: bytes) -> list[BatchItem]:
    items = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        name = f"<line {number}>"
        try:
            envelope = ExtractEnvelope.model_validate_json(line)
        except ValidationError:
            items.append(BatchItem(name, problem=f"line {number}: expected a JSON envelope {{\"document\": \"…\"}}"))
            continue
        rr = envelope.rr.encode("utf-8") if envelope.rr is not None else None
        items.append(BatchItem(envelope.source_name or name, envelope.document.encode("utf-8"), rr=rr))
    return items


def _multipart_items(body: bytes, content_type: str) -> list[BatchItem]:
    """Parse multipart/form-data in memory (the stdlib MIME parser: no temporary files holding PHI)."""
    if "boundary=" not in content_type:
        raise InputError("multipart body without a boundary in its Content-Type")
    message: Message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise InputError("multipart body could not be parsed")
    items = []
    for number, part in enumerate(message.iter_parts(), start=1):
        name = part.get_filename() or part.get_param("name", header="content-disposition") or f"<part {number}>"
        payload = part.get_payload(decode=True)
        items.append(BatchItem(str(name), payload if isinstance(payload, bytes) else None,
                               None if isinstance(payload, bytes) else f"part {number}: no content"))
    return items

