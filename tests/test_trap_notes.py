"""Issue 13, negation traps at note level: short notes (2-6 sentences) of our own, in en/es/pt/fr/vi and the
styles clinicians write them in (ED triage shorthand, progress note with "Assessment/Plan:", discharge summary,
telephone note, patient portal message, nurse, pharmacy and travel-clinic notes).

tests/data/trap_notes/*.jsonl hold one note a line: id, lang, style, kind (a trap kind or "positive"), text, the
expected reportable SNOMED codes and, for a note the engine still gets wrong, `known_gap` with the reason. Traps:
prophylaxis / vaccination / pre-exposure without disease (PEP, PrEP, RIG, HBIG, VariZIG, chemoprophylaxis, travel
vaccines, "Dx: rabies exposure"), differentials excluded over several sentences or headings ("Admission dx:
suspected TB ... Discharge dx: ...", "initially concerned for X ... Final dx: Y", "X vs Y — Y favoured", "the test
came back negative, so not that"), exposure, hearsay, another person's disease (a needlestick's source patient),
historical infections, negative screening and immunity serology. Positives are
the same kinds of notes with the disease present. Every note must report exactly its expected codes.

The notes were written for this probe (no text of any test or evaluation set). Known gaps are strict
xfails, so fixing one makes the test say so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import reportable

PROBE_DIR = Path(__file__).parent / "data" / "trap_notes"
NOTES = [json.loads(line) for path in sorted(PROBE_DIR.glob("*.jsonl"))
         for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _param(note: dict) -> object:
    """A note the engine still gets wrong carries `known_gap` (the reason): a strict xfail, so a fix says so."""
    marks = [pytest.mark.xfail(reason=note["known_gap"], strict=True)] if note.get("known_gap") else []
    return pytest.param(note, id=note["id"], marks=marks)


def test_probe_is_large_and_varied() -> None:
    assert len(NOTES) >= 250
    assert {n["lang"] for n in NOTES} == {"en", "es", "pt", "fr", "vi"}
    assert len({n["style"] for n in NOTES}) >= 8
    assert len({n["id"] for n in NOTES}) == len(NOTES)
    assert sum(n["kind"] == "positive" for n in NOTES) >= 40


@pytest.mark.parametrize("note", [_param(n) for n in NOTES])
def test_note_reports_exactly_its_conditions(note: dict) -> None:
    assert reportable(note["text"]) == set(note["expected"]), f"{note['id']} ({note['kind']}): {note['text']!r}"
