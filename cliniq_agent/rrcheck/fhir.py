"""The RR's determinations in the FHIR Bundle: one Observation per condition and jurisdiction.

Chosen over an extension: a determination is a public-health agency's observation about the case (code RR1,
value RRVS1-4), which FHIR readers query like any other Observation; the rule text, timeframe, agencies and the
RR's condition code are components; the cross-check status (both / engine only / RR only) and the reason are a
note. ``method`` says the agency determined it, so it is never mistaken for the engine's own inference (the
engine's reportable conditions stay the Observations built by cliniq_agent.fhir.reportable).
"""

from __future__ import annotations

import tomllib
import uuid
from functools import lru_cache
from typing import Any

from fhir.resources.R4B.observation import Observation

from cliniq_agent.core.code_systems import system_uri
from cliniq_agent.fhir.elements import ID_NAMESPACE
from cliniq_agent.core.resources import kb_path
from cliniq_agent.rrcheck.models import Determination, RrCheck, RrCheckItem

METHOD_TEXT = "Determined by a public health agency in the Reportability Response (not inferred by cliniq-agent)"


@lru_cache(maxsize=1)
def _codes() -> dict[str, Any]:
    return tomllib.loads(kb_path("rrcheck", "rr.toml").read_text(encoding="utf-8"))["fhir"]


def _question(entry: dict[str, str]) -> dict[str, Any]:
    return {"coding": [{"system": _codes()["question_system"], "code": entry["code"], "display": entry["display"]}]}


def with_rr_observations(bundle: dict[str, Any] | None, check: RrCheck, run_id: str) -> dict[str, Any] | None:
    """``bundle`` plus the RR determination Observations (idempotent: ids derive from the run id)."""
    if bundle is None:
        return None
    entries = bundle.setdefault("entry", [])
    present = {entry.get("fullUrl") for entry in entries}
    patient = next((e["fullUrl"] for e in entries if e.get("resource", {}).get("resourceType") == "Patient"), None)
    for item in check.items:
        for index, determination in enumerate(item.determinations):
            resource_id = str(uuid.uuid5(ID_NAMESPACE, f"{run_id}|rr-determination|{item.group}|{index}"))
            full_url = f"urn:uuid:{resource_id}"
            if full_url not in present:
                resource = _observation(resource_id, item, determination, patient)
                entries.append({"fullUrl": full_url, "resource": resource})
    return bundle


def _observation(resource_id: str, item: RrCheckItem, determination: Determination,
                 patient: str | None) -> dict[str, Any]:
    codes = _codes()
    rr_code = determination.condition_code or next(iter(item.rr_codes), item.group)
    components: list[dict[str, Any]] = [{
        "code": {"coding": [{key: codes["condition"][key] for key in ("system", "code", "display")}]},
        "valueCodeableConcept": {"coding": [{"system": system_uri("snomed"), "code": rr_code}]},
    }]
    components += [{"code": _question(codes["rule"]), "valueString": rule} for rule in determination.rules]
    if determination.timeframe:
        components.append({"code": _question(codes["timeframe"]), "valueString": determination.timeframe})
    if determination.location_relevance:
        components.append({"code": _question(codes["location_relevance"]),
                           "valueString": determination.location_relevance})
    for agency in determination.agencies:
        if agency.name and agency.role in codes["agencies"]:
            components.append({"code": _question(codes["agencies"][agency.role]), "valueString": agency.name})
    value: dict[str, Any] = {"text": determination.label or determination.code or "no determination"}
    if determination.code:
        value["coding"] = [{"system": codes["value_system"], "code": determination.code,
                            **({"display": determination.label} if determination.label else {})}]
    note = f"cliniq-agent cross-check: {item.status}; condition group {item.group_name or item.group} ({item.group})"
    if item.engine_codes:
        note += f"; engine: {', '.join(item.engine_codes)}"
    if item.reason:
        note += f"; not raised by the engine: {item.reason_text}" + (f" ({item.reason_detail})" if item.reason_detail else "")
    data: dict[str, Any] = {
        "resourceType": "Observation", "id": resource_id, "status": "final",
        "code": _question(codes["determination"]), "valueCodeableConcept": value,
        "component": components, "method": {"text": METHOD_TEXT}, "note": [{"text": note}],
    }
    if patient:
        data["subject"] = {"reference": patient}
    return Observation.model_validate(data).model_dump(mode="json", exclude_none=True)
