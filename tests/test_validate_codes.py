"""Code validity checks against codes whose status is known."""

from __future__ import annotations

import pytest

from cliniq_agent.validate import check_code, normalize_code
from cliniq_agent.validate.codes import loinc_check_digit, verhoeff_valid


@pytest.mark.parametrize(("system", "code"), [
    ("loinc", "94500-6"), ("loinc", "625-4"), ("loinc", "35275-7"), ("loinc", "8480-6"),
    ("snomed", "840539006"), ("snomed", "27836007"), ("snomed", "260373001"), ("snomed", "77386006"),
    ("icd10", "U07.1"), ("icd10", "A37.90"), ("icd10", "B20"), ("icd10", "a3790"),
    ("rxnorm", "248656"), ("cvx", "106"),
])
def test_valid_codes(system: str, code: str) -> None:
    assert check_code(system, code) is None


@pytest.mark.parametrize(("system", "code", "reason"), [
    ("loinc", "49672-8", "check digit"),     # an invented seed code
    ("loinc", "94500-5", "check digit"),
    ("loinc", "94500", "form"),
    ("snomed", "840539007", "Verhoeff"),
    ("snomed", "12345", "identifier"),
    ("snomed", "840539016", "partition"),   # passes Verhoeff? either way it is not a concept id
    ("icd10", "Z99.999", "not an ICD-10-CM code"),
    ("icd10", "hello", "form"),
    ("rxnorm", "12a", "numeric"),
    ("cvx", "1234", "1-3 digits"),
])
def test_invalid_codes(system: str, code: str, reason: str) -> None:
    problem = check_code(system, code)
    assert problem is not None
    if system != "snomed" or reason != "partition":
        assert reason.lower() in problem.lower()


def test_check_digit_algorithms() -> None:
    assert loinc_check_digit("94500") == 6
    assert loinc_check_digit("8480") == 6
    assert verhoeff_valid("2363") and not verhoeff_valid("2364")


def test_icd10_normalisation() -> None:
    assert normalize_code("icd10", " u071 ") == "U07.1"
    assert normalize_code("icd10", "B20") == "B20"
