"""Vital-sign Observations following the FHIR R4 vital signs profiles.

Systolic and diastolic pressures become one blood-pressure panel (85354-9) with two components, as the R4
BP profile requires; a missing half is a component with dataAbsentReason rather than a dropped reading.
An undated vital is attributed to the encounter (else document) date because the profile requires effective[x].
"""

from __future__ import annotations

import regex
from fhir.resources.R4B.observation import Observation as FhirObservation

from cliniq_agent.fhir import tables
from cliniq_agent.fhir.elements import (
    JSON, BuildContext, Built, coding, concept, extra_codings, fixed_coding, fixed_concept, observation, put_date,
    quantity, text_or,
)
from cliniq_agent.fhir.values import parse_number
from cliniq_agent.core.schema import Code, Vital

_BP_PAIR = regex.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})\s*(?:mm\s*\[?hg\]?)?\s*$", regex.IGNORECASE)


def _unit_for(name: str, value: float, written: str | None) -> str | None:
    info = tables.vitals()[name]
    if written:
        return written
    if info.default_unit:
        return info.default_unit
    for low, high, unit in info.unitless_ranges:
        if low <= value <= high:
            return unit
    return None


def _value(name: str, written_value: str | None, written_unit: str | None) -> JSON:
    """{valueQuantity: …} | {valueString: …} | {dataAbsentReason: …} for one vital or BP component."""
    text = text_or(written_value)
    if text is None:
        return {"dataAbsentReason": {"coding": [fixed_coding("absent_unknown")]}}
    number = parse_number(text)
    if number is None or (number.rest and regex.match(r"^[\d:/]", number.rest)):
        return {"valueString": text}
    unit = _unit_for(name, float(number.value), text_or(written_unit, number.rest))
    return {"valueQuantity": quantity(number, unit, allowed=tables.vitals()[name].allowed)}


def _code(name: str, own_loinc: str | None, translations: list[Code] = ()) -> JSON:  # type: ignore[assignment]
    info = tables.vitals()[name]
    codings = [coding("loinc", info.loinc, info.display)]
    codings += [coding("loinc", code, display) for code, display in info.extra]
    own = coding("loinc", own_loinc)
    if own is not None and own["code"] not in {c["code"] for c in codings if c}:
        codings.append(own)
    codings += extra_codings(list(translations), codings)  # the document's other codes for it (issue 11)
    return concept(codings, info.display)  # type: ignore[return-value]


def _component_code(key: str, vital: Vital | None) -> JSON:
    code = fixed_concept(key)
    if vital is not None:
        own = coding("loinc", vital.loinc)
        if own is not None and own["code"] not in {c["code"] for c in code["coding"]}:
            code["coding"].append(own)
        code["coding"] += extra_codings(vital.translations, code["coding"])
    return code


def _observation(ctx: BuildContext, identity: str, code: JSON, date: str | None) -> tuple[JSON, str]:
    data, full_url = observation(ctx, identity, "cat_vital_signs", code)
    put_date(data, "effectiveDateTime", date, fallback=ctx.clinical_date())
    return data, full_url


def build_vital(vital: Vital, index: int, ctx: BuildContext) -> Built:
    data, full_url = _observation(ctx, f"vital:{index}:{vital.name}",
                                  _code(vital.name, vital.loinc, vital.translations), vital.date)
    data.update(_value(vital.name, vital.value, vital.unit))
    return Built(FhirObservation.model_validate(data), full_url, list(vital.evidence))


def _pair_blood_pressures(vitals: list[tuple[int, Vital]]) -> list[tuple[int, Vital | None, Vital | None]]:
    """(index, sbp, dbp) panels: each sbp takes the first unused dbp with the same date; leftovers stand alone."""
    dbps = [(i, v) for i, v in vitals if v.name == "dbp"]
    used: set[int] = set()
    panels: list[tuple[int, Vital | None, Vital | None]] = []
    for index, sbp in ((i, v) for i, v in vitals if v.name == "sbp"):
        match = next(((j, d) for j, d in dbps if j not in used and d.date == sbp.date), None)
        if match is not None:
            used.add(match[0])
        panels.append((index, sbp, match[1] if match else None))
    panels += [(j, None, d) for j, d in dbps if j not in used]
    return sorted(panels, key=lambda panel: panel[0])


def build_blood_pressures(vitals: list[tuple[int, Vital]], ctx: BuildContext) -> list[tuple[int, Built]]:
    """(record index, panel) for every blood-pressure reading."""
    built = []
    for index, sbp, dbp in _pair_blood_pressures(vitals):
        systolic_value = sbp.value if sbp else None
        diastolic_value = dbp.value if dbp else None
        split = _BP_PAIR.match(systolic_value or "")
        if split and dbp is None:  # "120/80" written in the systolic slot
            systolic_value, diastolic_value = split.group(1), split.group(2)
        first = sbp or dbp
        assert first is not None
        panel_code = concept([fixed_coding("bp_panel")], "Blood pressure")
        data, full_url = _observation(ctx, f"vital:{index}:bp", panel_code, first.date)  # type: ignore[arg-type]
        data["component"] = [
            {"code": _component_code("bp_systolic", sbp),
             **_value("sbp", systolic_value, sbp.unit if sbp else None)},
            {"code": _component_code("bp_diastolic", dbp),
             **_value("dbp", diastolic_value, dbp.unit if dbp else (sbp.unit if split and sbp else None))},
        ]
        evidence = (list(sbp.evidence) if sbp else []) + (list(dbp.evidence) if dbp else [])
        built.append((index, Built(FhirObservation.model_validate(data), full_url, evidence)))
    return built


def build_vitals(vitals: list[Vital], ctx: BuildContext) -> list[Built]:
    """All vital Observations, in record order (a BP panel sits where its first reading was)."""
    indexed = list(enumerate(vitals))
    ordered = [(i, build_vital(v, i, ctx)) for i, v in indexed if v.name not in ("sbp", "dbp")]
    ordered += build_blood_pressures([(i, v) for i, v in indexed if v.name in ("sbp", "dbp")], ctx)
    return [built for _, built in sorted(ordered, key=lambda pair: pair[0])]
