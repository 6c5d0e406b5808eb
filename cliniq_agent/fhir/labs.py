"""Laboratory result Observations (category laboratory, LOINC code, typed value, interpretation, specimen)."""

from __future__ import annotations

import regex
from fhir.resources.R4B.observation import Observation as FhirObservation

from cliniq_agent.fhir import tables
from cliniq_agent.fhir.clinical import set_status
from cliniq_agent.fhir.elements import (
    JSON, BuildContext, Built, coding, concept, extra_codings, item_concept, observation, put_date, quantity, text_or,
)
from cliniq_agent.fhir.values import ParsedNumber, number_problem, parse_number
from cliniq_agent.core.schema import CodeIssue, Lab


_UNIT_START = regex.compile(r"^[^\W\d_]|^[%/\[{µ°º]")


def _numeric(lab: Lab) -> tuple[ParsedNumber, str | None] | None:
    """(number, unit) when ``value`` is numeric, or when there is no ``value`` and ``result`` is a number with
    at most a unit after it ("5.2 mg/dL"). Ratios such as titres ("1:64") are not numbers here."""
    unit = text_or(lab.unit)
    text = lab.value if text_or(lab.value) else lab.result
    number = parse_number(text)
    if number is None:
        return None
    rest = number.rest
    if not rest:
        return number, unit
    if not _UNIT_START.match(rest):
        return None
    if unit is None:
        return number, rest
    return (number, unit) if rest.casefold() == unit.casefold() else None


def _value(lab: Lab, data: JSON) -> None:
    """value[x]: Quantity for numbers, CodeableConcept for a valid SNOMED result code, else string.
    A number FHIR cannot carry (too many digits) becomes an issue on the lab and stays out of the bundle."""
    written = lab.value if text_or(lab.value) else lab.result
    problem = number_problem(written)
    if problem is not None:
        shown = written.strip() if len(written.strip()) <= 40 else written.strip()[:40] + "…"
        lab.issues = [*lab.issues, CodeIssue(field="value", code=shown, problem=problem)]
        return
    numeric = _numeric(lab)
    result = text_or(lab.result)
    if numeric is not None:
        data["valueQuantity"] = quantity(*numeric)
        value, unit = lab.value or "", lab.unit or ""
        rendered = {text_or(lab.value), f"{value} {unit}".strip(), f"{value}{unit}"}
        if result and result not in rendered:
            data["note"] = [{"text": f"Result as written: {result}"}]
        return
    result_codings = [c for c in [coding("snomed", lab.result_code)] if c is not None]
    result_codings += extra_codings(lab.result_translations, result_codings)
    if result_codings:
        data["valueCodeableConcept"] = concept(result_codings, result)
    elif result or text_or(lab.value):
        data["valueString"] = text_or(result, lab.value)


def _interpretation(written: str | None) -> JSON | None:
    text = text_or(written)
    if text is None:
        return None
    code = tables.interpretations().get(text.casefold())
    if code is None:
        return {"text": text}
    return {
        "coding": [{"system": tables.system_uri(code.system), "code": code.code, "display": code.display}],
        "text": text,
    }


def build_lab(lab: Lab, index: int, ctx: BuildContext) -> Built:
    code = (item_concept([coding("loinc", lab.loinc)], lab.translations, lab.original_text, lab.name, lab.loinc)
            or {"text": "laboratory test (not named)"})
    data, full_url = observation(ctx, f"lab:{index}:{lab.loinc or lab.name}", "cat_laboratory", code, status=None)
    _value(lab, data)
    has_result = any(key.startswith("value") for key in data)
    set_status(data, "lab", lab.status, default_key="*" if has_result else "*no-result")
    put_date(data, "effectiveDateTime", lab.date)
    interpretation = _interpretation(lab.interpretation)
    if interpretation:
        data["interpretation"] = [interpretation]
    if text_or(lab.specimen):
        data["contained"] = [{"resourceType": "Specimen", "id": "specimen", "type": {"text": text_or(lab.specimen)}}]
        data["specimen"] = {"reference": "#specimen"}
    return Built(FhirObservation.model_validate(data), full_url, list(lab.evidence))
