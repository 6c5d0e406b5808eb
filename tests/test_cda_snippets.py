"""parse_cda on small CDA documents written for these tests (one CDA feature per test)."""

from __future__ import annotations

import pytest
import regex
from lxml import etree

from cliniq_agent.cda import parse_cda
from cliniq_agent.core.errors import InputError
from cliniq_agent.core.schema import Assertion
from cliniq_agent.core.xmlsafe import NSMAP, parse_xml

NS_DECL = 'xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sdtc="urn:hl7-org:sdtc"'
RCTC = "2.16.840.1.114222.4.11.7508"

HEADER = """
<recordTarget><patientRole>
  <id root="2.16.840.1.113883.19.5" extension="P1"/>
  <addr use="WP"><streetAddressLine>9 Work Rd</streetAddressLine><city>Elsewhere</city></addr>
  <addr use="H"><streetAddressLine>12 Elm St</streetAddressLine><city>Springfield</city>
    <state>IL</state><postalCode>62701</postalCode><country>US</country></addr>
  <telecom use="WP" value="mailto:a@b.org"/><telecom use="HP" value="tel:+1-217-555-0101"/>
  <patient>
    <name use="L"><given>Ana</given><given qualifier="IN">Q</given><family>Lopez</family></name>
    <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
    <birthTime value="19900215"/>
    <raceCode code="2028-9" codeSystem="2.16.840.1.113883.6.238"/>
    <ethnicGroupCode code="2135-2" codeSystem="2.16.840.1.113883.6.238" displayName="Hispanic or Latino"/>
  </patient>
</patientRole></recordTarget>
<componentOf><encompassingEncounter>
  <code code="EMER" codeSystem="2.16.840.1.113883.5.4" displayName="Emergency"/>
  <effectiveTime><low value="202403011430-0500"/><high value="20240302"/></effectiveTime>
  <location><healthCareFacility>
    <id root="2.16.840.1.113883.4.6" extension="1234567893"/>
    <serviceProviderOrganization><name>Mercy General</name></serviceProviderOrganization>
  </healthCareFacility></location>
</encompassingEncounter></componentOf>
"""


def cda(*sections: str, header: str = HEADER, doc_template: str = "2.16.840.1.113883.10.20.15.2",
        doc_code: str = "55751-2") -> str:
    body = "".join(f"<component>{s}</component>" for s in sections)
    return (
        f'<ClinicalDocument {NS_DECL}><templateId root="{doc_template}" extension="2022-05-01"/>'
        f'<code code="{doc_code}" codeSystem="2.16.840.1.113883.6.1"/>{header}'
        f"<component><structuredBody>{body}</structuredBody></component></ClinicalDocument>"
    )


def section(template: str | None, code: str | None, title: str, text: str = "", entries: str = "") -> str:
    tid = f'<templateId root="{template}"/>' if template else ""
    code_el = f'<code code="{code}" codeSystem="2.16.840.1.113883.6.1"/>' if code else ""
    return f"<section>{tid}{code_el}<title>{title}</title><text>{text}</text>{entries}</section>"


def parse(xml: str, name: str = "snippet.xml"):
    root = parse_xml(xml.encode(), name=name)
    return root, parse_cda(root, source_name=name)


def problems(*observations: str, text: str = "") -> str:
    entries = "".join(
        '<entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.3"/>'
        f'<code code="CONC" codeSystem="2.16.840.1.113883.5.6"/><statusCode code="active"/>'
        f'<entryRelationship typeCode="SUBJ">{obs}</entryRelationship></act></entry>'
        for obs in observations
    )
    return section("2.16.840.1.113883.10.20.22.2.5.1", "11450-4", "Problems", text, entries)


def problem_obs(value: str, *, attrs: str = "", extra_template: str = "") -> str:
    return (
        f'<observation classCode="OBS" moodCode="EVN" {attrs}>'
        f'<templateId root="2.16.840.1.113883.10.20.22.4.4"/>{extra_template}'
        '<code code="55607006" codeSystem="2.16.840.1.113883.6.96" displayName="Problem"/>'
        '<statusCode code="completed"/><effectiveTime><low value="20240220"/></effectiveTime>'
        f"{value}</observation>"
    )


