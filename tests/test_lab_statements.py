"""Lab results written in prose (text/criteria/lab_statements.py) through the real text tiers and reportability."""

import pytest

from conftest import reportable



@pytest.mark.parametrize("text, condition", [
    ("Blood cultures grew Salmonella enteritidis after two days.", "302231008"),
    ("Rectal swab PCR: Shigella detected.", "36188001"),
    ("El hemocultivo salió positivo para Neisseria meningitidis.", "23511006"),
    ("Exame de fezes com Giardia lamblia.", "58265007"),
    ("Antigène urinaire Legionella positif, pneumopathie franche.", "26726000"),
    ("Xét nghiệm PCR phát hiện Campylobacter trong phân.", "86500004"),
])
def test_positive_statement_reports_the_condition(text, condition):
    assert condition in reportable(text)


@pytest.mark.parametrize("text", [
    "Stool culture: no Salmonella isolated.",
    "Shigella PCR came back negative.",
    "La PCR para Campylobacter fue negativa.",
    "Her brother's stool culture grew Salmonella; she has no symptoms.",
    "If the stool culture grows Shigella we will call her.",
])
def test_negative_or_not_the_patients_result_reports_nothing(text):
    assert reportable(text) == set()


def test_reactive_antibody_with_negative_rna_is_not_a_hepatitis_c_case():
    # CSTE 2020 hepatitis C: antibody reactive and RNA not detected is resolved infection
    assert "50711007" not in reportable("Anti-HCV reactive; HCV RNA was not detected.")
    assert "50711007" in reportable("Anti-HCV reactive; HCV RNA detected, 1.2 million IU/mL.")


def test_a_suspected_condition_with_a_negative_test_is_excluded():
    assert "38362002" not in reportable("Suspected dengue fever; dengue NS1 antigen negative.")
