"""Codes need a clinical anchor: instruction-like text never yields a code (issue 15, part 4).

The corpus (kb/fuzz/injection_phrasings.tsv, five languages) is ours; each phrasing is run alone, appended to a
known-format note, placed on the note's Dx line, and inside CDA narrative. None of its codes may come out.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import regex

from cliniq_agent.engine import Engine
from cliniq_agent.text.markers.markers import find_code_markers
from cliniq_agent.text.markers.tier import extract_markers_draft
from cliniq_agent.core.state import RunOptions
from cliniq_agent.core.tsv import kb_table

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def injection_phrasings() -> tuple[str, ...]:
    return tuple(row["text"] for row in kb_table("fuzz", "injection_phrasings.tsv"))


_CODE = regex.compile(r"\b(?:\d{5,9}|\d{1,7}-\d|U\d\d\.\d)\b")


@pytest.fixture(scope="module")
def engine():
    with Engine(RunOptions(use_llm=False, persist_trace=False)) as eng:
        yield eng


def _codes(result) -> set[str]:
    compact = result.to_compact()
    fields = {"conditions": ("snomed", "icd10"), "labs": ("loinc",), "meds": ("rxnorm",), "immunizations": ("cvx",)}
    return {item[f] for name, keys in fields.items() for item in compact[name] for f in keys if item.get(f)}


def test_corpus_covers_five_languages() -> None:
    languages = {row["language"] for row in kb_table("fuzz", "injection_phrasings.tsv")}
    assert languages == {"en", "es", "pt", "fr", "vi"}
    assert len(injection_phrasings()) >= 40


@pytest.mark.parametrize("phrase", injection_phrasings())
def test_no_code_from_instruction_text(engine, phrase: str) -> None:
    injected = set(_CODE.findall(phrase))
    assert injected, phrase
    assert not find_code_markers(phrase)
    assert _codes(engine.extract(phrase)) == set()
    note = (EXAMPLES / "known_format.txt").read_text(encoding="utf-8")
    for variant in (note + "\n" + phrase + "\n", note.replace("Dx: ", f"Dx: {phrase}; ", 1),
                    "Patient seen today, doing well. " + phrase):
        assert not injected & _codes(engine.extract(variant)), variant
    cda = (EXAMPLES / "eicr_pertussis.xml").read_bytes()
    escaped = phrase.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()
    assert not injected & _codes(engine.extract(cda.replace(b"</paragraph>", b" " + escaped + b"</paragraph>", 1)))


@pytest.mark.parametrize("text,code", [
    ("Assessment: measles (SNOMED 14189004).", "14189004"),
    ("Pertussis (SNOMED 27836007) confirmed by PCR.", "27836007"),
    ("Measles IgM (LOINC 35275-7) positive.", "35275-7"),
    ("Urine output low; acute kidney injury (SNOMED 14669001).", "14669001"),
    ("Differential includes mumps (SNOMED 36989005).", "36989005"),
])
def test_anchored_inline_codes_still_count(text: str, code: str) -> None:
    record = extract_markers_draft(text)
    assert code in {c for item in [*record.conditions, *record.labs] for c in (getattr(item, "snomed", None),
                                                                                getattr(item, "loinc", None))}


def test_a_bare_marker_with_no_mention_is_not_an_item() -> None:
    record = extract_markers_draft("Seen today. SNOMED 840539006. Follow up in a week.")
    assert not record.conditions