def results(*observations: str, organizer_extra: str = "") -> str:
    comps = "".join(f"<component>{obs}</component>" for obs in observations)
    entry = (
        '<entry><organizer classCode="BATTERY" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.1"/>'
        '<code code="24331-1" codeSystem="2.16.840.1.113883.6.1" displayName="Lipid panel"/>'
        f'<statusCode code="completed"/><effectiveTime value="20240301"/>{organizer_extra}{comps}</organizer></entry>'
    )
    return section("2.16.840.1.113883.10.20.22.2.3.1", "30954-2", "Results", "", entry)


def result_obs(code: str, value: str, *, extra: str = "", template: str = "2.16.840.1.113883.10.20.22.4.2") -> str:
    return (
        f'<observation classCode="OBS" moodCode="EVN"><templateId root="{template}"/>{code}'
        f'<statusCode code="completed"/><effectiveTime value="20240301101500-0500"/>{value}{extra}</observation>'
    )


def loinc(code: str, name: str, extra: str = "") -> str:
    return f'<code code="{code}" codeSystem="2.16.840.1.113883.6.1" displayName="{name}" {extra}/>'


def the_element(root: etree._Element, locator: str) -> etree._Element:
    found = root.xpath(locator, namespaces=NSMAP)
    assert len(found) == 1, locator
    return found[0]


# ------------------------------------------------------------------ conditions

def test_icd10_value_with_snomed_translation_fills_both_and_never_uses_problem_type_code():
    value = (
        '<value xsi:type="CD" code="B059" codeSystem="2.16.840.1.113883.6.90" displayName="Measles">'
        '<translation code="14189004" codeSystem="2.16.840.1.113883.6.96" displayName="Measles (disorder)"/></value>'
    )
    root, result = parse(cda(problems(problem_obs(value))))
    [condition] = result.record.conditions
    assert (condition.snomed, condition.icd10, condition.name) == ("14189004", "B05.9", "Measles")
    assert condition.onset == "2024-02-20" and condition.status == "active"
    assert condition.assertion is Assertion.PRESENT
    [evidence] = condition.evidence
    assert evidence.rule == "ccda-problem-concern-observation"
    assert etree.QName(the_element(root, evidence.locator)).localname == "observation"
    assert "55607006" not in {condition.snomed, condition.icd10}


def test_snomed_value_with_icd10_translation():
    value = (
        '<value xsi:type="CD" code="840539006" codeSystem="2.16.840.1.113883.6.96" displayName="COVID-19">'
        '<translation code="U071" codeSystem="2.16.840.1.113883.6.90"/></value>'
    )
    _, result = parse(cda(problems(problem_obs(value))))
    [condition] = result.record.conditions
    assert (condition.snomed, condition.icd10) == ("840539006", "U07.1")


def test_negated_problem_is_returned_as_negated_not_dropped():
    value = '<value xsi:type="CD" code="14189004" codeSystem="2.16.840.1.113883.6.96" displayName="Measles"/>'
    _, result = parse(cda(problems(problem_obs(value, attrs='negationInd="true"'))))
    [condition] = result.record.conditions
    assert condition.assertion is Assertion.NEGATED and condition.snomed == "14189004"


def test_negated_problem_type_value_means_no_known_problems():
    value = '<value xsi:type="CD" code="64572001" codeSystem="2.16.840.1.113883.6.96" displayName="Disease"/>'
    _, result = parse(cda(problems(problem_obs(value, attrs='negationInd="true"'))))
    assert result.record.conditions == []
    assert any("no known problems" in note for note in result.notes)


def test_original_text_reference_is_resolved_against_the_narrative():
    text = '<table><tbody><tr><td ID="prob1">Suspected <content>pertussis</content></td></tr></tbody></table>'
    value = '<value xsi:type="CD" nullFlavor="OTH"><originalText><reference value="#prob1"/></originalText></value>'
    _, result = parse(cda(problems(problem_obs(value), text=text)))
    [condition] = result.record.conditions
    assert condition.name == "Suspected pertussis" and condition.snomed is None
    assert any("kept by name only" in note for note in result.notes)


def test_problem_type_placeholder_value_keeps_the_name_only():
    value = '<value xsi:type="CD" code="282291009" codeSystem="2.16.840.1.113883.6.96" displayName="Some diagnosis"/>'
    _, result = parse(cda(problems(problem_obs(value))))
    [condition] = result.record.conditions
    assert condition.snomed is None and condition.name == "Some diagnosis"
    assert any("282291009" in note for note in result.notes)


