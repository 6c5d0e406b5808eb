"""Long text notes: no quadratic step comes back, the text cap and the time budget end a run cleanly.

No test here times anything against a tight threshold: work is counted (document analyses, trigger hits
examined) on an input and on one twice its size, and the helpers are checked against brute force.
"""

from __future__ import annotations

import random

import pytest

from cliniq_agent.text import tiers as text_tiers
from cliniq_agent.eval.longtext import SHAPES, known_format_lines, single_lab_line
from cliniq_agent.eval.scaling import fit
from cliniq_agent.text.context import analysis as context_analysis
from cliniq_agent.text.context.segment import _soft_wrap
from cliniq_agent.text.criteria.matcher import FindingHit, _outermost
from cliniq_agent.engine import Engine
from cliniq_agent.core.errors import BudgetExceeded, InputError
from cliniq_agent.text.lookup.ngram_keys import key_function
from cliniq_agent.text.lookup.scanner import _TOKEN
from cliniq_agent.text.spanindex import SpanIndex
from cliniq_agent.core.state import RunOptions
from cliniq_agent.terminology.normalize import fold_key
from cliniq_agent.text.tiers import deterministic_draft


def _random_spans(rng: random.Random, count: int, length: int = 200) -> list[tuple[int, int]]:
    spans = []
    for _ in range(count):
        start = rng.randrange(length)
        spans.append((start, start + rng.randrange(0, 15)))
    return spans


def test_span_index_agrees_with_brute_force():
    rng = random.Random(7)
    for _ in range(200):
        spans = _random_spans(rng, rng.randrange(0, 30))
        index = SpanIndex(spans)
        for query in _random_spans(rng, 20):
            assert index.overlaps(query) == any(query[0] < e and s < query[1] for s, e in spans)
            position = query[0]
            assert sorted(index.containing(position)) == sorted(s for s in spans if s[0] <= position < s[1])


def test_outermost_findings_agree_with_brute_force():
    rng = random.Random(3)
    for _ in range(200):
        hits = sorted((FindingHit(finding=f"f{i}", span=span, text="") for i, span in
                       enumerate(_random_spans(rng, rng.randrange(0, 12), 60)) if span[1] > span[0]),
                      key=lambda h: h.span)
        expected = [h for h in hits if not any(o.span != h.span and o.span[0] <= h.span[0] and h.span[1] <= o.span[1]
                                               for o in hits)]
        assert _outermost(hits) == expected


def test_ngram_keys_equal_fold_key():
    rng = random.Random(11)
    texts = ["Crohn's disease; Crohn's2 x; a's's b; Legionnaires' disease; s's_t 'S", "Fièvre typhoïde, Crohn’s",
             *("".join(rng.choice("ab sS'_-.,09\n()") for _ in range(400)) for _ in range(10))]
    for text in texts:
        tokens = list(_TOKEN.finditer(text))
        key_of, _, _ = key_function(text, tokens)
        for index in range(len(tokens)):
            for length in range(1, min(19, len(tokens) - index) + 1):
                surface = text[tokens[index].start():tokens[index + length - 1].end()]
                assert key_of(index, length) == fold_key(surface), surface


def _soft_wrap_by_copy(text: str, newline: int) -> bool:   # the former implementation, copying the text
    before, after = text[:newline].rstrip(" \t\r"), text[newline + 1:].lstrip(" \t")
    if not before or not after or before.endswith("\n") or after.startswith("\n"):
        return False
    return (before[-1].isalpha() or before[-1] == ",") and after[0].isalpha() and after[0].islower()


def test_soft_wrap_reads_only_the_break():
    rng = random.Random(5)
    for _ in range(100):
        text = "".join(rng.choice("aB, \t\r\n.") for _ in range(60))
        for position, char in enumerate(text):
            if char == "\n":
                assert _soft_wrap(text, position) == _soft_wrap_by_copy(text, position)


def test_generated_notes_are_reproducible_and_sized():
    for make in SHAPES.values():
        text = make(20_000, 1)
        assert text == make(20_000, 1) and 20_000 <= len(text) < 21_000


def _count_calls(monkeypatch, module, name: str) -> list[int]:
    counter = [0]
    original = getattr(module, name)

    def counted(*args, **kwargs):
        result = original(*args, **kwargs)
        counter[0] += len(result) if isinstance(result, list) else 1
        return result

    monkeypatch.setattr(module, name, counted)
    return counter


@pytest.mark.parametrize("make", [known_format_lines, single_lab_line])
def test_one_document_analysis_per_note(monkeypatch, make):
    """Each Lab clause used to re-analyse the note's prefix (one ConText analysis per clause)."""
    analyses = _count_calls(monkeypatch, context_analysis, "analyse")
    deterministic_draft(make(30_000, 2), producer="test")
    assert analyses[0] <= 3          # the note itself (+ at most a couple of sub-texts), not one per line


def test_trigger_hits_examined_grow_linearly(monkeypatch):
    """Hits looked at per target are the ones near it: twice the clauses on one line, about twice the work."""
    examined = _count_calls(monkeypatch, context_analysis.DocAnalysis, "hits_near")
    work = []
    for size in (20_000, 40_000):
        examined[0] = 0
        deterministic_draft(single_lab_line(size, 4), producer="test")
        work.append(examined[0])
    assert work[1] < 2.6 * work[0], work


def test_scaling_fit_reads_linear_and_quadratic():
    sizes = [10.0, 100.0, 1000.0]
    assert fit(sizes, [2 * s for s in sizes]) == pytest.approx((2.0, 1.0))
    assert fit(sizes, [s * s for s in sizes])[1] == pytest.approx(2.0)


def test_text_over_the_cap_is_refused(monkeypatch):
    monkeypatch.setattr(text_tiers, "MAX_TEXT_CHARS", 1_000)
    with Engine(RunOptions(use_llm=False, persist_trace=False)) as engine:
        with pytest.raises(InputError, match="limit for the text route"):
            engine.extract(known_format_lines(5_000, 1))


def test_overrunning_run_ends_with_budget_error():
    with Engine(RunOptions(use_llm=False, persist_trace=False, time_budget_s=1e-6)) as engine:
        with pytest.raises(BudgetExceeded, match="time budget"):
            engine.extract(known_format_lines(50_000, 1))


def test_long_many_line_note_finishes_under_a_generous_budget():
    with Engine(RunOptions(use_llm=False, persist_trace=False, time_budget_s=240)) as engine:
        result = engine.extract(known_format_lines(200_000, 9))
    assert result.route == "known_format" and result.record.conditions and result.record.labs
