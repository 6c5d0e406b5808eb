"""One case through a warm Engine, as a plain result row: the unit of work of every batch back end.

The local process pool and the Ray actors both call ``run_case``, so they produce the same rows and the
same outputs. Nothing here raises for a bad document: it becomes a ``rejected`` (the input is unusable)
or ``error`` (an internal bug) row with a one-line message.
"""

from __future__ import annotations

import hashlib
import json
import resource
import time
from typing import Any, Literal

from pydantic import BaseModel, Field

from cliniq_agent.engine import Engine
from cliniq_agent.core.errors import InputError, one_line
from cliniq_agent.core.schema import CompactRecord

Status = Literal["ok", "rejected", "error"]


class CaseResult(BaseModel):
    """One manifest row plus the outputs the runner writes (outputs are dropped from the manifest)."""

    case_id: str
    input: str
    rr: str | None = None
    sha256: str | None = None
    status: Status
    route: str | None = None
    run_id: str | None = None
    ms: float = 0.0
    counts: dict[str, int] = Field(default_factory=dict)
    reportable: list[str] = Field(default_factory=list)
    rr_check: dict[str, list[str]] | None = None  # eICR+RR pairs: condition groups by cross-check status
    error: str | None = None
    attempts: int = 1
    # the outputs as JSON text, encoded in the worker (in parallel) so the parent only writes them
    compact_json: str | None = Field(default=None, exclude=True)
    fhir_json: str | None = Field(default=None, exclude=True)
    peak_rss_mb: float | None = Field(default=None, exclude=True)  # of the worker process, for the benchmark


def run_case(engine: Engine, *, case_id: str, display: str, raw: bytes | None, rr: str | None = None,
             read_error: str | None = None, want_fhir: bool | str = False, rr_raw: bytes | None = None) -> CaseResult:
    """Extract one document already read into ``raw`` (or record why it could not be read); with ``rr_raw``
    (the paired RR's bytes) the run is cross-checked against it. ``want_fhir``: True for the collection Bundle,
    "document" for the FHIR document Bundle (built after the run, from the record)."""
    clock = time.perf_counter()
    base: dict[str, Any] = {"case_id": case_id, "input": display, "rr": rr, "peak_rss_mb": peak_rss_mb()}
    if raw is None:
        return CaseResult(**base, status="rejected", error=read_error or "unreadable input", ms=_ms(clock))
    base["sha256"] = hashlib.sha256(raw).hexdigest()
    rr_problem = _unusable_rr(rr_raw, rr) if rr_raw is not None else None  # the eICR's result stands without it
    outcome = engine.try_extract(raw, source_name=display, build_fhir=want_fhir is True,
                                 **({"rr": rr_raw} if rr_raw is not None and rr_problem is None else {}))
    if outcome.extraction is None:  # rejected input, or an internal bug on this document: the batch goes on
        error = outcome.error if outcome.status == "rejected" else f"internal error: {outcome.error}"
        return CaseResult(**base, status=outcome.status, error=one_line(error or ""), ms=_ms(clock))
    extraction = outcome.extraction
    record = extraction.record
    return CaseResult(
        **base, status="ok", route=extraction.route, run_id=extraction.run_id, ms=_ms(clock),
        counts={name: len(getattr(record, name)) for name in (*CompactRecord.ITEM_LISTS, "reportable")
                if getattr(record, name)},
        reportable=[item.snomed for item in record.reportable if item.snomed],
        rr_check={"rr_unusable": [rr_problem]} if rr_problem else _rr_check_row(extraction),
        compact_json=json.dumps(extraction.to_compact(), ensure_ascii=False),
        fhir_json=json.dumps(extraction.to_fhir_document() if want_fhir == "document" else extraction.to_fhir(),
                             ensure_ascii=False) if want_fhir else None,
    )


def _unusable_rr(rr_raw: bytes, name: str | None) -> str | None:
    """Why the paired RR cannot be cross-checked (not an RR, unsafe or broken XML), or None."""
    from cliniq_agent.rrcheck.read import read_rr

    try:
        read_rr(rr_raw, name=name or "RR")
    except InputError as err:
        return one_line(str(err))
    return None


def _rr_check_row(extraction: Any) -> dict[str, list[str]] | None:
    """The manifest's view of the RR cross-check: condition groups (RCTC codes) per status."""
    if extraction.rr_check is None:
        return None
    row: dict[str, list[str]] = {}
    for item in extraction.rr_check.items:
        row.setdefault(item.status, []).append(item.group)
    return row


def read_paired_rr(case: Any) -> bytes | None:
    """The bytes of a case's RR; None without one or when it cannot be read (no cross-check, same row)."""
    return read_case(case.rr)[0] if case.rr else None


def read_case(member: Any) -> tuple[bytes | None, str | None]:
    """(bytes, None) or (None, one-line reason) for a batch Member."""
    try:
        return member.read(), None
    except InputError as err:
        return None, one_line(str(err))


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _ms(clock: float) -> float:
    return round((time.perf_counter() - clock) * 1000, 3)
