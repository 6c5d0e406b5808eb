"""Reportability determination on small records built here: labs, diagnoses, triggers, meds, specificity."""

from __future__ import annotations

import pytest

from cliniq_agent.reportability import Positivity, assess_reportability, classify, determine_reportable
from cliniq_agent.core.schema import Assertion, CompactRecord, Condition, Immunization, Lab, Med, Trigger
from cliniq_agent.terminology import TerminologyKB

COVID, PERTUSSIS, TB = "840539006", "27836007", "56717001"


@pytest.fixture(scope="module")
def kb() -> TerminologyKB:
    return TerminologyKB.load()


def codes(result: list) -> list[str]:
    return [r.snomed for r in result]


def test_positive_lab_triggers(kb: TerminologyKB) -> None:
    record = CompactRecord(labs=[Lab(name="SARS-CoV-2 PCR", loinc="94500-6", result="Detected")])
    [covid] = determine_reportable(record, [], kb)
    assert (covid.snomed, covid.name) == (COVID, "COVID-19")
    assert covid.triggers[0].system == "loinc" and covid.triggers[0].code == "94500-6"
    assert 0.8 < covid.confidence < 0.95


@pytest.mark.parametrize("lab", [
    Lab(name="SARS-CoV-2 PCR", loinc="94500-6", result="Not detected"),
    Lab(name="SARS-CoV-2 PCR", loinc="94500-6", result_code="260415000", result="Not detected (qualifier value)"),
    Lab(name="SARS-CoV-2 PCR", loinc="94500-6", result="Negative", interpretation="A"),
    Lab(name="SARS-CoV-2 PCR", loinc="94500-6", interpretation="N"),
    Lab(name="SARS-CoV-2 PCR", loinc="94500-6", result="Pending"),
    Lab(name="SARS-CoV-2 PCR", loinc="94500-6", status="pending"),
    Lab(name="SARS-CoV-2 PCR", loinc="94500-6", result="Indeterminate"),
    Lab(name="SARS-CoV-2 PCR", loinc="94500-6"),
])
def test_negative_pending_or_unclear_labs_never_trigger(kb: TerminologyKB, lab: Lab) -> None:
    result = assess_reportability(CompactRecord(labs=[lab]), [Trigger(system="loinc", code="94500-6")], kb)
    assert result.reportable == [] and result.below_threshold == []
    assert any("not positive" in s.reason for s in result.skipped)


def test_ruled_out_diagnosis_is_not_reportable_even_with_a_trigger_marker(kb: TerminologyKB) -> None:
    record = CompactRecord(conditions=[Condition(name="Pertussis", snomed=PERTUSSIS, assertion=Assertion.RULED_OUT)])
    result = assess_reportability(record, [Trigger(system="snomed", code=PERTUSSIS, source="problem trigger")], kb)
    assert result.reportable == []
    assert [s.code for s in result.skipped if s.item == "trigger"] == [PERTUSSIS]
    assert determine_reportable(CompactRecord(), [Trigger(system="snomed", code=PERTUSSIS)], kb) == []


def test_trigger_marker_corroborates_an_asserted_item(kb: TerminologyKB) -> None:
    record = CompactRecord(conditions=[Condition(name="COVID-19", snomed="1240581000000104", icd10="U07.1")])
    plain = determine_reportable(record, [], kb)
    marked = determine_reportable(record, [Trigger(system="2.16.840.1.113883.6.90", code="U071",
                                                   source="problem trigger template")], kb)
    assert codes(plain) == codes(marked) == [COVID]
    assert marked[0].confidence >= 0.95 > plain[0].confidence
    assert any("eICR problem trigger template" in (t.source or "") for t in marked[0].triggers)


def test_icd10_diagnosis_links_via_prefix(kb: TerminologyKB) -> None:
    record = CompactRecord(conditions=[Condition(name="Whooping cough, unspecified species without pneumonia",
                                                 icd10="A37.90")])
    [pertussis] = determine_reportable(record, [], kb)
    assert pertussis.snomed == PERTUSSIS
    assert pertussis.triggers[0].system == "icd10" and pertussis.triggers[0].code == "A37.90"


