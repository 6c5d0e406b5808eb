"""Reportable conditions inferred by the engine, shaped like the eCR IG's RR Relevant Reportable Condition
Observation (code SNOMED 64572001 + LOINC 75323-6, value = SNOMED condition; supportingInfo extension pointing
at the resources that carried the trigger codes).

The RR profile itself is not claimed in meta.profile: it describes a public-health agency's determination and
requires hasMember → RR Reportability Information Observation, which this engine does not (and must not) produce.
"""

from __future__ import annotations

from fhir.resources.R4B.observation import Observation as FhirObservation

from cliniq_agent.core.code_systems import code_systems, resolve
from cliniq_agent.fhir import tables
from cliniq_agent.fhir.elements import (
    JSON, BuildContext, Built, coding, concept, fixed_coding, reference,
)
from cliniq_agent.core.schema import Reportable, Trigger
from cliniq_agent.validate import normalize_code

METHOD_TEXT = (
    "Inferred by cliniq-agent from trigger codes in the case report; "
    "not a reportability determination by a public health agency"
)

CodeIndex = dict[tuple[str, str], list[str]]


def code_key(system: str, code: str) -> tuple[str, str] | None:
    """(code-system key, normalised code) for any spelling of the system; None for an unknown system."""
    key = resolve(system)
    if key is None:
        return None
    return key, normalize_code(key, code) if code_systems()[key].checked else code.strip()


def _trigger_text(trigger: Trigger) -> str:
    text = f"{trigger.system} {trigger.code}"
    if trigger.display:
        text += f" ({trigger.display})"
    if trigger.source:
        text += f" from {trigger.source}"
    return text


def build_reportable(item: Reportable, index: int, ctx: BuildContext, codes: CodeIndex) -> Built:
    resource_id, full_url = ctx.mint("Observation", f"reportable:{index}:{item.snomed}")
    supporting: list[str] = []
    for trigger in item.triggers:
        key = code_key(trigger.system, trigger.code)
        for url in codes.get(key, []) if key else []:
            if url not in supporting:
                supporting.append(url)
    data: JSON = {
        "resourceType": "Observation",
        "id": resource_id,
        "meta": ctx.meta,
        "status": "final",
        "code": {
            "coding": [fixed_coding("reportable_condition_sct"), fixed_coding("reportable_condition_loinc")],
            "text": "Reportable condition",
        },
        "subject": ctx.patient_ref,
        "valueCodeableConcept": concept([coding("snomed", item.snomed)], item.name)
        or {"text": item.snomed},
        "method": {"text": METHOD_TEXT},
    }
    if ctx.encounter_ref:
        data["encounter"] = ctx.encounter_ref
    if supporting:
        url = tables.extension_urls()["supporting_info"]
        data["extension"] = [{"url": url, "valueReference": reference(target)} for target in supporting]
    notes = [f"Confidence {item.confidence:.2f}"]
    if item.triggers:
        notes.append("Trigger codes: " + "; ".join(_trigger_text(t) for t in item.triggers))
    data["note"] = [{"text": note} for note in notes]
    return Built(FhirObservation.model_validate(data), full_url, [])
