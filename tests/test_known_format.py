"""Known-format line parser on clinician text written for these tests."""

from __future__ import annotations

from cliniq_agent import extract
from cliniq_agent.text.lines.labels import known_format_likelihood
from cliniq_agent.text.lines.parser import parse_known_format
from cliniq_agent.core.schema import Assertion

NOTE = """Patient: Hana Takeda
Sex: Female
DOB: 03/14/1988
Race: Asian
Location: Portland, OR 97205
Phone: 503-555-0199
Facility: Riverbend Medical Center (NPI: 1093817465)
Encounter: 2026-02-11 09:30
Reason: bloody diarrhea and cramps for 3 days
Dx: Shigellosis (SNOMED 36188001); Salmonella infection ruled out
Lab: Bacteria identified in Stool by Culture (LOINC 625-4) - Shigella sonnei, positive [Stool, final]
Lab: Stool culture for Salmonella - Not detected [Stool, final]
Vitals: T 101.3F, P 112, RR 18, O2 sat 97%, BP 104/66, Wt 58 kg
Meds: Ciprofloxacin 500 MG Oral Tablet (RxNorm 197511), by mouth twice daily
Meds: ondansetron 4 MG Oral Tablet, discontinued
"""


def test_parses_every_field() -> None:
    record, unclaimed = parse_known_format(NOTE)
    assert not unclaimed
    p = record.patient
    assert (p.name, p.gender, p.dob, p.race, p.phone) == ("Hana Takeda", "F", "1988-03-14", "Asian", "503-555-0199")
    assert record.encounter.facility == "Riverbend Medical Center"
    assert record.encounter.facility_id == "1093817465"
    assert record.encounter.date == "2026-02-11T09:30"
    conditions = {c.name: c for c in record.conditions}
    assert conditions["Shigellosis"].snomed == "36188001"
    assert conditions["Shigellosis"].assertion is Assertion.PRESENT
    ruled_out = [c for c in record.conditions if c.assertion is not Assertion.PRESENT]
    assert len(ruled_out) == 1 and "Salmonella" in ruled_out[0].name and ruled_out[0].snomed is None
    lab = record.labs[0]
    assert (lab.loinc, lab.result, lab.specimen, lab.status, lab.interpretation) == (
        "625-4", "Shigella sonnei, positive", "Stool", "final", "positive")
    uncoded = record.labs[1]
    assert uncoded.loinc is None and uncoded.result == "Not detected" and uncoded.interpretation == "negative"
    vitals = {v.name: (v.value, v.unit) for v in record.vitals}
    assert vitals == {"temp": ("101.3", "[degF]"), "hr": ("112", "/min"), "rr": ("18", "/min"), "spo2": ("97", "%"),
                      "sbp": ("104", "mm[Hg]"), "dbp": ("66", "mm[Hg]"), "weight": ("58", "kg")}
    cipro, ondansetron = record.meds
    assert (cipro.rxnorm, cipro.dose, cipro.route) == ("197511", "500 MG", "oral")
    assert ondansetron.rxnorm is None and ondansetron.status == "discontinued"


def test_evidence_points_at_the_source_line() -> None:
    record, _ = parse_known_format(NOTE)
    evidence = record.conditions[0].evidence[0]
    assert evidence.locator == "line 10"
    assert evidence.span is not None and NOTE[evidence.span[0]:evidence.span[1]] == evidence.text
    assert "36188001" in evidence.text


def test_several_codes_on_one_line() -> None:
    text = ("Patient: Omar Haddad\nDx: Brucellosis (SNOMED 75702008) (ICD-10-CM A23.9)\n"
            "Meds: doxycycline 100 MG Oral Tablet (RxNorm 197984), rifampin 300 MG Oral Capsule (RxNorm 199279)\n")
    record, _ = parse_known_format(text)
    assert [(c.snomed, c.icd10) for c in record.conditions] == [("75702008", "A23.9")]
    assert [m.rxnorm for m in record.meds] == ["197984", "199279"]
    assert record.meds[1].name == "rifampin 300 MG Oral Capsule"


def test_format_detection() -> None:
    assert known_format_likelihood(NOTE) > 0.9
    prose = "The patient is a 40-year-old man with fever.\nHe was treated with antibiotics.\nDx: pneumonia"
    assert known_format_likelihood(prose) < 0.6
    assert known_format_likelihood("Patient: A\nDOB: 2000-01-01\n") == 0.0


def test_extract_routes_known_format_without_llm() -> None:
    result = extract(NOTE, use_llm=False, persist_trace=False)
    assert result.route == "known_format"
    compact = result.to_compact()
    assert [c["snomed"] for c in compact["conditions"]] == ["36188001"]
    assert all("assertion" not in c for c in compact["conditions"])
    assert any("ruled_out" in e.reason or "negated" in e.reason for e in result.excluded)


def test_bare_icd10_code_on_a_dx_line() -> None:
    """A Dx line's label says what an unlabelled code is; only codes that exist in ICD-10-CM count, and a
    precise ICD-10-CM → reportable-condition link adds the SNOMED code, traced as a lookup."""
    note = ("Patient: Ada Moss\nDx: A37.90 Whooping cough\nDx: Measles (B05.9), confirmed by IgM\n"
            "Dx: H1N1 influenza\nDx: B12 deficiency\n")
    record, _ = parse_known_format(note)
    assert [(c.name, c.icd10) for c in record.conditions] == [
        ("Whooping cough", "A37.90"), ("Measles", "B05.9"), ("H1N1 influenza", None), ("B12 deficiency", None)]
    result = extract(note, use_llm=False, persist_trace=False)
    by_icd = {c.icd10: c for c in result.record.conditions if c.icd10}
    assert by_icd["A37.90"].snomed == "27836007" and by_icd["B05.9"].snomed == "14189004"
    assert any(e.rule == "icd10_link:icd10:A37.9" for e in by_icd["A37.90"].evidence)


def test_bare_code_needs_the_label() -> None:
    note = "Patient: Ada Moss\nReason: seen in room B20 for cough\nDx: Acute bronchitis\n"
    record, _ = parse_known_format(note)
    assert not any(c.icd10 for c in record.conditions)


def test_med_name_ends_at_a_spaced_dash() -> None:
    record, _ = parse_known_format("Patient: Ada Moss\nMeds: ibuprofen DISCONTINUED - stomach upset\n")
    [med] = record.meds
    assert (med.name, med.status) == ("ibuprofen", "discontinued")


def test_a_negation_trigger_is_cut_from_the_name_only_as_a_whole_word() -> None:
    note = NOTE.replace("Dx: Shigellosis (SNOMED 36188001); Salmonella infection ruled out",
                        "Dx: Shigellosis (SNOMED 36188001)\nAssessment: No notifiable illness diagnosed on this nominal review")
    result = extract(note, use_llm=False, persist_trace=False)
    negated = [item.name for item in result.excluded if "illness" in (item.name or "")]
    assert negated, "the negated assessment line is kept as an excluded mention"
    assert all("diagnosed" in name and "nominal" in name for name in negated)
