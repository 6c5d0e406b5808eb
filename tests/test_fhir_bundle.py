"""build_bundle: every resource type, codes, units, references, provenance — validated with the R4B models."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from cliniq_agent.fhir import build_bundle, validate_bundle
from cliniq_agent.core.schema import (
    Assertion, CompactRecord, Condition, Encounter, Evidence, Immunization, Lab, Med, Patient, Reportable,
    Social, Tier, Travel, Trigger, Vital,
)

SHA = "9f2c4a1e7b3d5f60c8e1a2b4d6f8091a3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3f"
RECORDED = dt.datetime(2024, 3, 6, 14, 0, tzinfo=dt.timezone.utc)
SNOMED, LOINC, ICD10 = "http://snomed.info/sct", "http://loinc.org", "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"


def build(record: CompactRecord, run_id: str = "run-0001", **kwargs) -> dict:
    kwargs.setdefault("recorded", RECORDED)
    bundle = build_bundle(record, run_id=run_id, source_name="pertussis_case.xml", source_sha256=SHA, **kwargs)
    validate_bundle(bundle)
    Bundle.model_validate(bundle)  # round trip through the R4B models
    return bundle


def resources(bundle: dict, resource_type: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def observations(bundle: dict, category: str) -> list[dict]:
    return [
        r for r in resources(bundle, "Observation")
        if any(c["code"] == category for cat in r.get("category", []) for c in cat["coding"])
    ]


def codes(concept: dict, system: str) -> list[str]:
    return [c["code"] for c in concept.get("coding", []) if c["system"] == system]


def full_record() -> CompactRecord:
    line = Evidence(tier=Tier.LINE, locator="line 7", span=(210, 262), text="Dx: Pertussis (SNOMED 27836007)",
                    rule="known_format.dx")
    return CompactRecord(
        patient=Patient(name="Okafor, Adaeze N", gender="F", dob="1991-07-23", race="Black or African American",
                        ethnicity="Not Hispanic or Latino", address="418 Birch Hollow Rd, Dayton, OH 45402",
                        phone="(937) 555-0148"),
        encounter=Encounter(date="2024-03-04T10:15:00-05:00", end="2024-03-04T12:40:00-05:00",
                            type="Urgent care visit", facility="Miami Valley Urgent Care",
                            facility_id="1245319599", reason="paroxysmal cough for 2 weeks"),
        conditions=[
            Condition(name="Pertussis", snomed="27836007", icd10="A379", status="suspected", onset="2024-02-19",
                      evidence=[line]),
            Condition(name="Asthma", snomed="195967001", icd10="J45.909", status="active"),
        ],
        labs=[
            Lab(name="Bordetella pertussis DNA [Presence] in Nasopharynx by NAA with probe detection",
                loinc="43913-3", result="Detected", result_code="260373001", interpretation="abnormal",
                specimen="Nasopharyngeal swab", date="2024-03-04", status="final"),
            Lab(name="Leukocytes [#/volume] in Blood by Automated count", loinc="6690-2", value="14.8",
                unit="10*3/uL", interpretation="H", date="20240304101500-0500"),
            Lab(name="Lymphocytes/100 leukocytes in Blood", loinc="736-9", value="62", unit="%"),
        ],
        vitals=[
            Vital(name="temp", value="37.9", unit="C"), Vital(name="hr", value="104", unit="bpm"),
            Vital(name="rr", value="22"), Vital(name="spo2", value="95", unit="%"),
            Vital(name="sbp", value="118"), Vital(name="dbp", value="76"),
            Vital(name="weight", value="68.5", unit="kg"), Vital(name="height", value="165", unit="cm"),
            Vital(name="bmi", value="25.2"),
        ],
        meds=[Med(name="azithromycin 250 MG Oral Tablet", rxnorm="308460", dose="500 mg day 1, then 250 mg daily",
                  route="oral", status="active")],
        immunizations=[Immunization(name="Tdap", cvx="115", date="2015-09-01")],
        social=Social(pregnant=True, pregnancy_due="2024-08-30", occupation="Elementary school teacher",
                      travel=[Travel(place="Guatemala", start="2024-01-20", end="2024-02-03")]),
        reportable=[Reportable(name="Pertussis", snomed="27836007", confidence=0.93,
                               triggers=[Trigger(system="LOINC", code="43913-3", source="labs[0]"),
                                         Trigger(system="ICD-10-CM", code="A37.9")])],
    )


def test_full_record_has_every_resource_type_and_valid_references() -> None:
    bundle = build(full_record(), document_date="2024-03-04")
    assert bundle["type"] == "collection"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"Patient", "Organization", "Encounter", "Condition", "Observation", "MedicationStatement",
                     "Immunization", "Provenance"}
    patient_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    encounter_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter")
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        resource = entry["resource"]
        subject = resource.get("subject") or resource.get("patient")
        if subject:
            assert subject["reference"] == patient_url
        if resource["resourceType"] in ("Condition", "Observation", "Immunization"):
            assert resource["encounter"]["reference"] == encounter_url
    assert "null" not in json.dumps(bundle)


def test_same_run_id_gives_same_ids_and_other_run_ids_differ() -> None:
    first = build(full_record(), run_id="run-A")
    again = build(full_record(), run_id="run-A")
    other = build(full_record(), run_id="run-B")
    urls = [e["fullUrl"] for e in first["entry"]]
    assert urls == [e["fullUrl"] for e in again["entry"]]
    assert not set(urls) & {e["fullUrl"] for e in other["entry"]}
    assert first == again  # with a fixed recorded time the whole bundle is reproducible


def test_patient_demographics() -> None:
    patient = resources(build(full_record()), "Patient")[0]
    assert patient["gender"] == "female"
    assert patient["birthDate"] == "1991-07-23"
    assert patient["name"] == [{"text": "Okafor, Adaeze N", "family": "Okafor", "given": ["Adaeze", "N"]}]
    assert patient["telecom"] == [{"system": "phone", "value": "(937) 555-0148"}]
    assert patient["address"] == [{"text": "418 Birch Hollow Rd, Dayton, OH 45402"}]
    race, ethnicity = patient["extension"]
    assert race["url"] == "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
    assert race["extension"][0]["valueCoding"]["code"] == "2054-5"
    assert race["extension"][1] == {"url": "text", "valueString": "Black or African American"}
    assert ethnicity["extension"][0]["valueCoding"]["code"] == "2186-5"


def test_race_without_omb_category_is_text_only() -> None:
    patient = resources(build(CompactRecord(patient=Patient(race="Hmong"))), "Patient")[0]
    assert patient["extension"] == [{"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
                                     "extension": [{"url": "text", "valueString": "Hmong"}]}]


@pytest.mark.parametrize("written, expected", [
    ("M", "male"), ("male", "male"), ("F", "female"), ("Female", "female"), ("UN", "other"),
    ("other", "other"), ("U", "unknown"), ("unknown", "unknown"),
])
def test_gender_mapping(written: str, expected: str) -> None:
    patient = resources(build(CompactRecord(patient=Patient(gender=written))), "Patient")[0]
    assert patient["gender"] == expected
    assert "_gender" not in patient


def test_unrecognised_gender_is_unknown_and_keeps_the_text() -> None:
    patient = resources(build(CompactRecord(patient=Patient(gender="declined to state"))), "Patient")[0]
    assert patient["gender"] == "unknown"
    assert patient["_gender"]["extension"][0]["valueString"] == "declined to state"


def test_encounter_organization_and_npi() -> None:
    bundle = build(full_record())
    encounter = resources(bundle, "Encounter")[0]
    organization = resources(bundle, "Organization")[0]
    assert encounter["status"] == "finished"
    assert encounter["class"]["code"] == "AMB"
    assert encounter["period"] == {"start": "2024-03-04T10:15:00-05:00", "end": "2024-03-04T12:40:00-05:00"}
    assert encounter["type"] == [{"text": "Urgent care visit"}]
    assert encounter["reasonCode"] == [{"text": "paroxysmal cough for 2 weeks"}]
    org_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"] is not None
                   and e["resource"]["resourceType"] == "Organization")
    assert encounter["serviceProvider"]["reference"] == org_url
    assert organization["identifier"] == [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1245319599"}]


def test_ten_digits_failing_the_npi_check_digit_get_no_npi_system() -> None:
    record = CompactRecord(encounter=Encounter(facility="County Clinic", facility_id="1245319590"))
    organization = resources(build(record), "Organization")[0]
    assert organization["identifier"] == [{"value": "1245319590"}]


@pytest.mark.parametrize("type_text, code", [
    ("Emergency department visit", "EMER"), ("seen in the ED", "EMER"), ("Inpatient admission", "IMP"),
    ("Telehealth follow-up", "VR"), ("Office visit", "AMB"), (None, "AMB"),
])
def test_encounter_class(type_text: str | None, code: str) -> None:
    record = CompactRecord(encounter=Encounter(date="2024-01-05", type=type_text))
    assert resources(build(record), "Encounter")[0]["class"]["code"] == code


def test_conditions_codes_statuses_and_category() -> None:
    pertussis, asthma = resources(build(full_record()), "Condition")
    assert codes(pertussis["code"], SNOMED) == ["27836007"]
    assert codes(pertussis["code"], ICD10) == ["A37.9"]  # dotted, under the HL7 URI (never urn:oid)
    assert pertussis["code"]["text"] == "Pertussis"
    assert codes(pertussis["verificationStatus"], "http://terminology.hl7.org/CodeSystem/condition-ver-status") \
        == ["provisional"]
    assert pertussis["clinicalStatus"]["coding"][0]["code"] == "active"
    assert pertussis["onsetDateTime"] == "2024-02-19"
    assert pertussis["category"][0]["coding"][0]["code"] == "encounter-diagnosis"
    assert "verificationStatus" not in asthma


@pytest.mark.parametrize("status, clinical, verification", [
    ("confirmed", "active", "confirmed"), ("suspected", "active", "provisional"), ("resolved", "resolved", None),
    (None, "active", None), ("in remission", "remission", None), ("ruled out", None, "refuted"),
])
def test_condition_status_mapping(status: str | None, clinical: str | None, verification: str | None) -> None:
    record = CompactRecord(conditions=[Condition(name="Hepatitis C", snomed="50711007", status=status)])
    condition = resources(build(record), "Condition")[0]
    assert condition.get("clinicalStatus", {}).get("coding", [{}])[0].get("code") == clinical
    assert condition.get("verificationStatus", {}).get("coding", [{}])[0].get("code") == verification


def test_condition_from_cda_problem_section_is_a_problem_list_item() -> None:
    locator = ("/ClinicalDocument/component/structuredBody/component/section"
               "[templateId/@root='2.16.840.1.113883.10.20.22.2.5.1']/entry[2]")
    record = CompactRecord(conditions=[Condition(name="Type 2 diabetes mellitus", snomed="44054006",
                                                 evidence=[Evidence(tier=Tier.CDA_ENTRY, locator=locator)])])
    condition = resources(build(record), "Condition")[0]
    assert condition["category"][0]["coding"][0]["code"] == "problem-list-item"


def test_invalid_codes_are_left_out_and_the_text_kept() -> None:
    record = CompactRecord(
        conditions=[Condition(name="Measles", snomed="14189005", icd10="B05.99")],  # Verhoeff fails; no such code
        labs=[Lab(name="Rubeola IgM", loinc="49672-8", result="Positive")],  # mod-10 fails
        meds=[Med(name="vitamin A", rxnorm="RX-11246")],
        immunizations=[Immunization(name="MMR", cvx="MMR")],
    )
    bundle = build(record)
    condition = resources(bundle, "Condition")[0]
    assert condition["code"] == {"text": "Measles"}
    lab = observations(bundle, "laboratory")[0]
    assert lab["code"] == {"text": "Rubeola IgM"}
    assert resources(bundle, "MedicationStatement")[0]["medicationCodeableConcept"] == {"text": "vitamin A"}
    assert resources(bundle, "Immunization")[0]["vaccineCode"] == {"text": "MMR"}
    text = json.dumps(bundle)
    for bad in ("14189005", "B05.99", "49672-8", "RX-11246"):
        assert bad not in text


def test_no_urn_oid_systems_except_cdc_race_and_ethnicity() -> None:
    bundle = build(full_record())
    systems = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "system" in node:
                systems.add(node["system"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bundle)
    assert {s for s in systems if s.startswith("urn:oid:")} == {"urn:oid:2.16.840.1.113883.6.238"}
    assert {ICD10, "http://hl7.org/fhir/sid/cvx", "http://www.nlm.nih.gov/research/umls/rxnorm"} <= systems


def test_lab_numeric_coded_and_string_values() -> None:
    record = CompactRecord(labs=[
        Lab(name="Hepatitis B surface Ag", loinc="5196-1", result="Reactive", result_code="11214006"),
        Lab(name="ALT", loinc="1742-6", value="212", unit="U/L", interpretation="high"),
        Lab(name="HIV-1 RNA", loinc="20447-9", value="<20", unit="copies/mL"),
        Lab(name="Reagin Ab titer (RPR)", loinc="31147-2", result="1:64"),
        Lab(name="Gram stain", result="Gram-negative diplococci"),
        Lab(name="Lead, blood", loinc="5671-3", result="3.3 ug/dL"),
    ])
    coded, numeric, below, titer, text, from_result = observations(build(record), "laboratory")
    assert coded["valueCodeableConcept"] == {"coding": [{"system": SNOMED, "code": "11214006"}], "text": "Reactive"}
    assert numeric["valueQuantity"] == {"value": 212, "unit": "U/L", "system": UCUM, "code": "U/L"}
    assert numeric["interpretation"][0]["coding"][0]["code"] == "H"
    assert below["valueQuantity"] == {"value": 20, "comparator": "<", "unit": "copies/mL", "system": UCUM,
                                      "code": "{copies}/mL"}
    assert titer["valueString"] == "1:64"
    assert text["valueString"] == "Gram-negative diplococci"
    assert text["code"] == {"text": "Gram stain"}
    assert from_result["valueQuantity"] == {"value": 3.3, "unit": "ug/dL", "system": UCUM, "code": "ug/dL"}


def test_lab_unknown_unit_is_text_only_and_specimen_is_contained() -> None:
    record = CompactRecord(labs=[Lab(name="Cryptococcal antigen titer", value="8", unit="dils",
                                     specimen="Cerebrospinal fluid", status="preliminary", date="2024-02-11")])
    lab = observations(build(record), "laboratory")[0]
    assert lab["valueQuantity"] == {"value": 8, "unit": "dils"}
    assert lab["status"] == "preliminary"
    assert lab["contained"] == [{"resourceType": "Specimen", "id": "specimen", "type": {"text": "Cerebrospinal fluid"}}]
    assert lab["specimen"] == {"reference": "#specimen"}
    assert lab["effectiveDateTime"] == "2024-02-11"


@pytest.mark.parametrize("status, result, expected", [
    ("final", "Positive", "final"), ("prelim", "Positive", "preliminary"), ("pending", None, "registered"),
    (None, "Negative", "final"), (None, None, "registered"), ("corrected", "Negative", "corrected"),
])
def test_lab_status_mapping(status: str | None, result: str | None, expected: str) -> None:
    record = CompactRecord(labs=[Lab(name="Stool culture", loinc="625-4", result=result, status=status)])
    assert observations(build(record), "laboratory")[0]["status"] == expected


def test_blood_pressure_is_one_panel_with_two_components() -> None:
    vitals = observations(build(full_record()), "vital-signs")
    panels = [v for v in vitals if codes(v["code"], LOINC) == ["85354-9"]]
    assert len(panels) == 1
    systolic, diastolic = panels[0]["component"]
    assert codes(systolic["code"], LOINC) == ["8480-6"] and codes(diastolic["code"], LOINC) == ["8462-4"]
    assert systolic["valueQuantity"] == {"value": 118, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}
    assert diastolic["valueQuantity"]["value"] == 76
    assert not [v for v in vitals if codes(v["code"], LOINC) in (["8480-6"], ["8462-4"])]
    assert len(vitals) == 8  # 9 vitals, sbp + dbp -> one panel


def test_systolic_without_diastolic_still_makes_a_panel() -> None:
    panel = observations(build(CompactRecord(vitals=[Vital(name="sbp", value="92")])), "vital-signs")[0]
    systolic, diastolic = panel["component"]
    assert systolic["valueQuantity"]["value"] == 92
    assert diastolic["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert "valueQuantity" not in diastolic


def test_blood_pressure_pairs_by_date_and_splits_a_written_pair() -> None:
    record = CompactRecord(vitals=[
        Vital(name="sbp", value="150", date="2024-03-04T08:00:00-05:00"),
        Vital(name="sbp", value="132", date="2024-03-04T11:00:00-05:00"),
        Vital(name="dbp", value="84", date="2024-03-04T11:00:00-05:00"),
        Vital(name="dbp", value="95", date="2024-03-04T08:00:00-05:00"),
        Vital(name="sbp", value="140/90"),
    ])
    panels = observations(build(record), "vital-signs")
    values = [[c["valueQuantity"]["value"] for c in p["component"]] for p in panels]
    assert values == [[150, 95], [132, 84], [140, 90]]
    assert panels[0]["effectiveDateTime"] == "2024-03-04T08:00:00-05:00"


@pytest.mark.parametrize("name, value, unit, expected_code, expected_unit_code", [
    ("temp", "38.4", "C", "8310-5", "Cel"), ("temp", "101.3", "°F", "8310-5", "[degF]"),
    ("temp", "38.4", None, "8310-5", "Cel"), ("temp", "100.9", None, "8310-5", "[degF]"),
    ("hr", "88", "bpm", "8867-4", "/min"), ("rr", "18", None, "9279-1", "/min"),
    ("spo2", "97", "%", "2708-6", "%"), ("weight", "154", "lbs", "29463-7", "[lb_av]"),
    ("weight", "70", "kg", "29463-7", "kg"), ("height", "64", "in", "8302-2", "[in_i]"),
    ("height", "172", "cm", "8302-2", "cm"), ("bmi", "24.1", "kg/m2", "39156-5", "kg/m2"),
])
def test_vital_codes_and_ucum_units(name: str, value: str, unit: str | None, expected_code: str,
                                    expected_unit_code: str) -> None:
    record = CompactRecord(vitals=[Vital(name=name, value=value, unit=unit, date="2024-03-04")])
    vital = observations(build(record), "vital-signs")[0]
    assert codes(vital["code"], LOINC)[0] == expected_code
    assert vital["valueQuantity"]["system"] == UCUM
    assert vital["valueQuantity"]["code"] == expected_unit_code
    assert vital["effectiveDateTime"] == "2024-03-04"


def test_pulse_oximetry_carries_both_loinc_codes() -> None:
    vital = observations(build(CompactRecord(vitals=[Vital(name="spo2", value="91")])), "vital-signs")[0]
    assert codes(vital["code"], LOINC) == ["2708-6", "59408-5"]


def test_vital_with_ambiguous_or_wrong_unit_gets_no_ucum_code() -> None:
    record = CompactRecord(vitals=[Vital(name="weight", value="72"), Vital(name="temp", value="38", unit="kg")])
    weight, temp = observations(build(record), "vital-signs")
    assert weight["valueQuantity"] == {"value": 72}
    assert temp["valueQuantity"] == {"value": 38, "unit": "kg"}


def test_undated_vitals_take_the_encounter_then_the_document_date() -> None:
    with_encounter = CompactRecord(encounter=Encounter(date="2024-03-04T10:15:00-05:00"),
                                   vitals=[Vital(name="hr", value="90")])
    vital = observations(build(with_encounter, document_date="2024-03-05"), "vital-signs")[0]
    assert vital["effectiveDateTime"] == "2024-03-04T10:15:00-05:00"
    without = CompactRecord(vitals=[Vital(name="hr", value="90")])
    assert observations(build(without, document_date="2024-03-05"), "vital-signs")[0]["effectiveDateTime"] \
        == "2024-03-05"


def test_medication_statement() -> None:
    statement = resources(build(full_record()), "MedicationStatement")[0]
    assert statement["status"] == "active"
    assert statement["medicationCodeableConcept"] == {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "308460"}],
        "text": "azithromycin 250 MG Oral Tablet",
    }
    assert statement["dosage"] == [{"text": "500 mg day 1, then 250 mg daily", "route": {"text": "oral"}}]


@pytest.mark.parametrize("written, expected", [
    ("active", "active"), ("administered", "completed"), ("discontinued", "stopped"), ("on hold", "on-hold"),
    ("planned", "intended"), ("declined", "not-taken"), (None, "unknown"),
])
def test_medication_status_mapping(written: str | None, expected: str) -> None:
    record = CompactRecord(meds=[Med(name="oseltamivir 75 MG Oral Capsule", status=written)])
    assert resources(build(record), "MedicationStatement")[0]["status"] == expected


def test_unrecognised_medication_status_keeps_its_text() -> None:
    record = CompactRecord(meds=[Med(name="ceftriaxone", status="see MAR")])
    statement = resources(build(record), "MedicationStatement")[0]
    assert statement["status"] == "unknown"
    assert statement["_status"]["extension"][0]["valueString"] == "see MAR"


def test_immunization_occurrence_forms() -> None:
    record = CompactRecord(immunizations=[
        Immunization(name="Tdap", cvx="115", date="2015-09-01"),
        Immunization(name="influenza, seasonal", cvx="141", date="fall 2023"),
        Immunization(name="hepatitis B", cvx="08"),
        Immunization(name="MMR", cvx="03", date="2019-05-14", status="refused"),
    ])
    dated, seasonal, undated, refused = resources(build(record), "Immunization")
    assert dated["occurrenceDateTime"] == "2015-09-01" and dated["status"] == "completed"
    assert dated["vaccineCode"]["coding"] == [{"system": "http://hl7.org/fhir/sid/cvx", "code": "115"}]
    assert seasonal["occurrenceString"] == "fall 2023"
    assert undated["occurrenceString"] == "unknown"
    assert refused["status"] == "not-done"


def test_social_history_observations() -> None:
    social = observations(build(full_record()), "social-history")
    by_code = {(c["system"], c["code"]): r for r in social for c in r["code"]["coding"]}
    pregnancy = by_code[(LOINC, "82810-3")]
    assert pregnancy["valueCodeableConcept"]["coding"][0] == {"system": SNOMED, "code": "77386006",
                                                              "display": "Pregnant"}
    edd = pregnancy["component"][0]
    assert codes(edd["code"], LOINC) == ["11778-8"] and edd["valueDateTime"] == "2024-08-30"
    travel = by_code[(SNOMED, "420008001")]
    assert travel["effectivePeriod"] == {"start": "2024-01-20", "end": "2024-02-03"}
    assert travel["component"][0]["valueCodeableConcept"] == {"text": "Guatemala"}
    assert travel["component"][0]["code"]["coding"][0]["code"] == "LOC"
    occupation = by_code[(LOINC, "11341-5")]
    assert occupation["valueCodeableConcept"] == {"text": "Elementary school teacher"}


def test_not_pregnant() -> None:
    record = CompactRecord(social=Social(pregnant=False))
    pregnancy = observations(build(record), "social-history")[0]
    assert codes(pregnancy["valueCodeableConcept"], SNOMED) == ["60001007"]


def test_reportable_condition_observation_points_at_its_triggers() -> None:
    bundle = build(full_record())
    reportable = [r for r in resources(bundle, "Observation") if codes(r["code"], SNOMED) == ["64572001"]]
    assert len(reportable) == 1
    observation = reportable[0]
    assert codes(observation["code"], LOINC) == ["75323-6"]
    assert observation["valueCodeableConcept"] == {"coding": [{"system": SNOMED, "code": "27836007"}],
                                                   "text": "Pertussis"}
    lab_url = next(e["fullUrl"] for e in bundle["entry"] if codes(e["resource"].get("code", {}), LOINC) == ["43913-3"])
    condition_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition")
    supporting = [x["valueReference"]["reference"] for x in observation["extension"]]
    assert supporting == [lab_url, condition_url]  # what it was inferred from (no per-item Provenance: issue 11)
    assert "public health agency" in observation["method"]["text"]


def test_reportable_with_invalid_snomed_is_text_only() -> None:
    record = CompactRecord(reportable=[Reportable(name="Invasive disease (made-up code)", snomed="186431009")])
    observation = resources(build(record), "Observation")[0]
    assert observation["valueCodeableConcept"] == {"text": "Invasive disease (made-up code)"}


def test_one_run_provenance_targets_all_and_evidence_stays_in_the_record() -> None:
    bundle = build(full_record())
    provenances = resources(bundle, "Provenance")
    assert len(provenances) == 1  # one per run, not one per item (issue 11)
    run = provenances[0]
    others = [e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] != "Provenance"]
    assert [t["reference"] for t in run["target"]] == others
    source = run["entity"][0]
    assert source["role"] == "source"
    assert SHA in source["what"]["display"] and "pertussis_case.xml" in source["what"]["display"]
    assert source["what"]["identifier"]["value"].startswith("ni:///sha-256;")
    assert run["recorded"] == "2024-03-06T14:00:00Z"
    assert "run-0001" in run["activity"]["text"] and run["agent"][0]["who"]["display"].startswith("cliniq-agent")
    assert [e["role"] for e in run["entity"]] == ["source"]  # per-item evidence stays in the record and trace
    for entry in bundle["entry"]:
        assert entry["resource"]["meta"]["source"] == "urn:cliniq-agent:run:run-0001"


def test_empty_record_gives_patient_and_run_provenance() -> None:
    bundle = build(CompactRecord())
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient", "Provenance"]


def test_dates_as_written() -> None:
    record = CompactRecord(
        patient=Patient(dob="07/23/1991"),
        labs=[Lab(name="Culture", loinc="600-7", result="No growth", date="2024-03-04 09:30"),
              Lab(name="Culture", loinc="600-7", result="No growth", date="sometime last week")],
        conditions=[Condition(name="Lyme disease", snomed="23502006", onset="two weeks ago")],
    )
    bundle = build(record)
    patient = resources(bundle, "Patient")[0]
    assert patient["birthDate"] == "1991-07-23"
    no_zone, unparsed = observations(bundle, "laboratory")
    assert no_zone["effectiveDateTime"] == "2024-03-04"  # a time without zone is not a valid FHIR dateTime
    assert no_zone["_effectiveDateTime"]["extension"][0]["valueString"] == "2024-03-04 09:30"
    assert "effectiveDateTime" not in unparsed
    assert unparsed["_effectiveDateTime"]["extension"][0]["valueString"] == "sometime last week"
    assert resources(bundle, "Condition")[0]["onsetString"] == "two weeks ago"


def test_draft_record_with_unasserted_items_is_refused() -> None:
    record = CompactRecord(conditions=[Condition(name="Measles", snomed="14189004", assertion=Assertion.NEGATED)])
    with pytest.raises(ValueError, match=r"conditions\[0\] has assertion 'negated'"):
        build_bundle(record, run_id="r", source_name="x", source_sha256=SHA)


@pytest.mark.parametrize("kwargs, message", [
    ({"source_sha256": "abc"}, "64 hex digits"),
    ({"run_id": " "}, "run_id"),
    ({"document_date": "not a date"}, "document_date"),
])
def test_bad_arguments_raise_clear_errors(kwargs: dict, message: str) -> None:
    arguments = {"run_id": "r", "source_name": "x", "source_sha256": SHA} | kwargs
    with pytest.raises(ValueError, match=message):
        build_bundle(CompactRecord(), **arguments)


@pytest.mark.parametrize("written, family, given", [
    ("Okafor, Adaeze N", "Okafor", ["Adaeze", "N"]), ("Lopez Garcia, Maria", "Lopez Garcia", ["Maria"]),
    ("Nguyen Thi Lan", None, None), ("Maria Lopez Garcia", None, None),
])
def test_patient_name_is_split_only_when_written_family_first(written: str, family: str | None,
                                                              given: list[str] | None) -> None:
    name = resources(build(CompactRecord(patient=Patient(name=written))), "Patient")[0]["name"][0]
    assert name["text"] == written
    assert name.get("family") == family and name.get("given") == given


def test_unrecognised_condition_status_keeps_its_text() -> None:
    record = CompactRecord(conditions=[Condition(name="Tuberculosis", snomed="56717001", status="under evaluation")])
    condition = resources(build(record), "Condition")[0]
    assert condition["clinicalStatus"]["coding"][0]["code"] == "active"
    assert condition["clinicalStatus"]["text"] == "under evaluation"
