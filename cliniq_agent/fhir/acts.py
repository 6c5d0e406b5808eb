"""AllergyIntolerance, Procedure, ServiceRequest, MedicationRequest, MedicationAdministration and DiagnosticReport
resources from the compact record's CDA-act lists (issue 11)."""

from __future__ import annotations

from functools import lru_cache

from fhir.resources.R4B.allergyintolerance import AllergyIntolerance as FhirAllergyIntolerance
from fhir.resources.R4B.diagnosticreport import DiagnosticReport as FhirDiagnosticReport
from fhir.resources.R4B.medicationadministration import MedicationAdministration as FhirMedicationAdministration
from fhir.resources.R4B.medicationrequest import MedicationRequest as FhirMedicationRequest
from fhir.resources.R4B.procedure import Procedure as FhirProcedure
from fhir.resources.R4B.servicerequest import ServiceRequest as FhirServiceRequest

from cliniq_agent.fhir import tables
from cliniq_agent.fhir.clinical import map_status, medication_concept, medication_dosage, set_status
from cliniq_agent.fhir.elements import (
    JSON, BuildContext, Built, concept, extra_codings, put_date, reference, text_or,
)
from cliniq_agent.core.schema import Allergy, Code, EntryId, Med, Order, Procedure, Report

_RFC3986 = "urn:ietf:rfc:3986"


@lru_cache(maxsize=1)
def act_codes() -> dict[str, JSON]:
    """kb/fhir/act_codes.tsv: key -> {system, code, display} (system is a full URI)."""
    return {row["key"]: {"system": row["system"], "code": row["code"], "display": row["display"]}
            for row in tables.read_tsv("act_codes.tsv")}


def act_concept(codes: list[Code], text: str | None) -> JSON | None:
    """Every coding the document gave (a code failing its system's check is left out), and the text."""
    return concept(extra_codings(codes, []), text)  # type: ignore[arg-type]


def identifier(entry_id: EntryId | None) -> list[JSON] | None:
    """CDA II -> Identifier: a bare UUID root is urn:uuid (RFC 3986); root + extension is urn:oid:root + value."""
    if entry_id is None:
        return None
    root = entry_id.root.strip()
    if entry_id.extension:
        system = root if ":" in root else f"urn:oid:{root}"
        return [{"system": system, "value": entry_id.extension}]
    if len(root) == 36 and root.count("-") == 4:
        return [{"system": _RFC3986, "value": f"urn:uuid:{root.lower()}"}]
    return [{"system": _RFC3986, "value": f"urn:oid:{root}"}]


def _base(kind: str, identity: str, item, ctx: BuildContext) -> tuple[JSON, str]:
    resource_id, full_url = ctx.mint(kind, identity)
    data: JSON = {"resourceType": kind, "id": resource_id, "meta": ctx.meta}
    ident = identifier(item.entry_id) if hasattr(item, "entry_id") else None
    if ident:
        data["identifier"] = ident
    return data, full_url


def _identity(index: int, codes: list[Code], name: str | None) -> str:
    return f"{index}:{codes[0].system}|{codes[0].code}" if codes else f"{index}:{name}"


def build_allergy(item: Allergy, index: int, ctx: BuildContext) -> Built:
    data, full_url = _base("AllergyIntolerance", _identity(index, item.codes, item.name), item, ctx)
    code, unrecognised = map_status("allergy", item.status)
    data["clinicalStatus"] = {"coding": [act_codes()[f"allergy_{code}"]]}
    if unrecognised:
        data["clinicalStatus"]["text"] = unrecognised
    data["verificationStatus"] = {"coding": [act_codes()["allergy_confirmed"]]}
    if item.type:
        data["type"] = item.type
    if item.category:
        data["category"] = [item.category]
    if item.criticality:
        data["criticality"] = item.criticality
    data["code"] = act_concept(item.codes, text_or(item.name)) or {"text": "substance (not named)"}
    data["patient"] = ctx.patient_ref
    if ctx.encounter_ref:
        data["encounter"] = ctx.encounter_ref
    put_date(data, "onsetDateTime", item.onset)
    if item.reactions:
        reaction: JSON = {"manifestation": [{"text": name} for name in item.reactions]}
        if item.severity:
            reaction["severity"] = item.severity
        data["reaction"] = [reaction]
    return Built(FhirAllergyIntolerance.model_validate(data), full_url, list(item.evidence))


def build_procedure(item: Procedure, index: int, ctx: BuildContext) -> Built:
    data, full_url = _base("Procedure", _identity(index, item.codes, item.name), item, ctx)
    set_status(data, "procedure", item.status)
    data["code"] = act_concept(item.codes, text_or(item.name)) or {"text": "procedure (not named)"}
    data["subject"] = ctx.patient_ref
    if ctx.encounter_ref:
        data["encounter"] = ctx.encounter_ref
    if item.end:
        period: JSON = {}
        put_date(period, "start", item.date)
        put_date(period, "end", item.end)
        data["performedPeriod"] = period
    else:
        put_date(data, "performedDateTime", item.date)
    return Built(FhirProcedure.model_validate(data), full_url, list(item.evidence))


