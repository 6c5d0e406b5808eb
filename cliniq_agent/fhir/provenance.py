"""The run's Provenance: one resource whose ``target`` lists every resource the run built.

It names the engine (cliniq-agent and its version, as assembler), the run (activity; every resource's
``meta.source`` is the run URI too) and the source document (name + SHA-256 as an RFC 6920 ``ni:`` URI in the
entity's identifier). Why one and not one per item (issue 11): a receiving system would have to de-duplicate
dozens of Provenance resources per document; the per-item evidence (tier, rule, locator, quoted text) stays in
the compact record and the run trace, where it is read.
"""

from __future__ import annotations

import base64
import datetime as dt
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

from fhir.resources.R4B.provenance import Provenance as FhirProvenance

from cliniq_agent.fhir.elements import JSON, BuildContext, Built, fixed_concept, reference

_URI_SYSTEM = "urn:ietf:rfc:3986"


@lru_cache(maxsize=1)
def _agent_name() -> str:
    try:
        return f"cliniq-agent {version('cliniq-agent')}"
    except PackageNotFoundError:
        return "cliniq-agent"


def _agent() -> JSON:
    return {"type": fixed_concept("agent_assembler"), "who": {"display": _agent_name()}}


def sha256_ni_uri(sha256_hex: str) -> str:
    """RFC 6920 named-information URI for a SHA-256 digest given in hex."""
    try:
        digest = bytes.fromhex(sha256_hex.strip())
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise ValueError(f"source_sha256 must be 64 hex digits, got {sha256_hex!r}")
    return "ni:///sha-256;" + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def instant(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("recorded time must be timezone-aware")
    return moment.isoformat(timespec="seconds")


def build_run_provenance(targets: list[Built], ctx: BuildContext, *, source_name: str, source_sha256: str,
                         recorded: dt.datetime) -> Built:
    resource_id, full_url = ctx.mint("Provenance", "run")
    source = {
        "role": "source",
        "what": {
            "identifier": {"system": _URI_SYSTEM, "value": sha256_ni_uri(source_sha256)},
            "display": f"{source_name} (sha256 {source_sha256.strip().lower()})",
        },
    }
    data: JSON = {
        "resourceType": "Provenance",
        "id": resource_id,
        "meta": ctx.meta,
        "target": [reference(b.full_url) for b in targets],
        "recorded": instant(recorded),
        "activity": {"text": f"cliniq-agent extraction run {ctx.run_id}"},
        "agent": [_agent()],
        "entity": [source],
    }
    return Built(FhirProvenance.model_validate(data), full_url)
