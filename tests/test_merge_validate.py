"""merge_validate: dedupe across drafts, invalid codes become issues, non-asserted items are excluded."""

from __future__ import annotations

from cliniq_agent.nodes.merge_validate import merge_drafts
from cliniq_agent.core.schema import Assertion, CompactRecord, Condition, Evidence, Lab, Med, Patient, Tier
from cliniq_agent.core.state import Draft


def _ev(locator: str) -> list[Evidence]:
    return [Evidence(tier=Tier.CDA_ENTRY, locator=locator)]


def test_invalid_codes_are_flagged_and_removed() -> None:
    draft = Draft(producer="known_format", record=CompactRecord(
        labs=[Lab(name="Neisseria meningitidis DNA", loinc="49672-8", result="Detected")],
        meds=[Med(name="x", rxnorm="12a")],
    ))
    record, excluded = merge_drafts([draft])
    lab = record.labs[0]
    assert lab.loinc is None and lab.issues[0].code == "49672-8" and "check digit" in lab.issues[0].problem
    assert record.meds[0].rxnorm is None and record.meds[0].issues
    assert not excluded


def test_non_asserted_items_go_to_excluded() -> None:
    draft = Draft(producer="narrative", record=CompactRecord(conditions=[
        Condition(name="Tuberculosis", snomed="56717001", assertion=Assertion.RULED_OUT),
        Condition(name="Measles", snomed="14189004", assertion=Assertion.FAMILY),
        Condition(name="Rubella", snomed="36653000"),
    ]))
    record, excluded = merge_drafts([draft])
    assert [c.snomed for c in record.conditions] == ["36653000"]
    assert {e.reason.split()[0] for e in excluded} == {"ruled_out", "family"}


def test_duplicates_merge_and_keep_all_evidence() -> None:
    first = Draft(producer="cda", record=CompactRecord(
        patient=Patient(name="Ana Lima"),
        conditions=[Condition(name="COVID-19", snomed="840539006", evidence=_ev("/a[1]"))]))
    second = Draft(producer="cda_narrative", record=CompactRecord(
        patient=Patient(name="A. Lima", dob="1990-01-01"),
        conditions=[Condition(name="covid", snomed="840539006", icd10="U07.1", evidence=_ev("/b[1]"))]))
    record, _ = merge_drafts([first, second])
    assert record.patient.name == "Ana Lima" and record.patient.dob == "1990-01-01"
    assert len(record.conditions) == 1
    condition = record.conditions[0]
    assert condition.icd10 == "U07.1" and [e.locator for e in condition.evidence] == ["/a[1]", "/b[1]"]


def test_icd_only_and_snomed_only_of_one_entry_merge_but_not_across_entries() -> None:
    draft = Draft(producer="cda", record=CompactRecord(conditions=[
        Condition(name="COVID-19", snomed="840539006", evidence=_ev("/doc/entry[1]")),
        Condition(name="COVID-19", icd10="U07.1", evidence=_ev("/doc/entry[1]")),
        Condition(name="Pertussis", icd10="A37.90", evidence=_ev("/doc/entry[2]")),
    ]))
    record, _ = merge_drafts([draft])
    assert [(c.snomed, c.icd10) for c in record.conditions] == [("840539006", "U07.1"), (None, "A37.90")]
