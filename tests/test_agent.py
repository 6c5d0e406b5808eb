"""Narrative agent: proposal, retrieval, grounding and the gated model turns (real index, real model)."""

from __future__ import annotations

import pytest

from cliniq_agent import extract
from cliniq_agent.agent.graph import run_agent
from cliniq_agent.agent.propose import propose
from cliniq_agent.agent.turns import choose_prompt
from cliniq_agent.rag import CodeIndex
from cliniq_agent.agent.records import Decision
from cliniq_agent.core.schema import Tier
from cliniq_agent.core.state import RunOptions

NOTE = ("Seen in clinic for two weeks of fevers and joint pain after a trip to rural Peru.\n"
        "Assessment: brucelosis, awaiting confirmatory serology.\n"
        "Brother treated for tuberculosis in 2019.\n"
        "Plan: started on doxycycline 100 mg.")


def test_proposal_finds_cue_phrases() -> None:
    candidates = propose(NOTE, [(0, len(NOTE))], covered=[])
    phrases = {(c.kind, c.phrase) for c in candidates}
    assert ("conditions", "brucelosis, awaiting confirmatory serology") in phrases or \
        any(kind == "conditions" and phrase.startswith("brucelosis") for kind, phrase in phrases)
    assert any(kind == "meds" and "doxycycline" in phrase for kind, phrase in phrases)


@pytest.mark.parametrize("text", [
    "Sospecha de infección por E. coli productor de toxina Shiga (STEC).",
    "Compatible con infección por N. meningitidis, en espera de cultivo.",
    "Suspected infection with S. typhi after travel.",
])
def test_no_phrase_ends_inside_a_genus_abbreviation(text: str) -> None:
    """The cue's phrase stops at ".", so "infección por E" of "E. coli" was proposed, and the code index matched
    it to "infección por VIH" (HIV was reported). A phrase cut at a genus initial is not proposed."""
    phrases = [c.phrase for c in propose(text, [(0, len(text))], covered=[])]
    assert not any(phrase.rstrip().split()[-1] in {"E", "N", "S"} for phrase in phrases), phrases
    assert "86406008" not in {c.snomed for c in extract(text, persist_trace=False).record.reportable}


def test_misspelt_diagnosis_is_coded_from_a_tool_result_without_a_model() -> None:
    draft, report = run_agent(NOTE, [(0, len(NOTE))], RunOptions(use_llm=False))
    codes = {c.snomed for c in draft.record.conditions}
    assert "75702008" in codes                                 # Brucellosis, from "brucelosis"
    condition = next(c for c in draft.record.conditions if c.snomed == "75702008")
    evidence = condition.evidence[0]
    assert evidence.tier is Tier.RAG and NOTE[evidence.span[0]:evidence.span[1]].lower().startswith("brucelosis")
    chosen = next(c for c in report.candidates if c.chosen and c.chosen.code == "75702008")
    assert condition.snomed in {h.code for h in chosen.hits}     # grounded in what the tool returned
    assert chosen.decision is Decision.ACCEPTED and report.model is None and not report.turns


def test_family_history_mention_is_not_asserted() -> None:
    result = extract(NOTE, use_llm=False, persist_trace=False)
    assert "56717001" not in {c.snomed for c in result.record.conditions}
    assert any(e.item.get("snomed") == "56717001" and e.reason.startswith("family") for e in result.excluded)


def test_choose_prompt_lists_the_tool_results() -> None:
    hits = CodeIndex.open(progress=False).search("whooping cough", system="snomed", k=3)
    prompt = choose_prompt("Assessment: whooping cough.", "whooping cough", hits)
    assert "A) 27836007" in prompt and prompt.endswith("<start_of_turn>model\n")


@pytest.mark.llm
def test_agent_turns_with_the_bundled_model() -> None:
    """An ambiguous phrase goes to the model; a code survives only if the model agrees with the index."""
    text = "Impression: possible coccidiomycosys pneumonia."
    _, report = run_agent(text, [(0, len(text))], RunOptions(use_llm=True))
    for candidate in report.candidates:
        if candidate.decided_by == "model":
            assert candidate.chosen is None or candidate.chosen == candidate.hits[0]
            assert candidate.decision in (Decision.MODEL_CHOSE, Decision.MODEL_DECLINED, Decision.NOT_CURRENT)
    for turn in report.turns:
        assert turn.kind == "choose" and turn.answer in "ABCDEN"
    assert len(report.turns) <= 8