def test_unresolvable_reference_and_no_name_is_noted_and_skipped():
    value = '<value xsi:type="CD" nullFlavor="UNK"><originalText><reference value="#missing"/></originalText></value>'
    _, result = parse(cda(problems(problem_obs(value))))
    assert result.record.conditions == []
    assert any("#missing does not resolve" in note for note in result.notes)
    assert any("no usable code and no name" in note for note in result.notes)


def test_past_medical_history_section_marks_problems_historical():
    value = '<value xsi:type="CD" code="38341003" codeSystem="2.16.840.1.113883.6.96" displayName="Hypertension"/>'
    pmh = section("2.16.840.1.113883.10.20.22.2.20", "11348-0", "Past Medical History", "",
                  f"<entry>{problem_obs(value)}</entry>")
    _, result = parse(cda(pmh))
    [condition] = result.record.conditions
    assert condition.assertion is Assertion.HISTORICAL


def test_nullified_entry_is_skipped_with_a_note():
    value = '<value xsi:type="CD" code="14189004" codeSystem="2.16.840.1.113883.6.96" displayName="Measles"/>'
    obs = problem_obs(value).replace('<statusCode code="completed"/>', '<statusCode code="nullified"/>')
    _, result = parse(cda(problems(obs)))
    assert result.record.conditions == []
    assert any("entered in error" in note for note in result.notes)


def test_duplicate_condition_is_folded_with_both_evidences():
    value = '<value xsi:type="CD" code="14189004" codeSystem="2.16.840.1.113883.6.96" displayName="Measles"/>'
    encounter = section(
        "2.16.840.1.113883.10.20.22.2.22.1", "46240-8", "Encounters", "",
        '<entry><encounter classCode="ENC" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.49"/>'
        '<code code="99213" codeSystem="2.16.840.1.113883.6.12" displayName="Office visit"/>'
        '<effectiveTime value="20240301"/><entryRelationship typeCode="COMP"><act classCode="ACT" moodCode="EVN">'
        '<templateId root="2.16.840.1.113883.10.20.22.4.80"/><code code="29308-4" codeSystem="2.16.840.1.113883.6.1"/>'
        f'<entryRelationship typeCode="SUBJ">{problem_obs(value)}</entryRelationship></act>'
        "</entryRelationship></encounter></entry>",
    )
    _, result = parse(cda(encounter, problems(problem_obs(value))))
    [condition] = result.record.conditions
    assert {e.rule for e in condition.evidence} == {"ccda-encounter-diagnosis", "ccda-problem-concern-observation"}
    assert condition.status == "active"  # filled from the problem-list copy


# ------------------------------------------------------------------ labs

def test_lab_value_types_interpretation_specimen_and_status():
    status = (
        '<entryRelationship typeCode="COMP"><observation classCode="OBS" moodCode="EVN">'
        '<templateId root="2.16.840.1.113883.10.20.22.4.419"/><code code="92236-9" codeSystem="2.16.840.1.113883.6.1"/>'
        '<value xsi:type="CD" code="P" codeSystem="2.16.840.1.113883.18.34"/></observation></entryRelationship>'
    )
    specimen = (
        '<component><procedure classCode="PROC" moodCode="EVN"><code code="17636008" codeSystem="2.16.840.1.113883.6.96"/>'
        '<participant typeCode="PRD"><participantRole classCode="SPEC"><playingEntity>'
        '<code code="119297000" codeSystem="2.16.840.1.113883.6.96" displayName="Blood specimen"/>'
        "</playingEntity></participantRole></participant></procedure></component>"
    )
    observations = [
        result_obs(loinc("2093-3", "Cholesterol"), '<value xsi:type="PQ" value="212" unit="mg/dL"/>',
                   extra='<interpretationCode code="H" codeSystem="2.16.840.1.113883.5.83"/>'),
        result_obs(loinc("94500-6", "SARS-CoV-2 RNA"),
                   '<value xsi:type="CD" code="260373001" codeSystem="2.16.840.1.113883.6.96" displayName="Detected"/>',
                   extra='<interpretationCode code="POS" codeSystem="2.16.840.1.113883.5.83"/>' + status),
        result_obs(loinc("5196-1", "HBsAg"), '<value xsi:type="ST">Reactive</value>'),
        result_obs(loinc("22496-9", "Treponema Ab titer"),
                   '<value xsi:type="RTO_INT_INT"><numerator value="1"/><denominator value="64"/></value>'),
        result_obs(loinc("2345-7", "Glucose"), '<value xsi:type="IVL_PQ"><low value="70" unit="mg/dL"/>'
                   '<high value="99" unit="mg/dL"/></value>'),
    ]
    _, result = parse(cda(results(*observations, organizer_extra=specimen)))
    labs = {lab.loinc: lab for lab in result.record.labs}
    assert (labs["2093-3"].value, labs["2093-3"].unit, labs["2093-3"].result) == ("212", "mg/dL", "212 mg/dL")
    assert labs["2093-3"].interpretation == "high" and labs["2093-3"].status == "final"
    assert labs["2093-3"].specimen == "Blood specimen"
    assert labs["2093-3"].date == "2024-03-01T10:15:00-05:00"
    covid = labs["94500-6"]
    assert (covid.result, covid.result_code, covid.value) == ("Detected", "260373001", None)
    assert covid.interpretation == "positive" and covid.status == "preliminary"
    assert labs["5196-1"].result == "Reactive"
    assert labs["22496-9"].result == "1:64"
    assert labs["2345-7"].result == "70-99 mg/dL"
    assert "24331-1" not in labs  # the panel has no result of its own