def test_snomed_code_whose_name_is_a_condition_synonym(kb: TerminologyKB) -> None:
    record = CompactRecord(conditions=[Condition(name="Tos ferina")])  # narrative mention, no code
    assert codes(determine_reportable(record, [], kb)) == [PERTUSSIS]
    record = CompactRecord(conditions=[Condition(name="Plague pneumonia", snomed="38976008")])
    assert codes(determine_reportable(record, [], kb)) == ["58750007"]


def test_one_reportable_per_condition_with_aggregated_triggers(kb: TerminologyKB) -> None:
    record = CompactRecord(
        conditions=[Condition(name="COVID-19", icd10="U07.1")],
        labs=[Lab(name="SARS-CoV-2 Ag rapid", loinc="94558-4", result="Positive"),
              Lab(name="SARS-CoV-2 PCR", loinc="94500-6", result="Detected")],
    )
    [covid] = determine_reportable(record, [], kb)
    assert {(t.system, t.code) for t in covid.triggers} == {("icd10", "U07.1"), ("loinc", "94558-4"),
                                                            ("loinc", "94500-6")}
    single = determine_reportable(CompactRecord(conditions=record.conditions), [], kb)[0]
    assert covid.confidence > single.confidence


def test_most_specific_condition_wins(kb: TerminologyKB) -> None:
    record = CompactRecord(
        conditions=[Condition(name="Influenza due to unidentified influenza virus", icd10="J11.1")],
        labs=[Lab(name="Influenza virus A H5 RNA [Presence] in Specimen by NAA", result="Detected")],
    )
    result = determine_reportable(record, [], kb, include_jurisdictional=True)
    assert codes(result) == ["541131000124102"]
    assert ("icd10", "J11.1") in {(t.system, t.code) for t in result[0].triggers}


def test_generic_condition_yields_within_an_item(kb: TerminologyKB) -> None:
    record = CompactRecord(conditions=[Condition(name="Meningococcal meningitis", icd10="A39.0")])
    assert codes(determine_reportable(record, [], kb, include_jurisdictional=True)) == ["23511006"]


def test_jurisdiction_dependent_conditions_stay_below_threshold(kb: TerminologyKB) -> None:
    record = CompactRecord(labs=[Lab(name="Respiratory syncytial virus RNA [Presence] in Respiratory specimen by NAA",
                                     result="Detected")])
    result = assess_reportability(record, [], kb)
    assert result.reportable == [] and codes(result.below_threshold) == ["55735004"]
    assert codes(determine_reportable(record, [], kb, include_jurisdictional=True)) == ["55735004"]


def test_medication_alone_is_only_supporting_evidence(kb: TerminologyKB) -> None:
    meds = [Med(name="isoniazid 300 MG Oral Tablet"), Med(name="rifampin 300 MG Oral Capsule")]
    result = assess_reportability(CompactRecord(meds=meds), [], kb)
    assert result.reportable == [] and codes(result.below_threshold) == [TB]
    with_dx = CompactRecord(meds=meds, conditions=[Condition(name="Pulmonary tuberculosis", icd10="A15.0")])
    [tb] = determine_reportable(with_dx, [], kb)
    assert tb.snomed == TB and any(t.system == "rxnorm" for t in tb.triggers)


def test_rctc_listed_vaccine_is_moderate_evidence(kb: TerminologyKB) -> None:
    record = CompactRecord(immunizations=[Immunization(name="anthrax vaccine", cvx="24")],
                           meds=[Med(name="Tylenol")])
    [anthrax] = determine_reportable(record, [], kb)
    assert anthrax.snomed == "409498004" and anthrax.confidence == pytest.approx(0.6)
    negated = CompactRecord(immunizations=[Immunization(name="RIG", cvx="34", assertion=Assertion.NEGATED)])
    assert determine_reportable(negated, [], kb) == []


