"""Lexical channel and score calibration of the code index (no embedding model needed)."""

from __future__ import annotations

import pytest

from cliniq_agent.eval.calibrate_retrieval import isotonic_knots
from cliniq_agent.rag.config import retrieval_config
from cliniq_agent.rag.documents import build_documents, concept_documents
from cliniq_agent.rag.lexical import LexicalIndex, osa_distance
from cliniq_agent.rag.retrieval import interpolate
from cliniq_agent.terminology import TerminologyKB


@pytest.fixture(scope="module")
def kb() -> TerminologyKB:
    return TerminologyKB.load()


@pytest.fixture(scope="module")
def documents(kb) -> list:
    return build_documents(kb)


@pytest.fixture(scope="module")
def lexical(documents) -> LexicalIndex:
    return LexicalIndex(documents, retrieval_config().lexical)


def _top(lexical: LexicalIndex, query: str, system: str | None = "snomed") -> tuple[str, float]:
    position, score = lexical.search(query, system=system)[0]
    return lexical.documents[position].code, score


def test_osa_distance():
    assert osa_distance("measels", "measles", 2) == 1  # transposition counts once
    assert osa_distance("tuberclosis", "tuberculosis", 2) == 1
    assert osa_distance("gonorhea", "gonorrhea", 1) == 1
    assert osa_distance("rabies", "scabies", 1) == 2  # over the limit: limit + 1


def test_documents_cover_every_name(kb, documents):
    pertussis = concept_documents(kb, kb.lookup("snomed", "27836007"))
    texts = {d.text for d in pertussis}
    assert {"Pertussis", "whooping cough", "tos ferina", "coqueluche", "ho gà"} <= texts
    assert pertussis[0].role == "preferred" and pertussis[0].kind == "condition"
    assert all(d.condition == "27836007" for d in pertussis)
    assert {d.lang for d in pertussis} >= {"en", "es", "pt", "vi"}  # "coqueluche" (pt and fr) is indexed once
    loinc = concept_documents(kb, kb.lookup("loinc", "43913-3"))
    assert loinc[0].kind == "lab" and loinc[0].condition == "27836007"
    assert len({d.id for d in documents}) == len(documents)


def test_upper_case_single_letter_is_not_a_stopword(lexical):
    assert lexical.tokenize("Hepatitis A") == ("hepatitis", "a")
    assert lexical.tokenize("fever of unknown origin") == ("fever", "unknown", "origin")


@pytest.mark.parametrize(("query", "code"), [
    ("pertusis", "27836007"),               # one deletion
    ("legionnaire disease", "26726000"),    # inflection
    ("chicken pox", "38907003"),            # KB writes both; exact
    ("chicken-pox infection", "38907003"),
    ("hep B", "66071002"),                  # expansion + upper-case letter kept
    ("hepatitis C chronic", "50711007"),    # the letter decides, not the shared words
    ("Lyme borreliosis disease", "23502006"),
])
def test_lexical_ranks_the_right_condition_first(lexical, query, code):
    assert _top(lexical, query)[0] == code


def test_lexical_joins_split_words(kb):
    documents = concept_documents(kb, kb.lookup("snomed", "38907003"))  # has "chickenpox" and "chicken pox"
    only_joined = [d for d in documents if d.text == "chickenpox"]
    index = LexicalIndex(only_joined, retrieval_config().lexical)
    assert index.search("chicken pox")[0][1] == pytest.approx(1.0)


def test_case_sensitive_abbreviation_needs_its_case(lexical):
    codes = [lexical.documents[p].code for p, _ in lexical.search("gas leak", system="snomed")]
    assert "406614006" not in codes[:3]  # "GAS" is group A strep only in capitals


def test_calibration_knots_are_monotone():
    points = [(0.2, False), (0.3, False), (0.45, True), (0.5, False), (0.7, True), (0.8, True), (0.9, True),
              (0.95, True)] + [(0.92, True)] * 20
    knots = isotonic_knots(points, 0.94)
    raws = [raw for raw, _ in knots]
    values = [value for _, value in knots]
    assert raws == sorted(raws) and values == sorted(values)
    assert knots[0] == (0.0, 0.0) and knots[-1][0] == 1.0 and max(values) <= 0.94
    assert interpolate(knots, 0.0) == 0.0 and interpolate(knots, 2.0) == values[-1]


def test_configured_calibration_is_monotone():
    knots = retrieval_config().scores.calibration
    values = [value for _, value in knots]
    assert values == sorted(values)
    assert interpolate(knots, 1.0) <= retrieval_config().scores.max_fuzzy
