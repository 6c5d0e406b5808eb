"""One sentence end for the criteria readers (sentences.py): lab_statements' clauses, serology's sentences and
negative_workup's window split the same text at the same places. Sentences written for this test."""

from __future__ import annotations

from cliniq_agent import extract
from cliniq_agent.text.criteria.sentences import sentence_window, sentences


def _split(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in sentences(text, 0, len(text))]


def test_stops_and_their_exceptions() -> None:
    text = "Stool grew E. coli and Shigella spp. today. Was it travel? Yes! 1. fever 2. rash\nnext line"
    assert _split(text) == ["Stool grew E. coli and Shigella spp. today", "Was it travel", "Yes",
                            "1. fever 2. rash", "next line"]


def test_a_one_letter_word_at_the_start_is_not_a_sentence() -> None:
    assert _split("P. vivax seen on the smear. Treated.") == ["P. vivax seen on the smear", "Treated"]


def test_window_runs_to_the_end_of_the_next_sentence() -> None:
    text = "Brucellosis suspected. Rose Bengal negative! Discharged home."
    start = text.index("suspected")
    assert text[slice(*sentence_window(text, start))] == "suspected. Rose Bengal negative!"
    assert sentence_window(text, text.index("Discharged")) == (text.index("Discharged"), len(text))


def test_serology_still_reads_immunity_after_a_question() -> None:
    """Serology now ends a sentence at "?" too: the markers after the question are still read together."""
    record = extract("Hepatitis B immune? anti-HBs positive, HBsAg negative.", use_llm=False,
                     persist_trace=False).record
    assert not record.reportable
