"""build_document: the record as a FHIR R4 ``document`` Bundle — an eICR Composition first, then the resources.

The same resources as build_bundle's collection (same ids, one run Provenance), preceded by a Composition shaped
like the HL7 eCR FHIR IG's eICR Composition: type LOINC 55751-2, the patient as subject, the encounter, and one
section per eICR section that has entries (LOINC section codes, kb/fhir/composition_sections.tsv), each with a
generated narrative listing its entries. The author is the document's practitioner or facility when the record
names one, else the engine itself as a Device (the Composition is what the engine assembled).
"""

from __future__ import annotations

import datetime as dt
import html
import uuid
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fhir.resources.R4B.composition import Composition as FhirComposition
from fhir.resources.R4B.device import Device as FhirDevice
from fhir.resources.R4B.reference import Reference

from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.schema import CompactRecord
from cliniq_agent.core.tsv import read_tsv
from cliniq_agent.fhir.builder import build_resources, bundle_json
from cliniq_agent.fhir.elements import ID_NAMESPACE, JSON, Built, fixed_concept, reference
from cliniq_agent.fhir.profiles import claim_profiles, values_at
from cliniq_agent.fhir.tables import system_uri

_AUTHOR_TYPES = ("Practitioner", "PractitionerRole", "Organization")
_XHTML = "http://www.w3.org/1999/xhtml"


@lru_cache(maxsize=1)
def section_rules() -> tuple[dict[str, str], ...]:
    return tuple(read_tsv(kb_path("fhir", "composition_sections.tsv")))


def _section_of(resource: JSON) -> dict[str, str] | None:
    for rule in section_rules():
        if rule["resource"] != resource.get("resourceType"):
            continue
        if rule["when"] == "*":
            return rule
        path, value = rule["when"].split("=", 1)
        if value in values_at(resource, path):
            return rule
    return None


def _label(resource: JSON) -> str:
    """What a narrative line calls a resource: its concept's text or first display, else its type."""
    for key in ("code", "vaccineCode", "medicationCodeableConcept", "type"):
        concept = resource.get(key)
        if isinstance(concept, list):
            concept = concept[0] if concept else None
        if isinstance(concept, dict):
            if concept.get("text"):
                return concept["text"]
            for coding in concept.get("coding", []):
                if coding.get("display") or coding.get("code"):
                    return coding.get("display") or coding["code"]
    return resource["resourceType"]


def _narrative(lines: list[str]) -> JSON:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return {"status": "generated", "div": f'<div xmlns="{_XHTML}"><ul>{items}</ul></div>'}


def _engine_version() -> str:
    try:
        return version("cliniq-agent")
    except PackageNotFoundError:
        return "unknown"


def _engine_device(run_id: str) -> Built:
    device_id = str(uuid.uuid5(ID_NAMESPACE, f"{run_id}|Device|engine"))
    return Built(FhirDevice.model_validate({
        "resourceType": "Device", "id": device_id,
        "deviceName": [{"name": "cliniq-agent", "type": "user-friendly-name"}],
        "version": [{"value": _engine_version()}],
    }), f"urn:uuid:{device_id}")


def _sections(built: list[Built], resources: list[JSON]) -> list[JSON]:
    grouped: dict[str, tuple[dict[str, str], list[tuple[Built, JSON]]]] = {}
    for item, resource in zip(built, resources):
        rule = _section_of(resource)
        if rule is not None:
            grouped.setdefault(rule["code"], (rule, []))[1].append((item, resource))
    order = list(dict.fromkeys(rule["code"] for rule in section_rules()))
    sections = []
    for code in sorted(grouped, key=order.index):
        rule, members = grouped[code]
        entries = []
        for item, _ in members:
            entry = reference(item.full_url)
            if item.trigger:  # eICR trigger-code flag on the entry that lists a triggering order
                entry["extension"] = [item.trigger]
            entries.append(entry)
        sections.append({
            "title": rule["title"],
            "code": {"coding": [{"system": system_uri("loinc"), "code": code, "display": rule["display"]}],
                     "text": rule["title"]},
            "text": _narrative([_label(resource) for _, resource in members]),
            "entry": entries,
        })
    return sections


def build_document(
    record: CompactRecord,
    *,
    run_id: str,
    source_name: str,
    source_sha256: str,
    document_date: str | None = None,
    recorded: dt.datetime | None = None,
) -> dict[str, Any]:
    """FHIR R4 document Bundle (JSON dict): the Composition, build_bundle's resources (same ids), the engine Device
    when it is the author, the run Provenance (its targets include the Composition). Arguments and errors as
    build_bundle."""
    recorded = recorded or dt.datetime.now(dt.timezone.utc)
    built = build_resources(record, run_id=run_id, source_name=source_name, source_sha256=source_sha256,
                            document_date=document_date, recorded=recorded)
    resources, provenance = built[:-1], built[-1]
    as_json = [b.resource.model_dump(mode="json", exclude_none=True) for b in resources]
    first = {}
    for item in resources:
        first.setdefault(item.resource_type, item)
    extra: list[Built] = []
    author = next((first[kind] for kind in _AUTHOR_TYPES if kind in first), None)
    if author is None:
        author = _engine_device(run_id)
        extra.append(author)
    composition_id = str(uuid.uuid5(ID_NAMESPACE, f"{run_id}|Composition|eicr"))
    composition: JSON = {
        "resourceType": "Composition",
        "id": composition_id,
        "meta": {"source": as_json[0]["meta"]["source"]},
        "status": "final",
        "type": fixed_concept("eicr_document"),
        "subject": reference(first["Patient"].full_url),
        "date": recorded.isoformat(timespec="seconds"),
        "author": [reference(author.full_url)],
        "title": f"Public Health Case Report (from {source_name})",
    }
    if "Encounter" in first:
        composition["encounter"] = reference(first["Encounter"].full_url)
    sections = _sections(resources, as_json)
    if sections:
        composition["section"] = sections
    head = Built(FhirComposition.model_validate(composition), f"urn:uuid:{composition_id}")
    provenance.resource.target += [Reference(reference=b.full_url) for b in (head, *extra)]
    document_id = str(uuid.uuid5(ID_NAMESPACE, f"{run_id}|Bundle|document"))
    data = bundle_json([head, *resources, *extra, provenance], bundle_id=document_id, kind="document",
                       recorded=recorded)
    return claim_profiles(data)