def test_local_code_with_loinc_translation_and_rctc_trigger_in_the_translation():
    code = (
        '<code code="LOC123" codeSystem="1.2.3.4.5" displayName="Pertussis culture">'
        f'<translation code="548-8" codeSystem="2.16.840.1.113883.6.1" sdtc:valueSet="{RCTC}"/></code>'
    )
    value = '<value xsi:type="CD" code="5247005" codeSystem="2.16.840.1.113883.6.96" displayName="Bordetella pertussis"/>'
    obs = result_obs(code, value).replace(
        '<templateId root="2.16.840.1.113883.10.20.22.4.2"/>',
        '<templateId root="2.16.840.1.113883.10.20.22.4.2"/><templateId root="2.16.840.1.113883.10.20.15.2.3.2"/>',
    )
    root, result = parse(cda(results(obs)))
    [lab] = result.record.labs
    assert (lab.loinc, lab.name, lab.result_code) == ("548-8", "Pertussis culture", "5247005")
    assert lab.evidence[0].rule == "eicr-trigger-result-observation"
    triggers = {(t.system, t.code) for t in result.triggers}
    assert triggers == {("loinc", "548-8")}  # only the RCTC-marked code, not the unmarked value
    [trigger] = result.triggers
    assert etree.QName(the_element(root, trigger.source)).localname == "translation"


def test_lab_test_order_is_planned():
    order = (
        '<entry><observation classCode="OBS" moodCode="RQO"><templateId root="2.16.840.1.113883.10.20.22.4.44"/>'
        '<templateId root="2.16.840.1.113883.10.20.15.2.3.4"/>'
        + loinc("80825-3", "Zika virus E gene", f'sdtc:valueSet="{RCTC}"')
        + '<statusCode code="active"/><effectiveTime value="20240302"/></observation></entry>'
    )
    plan = section("2.16.840.1.113883.10.20.22.2.10", "18776-5", "Plan of Treatment", "", order)
    _, result = parse(cda(plan))
    [lab] = result.record.labs
    assert lab.assertion is Assertion.PLANNED and lab.status == "ordered" and lab.loinc == "80825-3"
    assert [(t.system, t.code) for t in result.triggers] == [("loinc", "80825-3")]


# ------------------------------------------------------------------ medications, immunizations

def med_entry(mood: str, code: str, *, attrs: str = "", status: str = "completed", templates: str = "") -> str:
    return (
        f'<entry><substanceAdministration classCode="SBADM" moodCode="{mood}" {attrs}>'
        '<templateId root="2.16.840.1.113883.10.20.22.4.16"/>'
        f'<statusCode code="{status}"/><effectiveTime value="20240301"/>'
        '<routeCode code="C38288" codeSystem="2.16.840.1.113883.3.26.1.1" displayName="Oral"/>'
        '<doseQuantity value="500" unit="mg"/><consumable><manufacturedProduct>'
        f'<templateId root="2.16.840.1.113883.10.20.22.4.23"/>{templates}'
        f"<manufacturedMaterial>{code}</manufacturedMaterial></manufacturedProduct></consumable>"
        "</substanceAdministration></entry>"
    )


