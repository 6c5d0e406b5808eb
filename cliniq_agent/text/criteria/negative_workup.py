"""A suspicion followed by negative tests that name no organism is excluded ("Dengue suspected; NS1 and IgM
negative", "Se sospechó sarampión, pero la IgM fue negativa", "Concern for meningitis; CSF culture no growth").

lab_statements.py excludes a suspected condition whose own organism is reported negative; notes often name only
the tests. A condition the note only suspected (certainty "suspected" or POSSIBLE) is marked RULED_OUT when the
rest of its sentence and the next sentence report a test (kb/criteria/result_statements.tsv, class `test`) with a
negative result word, no positive result word, and the note has no positive result for that condition. A negative
result that belongs to another organism's statement ("rubella IgM negative") does not count.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from cliniq_agent.core.schema import Assertion, CompactRecord
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.text.criteria.sentences import sentence_window
from cliniq_agent.text.doc import TextDoc


@lru_cache(maxsize=1)
def _test_words() -> regex.Pattern[str]:
    row = next(row for row in kb_table("criteria", "result_statements.tsv") if row["class"] == "test")
    return regex.compile(row["pattern"])


def exclude_by_negative_workup(doc: TextDoc, record: CompactRecord, *, positive: set[str], codes_of,
                               statements, results, words) -> list[str]:
    """RULED_OUT for each suspected condition of ``record`` whose work-up after it came back negative.
    ``positive``: conditions with a positive lab statement; ``codes_of(condition)``: its codes;
    ``statements``: the note's lab statements; ``results(folded, span, language, words)``: result words."""
    folded, notes = doc.fold, []
    positive_codes = {code for condition in positive for code in codes_of(condition)}
    for item in record.conditions:
        suspected = item.status == "suspected" or item.assertion is Assertion.POSSIBLE
        if not (suspected and item.assertion in (Assertion.PRESENT, Assertion.POSSIBLE)) or not item.snomed:
            continue
        if item.snomed in positive_codes:
            continue
        ends = [e.span[1] for e in item.evidence if e.span]
        if not ends:
            continue
        window = sentence_window(folded, max(ends))
        if not _test_words().search(folded, *window):
            continue
        own = codes_of(item.snomed)
        others = {s.result_span for s in statements if not own & codes_of(s.condition)}
        found = [(pos, span) for pos, span in results(folded, window, None, words) if span not in others]
        if found and not any(pos for pos, _ in found):
            item.assertion = Assertion.RULED_OUT
            notes.append(f"negative work-up: suspected {item.name or item.snomed} excluded by the negative tests "
                         f"that follow it ('{doc.text[window[0]:window[1]].strip()[:80]}')")
    return notes