@pytest.mark.parametrize(("lab", "expected"), [
    (Lab(name="Lead [Mass/volume] in Blood", value="5.2", unit="ug/dL"), ["407152001"]),
    (Lab(name="Lead [Mass/volume] in Blood", value="5.2", unit="µg/dL"), ["407152001"]),
    (Lab(name="Lead [Mass/volume] in Blood", value="1.1", unit="ug/dL"), []),
    (Lab(name="Carboxyhemoglobin, Arterial", value="2.3", unit="%", interpretation="H"), ["17383000"]),
    (Lab(name="Carboxyhemoglobin, Venous", value="1.2", unit="%"), []),
])
def test_quantitative_analytes_need_a_flag_or_threshold(kb: TerminologyKB, lab: Lab, expected: list[str]) -> None:
    assert codes(determine_reportable(CompactRecord(labs=[lab]), [], kb)) == expected


def test_culture_result_naming_the_organism(kb: TerminologyKB) -> None:
    culture = Lab(name="Bacteria identified in Stool by Culture", loinc="625-4",
                  result="Salmonella enterica serovar Typhi")
    assert codes(determine_reportable(CompactRecord(labs=[culture]), [], kb)) == ["4834000"]
    negative = culture.model_copy(update={"result": "No Salmonella, Shigella or Campylobacter isolated"})
    assert determine_reportable(CompactRecord(labs=[negative]), [], kb) == []


def test_reactive_titre_is_positive(kb: TerminologyKB) -> None:
    lab = Lab(name="Reagin Ab [Titer] in Serum by RPR", result="1:32")
    assert codes(determine_reportable(CompactRecord(labs=[lab]), [], kb)) == ["76272004"]
    assert classify(lab.model_copy(update={"result": "<1:1"}))[0] is not Positivity.POSITIVE


def test_invalid_codes_are_skipped_with_a_reason(kb: TerminologyKB) -> None:
    record = CompactRecord(conditions=[Condition(name="Hypertension", snomed="38341004")],
                           labs=[Lab(name="Bordetella pertussis DNA [Presence] in Nasopharynx by NAA",
                                     loinc="43913-4", result="Positive")])
    result = assess_reportability(record, [], kb)
    assert codes(result.reportable) == [PERTUSSIS]  # the test name still says what was tested
    reasons = " ".join(s.reason for s in result.skipped)
    assert "Verhoeff" in reasons and "check digit" in reasons


def test_suspected_wording_lowers_confidence(kb: TerminologyKB) -> None:
    sure = determine_reportable(CompactRecord(conditions=[Condition(name="Measles")]), [], kb)
    suspected = determine_reportable(CompactRecord(conditions=[Condition(name="Suspected measles")]), [], kb)
    assert codes(sure) == codes(suspected) == ["14189004"]
    assert suspected[0].confidence < sure[0].confidence


def test_nothing_reportable(kb: TerminologyKB) -> None:
    record = CompactRecord(conditions=[Condition(name="Essential hypertension", snomed="59621000", icd10="I10")],
                           labs=[Lab(name="Glucose [Mass/volume] in Serum or Plasma", loinc="2345-7", value="110",
                                     unit="mg/dL", interpretation="H")],
                           meds=[Med(name="lisinopril 10 MG Oral Tablet", rxnorm="314076")])
    assert assess_reportability(record, [], kb).model_dump() == {"reportable": [], "below_threshold": [],
                                                                 "skipped": []}


def test_output_fits_the_compact_schema_and_is_sorted(kb: TerminologyKB) -> None:
    record = CompactRecord(conditions=[Condition(name="Anthrax", icd10="A22.9"),
                                       Condition(name="Suspected measles")])
    result = determine_reportable(record, [], kb)
    assert [r.confidence for r in result] == sorted((r.confidence for r in result), reverse=True)
    filled = record.model_copy(update={"reportable": result})
    assert CompactRecord.model_validate(filled.model_dump()).reportable == result
