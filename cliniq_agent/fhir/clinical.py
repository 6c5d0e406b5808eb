"""Condition, MedicationStatement and Immunization resources."""

from __future__ import annotations

from fhir.resources.R4B.condition import Condition as FhirCondition
from fhir.resources.R4B.immunization import Immunization as FhirImmunization
from fhir.resources.R4B.medicationstatement import MedicationStatement as FhirMedicationStatement

from cliniq_agent.fhir import tables
from cliniq_agent.fhir.elements import (
    JSON, BuildContext, Built, coding, fixed_concept, item_concept, original_text, put_date, text_or,
)
from cliniq_agent.fhir.tables import norm_text
from cliniq_agent.core.schema import Condition, Evidence, Immunization, Med


def map_status(domain: str, written: str | None, *, default_key: str = "*") -> tuple[str, str | None]:
    """(FHIR status code, written text to keep when it was not recognised)."""
    table = tables.statuses()[domain]
    text = text_or(written)
    if text is None:
        return table[default_key], None
    code = table.get(norm_text(text))
    return (code, None) if code is not None else (table[default_key], text)


def set_status(data: JSON, domain: str, written: str | None, *, default_key: str = "*") -> None:
    code, unrecognised = map_status(domain, written, default_key=default_key)
    data["status"] = code
    if unrecognised is not None:
        data["_status"] = original_text(unrecognised)


def condition_category(evidence: list[Evidence]) -> str:
    where = " ".join(filter(None, (part for ev in evidence for part in (ev.locator, ev.rule))))
    for pattern, key in tables.condition_categories():
        if pattern.search(where):
            return key
    return "cond_encounter_diagnosis"


def _condition_statuses(written: str | None) -> tuple[JSON | None, JSON | None]:
    """clinicalStatus / verificationStatus concepts; unrecognised text is kept as clinicalStatus.text."""
    table = tables.condition_statuses()
    text = text_or(written)
    key = norm_text(text) if text else "*"
    clinical, verification = table.get(key, table["*"])
    unrecognised = text if text and key not in table else None

    def status_concept(system: str, code: str | None, keep: str | None) -> JSON | None:
        if code is None:
            return None
        result: JSON = {"coding": [{"system": tables.system_uri(system), "code": code}]}
        if keep:
            result["text"] = keep
        return result

    return (
        status_concept("cond_clinical", clinical, unrecognised),
        status_concept("cond_verification", verification, None),
    )


def build_condition(item: Condition, index: int, ctx: BuildContext) -> Built:
    code = item_concept([coding("snomed", item.snomed), coding("icd10", item.icd10)], item.translations,
                        item.original_text, item.name, item.snomed, item.icd10)
    resource_id, full_url = ctx.mint("Condition", f"{index}:{item.snomed or item.icd10 or item.name}")
    data: JSON = {
        "resourceType": "Condition",
        "id": resource_id,
        "meta": ctx.meta,
        "category": [fixed_concept(condition_category(item.evidence))],
        "subject": ctx.patient_ref,
    }
    clinical, verification = _condition_statuses(item.status)
    if clinical:
        data["clinicalStatus"] = clinical
    if verification:
        data["verificationStatus"] = verification
    if code:
        data["code"] = code
    if ctx.encounter_ref:
        data["encounter"] = ctx.encounter_ref
    onset = text_or(item.onset)
    if onset:
        probe: JSON = {}
        put_date(probe, "onsetDateTime", onset)
        if "onsetDateTime" in probe:
            data.update(probe)
        else:
            data["onsetString"] = onset  # Condition allows a string onset: keep it as written
    return Built(FhirCondition.model_validate(data), full_url, list(item.evidence))


def build_medication(item: Med, index: int, ctx: BuildContext) -> Built:
    resource_id, full_url = ctx.mint("MedicationStatement", f"{index}:{item.rxnorm or item.name}")
    data: JSON = {
        "resourceType": "MedicationStatement",
        "id": resource_id,
        "meta": ctx.meta,
        "medicationCodeableConcept": medication_concept(item),
        "subject": ctx.patient_ref,
    }
    set_status(data, "med", item.status)
    if ctx.encounter_ref:
        data["context"] = ctx.encounter_ref
    if dosage := medication_dosage(item):
        data["dosage"] = [dosage]
    return Built(FhirMedicationStatement.model_validate(data), full_url, list(item.evidence))


def medication_concept(item: Med) -> JSON:
    """The medication's CodeableConcept (RxNorm, its translations, its original text), or a placeholder text."""
    return (item_concept([coding("rxnorm", item.rxnorm)], item.translations, item.original_text, item.name,
                         item.rxnorm)
            or {"text": "medication (not named)"})


def medication_dosage(item: Med) -> JSON:
    """The dose text and route as written (empty when neither is known); shared by statements and administrations."""
    dosage: JSON = {}
    if text_or(item.dose):
        dosage["text"] = text_or(item.dose)
    if text_or(item.route):
        dosage["route"] = {"text": text_or(item.route)}
    return dosage


def build_immunization(item: Immunization, index: int, ctx: BuildContext) -> Built:
    resource_id, full_url = ctx.mint("Immunization", f"{index}:{item.cvx or item.name}")
    data: JSON = {
        "resourceType": "Immunization",
        "id": resource_id,
        "meta": ctx.meta,
        "vaccineCode": item_concept([coding("cvx", item.cvx)], item.translations, item.original_text, item.name,
                                    item.cvx)
        or {"text": "vaccine (not named)"},
        "patient": ctx.patient_ref,
    }
    set_status(data, "immunization", item.status)
    if ctx.encounter_ref:
        data["encounter"] = ctx.encounter_ref
    written = text_or(item.date)
    probe: JSON = {}
    put_date(probe, "occurrenceDateTime", written)
    if "occurrenceDateTime" in probe:
        data.update(probe)
    else:
        # occurrence[x] is 1..1 in R4: a date we cannot parse, or none at all, goes in occurrenceString.
        data["occurrenceString"] = written or "unknown"
    return Built(FhirImmunization.model_validate(data), full_url, list(item.evidence))
