"""Issue 13, the narrative probe's known gaps (n14f), each as a construction in the languages it applies to:
(1) a doubt word written after the name ("X peu probable", "X unlikely", "sởi ít khả năng", "sởi ít nghĩ tới"),
including after an organism-syndrome phrase; (2) a question mark after a name or its parenthesis makes it only
possible, so a negative test rules it out, a positive one still reports it; "non réactif" / "non reactive" is a
negative result whatever language the line is guessed to be; (3) a Shiga-toxin test written as "shigatoxines",
"toxina Shiga" names STEC's test. Every sentence was written for this test; each asserts the exact reported codes.
"""

from __future__ import annotations

import pytest

from conftest import reportable

WNV, ZIKA, ANTHRAX, MEASLES, DENGUE, LISTERIA, STEC = ("417093003", "3928002", "409498004", "14189004", "38362002",
                                                       "4241002", "328291000119103")
MALARIA = "61462000"

CASES = [
    # (1) a post-posed doubt word, organism-syndrome phrases included
    ("fr", "Infection à virus West Nile peu probable.", set()),
    ("fr", "Fièvre, céphalées. Méningite à Listeria peu probable, LCR clair.", set()),
    ("fr", "Méningite à Listeria improbable au vu du LCR.", set()),
    ("en", "West Nile virus infection unlikely.", set()),
    ("en", "Listeria meningitis unlikely given the CSF.", set()),
    ("es", "Infección por virus del Nilo Occidental poco probable.", set()),
    ("es", "Meningitis por Listeria improbable.", set()),
    ("pt", "Infecção pelo vírus do Nilo Ocidental pouco provável.", set()),
    ("pt", "Paciente com febre e rigidez de nuca. Meningite por Listeria improvável.", set()),
    ("vi", "Sởi ít khả năng.", set()),
    ("vi", "Sởi ít nghĩ tới.", set()),
    ("vi", "Sốt xuất huyết khó nghĩ tới, NS1 âm tính.", set()),
    ("vi", "Ít khả năng là sởi.", set()),
    ("fr", "Méningite à Listeria.", {LISTERIA}),
    ("vi", "Sởi, IgM dương tính.", {MEASLES}),
    # (2) a question mark after a name or its parenthesis, then the test's result
    ("fr", "Toxidermie ou Zika ? IgM Zika non réactif.", set()),
    ("fr", "Exanthème viral ou anthrax (charbon) ? Culture de l'escarre revenue négative.", set()),
    ("en", "Drug rash or measles (rubeola)? Measles IgM negative.", set()),
    ("en", "Zika? IgM Zika non-reactive.", set()),
    ("es", "Exantema viral o ántrax? Cultivo negativo.", set()),
    ("fr", "Zika ? IgM Zika positive.", {ZIKA}),
    ("fr", "Anthrax (charbon) ? Culture positive à Bacillus anthracis.", {ANTHRAX}),
    ("en", "Rash or measles (rubeola)? Measles IgM positive.", {MEASLES}),
    # "non réactif" / "non reactive" after a test is its negative result
    ("fr", "IgM dengue non réactif.", set()),
    ("fr", "PCR dengue non réactive.", set()),
    ("en", "HIV antibody non reactive.", set()),
    # (3) the Shiga-toxin test in other words
    ("fr", "Suspicion de STEC. Recherche de shigatoxines négative.", set()),
    ("es", "Sospecha de STEC. Toxina Shiga no detectada.", set()),
    ("pt", "Suspeita de STEC. Pesquisa de toxina Shiga negativa.", set()),
    ("en", "Suspected STEC. Shiga toxin not detected.", set()),
    ("fr", "Diarrhée sanglante. Shigatoxines détectées dans les selles (PCR stx2 positive).", {STEC}),
    ("es", "Diarrea sanguinolenta; toxina Shiga positiva en heces.", {STEC}),
    # fresh batch, written after the fixes (all right on the first run)
    ("vi", "Bệnh nhân sốt, phát ban. Rubella khả năng thấp.", set()),
    ("pt", "Leptospirose improvável; segue investigação de dengue. NS1 dengue não reagente.", set()),
    ("es", "Fiebre tifoidea poco probable, hemocultivos negativos.", set()),
    ("fr", "Coqueluche peu probable chez cet adulte vacciné.", set()),
    ("en", "Pertussis doubtful; PCR pending.", set()),
    ("fr", "Dengue? NS1 non réactif, IgM dengue non réactive.", set()),
    ("fr", "Rougeole (morbilli) ? IgM rougeole négative.", set()),
    ("en", "Leptospirosis (Weil's disease)? MAT negative.", set()),
    ("pt", "Sarampo (rubéola)? IgM sarampo reagente.", {MEASLES}),
    ("fr", "Paludisme ? Goutte épaisse positive à Plasmodium falciparum.", {MALARIA}),
    ("fr", "Diarrhée glairosanglante, vérotoxines recherchées : négatives.", set()),
    ("es", "Brote de diarrea; toxinas Shiga detectadas por PCR en heces.", {STEC}),
    ("es", "Neumonía por Legionella poco probable, antígeno urinario negativo.", set()),
    ("fr", "Pneumonie à Legionella peu probable.", set()),
    ("en", "Legionella pneumonia less likely; urine antigen negative.", set()),
]


@pytest.mark.parametrize("lang,text,expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_probe_doubt_constructions(lang: str, text: str, expected: set[str]) -> None:
    assert reportable(text) == expected