def test_medications_mood_status_negation_and_rxnorm_translation():
    rx = '<code code="197511" codeSystem="2.16.840.1.113883.6.88" displayName="ciprofloxacin 500 MG Oral Tablet"/>'
    ndc = (
        '<code code="0093-0864-01" codeSystem="2.16.840.1.113883.6.69" displayName="Doxycycline 100 mg">'
        '<translation code="197984" codeSystem="2.16.840.1.113883.6.88"/></code>'
    )
    administered = section("2.16.840.1.113883.10.20.22.2.38", "29549-3", "Medications Administered", "",
                           med_entry("EVN", rx) + med_entry("EVN", ndc, attrs='negationInd="true"'))
    meds = section("2.16.840.1.113883.10.20.22.2.1.1", "10160-0", "Medications", "",
                   med_entry("INT", rx, status="active"))
    _, result = parse(cda(administered, meds))
    got = {(m.rxnorm, m.assertion, m.status) for m in result.record.meds}
    assert got == {
        ("197511", Assertion.PRESENT, "administered"),
        ("197984", Assertion.NEGATED, "not given"),
        ("197511", Assertion.PLANNED, "planned"),
    }
    cipro = next(m for m in result.record.meds if m.status == "administered")
    assert (cipro.dose, cipro.route, cipro.name) == ("500 mg", "Oral", "ciprofloxacin 500 MG Oral Tablet")


def test_immunizations_cvx_and_not_given():
    def imm(cvx: str, name: str, attrs: str = "") -> str:
        return (
            f'<entry><substanceAdministration classCode="SBADM" moodCode="EVN" {attrs}>'
            '<templateId root="2.16.840.1.113883.10.20.22.4.52"/><statusCode code="completed"/>'
            '<effectiveTime value="20230115"/><consumable><manufacturedProduct>'
            '<templateId root="2.16.840.1.113883.10.20.22.4.54"/><manufacturedMaterial>'
            f'<code code="{cvx}" codeSystem="2.16.840.1.113883.12.292" displayName="{name}"/>'
            "</manufacturedMaterial></manufacturedProduct></consumable></substanceAdministration></entry>"
        )

    imms = section("2.16.840.1.113883.10.20.22.2.2.1", "11369-6", "Immunizations", "",
                   imm("03", "MMR") + imm("208", "COVID-19 mRNA", 'negationInd="true"'))
    _, result = parse(cda(imms))
    got = {(i.cvx, i.assertion, i.status, i.date) for i in result.record.immunizations}
    assert got == {("03", Assertion.PRESENT, "completed", "2023-01-15"), ("208", Assertion.NEGATED, "not given", "2023-01-15")}


# ------------------------------------------------------------------ vitals, social

def test_vitals_mapped_by_loinc_and_unknown_ones_noted():
    def vital(code: str, value: str, unit: str) -> str:
        return (
            '<component><observation classCode="OBS" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.27"/>'
            f'<code code="{code}" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="completed"/>'
            f'<effectiveTime value="20240301"/><value xsi:type="PQ" value="{value}" unit="{unit}"/></observation></component>'
        )

    organizer = (
        '<entry><organizer classCode="CLUSTER" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.26"/>'
        '<code code="46680005" codeSystem="2.16.840.1.113883.6.96"/><statusCode code="completed"/>'
        + vital("8310-5", "39.2", "Cel") + vital("59408-5", "94", "%") + vital("8287-5", "35", "cm")
        + "</organizer></entry>"
    )
    _, result = parse(cda(section("2.16.840.1.113883.10.20.22.2.4.1", "8716-3", "Vital Signs", "", organizer)))
    assert {(v.name, v.value, v.unit, v.loinc) for v in result.record.vitals} == {
        ("temp", "39.2", "Cel", "8310-5"), ("spo2", "94", "%", "59408-5")}
    assert any("8287-5" in note for note in result.notes)


