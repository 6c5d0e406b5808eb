"""Our FHIR bundle for eCR_EveEverywoman.xml holds the clinical items of the CDC converter's output."""

from __future__ import annotations

import json
from pathlib import Path

from cliniq_agent import extract


def _coded(resource: dict, key: str) -> set[tuple[str, str]]:
    return {(c.get("system", ""), c.get("code", "")) for c in (resource.get(key) or {}).get("coding", [])}


def clinical_items(bundle: dict) -> set[tuple[str, ...]]:
    """(kind, system, code[, value]) for lab/vital Observations, Conditions, medications, immunizations."""
    resources = [e["resource"] for e in bundle.get("entry", [])]
    by_url = {e.get("fullUrl"): e["resource"] for e in bundle.get("entry", [])}
    items: set[tuple[str, ...]] = set()
    for r in resources:
        kind = r["resourceType"]
        if kind == "Observation":
            categories = {c.get("code") for cc in r.get("category", []) for c in cc.get("coding", [])}
            if not categories & {"laboratory", "vital-signs"}:
                continue
            parts = [r, *[{"code": c["code"], **c} for c in r.get("component", [])]]
            for part in parts:
                value = part.get("valueQuantity", {}).get("value")
                for system, code in _coded(part, "code"):
                    if system == "http://loinc.org":
                        items.add(("obs", code, f"{float(value):g}" if value is not None else ""))
        elif kind == "Condition":
            items |= {("condition", code) for system, code in _coded(r, "code")
                      if system == "http://snomed.info/sct" and code != "282291009"}
        elif kind in ("MedicationStatement", "MedicationAdministration"):
            concept = r.get("medicationCodeableConcept")
            if concept is None and "medicationReference" in r:
                concept = by_url.get(r["medicationReference"]["reference"], {}).get("code")
            items |= {("med", code) for system, code in _coded({"c": concept or {}}, "c") if "rxnorm" in system}
        elif kind == "Medication":
            items |= {("med", code) for system, code in _coded(r, "code") if "rxnorm" in system}
        elif kind == "Immunization":
            items |= {("immunization", code) for system, code in _coded(r, "vaccineCode")}
    return items


def test_eve_everywoman_matches_cdc_converter(shared_data: Path) -> None:
    folder = shared_data / "external" / "dibbs-fhir-converter"
    expected = clinical_items(json.loads((folder / "eCR_EveEverywoman-expected.json").read_text()))
    ours = clinical_items(extract(folder / "eCR_EveEverywoman.xml", use_llm=False, persist_trace=False).to_fhir())
    assert len(expected) == 18
    missing = sorted(expected - ours)
    assert len(missing) <= 1, f"missing from our bundle: {missing}"
