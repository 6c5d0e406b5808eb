"""Patient, Organization and Encounter resources from the compact record's header fields."""

from __future__ import annotations

import regex
from fhir.resources.R4B.encounter import Encounter as FhirEncounter
from fhir.resources.R4B.organization import Organization as FhirOrganization
from fhir.resources.R4B.patient import Patient as FhirPatient

from cliniq_agent.fhir import tables
from cliniq_agent.fhir.elements import (
    JSON, BuildContext, Built, concept, original_text, put_date, reference, text_or,
)
from cliniq_agent.fhir.tables import norm_text
from cliniq_agent.core.schema import Encounter, Patient

_NAME_TOKEN = r"[^\W\d_][^\W\d_'’.-]*(?:['’-][^\W\d_]+)*\.?"
_FAMILY_FIRST = regex.compile(
    rf"^(?P<family>{_NAME_TOKEN}(?:\s+{_NAME_TOKEN})?)\s*,\s*(?P<given>{_NAME_TOKEN}(?:\s+{_NAME_TOKEN}){{0,2}})$"
)
_NPI = regex.compile(r"^\d{10}$")


def npi_valid(value: str) -> bool:
    """NPI check digit: Luhn over the number prefixed with 80840 (CMS NPI standard)."""
    if not _NPI.match(value):
        return False
    total = 0
    for position, char in enumerate(reversed("80840" + value)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            digit = digit // 10 + digit % 10
        total += digit
    return total % 10 == 0


def human_name(text: str) -> JSON:
    """HumanName with the text as written; family/given only for the explicit "Family, Given" form.

    "Given Family" order is not assumed: it is wrong for Vietnamese, Chinese or Hungarian names and for
    two-part Hispanic surnames, all common in case reports.
    """
    name: JSON = {"text": text}
    match = _FAMILY_FIRST.match(text)
    if match:
        name["family"] = match["family"]
        name["given"] = match["given"].split()
    return name


def _omb_extension(kind: str, written: str) -> JSON:
    """US Core race/ethnicity extension: ombCategory when the text is an OMB category, always ``text``."""
    url = tables.extension_urls()[f"us_core_{kind}"]
    parts: list[JSON] = []
    code = tables.race_ethnicity().get((kind, norm_text(written)))
    if code is not None:
        parts.append({
            "url": "ombCategory",
            "valueCoding": {"system": tables.system_uri(code.system), "code": code.code, "display": code.display},
        })
    parts.append({"url": "text", "valueString": written})
    return {"url": url, "extension": parts}


def build_patient(patient: Patient, ctx: BuildContext) -> Built:
    resource_id, full_url = ctx.mint("Patient", "patient")
    data: JSON = {"resourceType": "Patient", "id": resource_id, "meta": ctx.meta}
    extensions = [
        _omb_extension(kind, value.strip())
        for kind, value in (("race", patient.race), ("ethnicity", patient.ethnicity))
        if value and value.strip()
    ]
    if extensions:
        data["extension"] = extensions
    if text_or(patient.name):
        data["name"] = [human_name(text_or(patient.name))]  # type: ignore[arg-type]
    if text_or(patient.phone):
        data["telecom"] = [{"system": "phone", "value": text_or(patient.phone)}]
    if text_or(patient.gender):
        written = text_or(patient.gender)
        code = tables.genders().get(written.casefold())  # type: ignore[union-attr]
        data["gender"] = code or "unknown"
        if code is None:
            data["_gender"] = original_text(written)  # type: ignore[arg-type]
    put_date(data, "birthDate", patient.dob, date_only=True)
    if text_or(patient.address):
        data["address"] = [{"text": text_or(patient.address)}]
    resource = FhirPatient.model_validate(data)
    ctx.patient_ref = reference(full_url)
    return Built(resource, full_url, list(patient.evidence))


def build_organization(encounter: Encounter, ctx: BuildContext) -> Built | None:
    name, facility_id = text_or(encounter.facility), text_or(encounter.facility_id)
    if name is None and facility_id is None:
        return None
    resource_id, full_url = ctx.mint("Organization", "service-provider")
    data: JSON = {"resourceType": "Organization", "id": resource_id, "meta": ctx.meta}
    if facility_id is not None:
        identifier: JSON = {"value": facility_id}
        if npi_valid(facility_id):
            identifier["system"] = tables.system_uri("npi")
        data["identifier"] = [identifier]
    if name is not None:
        data["name"] = name
    return Built(FhirOrganization.model_validate(data), full_url, list(encounter.evidence))


def encounter_class(type_text: str | None) -> JSON:
    for pattern, code in tables.encounter_classes():
        if type_text and pattern.search(type_text):
            break
    else:
        code = next(c for _, c in tables.encounter_classes() if c.code == "AMB")
    return {"system": tables.system_uri(code.system), "code": code.code, "display": code.display}


def build_encounter(encounter: Encounter, ctx: BuildContext, organization: Built | None) -> Built | None:
    """Encounter when the record says anything about the visit; None for an empty encounter block."""
    fields = (encounter.date, encounter.end, encounter.type, encounter.reason)
    if organization is None and not any(text_or(value) for value in fields):
        return None
    resource_id, full_url = ctx.mint("Encounter", "encounter")
    data: JSON = {
        "resourceType": "Encounter",
        "id": resource_id,
        "meta": ctx.meta,
        "status": "finished",
        "class": encounter_class(encounter.type),
        "subject": ctx.patient_ref,
    }
    type_concept = concept([], encounter.type)
    if type_concept:
        data["type"] = [type_concept]
    period: JSON = {}
    put_date(period, "start", encounter.date)
    put_date(period, "end", encounter.end)
    if period:
        data["period"] = period
    reason = concept([], encounter.reason)
    if reason:
        data["reasonCode"] = [reason]
    if organization is not None:
        data["serviceProvider"] = reference(organization.full_url)
    resource = FhirEncounter.model_validate(data)
    ctx.encounter_ref = reference(full_url)
    return Built(resource, full_url, list(encounter.evidence))