def test_social_history_pregnancy_due_date_travel_occupation():
    entries = (
        '<entry><observation classCode="OBS" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.15.3.8"/>'
        '<code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/><statusCode code="completed"/>'
        '<value xsi:type="CD" code="77386006" codeSystem="2.16.840.1.113883.6.96" displayName="Pregnant"/>'
        '<entryRelationship typeCode="REFR"><observation classCode="OBS" moodCode="EVN">'
        '<templateId root="2.16.840.1.113883.10.20.22.4.297"/><code code="11778-8" codeSystem="2.16.840.1.113883.6.1"/>'
        '<value xsi:type="TS" value="20240910"/></observation></entryRelationship></observation></entry>'
        '<entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.15.2.3.1"/>'
        '<code code="420008001" codeSystem="2.16.840.1.113883.6.96"/><statusCode code="completed"/>'
        '<effectiveTime><low value="20240201"/><high value="20240215"/></effectiveTime>'
        '<participant typeCode="LOC"><participantRole classCode="TERR">'
        '<code code="BRA" codeSystem="1.0.3166.1" displayName="Brazil"/></participantRole></participant></act></entry>'
        '<entry><observation classCode="OBS" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.217"/>'
        '<code code="11341-5" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="active"/>'
        '<value xsi:type="CD" code="3600" codeSystem="2.16.840.1.113883.6.240" displayName="Nursing aides"/>'
        "</observation></entry>"
    )
    _, result = parse(cda(section("2.16.840.1.113883.10.20.22.2.17", "29762-2", "Social History", "", entries)))
    social = result.record.social
    assert (social.pregnant, social.pregnancy_due, social.occupation) == (True, "2024-09-10", "Nursing aides")
    [trip] = social.travel
    assert (trip.place, trip.start, trip.end) == ("Brazil", "2024-02-01", "2024-02-15")


# ------------------------------------------------------------------ header, sections, narrative

def test_patient_and_encounter_header():
    reason = section("2.16.840.1.113883.10.20.22.2.12", "29299-5", "Reason for Visit",
                     "<table><thead><tr><th>Reason</th></tr></thead><tbody><tr><td>Fever and rash</td></tr></tbody></table>")
    _, result = parse(cda(reason))
    patient, encounter = result.record.patient, result.record.encounter
    assert (patient.name, patient.gender, patient.dob) == ("Ana Lopez", "F", "1990-02-15")
    assert (patient.race, patient.ethnicity) == ("Asian", "Hispanic or Latino")  # race from the OMB table
    assert patient.address == "12 Elm St, Springfield, IL 62701, US" and patient.phone == "+1-217-555-0101"
    assert (encounter.date, encounter.end, encounter.type) == ("2024-03-01T14:30:00-05:00", "2024-03-02", "Emergency")
    assert (encounter.facility, encounter.facility_id, encounter.reason) == ("Mercy General", "1234567893", "Fever and rash")


def test_null_reason_narrative_is_not_a_reason():
    reason = section("2.16.840.1.113883.10.20.22.2.12", "29299-5", "Reason for Visit", "<paragraph>Not on file</paragraph>")
    _, result = parse(cda(reason))
    assert result.record.encounter.reason is None


def test_section_tiers_conflict_and_narrative_rendering():
    text = (
        "<paragraph>Cough for <content>5 days</content><br/>no fever</paragraph>"
        "<list><item>item one</item><item>item two</item></list>"
        "<table><thead><tr><th>Test</th><th>Value</th></tr></thead>"
        "<tbody><tr><td>CRP</td><td>12 mg/L</td></tr></tbody></table>"
    )
    sections = [
        section("1.3.6.1.4.1.19376.1.5.3.1.3.4", "10164-2", "HPI", text),
        section(None, "30954-2", "Lab data"),
        section(None, None, "Assessment and Plan"),
        section("2.16.840.1.113883.10.20.22.2.22.1", "18776-5", "Plan of Treatment"),
        section(None, None, "Misc"),
    ]
    _, result = parse(cda(*sections))
    kinds = [(s.kind, s.tier) for s in result.sections]
    assert kinds == [("hpi", 1), ("results", 2), ("assessment_and_plan", 3), ("plan_of_treatment", 2), (None, None)]
    assert result.sections[0].text.splitlines() == [
        "Cough for 5 days", "no fever", "item one", "item two", "Test | Value", "CRP | 12 mg/L"]
    assert [s.kind for s in result.text_tier_sections()] == ["hpi"]
    assert any("templateId says 'encounters'" in note for note in result.notes)
    assert any("section not classified" in note for note in result.notes)


