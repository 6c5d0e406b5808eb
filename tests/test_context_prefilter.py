"""The ConText literal prefilter (text/context/prefilter.py) skips only rules that cannot match: the trigger hits
with it are exactly those of a scan by every rule, on the shared notes, the narrative evaluation notes, the long
synthetic shapes and the rule tables of all five languages (read as notes, in their own language and detected)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import regex

from cliniq_agent.core.resources import kb_path
from cliniq_agent.eval.datasets import seed_test_sets, seed_val
from cliniq_agent.eval.longtext import SHAPES
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.context.analysis import analyse
from cliniq_agent.core.textnorm import fold
from cliniq_agent.text.context.pieces import stop_chars
from cliniq_agent.text.context.prefilter import LiteralOccurrences, Vocabulary, required_literals
from cliniq_agent.text.criteria.lab_statements import _clauses, result_phrases
from cliniq_agent.text.context.rules import LANGUAGES
from cliniq_agent.text.context.textfold import fold_with_offsets

NARRATIVE = Path(__file__).parent / "data" / "narrative_eval" / "notes.jsonl"


@pytest.fixture(scope="module")
def engine() -> ContextEngine:
    return ContextEngine.default()


def _rule_tables() -> dict[str, str]:
    return {language: (kb_path("context") / f"triggers_{language}.tsv").read_text(encoding="utf-8")
            for language in LANGUAGES}


def _notes(data: Path | None) -> list[str]:
    notes = [json.loads(line)["text"] for line in NARRATIVE.read_text(encoding="utf-8").splitlines() if line.strip()]
    notes += [SHAPES[shape](20_000, 3) for shape in SHAPES]
    if data is not None:
        notes += [case.text for case in seed_val(data)]
        notes += [case.text for cases in seed_test_sets(data).values() for case in cases]
    return notes


def _hits(text: str, engine: ContextEngine, language: str | None, prefilter: bool) -> list[list[tuple[int, int, str]]]:
    doc = analyse(text, engine.ruleset, language, prefilter=prefilter)
    return [[(hit.start, hit.end, hit.rule.id) for hit in hits] for hits in doc.segment_hits]


def _assert_same_hits(text: str, engine: ContextEngine, language: str | None) -> int:
    full = _hits(text, engine, language, prefilter=False)
    assert _hits(text, engine, language, prefilter=True) == full, (language, text[:200])
    return sum(map(len, full))


def test_every_rule_has_required_literals_and_every_match_holds_one(engine, shared_data):
    """Soundness rule by rule: on every test note, each match of a rule contains one of its required literals."""
    corpus = "\n".join([*_notes(shared_data), *_rule_tables().values()])
    folded = fold_with_offsets(corpus).folded
    checked = 0
    for rules in engine.ruleset.triggers.values():
        for rule in rules:
            assert rule.required, f"{rule.id}: no required literal found, the rule would always run"
            for match in rule.compiled.finditer(folded):
                assert any(literal in match.group() for literal in rule.required), (rule.id, match.group())
                checked += 1
    assert checked > 5000   # the corpus exercises the rules


def test_prefiltered_hits_equal_full_scan_on_shared_and_evaluation_notes(engine, shared_data):
    total = sum(_assert_same_hits(text, engine, None, ) for text in _notes(shared_data))
    assert total > 1000


@pytest.mark.parametrize("language", LANGUAGES)
def test_prefiltered_hits_equal_full_scan_on_each_rule_table(engine, language):
    table = _rule_tables()[language]
    assert _assert_same_hits(table, engine, language) > 0
    _assert_same_hits(table, engine, None)


def test_vocabulary_answers_by_word_pieces_and_raw_text():
    vocabulary = Vocabulary(fold_with_offsets("Measles was ruled-out (r/o rubella)?").folded)
    assert vocabulary.may_occur("ruled")
    assert vocabulary.may_occur("r/o") and vocabulary.may_occur("?") and vocabulary.may_occur("sles")
    assert not vocabulary.may_occur("excluded") and not vocabulary.may_occur(";")
    assert vocabulary.may_match(None) and vocabulary.may_match(("excluded", "ruled"))
    assert not vocabulary.may_match(("excluded", "discarded"))


@pytest.mark.parametrize("pattern, expected", [
    (r"\b(?:ruled\s+out|excluded)\b", {"ruled", "excluded"}),
    (r"\bden(?:ies|ied|y)\b", {"denies", "denied", "deny"}),
    (r"\b(?:(?:is|was)\s+)?(?:negative|neg)\b", {"neg"}),
    (r"(?<=\w)\s?\?+", {"?"}),
])
def test_required_literals_of_patterns(pattern, expected):
    assert set(required_literals(regex.compile(pattern)) or ()) == expected


@pytest.mark.parametrize("pattern", [r"\w+\s+\w+", r"(?:a|\w)b?", r"(?i)measles", r"x*"])
def test_patterns_without_a_required_literal_always_run(pattern):
    assert required_literals(regex.compile(pattern)) is None


def test_result_words_skip_only_clauses_where_a_row_cannot_match(shared_data):
    """The lab-statement tier runs a result row on a clause only where one of the row's literals starts in it;
    on every test note, each clause where a row matches is one the occurrence index lets through."""
    phrases = result_phrases()
    assert all(phrase.required for phrase in phrases)
    matched = 0
    for text in [*_notes(shared_data), *_rule_tables().values()]:
        folded = fold(text)
        words = LiteralOccurrences(folded, [phrase.required for phrase in phrases])
        for clause in _clauses(folded, 0, len(folded)):
            for index, phrase in enumerate(phrases):
                if phrase.pattern.search(folded, *clause):
                    assert words.may_match(index, *clause) and words.may_match_any(*clause), (phrase.pattern, clause)
                    matched += 1
    assert matched > 500


def test_stop_characters_are_those_no_match_contains_or_looks_at():
    words = stop_chars(regex.compile(r"\b(?:ruled\s+out|excluded)\b"))
    assert "." in words and "," in words and " " not in words and "\n" not in words
    looks_ahead = stop_chars(regex.compile(r"\bno\b(?=\s*[,;])"))
    assert "." in looks_ahead and "," not in looks_ahead and ";" not in looks_ahead
    assert stop_chars(regex.compile(r":\s*no\b(?=\s*$)")) == ""      # an end anchor: scanned whole
    assert stop_chars(regex.compile(r"\bno\s+\S+")) == ""            # \S may be any stop character


def test_piece_scan_equals_whole_scan_on_a_note_with_rare_triggers(engine):
    """A long note where a few rules' literals are rare, so their pieces (not the whole range) are scanned."""
    filler = "Afebrile, eating well; follow-up in clinic. Vitals stable: HR 88, RR 18. " * 400
    text = filler + "Measles was ruled out. " + filler + "Mother: tuberculosis, treated 2 years ago. " + filler
    assert _assert_same_hits(text, engine, None) >= 2
