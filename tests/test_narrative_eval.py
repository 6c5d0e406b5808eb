"""The narrative generalisation set is well formed: split by hash, five languages, gold codes are RCTC conditions."""

from collections import Counter

from cliniq_agent.core.resources import kb_path
from cliniq_agent.eval.narrative_gen import load_notes, split_of


def _rctc_conditions() -> set[str]:
    lines = kb_path("terminology", "rctc_conditions.tsv").read_text(encoding="utf-8").splitlines()
    return {line.split("\t")[0] for line in lines if line and not line.startswith("#")}


def test_set_has_two_hundred_notes_in_five_languages():
    notes = load_notes()
    assert len(notes) >= 200
    by_lang = Counter(n.lang for n in notes)
    assert set(by_lang) == {"en", "es", "pt", "fr", "vi"}
    assert min(by_lang.values()) >= 30
    assert len({n.id for n in notes}) == len(notes)


def test_gold_is_rctc_and_traps_have_none():
    conditions = _rctc_conditions()
    for note in load_notes():
        assert set(note.gold) | set(note.gold_jurisdictional) <= conditions, note.id
        assert bool(note.trap) != bool(note.gold or note.gold_jurisdictional), note.id
        assert note.source, note.id


def test_held_out_is_about_a_third_and_follows_the_hash():
    notes = load_notes()
    held = [n for n in notes if n.split == "held_out"]
    assert all(n.split == split_of(n.id) for n in notes)
    assert 0.25 < len(held) / len(notes) < 0.42
    assert {n.lang for n in held} == {"en", "es", "pt", "fr", "vi"}
    assert any(n.trap for n in held)