def test_prefixed_namespace_and_no_namespace_documents_read_the_same():
    value = '<value xsi:type="CD" code="14189004" codeSystem="2.16.840.1.113883.6.96" displayName="Measles"/>'
    plain = cda(problems(problem_obs(value)))
    _, expected = parse(plain)

    prefixed = regex.sub(r"<(/?)([A-Za-z][\w.-]*)", r"<\1cda:\2", plain.replace('xmlns="urn:hl7-org:v3"', 'xmlns:cda="urn:hl7-org:v3"'))
    root = parse_xml(prefixed.encode(), name="prefixed.xml")
    assert root.prefix == "cda"
    got = parse_cda(root, source_name="prefixed.xml")
    assert [c.snomed for c in got.record.conditions] == [c.snomed for c in expected.record.conditions] == ["14189004"]
    assert etree.QName(the_element(root, got.record.conditions[0].evidence[0].locator)).localname == "observation"

    bare = plain.replace(' xmlns="urn:hl7-org:v3"', "")
    _, unnamespaced = parse(bare)
    assert [c.snomed for c in unnamespaced.record.conditions] == ["14189004"]
    assert any("no XML namespace" in note for note in unnamespaced.notes)


# ------------------------------------------------------------------ RR, doc kinds, refusal

def rr_condition(code: str, name: str, determinations: list[str]) -> str:
    organizers = "".join(
        '<entryRelationship typeCode="COMP"><organizer classCode="CLUSTER" moodCode="EVN">'
        '<templateId root="2.16.840.1.113883.10.20.15.2.3.13"/><component><observation classCode="OBS" moodCode="EVN">'
        '<templateId root="2.16.840.1.113883.10.20.15.2.3.19"/><code code="RR1" codeSystem="2.16.840.1.114222.4.5.232"/>'
        f'<value xsi:type="CD" code="{d}" codeSystem="2.16.840.1.114222.4.5.274"/></observation></component>'
        "</organizer></entryRelationship>"
        for d in determinations
    )
    return (
        '<component><observation classCode="OBS" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.15.2.3.12"/>'
        '<code code="64572001" codeSystem="2.16.840.1.113883.6.96" displayName="Condition"/>'
        f'<value xsi:type="CD" code="{code}" codeSystem="2.16.840.1.113883.6.96" displayName="{name}"/>'
        f"{organizers}</observation></component>"
    )


def test_rr_conditions_take_their_best_determination():
    organizer = (
        '<entry><organizer classCode="CLUSTER" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.15.2.3.34"/>'
        + rr_condition("840539006", "COVID-19", ["RRVS4", "RRVS1"])
        + rr_condition("840539006", "COVID-19", ["RRVS1"])
        + rr_condition("3928002", "Zika virus disease", ["RRVS4"])
        + "</organizer></entry>"
    )
    summary = section("2.16.840.1.113883.10.20.15.2.2.2", "55112-7", "", "", organizer)
    _, result = parse(cda(summary, doc_template="2.16.840.1.113883.10.20.15.2.1.2", doc_code="88085-6"))
    assert result.doc_kind == "rr"
    got = {(r.snomed, r.name, r.confidence) for r in result.rr_conditions}
    assert got == {("840539006", "COVID-19", 1.0), ("3928002", "Zika virus disease", 0.0)}
    assert any("3928002 determined No rule met" in note for note in result.notes)
    assert result.record.conditions == []  # RR conditions are not clinical findings


def test_doc_kind_and_refusal_of_non_cda():
    _, eicr = parse(cda())
    assert eicr.doc_kind == "eicr"
    _, ccda = parse(cda(doc_template="2.16.840.1.113883.10.20.22.1.2", doc_code="34133-9"))
    assert ccda.doc_kind == "ccda"
    with pytest.raises(InputError):
        parse_cda(etree.fromstring(b"<Bundle xmlns='http://hl7.org/fhir'/>"), source_name="bundle.xml")


