"""Issue 13 (n14l): a negated label that introduces a list ("Not detected: A, B", "No known exposures: A, B")
reaches every listed condition; ";" and an item with its own positive result still end its scope."""
from __future__ import annotations

import pytest

from tests.conftest import reportable

MEASLES, RUBELLA, MUMPS, TB, HIV = "14189004", "36653000", "36989005", "56717001", "86406008"
HEP_B, DENGUE = "66071002", "38362002"


@pytest.mark.parametrize("text", [
    "Not detected: measles, rubella.",
    "Respiratory panel. None detected: measles, rubella, mumps.",
    "Not identified: measles and rubella.",
    "No detectados: sarampión, rubéola.",
    "Não detectados: sarampo, rubéola.",
    "Non détectés : rougeole, rubéole.",
    "Không phát hiện: sởi, rubella.",
])
def test_not_detected_label_negates_every_item(text: str) -> None:
    assert reportable(text) == set()


@pytest.mark.parametrize("text", [
    "No known exposures: TB, measles.",
    "No exposures to: tuberculosis, hepatitis B.",
    "Exposures: none to TB, hepatitis B, HIV.",
    "Sin exposiciones conocidas: tuberculosis, VIH.",
    "Sem exposições conhecidas: tuberculose, HIV.",
    "Aucune exposition connue : tuberculose, VIH.",
    "Không tiếp xúc: lao, sởi.",
])
def test_no_exposures_label_negates_every_item(text: str) -> None:
    assert reportable(text) == set()


@pytest.mark.parametrize("text, expected", [
    ("Not detected: measles, mumps; rubella IgM positive.", {RUBELLA}),
    ("No detectados: sarampión; rubéola IgM positiva.", {RUBELLA}),
    ("Não detectados: sarampo; rubéola IgM reagente.", {RUBELLA}),
    ("Non détectés : rougeole ; rubéole IgM positive.", {RUBELLA}),
    ("Không phát hiện: sởi; rubella IgM dương tính.", {RUBELLA}),
    ("Not detected: measles. Dengue NS1 positive.", {DENGUE}),
])
def test_list_scope_stops_at_a_positive_member(text: str, expected: set[str]) -> None:
    assert reportable(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Not detected:\n1. measles\n2. rubella", set()),
    ("No known exposures:\n1) TB\n2) HIV", set()),
    ("No detectados:\n1. sarampión\n2. rubéola", set()),
    ("Não detectados:\n1. sarampo\n2. rubéola", set()),
    ("Not detected:\n1. measles\n2. rubella IgM positive", {RUBELLA}),
    ("Ruled out:\n1. measles\n2. rubella IgM positive", {RUBELLA}),
])
def test_numbered_items_under_a_negated_lead(text: str, expected: set[str]) -> None:
    assert reportable(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Foram descartadas dengue, zika e chikungunya.", set()),
    ("Fueron descartados dengue, zika y chikungunya.", set()),
    ("Foi descartada dengue; chikungunya IgM reagente.", {"111864006"}),
    ("Fue descartado sarampión, rubéola IgM positiva.", {RUBELLA}),
])
def test_verb_first_passive_exclusion_reaches_the_list(text: str, expected: set[str]) -> None:
    assert reportable(text) == expected
