"""TextDoc keeps one note's facts (fold, labelled lines, ConText analysis) with the note; Span is a frozen,
ordered range that unpacks like the (start, end) tuples it replaces."""

from __future__ import annotations

import dataclasses

import pytest

from cliniq_agent.core.ingest import decode
from cliniq_agent.core.schema import Assertion
from cliniq_agent.core.state import RunOptions
from cliniq_agent.nodes.detect_format import detect_format
from cliniq_agent.nodes.text import text
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.doc import Span, TextDoc
from cliniq_agent.text.lines.labels import labelled_lines
from cliniq_agent.text.lines.parser import parse_known_format

NOTE = "Patient: Ana Souza\nDx: Influenza ruled out\nLab: Measles IgM (LOINC 35275-7) - Positive\nCough for 3 days.\n"


def test_span_orders_unpacks_and_is_frozen():
    spans = sorted([Span(5, 9), Span(0, 3), Span(5, 7)])
    assert [s.as_tuple() for s in spans] == [(0, 3), (5, 7), (5, 9)]
    start, end = Span(2, 6)
    assert (start, end, len(Span(2, 6))) == (2, 6, 4)
    assert Span(0, 5).overlaps((4, 8)) and not Span(0, 5).overlaps(Span(5, 8))
    assert Span(0, 10).contains((2, 3)) and Span(1, 2).shifted(10) == Span(11, 12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Span(0, 1).start = 3
    with pytest.raises(ValueError):
        Span(4, 2)


def test_facts_are_computed_once_per_document():
    doc = TextDoc(NOTE)
    engine = ContextEngine.default()
    assert doc.lines is doc.lines and doc.folded is doc.folded
    assert doc.context(engine.ruleset) is doc.context(engine.ruleset)
    assert [line.field for line in doc.lines] == ["patient.name", "conditions", "labs"]
    assert doc.fold == NOTE.lower() and len(doc) == len(NOTE)


def test_str_callers_reach_the_same_facts_as_the_doc():
    doc = TextDoc(NOTE)
    engine = ContextEngine.default()
    span = (NOTE.index("Influenza"), NOTE.index("Influenza") + len("Influenza"))
    assert engine.assess(doc, span) == engine.assess(NOTE, span)
    assert engine.assess(doc, span).assertion is Assertion.RULED_OUT
    assert labelled_lines(doc) == labelled_lines(NOTE)
    assert TextDoc.of(doc) is doc
    assert TextDoc.of(NOTE) is not TextDoc.of(NOTE)   # no cache keyed by text: a str gets a document of its own
    assert parse_known_format(doc)[0] == parse_known_format(NOTE)[0]


def test_one_document_per_input_read_once_along_the_text_route():
    """The input's TextDoc is made once (SourceDocument.doc) and travels to the tiers and the agent's job, so
    format detection, the tiers, proposal and grounding share one line split and one ConText analysis."""
    state = {"source": decode(NOTE.encode(), name="note.txt"), "options": RunOptions(use_llm=True)}
    state.update(detect_format(state))   # known-format with a model allowed: the fast path's route, which
    jobs = text(state)["agent_jobs"]      # always hands its job on (no model is loaded by these two nodes)
    doc = state["source"].doc
    assert state["route"] == "fast_path" and doc is state["source"].doc
    assert [job.doc for job in jobs] == [doc] and jobs[0].doc is doc
    assert len(doc.__dict__["_analyses"]) == 1
    assert "lines" in doc.__dict__ and "folded" in doc.__dict__