def test_untemplated_entries_fall_back_to_section_structure():
    encounter = section(
        "2.16.840.1.113883.10.20.22.2.22.1", "46240-8", "Encounters", "",
        '<entry><encounter classCode="ENC" moodCode="EVN"><code code="99213" codeSystem="2.16.840.1.113883.6.12" '
        'displayName="Office visit"/><effectiveTime><low value="20240301080000-0600"/></effectiveTime></encounter></entry>',
    )
    lab = (
        '<entry><organizer classCode="BATTERY" moodCode="EVN"><statusCode code="completed"/><component>'
        '<observation classCode="OBS" moodCode="EVN">' + loinc("8310-5", "Body temperature")
        + '<effectiveTime value="20240301"/><value xsi:type="PQ" value="38.9" unit="Cel"/></observation></component>'
        '<component><observation classCode="OBS" moodCode="EVN">' + loinc("94500-6", "SARS-CoV-2 RNA")
        + '<effectiveTime value="20240301"/><value xsi:type="CD" code="260373001" codeSystem="2.16.840.1.113883.6.96" '
        'displayName="Detected"/></observation></component></organizer></entry>'
    )
    header = HEADER[: HEADER.index("<componentOf>")]  # no encompassingEncounter: the encounter entry is the fallback
    _, result = parse(cda(encounter, section(None, "30954-2", "Results", "", lab), header=header))
    assert [(lab.loinc, lab.result, lab.evidence[0].rule) for lab in result.record.labs] == [
        ("94500-6", "Detected", "fallback-result-observation")]
    assert [(v.name, v.value) for v in result.record.vitals] == [("temp", "38.9")]  # a vital filed under Results
    encounter_out = result.record.encounter
    assert (encounter_out.date, encounter_out.type) == ("2024-03-01T08:00:00-06:00", "Office visit")
    assert any("no componentOf/encompassingEncounter" in note for note in result.notes)


def test_document_without_body_gives_an_empty_draft_and_says_so():
    xml = f'<ClinicalDocument {NS_DECL}><code code="55751-2" codeSystem="2.16.840.1.113883.6.1"/>{HEADER}</ClinicalDocument>'
    _, result = parse(xml)
    assert result.sections == [] and result.record.conditions == [] and result.triggers == []
    assert result.record.patient.name == "Ana Lopez"
    assert any("no structuredBody" in note for note in result.notes)


# ------------------------------------------------------------------ tier-3 code-system fallbacks
def test_untemplated_entries_in_an_unclassified_section_are_read_by_code_system():
    entries = (
        '<entry><observation classCode="OBS" moodCode="EVN">'
        '<code code="4834000" codeSystem="2.16.840.1.113883.6.96" displayName="Typhoid fever"/></observation></entry>'
        '<entry><observation classCode="OBS" moodCode="EVN"><code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/>'
        '<value xsi:type="CD" code="A01.00" codeSystem="2.16.840.1.113883.6.90" displayName="Typhoid fever, unspecified"/>'
        '</observation></entry>'
        '<entry><observation classCode="OBS" moodCode="EVN">'
        '<code code="625-4" codeSystem="2.16.840.1.113883.6.1" displayName="Bacteria identified in Stool by Culture"/>'
        '<value xsi:type="CD" code="27268008" codeSystem="2.16.840.1.113883.6.96" displayName="Salmonella"/>'
        '</observation></entry>'
        '<entry><substanceAdministration classCode="SBADM" moodCode="EVN"><consumable><manufacturedProduct>'
        '<manufacturedMaterial><code code="197511" codeSystem="2.16.840.1.113883.6.88"'
        ' displayName="ciprofloxacin 500 MG Oral Tablet"/></manufacturedMaterial></manufacturedProduct></consumable>'
        '</substanceAdministration></entry>'
    )
    _, parsed = parse(cda(f"<section><title>Clinic notes</title>{entries}</section>"))
    record = parsed.record
    assert {(c.snomed, c.icd10) for c in record.conditions} == {("4834000", None), (None, "A01.00")}
    [lab] = record.labs
    assert (lab.loinc, lab.result_code) == ("625-4", "27268008")
    assert [m.rxnorm for m in record.meds] == ["197511"]
    rules = {e.rule for item in [*record.conditions, lab, *record.meds] for e in item.evidence}
    assert rules == {"fallback3-problem-code", "fallback3-problem-value", "fallback3-loinc-observation",
                     "fallback3-rxnorm-material"}


def test_code_system_fallbacks_stay_out_of_classified_sections():
    stray = ('<entry><observation classCode="OBS" moodCode="EVN">'
             '<code code="14189004" codeSystem="2.16.840.1.113883.6.96" displayName="Measles"/></observation></entry>')
    _, parsed = parse(cda(section("2.16.840.1.113883.10.20.22.2.17", "29762-2", "Social History", "", stray)))
    assert parsed.record.conditions == []