def trigger_flag(item: Order) -> JSON | None:
    """eICR Trigger Code Flag extension for this order (for Composition.section.entry, the context the eCR IG
    allows); None unless the document named the RCTC value set and its version (both 1..1 in the extension)."""
    if not item.trigger or not item.value_set or not item.value_set_version or not item.codes:
        return None
    trigger = act_concept(item.codes[:1], None)
    if not trigger:
        return None
    return {"url": act_codes()["trigger_flag"]["system"], "extension": [
        {"url": "triggerCodeValueSet", "valueOid": f"urn:oid:{item.value_set}"},
        {"url": "triggerCodeValueSetVersion", "valueString": item.value_set_version},
        {"url": "triggerCode", "valueCoding": trigger["coding"][0]},
    ]}


def build_order(item: Order, index: int, ctx: BuildContext) -> Built:
    """A medication order is a MedicationRequest, anything else a ServiceRequest."""
    if item.kind == "medication":
        return _medication_request(item, index, ctx)
    data, full_url = _base("ServiceRequest", _identity(index, item.codes, item.name), item, ctx)
    set_status(data, "service_request", item.status)
    data["intent"] = item.intent
    if item.kind == "lab":
        data["category"] = [{"coding": [act_codes()["order_lab"]]}]
    data["code"] = act_concept(item.codes, text_or(item.name)) or {"text": f"{item.kind} (not named)"}
    data["subject"] = ctx.patient_ref
    if ctx.encounter_ref:
        data["encounter"] = ctx.encounter_ref
    put_date(data, "occurrenceDateTime", item.date)
    built = Built(FhirServiceRequest.model_validate(data), full_url, list(item.evidence))
    built.trigger = trigger_flag(item)
    return built


def _medication_request(item: Order, index: int, ctx: BuildContext) -> Built:
    data, full_url = _base("MedicationRequest", _identity(index, item.codes, item.name), item, ctx)
    set_status(data, "med_request", item.status)
    data["intent"] = item.intent
    data["medicationCodeableConcept"] = act_concept(item.codes, text_or(item.name)) or {"text": "medication (not named)"}
    data["subject"] = ctx.patient_ref
    if ctx.encounter_ref:
        data["encounter"] = ctx.encounter_ref
    put_date(data, "authoredOn", item.date)
    dosage: JSON = {}
    if text_or(item.dose):
        dosage["text"] = text_or(item.dose)
    if text_or(item.route):
        dosage["route"] = {"text": text_or(item.route)}
    if dosage:
        data["dosageInstruction"] = [dosage]
    built = Built(FhirMedicationRequest.model_validate(data), full_url, list(item.evidence))
    built.trigger = trigger_flag(item)
    return built


def build_administration(item: Med, index: int, ctx: BuildContext) -> Built | None:
    """A medication the record says was administered (Medications Administered section: given during the
    encounter). effective[x] is 1..1 and the compact medication carries no administration time, so the period
    starts at the encounter (else document) date; with neither there is no honest MedicationAdministration and
    None is returned (the caller keeps the MedicationStatement)."""
    start = ctx.clinical_date()
    if start is None:
        return None
    resource_id, full_url = ctx.mint("MedicationAdministration", f"{index}:{item.rxnorm or item.name}")
    data: JSON = {
        "resourceType": "MedicationAdministration", "id": resource_id, "meta": ctx.meta,
        "medicationCodeableConcept": medication_concept(item),
        "subject": ctx.patient_ref,
        "effectivePeriod": {"start": start.value},
    }
    set_status(data, "med_admin", item.status)
    if ctx.encounter_ref:
        data["context"] = ctx.encounter_ref
    if dosage := medication_dosage(item):
        data["dosage"] = dosage
    return Built(FhirMedicationAdministration.model_validate(data), full_url, list(item.evidence))


def build_report(item: Report, index: int, ctx: BuildContext, observations: dict[str, str]) -> Built:
    """DiagnosticReport whose ``result`` lists the Observations built from the organizer's member entries
    (matched by the source locator each lab carries in its evidence)."""
    data, full_url = _base("DiagnosticReport", _identity(index, item.codes, item.name), item, ctx)
    set_status(data, "report", item.status)
    data["category"] = [{"coding": [act_codes()["report_lab"]]}]
    data["code"] = act_concept(item.codes, text_or(item.name)) or {"text": "laboratory report (not named)"}
    data["subject"] = ctx.patient_ref
    if ctx.encounter_ref:
        data["encounter"] = ctx.encounter_ref
    put_date(data, "effectiveDateTime", item.date)
    results = list(dict.fromkeys(observations[loc] for loc in item.results if loc in observations))
    if results:
        data["result"] = [reference(url) for url in results]
    return Built(FhirDiagnosticReport.model_validate(data), full_url, list(item.evidence))
