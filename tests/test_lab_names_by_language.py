"""A disease name two conditions share once accents are folded is read in the note's language in lab results:
Spanish/Portuguese "rubéola" is rubella, English "rubeola" measles (as the lookup tier already reads it)."""

from __future__ import annotations

import pytest

from conftest import reportable

MEASLES, RUBELLA = "14189004", "36653000"


@pytest.mark.parametrize(("text", "expected"), [
    ("Lactante de 9 meses con exantema maculopapular. Rubéola IgM positiva en el laboratorio estatal.", RUBELLA),
    ("Embarazada de 12 semanas con adenopatías; la serología de rubéola IgM resultó reactiva.", RUBELLA),
    ("Adolescente com manchas vermelhas pelo corpo. Rubéola IgM reagente.", RUBELLA),
    ("Gestante com febre baixa e exantema; sorologia para rubéola IgM positiva.", RUBELLA),
    ("Toddler with Koplik spots and cough. Rubeola IgM positive.", MEASLES),
])
def test_a_shared_name_in_a_lab_result_is_read_in_the_notes_language(text: str, expected: str) -> None:
    assert reportable(text) == {expected}


@pytest.mark.parametrize("text", [
    "Niño sano, control de rutina. Rubéola IgG positiva: inmune por vacunación.",
    "Mujer con exantema. Rubéola IgM negativa.",
    "Criança com exantema; sorologia para rubéola IgM pendente.",
    "Gestante no pré-natal: rubéola IgG reagente (imune).",
])
def test_immunity_negative_and_pending_results_stay_silent(text: str) -> None:
    assert reportable(text) == set()
