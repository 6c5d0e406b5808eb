"""TextDoc keeps one note's facts (fold, labelled lines, ConText analysis) with the note; Span is a frozen,
ordered range that unpacks like the (start, end) tuples it replaces."""

from __future__ import annotations

import dataclasses

import pytest

from cliniq_agent.core.schema import Assertion
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
    assert TextDoc.of(NOTE) is TextDoc.of(NOTE) and TextDoc.of(doc) is doc
    assert parse_known_format(doc)[0] == parse_known_format(NOTE)[0]
