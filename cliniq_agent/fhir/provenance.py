"""Provenance resources: where every resource in the bundle came from.

* one run Provenance whose targets are all resources, with the source document (name + SHA-256 as an
  RFC 6920 ``ni:`` URI) as its ``source`` entity and cliniq-agent as assembler;
* one Provenance per resource that has evidence, each Evidence becoming an entity (role ``quotation`` when it
  quotes source text, else ``source``) whose display tells tier, rule, span, score and text and whose
  identifier holds the locator (XPath or line); inferred resources list what they were derived from.
"""

from __future__ import annotations

import base64
import datetime as dt
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

from fhir.resources.R4B.provenance import Provenance as FhirProvenance

from cliniq_agent.fhir.elements import JSON, BuildContext, Built, fixed_concept, reference
from cliniq_agent.core.schema import Evidence

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


def evidence_display(evidence: Evidence) -> str:
    parts = [evidence.tier.value]
    if evidence.rule:
        parts.append(f"rule {evidence.rule}")
    if evidence.span is not None:
        parts.append(f"chars {evidence.span[0]}-{evidence.span[1]}")
    if evidence.score is not None:
        parts.append(f"score {evidence.score:.3f}")
    text = "; ".join(parts)
    if evidence.text:
        text += f': "{evidence.text}"'
    return text


def _evidence_entity(evidence: Evidence) -> JSON:
    what: JSON = {"display": evidence_display(evidence)}
    if evidence.locator:
        what["identifier"] = {"value": evidence.locator}
    return {"role": "quotation" if evidence.text else "source", "what": what}


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


def build_item_provenance(target: Built, ctx: BuildContext, *, recorded: dt.datetime) -> Built | None:
    """Per-resource evidence Provenance; None when the resource has no evidence and was not inferred."""
    entities = [_evidence_entity(ev) for ev in target.evidence]
    entities += [{"role": "derivation", "what": reference(url)} for url in target.derived_from]
    if not entities:
        return None
    resource_id, full_url = ctx.mint("Provenance", f"evidence:{target.full_url}")
    data: JSON = {
        "resourceType": "Provenance",
        "id": resource_id,
        "meta": ctx.meta,
        "target": [reference(target.full_url)],
        "recorded": instant(recorded),
        "agent": [_agent()],
        "entity": entities,
    }
    return Built(FhirProvenance.model_validate(data), full_url)
