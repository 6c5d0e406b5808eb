"""A result value that says, in separate clauses, what was not found beside what was (culture reports, CT/NG and
enteric panels): the organism found is reported, the ones ruled out are not, and a coded result still decides."""

from __future__ import annotations

import pytest

from cliniq_agent.core.schema import CompactRecord, Lab
from cliniq_agent.reportability import determine_reportable
from cliniq_agent.terminology import TerminologyKB

CAMPYLOBACTER, SHIGELLA, SALMONELLA, GONORRHEA, CHLAMYDIA, TB = (
    "86500004", "36188001", "302231008", "15628003", "240589008", "56717001")


@pytest.fixture(scope="module")
def kb() -> TerminologyKB:
    return TerminologyKB.load()


def reported(kb: TerminologyKB, name: str, result: str, **extra: str) -> set[str]:
    lab = Lab(name=name, result=result, **extra)
    return {r.snomed for r in determine_reportable(CompactRecord(labs=[lab]), [], kb)}


@pytest.mark.parametrize(("name", "result", "found", "ruled_out"), [
    ("Stool culture", "No Shigella or Salmonella isolated. Campylobacter jejuni isolated", CAMPYLOBACTER,
     {SHIGELLA, SALMONELLA}),
    ("Stool culture", "Campylobacter coli isolated; no Shigella detected", CAMPYLOBACTER, {SHIGELLA}),
    ("CT/NG NAAT", "C. trachomatis not detected; N. gonorrhoeae detected", GONORRHEA, {CHLAMYDIA}),
    ("CT/NG NAAT", "Neisseria gonorrhoeae: Not detected\nChlamydia trachomatis: Detected", CHLAMYDIA, {GONORRHEA}),
    ("Sputum AFB", "No acid-fast bacilli seen. Mycobacterium tuberculosis complex detected by PCR", TB, set()),
    # upper-case reports: the genus initial's dot is not a clause end (text/initials.py, on the lower-cased text)
    ("CT/NG NAAT", "N. GONORRHOEAE NOT DETECTED. C. TRACHOMATIS DETECTED", CHLAMYDIA, {GONORRHEA}),
    ("CT/NG NAAT", "C. TRACHOMATIS NOT DETECTED. N. GONORRHOEAE DETECTED", GONORRHEA, {CHLAMYDIA}),
])
def test_the_organism_found_is_reported_and_the_ones_ruled_out_are_not(
        kb: TerminologyKB, name: str, result: str, found: str, ruled_out: set[str]) -> None:
    codes = reported(kb, name, result)
    assert found in codes
    assert not codes & ruled_out


@pytest.mark.parametrize("result", [
    "No Shigella or Salmonella isolated. Normal enteric flora",
    "C. trachomatis not detected; N. gonorrhoeae not detected",
    "Negative. Salmonella screen",
])
def test_a_result_with_only_negative_statements_reports_nothing(kb: TerminologyKB, result: str) -> None:
    assert reported(kb, "Stool culture", result) == set()


def test_a_coded_negative_result_still_decides(kb: TerminologyKB) -> None:
    # SNOMED 260385009 "Negative": the sender coded the result; its free text does not overrule the code
    assert reported(kb, "Stool culture", "No Shigella detected. Campylobacter isolated", result_code="260385009") == set()
