"""validate_bundle catches what the R4B models alone let through; the kb/fhir tables are self-consistent."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest

from cliniq_agent.core.code_systems import code_systems
from cliniq_agent.fhir import build_bundle, bundle_problems, validate_bundle
from cliniq_agent.fhir import tables
from cliniq_agent.core.schema import CompactRecord, Condition, Encounter, Lab, Med, Patient, Vital
from cliniq_agent.validate import check_code

SHA = "0d1f3b5a7c9e2f4a6b8c0d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="module")
def bundle() -> dict:
    record = CompactRecord(
        patient=Patient(name="Tran Van Minh", gender="M", dob="1968-11-02"),
        encounter=Encounter(date="2024-05-12", type="Inpatient admission", facility="St. Anne Medical Center"),
        conditions=[Condition(name="Legionnaires' disease", snomed="26726000", icd10="A48.1")],
        labs=[Lab(name="Legionella pneumophila 1 Ag [Presence] in Urine", loinc="32781-7", result="Positive",
                  result_code="10828004", specimen="Urine")],
        vitals=[Vital(name="temp", value="39.4", unit="Cel")],
        meds=[Med(name="levofloxacin 750 MG Oral Tablet", rxnorm="311296")],
    )
    result = build_bundle(record, run_id="checks", source_name="legionella.txt", source_sha256=SHA)
    validate_bundle(result)
    return result


def entry(bundle: dict, resource_type: str) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type)


def problems_after(bundle: dict, change) -> list[str]:
    broken = copy.deepcopy(bundle)
    change(broken)
    return bundle_problems(broken)


def test_model_rejection_is_reported_with_its_location(bundle: dict) -> None:
    broken = copy.deepcopy(bundle)
    del entry(broken, "Observation")["status"]
    with pytest.raises(ValueError, match=r"invalid FHIR Bundle .*\n  entry\.\d+\(Observation\)\.resource\.status"):
        validate_bundle(broken)


def test_status_outside_its_required_value_set(bundle: dict) -> None:
    problems = problems_after(bundle, lambda b: entry(b, "MedicationStatement").update(status="taking"))
    assert any("MedicationStatement" in p and "'taking' is not in the required value set" in p for p in problems)


def test_dangling_reference(bundle: dict) -> None:
    nowhere = {"reference": "urn:uuid:00000000-0000-0000-0000-000000000000"}
    problems = problems_after(bundle, lambda b: entry(b, "Condition").update(subject=nowhere))
    assert any("is not the fullUrl of any entry" in p for p in problems)


def test_duplicate_full_url(bundle: dict) -> None:
    def duplicate(b: dict) -> None:
        b["entry"][1]["fullUrl"] = b["entry"][0]["fullUrl"]
    assert any("duplicate fullUrl" in p for p in problems_after(bundle, duplicate))


def test_invalid_code_and_oid_system_are_caught(bundle: dict) -> None:
    def corrupt(b: dict) -> None:
        codings = entry(b, "Condition")["code"]["coding"]
        codings[0]["code"] = "26726001"  # Verhoeff check digit broken
        codings[1]["system"] = "urn:oid:2.16.840.1.113883.6.90"
    problems = problems_after(bundle, corrupt)
    assert any("invalid snomed code '26726001'" in p for p in problems)
    assert any("must be written http://hl7.org/fhir/sid/icd-10-cm" in p for p in problems)


def test_empty_element_and_unreferenced_contained(bundle: dict) -> None:
    def corrupt(b: dict) -> None:
        observation = next(e["resource"] for e in b["entry"] if "specimen" in e["resource"])
        del observation["specimen"]
        entry(b, "Patient")["name"] = []
    problems = problems_after(bundle, corrupt)
    assert any("never referenced (dom-3)" in p for p in problems)
    assert any(p.endswith(".resource.name: empty element (ele-1)") for p in problems)


def test_not_a_bundle() -> None:
    with pytest.raises(ValueError, match="not a FHIR Bundle"):
        validate_bundle({"resourceType": "Patient"})


def test_fixed_and_vital_codes_pass_their_check_digits() -> None:
    systems = code_systems()
    for key, code in tables.fixed_codes().items():
        if systems[code.system].checked:
            assert check_code(code.system, code.code) is None, key
    for name, vital in tables.vitals().items():
        assert check_code("loinc", vital.loinc) is None, name
        for extra, _ in vital.extra:
            assert check_code("loinc", extra) is None, name
        for unit in vital.allowed | ({vital.default_unit} if vital.default_unit else set()):
            assert tables.lookup_unit(unit) is not None and tables.lookup_unit(unit).ucum == unit, (name, unit)
        for _, _, unit in vital.unitless_ranges:
            assert unit in vital.allowed


def test_every_status_table_domain_has_a_default() -> None:
    for domain, mapping in tables.statuses().items():
        assert "*" in mapping, domain
    assert "*" in tables.condition_statuses()


def test_cdc_converter_output_is_flagged_for_its_oid_systems() -> None:
    """The CDC converter's reference output writes CVX as urn:oid:…; the checker must say so."""
    path = SHARED / "external" / "dibbs-fhir-converter" / "eCR_EveEverywoman-expected.json"
    if not path.exists():
        pytest.skip("shared data not available")
    problems = bundle_problems(json.loads(path.read_text(encoding="utf-8")))
    assert any("must be written http://hl7.org/fhir/sid/cvx" in p for p in problems)


def test_fifty_item_record_builds_and_validates() -> None:
    conditions = [Condition(name=name, snomed=code) for name, code in (
        ("Pertussis", "27836007"), ("Asthma", "195967001"), ("Type 2 diabetes mellitus", "44054006"),
        ("Viral hepatitis type C", "50711007"), ("Lyme disease", "23502006"), ("Measles", "14189004"),
        ("Legionnaires' disease", "26726000"), ("COVID-19", "840539006"), ("Pertussis", "27836007"),
        ("Asthma", "195967001"))]
    labs = [Lab(name="Leukocytes [#/volume] in Blood", loinc="6690-2", value=str(4 + i / 10), unit="10*3/uL",
                interpretation="N", date="2024-05-12") for i in range(15)]
    vitals = [Vital(name=name, value=value, date="2024-05-12T08:00:00-04:00")
              for name, value in (("temp", "37.2"), ("hr", "80"), ("rr", "16"), ("spo2", "98"), ("sbp", "120"),
                                  ("dbp", "70"), ("bmi", "22.0"))] * 2
    meds = [Med(name=name, status="active") for name in (
        "azithromycin", "oseltamivir", "albuterol inhaler", "metformin", "doxycycline", "ceftriaxone",
        "acetaminophen", "ibuprofen", "levofloxacin", "lisinopril", "atorvastatin")]
    record = CompactRecord(conditions=conditions, labs=labs, vitals=vitals, meds=meds)
    assert sum(len(getattr(record, n)) for n in CompactRecord.ITEM_LISTS) == 50
    build_bundle(record, run_id="warm", source_name="x", source_sha256=SHA)  # warm the code tables
    start = time.perf_counter()
    result = build_bundle(record, run_id="fifty", source_name="fifty.txt", source_sha256=SHA)
    validate_bundle(result)
    elapsed = time.perf_counter() - start
    assert len(result["entry"]) == 1 + 10 + 15 + 12 + 11 + 1  # patient, items (BP pairs -> panels), run provenance
    assert elapsed < 5.0, f"50-item bundle took {elapsed:.2f} s"
