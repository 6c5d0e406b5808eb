"""Practitioner, PractitionerRole and Organization resources for the record's practitioners (issue 11).

One Practitioner per person; one PractitionerRole per person naming what they did (author, performer,
responsible party …) and the Organization they act for. An organization already in the bundle (the
encounter's service provider, same name) is referenced rather than repeated. An NPI becomes an identifier
in the us-npi system only when its check digit holds; otherwise the number is kept without a system.
"""

from __future__ import annotations

from fhir.resources.R4B.organization import Organization as FhirOrganization
from fhir.resources.R4B.practitioner import Practitioner as FhirPractitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole as FhirPractitionerRole

from cliniq_agent.fhir import tables
from cliniq_agent.fhir.demographics import human_name, npi_valid
from cliniq_agent.fhir.elements import JSON, BuildContext, Built, reference, text_or
from cliniq_agent.core.schema import Practitioner


def _npi_identifier(value: str | None) -> list[JSON] | None:
    if not text_or(value):
        return None
    ident: JSON = {"value": value.strip()}  # type: ignore[union-attr]
    if npi_valid(value.strip()):  # type: ignore[union-attr]
        ident["system"] = tables.system_uri("npi")
    return [ident]


def build_people(people: list[Practitioner], ctx: BuildContext, organizations: dict[str, str]) -> list[Built]:
    """``organizations``: lower-cased name -> fullUrl of Organizations already built (extended here)."""
    built: list[Built] = []
    for index, person in enumerate(people):
        resource_id, full_url = ctx.mint("Practitioner", f"{index}:{person.npi or person.name}")
        data: JSON = {"resourceType": "Practitioner", "id": resource_id, "meta": ctx.meta}
        ident = _npi_identifier(person.npi)
        if ident:
            data["identifier"] = ident
        if text_or(person.name):
            data["name"] = [human_name(text_or(person.name))]  # type: ignore[arg-type]
        if text_or(person.phone):
            data["telecom"] = [{"system": "phone", "value": text_or(person.phone), "use": "work"}]
        if text_or(person.address):
            data["address"] = [{"text": text_or(person.address)}]
        built.append(Built(FhirPractitioner.model_validate(data), full_url, list(person.evidence)))
        org_url = _organization(person, index, ctx, organizations, built)
        role_id, role_url = ctx.mint("PractitionerRole", f"{index}:{person.npi or person.name}")
        role: JSON = {"resourceType": "PractitionerRole", "id": role_id, "meta": ctx.meta,
                      "practitioner": reference(full_url, text_or(person.name))}
        if org_url:
            role["organization"] = reference(org_url, text_or(person.organization))
        if person.roles:
            role["code"] = [{"text": name} for name in person.roles]
        built.append(Built(FhirPractitionerRole.model_validate(role), role_url, list(person.evidence)))
    return built


def _organization(person: Practitioner, index: int, ctx: BuildContext, organizations: dict[str, str],
                  built: list[Built]) -> str | None:
    name, npi = text_or(person.organization), text_or(person.organization_npi)
    if name is None and npi is None:
        return None
    key = (name or npi or "").casefold()
    if key in organizations:
        return organizations[key]
    resource_id, full_url = ctx.mint("Organization", f"practitioner:{index}:{name or npi}")
    data: JSON = {"resourceType": "Organization", "id": resource_id, "meta": ctx.meta}
    ident = _npi_identifier(npi)
    if ident:
        data["identifier"] = ident
    if name:
        data["name"] = name
    built.append(Built(FhirOrganization.model_validate(data), full_url, list(person.evidence)))
    organizations[key] = full_url
    return full_url
