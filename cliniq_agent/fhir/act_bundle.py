"""The issue-11 part of build_bundle: the record's CDA-act lists as resources, and the links between resources
the compact record keeps only implicitly (a report's member observations, the encounter's diagnoses)."""

from __future__ import annotations

from functools import lru_cache

import regex
from fhir.resources.R4B.encounter import Encounter as FhirEncounter

from cliniq_agent.fhir import tables
from cliniq_agent.fhir.acts import build_administration, build_allergy, build_order, build_procedure, build_report
from cliniq_agent.fhir.elements import BuildContext, Built, reference, text_or
from cliniq_agent.fhir.people import build_people
from cliniq_agent.fhir.tables import norm_text
from cliniq_agent.core.schema import CompactRecord, Med


def build_medication_event(item: Med, index: int, ctx: BuildContext) -> Built | None:
    """MedicationAdministration for a medication the record says was administered; None otherwise (the
    caller builds the MedicationStatement)."""
    if text_or(item.status) and norm_text(item.status) == "administered":  # type: ignore[arg-type]
        return build_administration(item, index, ctx)
    return None


def build_act_resources(record: CompactRecord, ctx: BuildContext, built: list[Built]) -> list[Built]:
    """Allergies, procedures, orders, reports and practitioners; ``built`` (the resources so far) supplies the
    Observations a report lists and the Organizations already present."""
    out: list[Built] = [build_allergy(item, i, ctx) for i, item in enumerate(record.allergies)]
    out += [build_procedure(item, i, ctx) for i, item in enumerate(record.procedures)]
    out += [build_order(item, i, ctx) for i, item in enumerate(record.orders)]
    observations = {ev.locator: b.full_url for b in built if b.resource_type == "Observation"
                    for ev in b.evidence if ev.locator}
    out += [build_report(item, i, ctx, observations) for i, item in enumerate(record.reports)]
    organizations = {b.resource.name.casefold(): b.full_url for b in built
                     if b.resource_type == "Organization" and getattr(b.resource, "name", None)}
    out += build_people(record.practitioners, ctx, organizations)
    return out


@lru_cache(maxsize=1)
def _diagnosis_patterns() -> tuple[regex.Pattern[str], ...]:
    return tuple(regex.compile(row["pattern"], regex.IGNORECASE) for row in tables.read_tsv("encounter_diagnosis.tsv"))


def link_diagnoses(encounter: Built | None, built: list[Built]) -> None:
    """Encounter.diagnosis -> the Conditions read from the encounter's diagnosis entries (kb/fhir/encounter_diagnosis.tsv)."""
    if encounter is None:
        return
    patterns = _diagnosis_patterns()
    diagnoses = [b.full_url for b in built if b.resource_type == "Condition" and any(
        pattern.search(f"{ev.locator or ''} {ev.rule or ''}") for ev in b.evidence for pattern in patterns)]
    if not diagnoses:
        return
    data = encounter.resource.model_dump(mode="json", exclude_none=True)
    data["diagnosis"] = [{"condition": reference(url)} for url in diagnoses]
    encounter.resource = FhirEncounter.model_validate(data)
