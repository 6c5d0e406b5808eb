"""A suspicion the note itself settles otherwise, read across its sentences.

Notes write a differential over several sentences: "Admission dx: suspected TB. ... TB ruled out by three negative
smears", "Initially concerned for meningococcal meningitis. LP normal. Final dx: viral exanthem", "Diagnóstico de
ingreso: sospecha de tuberculosis. Diagnóstico de egreso: neumonía por Nocardia". Each sentence alone is read
right (a suspicion, an exclusion, another diagnosis); the note as a whole has excluded the suspicion. A condition
the note only suspected (certainty "suspected" or POSSIBLE), never asserted outright, is marked RULED_OUT when

- a later mention of the same condition is ruled out or negated ("TB ruled out by ..."), or
- a later settled-diagnosis heading (kb/criteria/settled_diagnosis.tsv: "Final dx:", "Diagnóstico de egreso:",
  "Diagnostic retenu :", "Chẩn đoán ra viện:") gives a value that does not name it,

unless a test is still pending after the suspicion (then it stays a suspected case, which is reported) or a
mention asserts it outright. A positive laboratory statement still reports the condition on its own.

A suspicion the note names as its first reading is also replaced by another organism's positive result in the same
or the next sentence ("Initially treated as meningococcal sepsis; blood cultures grew S. pyogenes instead",
"Suspicion initiale de méningococcémie ; les hémocultures ont isolé S. pyogenes"): kb/criteria/superseding_cues.tsv
gives the words that say so ("initially", "instead", "inicialmente", "ban đầu"); without one, a second organism
may be a co-infection and both stay. A non-reportable agent's positive result (kb/criteria/other_agents.tsv:
Mycoplasma, RSV, parvovirus B19, enterovirus, seasonal influenza ...) replaces a suspicion after a contrast or
work-up word ("Suspected pertussis, but PCR positive for Mycoplasma", "Nghi sởi nhưng IgM parvovirus B19 dương tính").
"""

from __future__ import annotations

from functools import lru_cache

import regex

from cliniq_agent.core.schema import Assertion, CompactRecord, Condition
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.text.criteria.negative_workup import CLAUSE_BREAK, result_class_pattern
from cliniq_agent.text.criteria.sentences import SENTENCE_END, sentence_start, sentence_window
from cliniq_agent.text.doc import TextDoc

_EXCLUDED = (Assertion.RULED_OUT, Assertion.NEGATED)


@lru_cache(maxsize=1)
def _settled_heading() -> regex.Pattern[str]:
    rows = kb_table("criteria", "settled_diagnosis.tsv")
    return regex.compile("|".join(f"(?:{row['pattern']})" for row in rows))


@lru_cache(maxsize=1)
def _superseding_cue() -> regex.Pattern[str]:
    rows = kb_table("criteria", "superseding_cues.tsv")
    return regex.compile("|".join(f"(?:{row['pattern']})" for row in rows))


def _span(item: Condition) -> tuple[int, int] | None:
    spans = [e.span for e in item.evidence if e.span]
    return (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None


def _only_suspected(item: Condition) -> bool:
    return (item.assertion is Assertion.POSSIBLE
            or (item.assertion is Assertion.PRESENT and item.status == "suspected"))


def _asserted_elsewhere(item: Condition, record: CompactRecord) -> bool:
    """Whether another mention of ``item``'s condition asserts it outright (then no suspicion rule applies)."""
    return any(c is not item and c.snomed == item.snomed and c.assertion is Assertion.PRESENT
               and not _only_suspected(c) for c in record.conditions)


def _settled_elsewhere(folded: str, after: int, named: list[tuple[int, int]]) -> str | None:
    """The value of the first settled-diagnosis heading after ``after`` when it names none of ``named``."""
    for heading in _settled_heading().finditer(folded, after):
        stop = SENTENCE_END.search(folded, heading.end())
        end = stop.start() if stop else len(folded)
        value = folded[heading.end():end].strip(" :-=\t")
        if not regex.search(r"\w{3,}", value) or result_class_pattern("pending").search(value):
            continue
        if any(heading.start() <= s < end or heading.start() < e <= end for s, e in named):
            return None
        return value
    return None


def _open_suspicions(record: CompactRecord):
    """(condition, span) of each coded, only-suspected condition that no other mention asserts outright: what the
    superseding rules below may rule out."""
    for item in record.conditions:
        span = _span(item)
        if item.snomed and span is not None and _only_suspected(item) and not _asserted_elsewhere(item, record):
            yield item, span


def settle_superseded(doc: TextDoc, record: CompactRecord) -> list[str]:
    """RULED_OUT for each only-suspected condition the rest of the note excludes or replaces; one note each."""
    folded, notes = doc.fold, []
    for item, span in _open_suspicions(record):
        same = [(c, _span(c)) for c in record.conditions if c is not item and c.snomed == item.snomed]
        if result_class_pattern("pending").search(folded, span[1]):
            continue
        later = [c for c, s in same if c.assertion in _EXCLUDED and s is not None and s[0] >= span[1]]
        if later:
            item.assertion = Assertion.RULED_OUT
            notes.append(f"superseded: suspected {item.name or item.snomed} is {later[0].assertion.value} later "
                         "in the note")
            continue
        value = _settled_elsewhere(folded, span[1], [s for _, s in same if s is not None])
        if value is not None:
            item.assertion = Assertion.RULED_OUT
            notes.append(f"superseded: suspected {item.name or item.snomed} settled as another diagnosis "
                         f"('{value[:60]}')")
    return notes


def supersede_by_other_organism(doc: TextDoc, record: CompactRecord, statements, codes_of) -> list[str]:
    """RULED_OUT for each only-suspected condition, named as a first reading, that another organism's positive
    result replaces in the same or the next sentence. ``statements``: the note's lab statements;
    ``codes_of(condition)``: a condition's codes with those it groups (criteria/lab_reconcile.codes_of)."""
    folded, notes = doc.fold, []
    found = [s for s in statements if s.positive]
    positive_codes = {code for s in found for code in codes_of(s.condition)}
    for item, span in _open_suspicions(record):
        if item.assertion not in (Assertion.PRESENT, Assertion.POSSIBLE):
            continue
        own = codes_of(item.snomed)
        if own & positive_codes:
            continue
        start = sentence_start(folded, span[0])
        window = sentence_window(folded, span[1], 2)
        other = next((s for s in found if window[0] <= s.span[0] < window[1] and not own & codes_of(s.condition)),
                     None)
        if other is None:
            continue
        end = SENTENCE_END.search(folded, other.span[1])
        if not _superseding_cue().search(folded, start, end.start() if end else len(folded)):
            continue
        item.assertion = Assertion.RULED_OUT
        notes.append(f"superseded: suspected {item.name or item.snomed} replaced by another organism's positive "
                     f"result ('{doc.text[other.span[0]:other.span[1]][:60]}')")
    return notes



@lru_cache(maxsize=1)
def _other_agents() -> tuple[dict[str, regex.Pattern[str]], dict[str, regex.Pattern[str]]]:
    """kb/criteria/other_agents.tsv: per language, the non-reportable agents and the cue words."""
    tables: dict[str, dict[str, list[str]]] = {"agent": {}, "cue": {}}
    for row in kb_table("criteria", "other_agents.tsv"):
        tables[row["class"]].setdefault(row["language"], []).append(f"(?:{row['pattern']})")
    agents, cues = ({lang: regex.compile("|".join(parts)) for lang, parts in table.items()}
                         for table in (tables["agent"], tables["cue"]))
    return agents, cues


def _clause_at(folded: str, position: int) -> tuple[int, int]:
    start = max((m.end() for m in CLAUSE_BREAK.finditer(folded, 0, position)), default=0)
    stop = CLAUSE_BREAK.search(folded, position)
    return start, stop.start() if stop else len(folded)


def _agent_positive(folded: str, window: tuple[int, int], results, words) -> int | None:
    """Where, in ``window``, a non-reportable agent is named in a clause with a positive result and no negative."""
    agents, _ = _other_agents()
    for pattern in agents.values():
        for match in pattern.finditer(folded, *window):
            found = results(folded, _clause_at(folded, match.start()), None, words)
            if found and all(positive for positive, _ in found):
                return match.start()
    return None


def supersede_by_other_agent(doc: TextDoc, record: CompactRecord, results, words) -> list[str]:
    """RULED_OUT for each only-suspected condition that a non-reportable agent's positive result explains instead,
    after a cue (a contrast, work-up or superseding word from the suspicion's sentence start): "Suspected pertussis,
    but PCR positive for Mycoplasma pneumoniae", "Nghi sởi nhưng IgM parvovirus B19 dương tính". A reportable
    organism's result is handled by supersede_by_other_organism. Without a cue a second agent may be a co-infection,
    and the suspicion stays, as it does while a test is pending. ``results``/``words``: lab_statements.clause_results
    and its result-word occurrences."""
    folded, notes = doc.fold, []
    lowered = doc.text.lower()
    if len(lowered) != len(folded):
        lowered = folded
    _, cues = _other_agents()
    for item, span in _open_suspicions(record):
        if result_class_pattern("pending").search(folded, span[1]):
            continue  # the suspicion's own test is still under way: it stays a suspected case
        at = _agent_positive(folded, sentence_window(folded, span[1], 2), results, words)
        if at is None:
            continue
        start = sentence_start(folded, span[0])
        if not (any(p.search(lowered, start, at) for p in cues.values())
                or _superseding_cue().search(folded, start, at)):
            continue
        item.assertion = Assertion.RULED_OUT
        notes.append(f"superseded: suspected {item.name or item.snomed} explained by another agent's positive "
                     f"result ('{doc.text[at:at + 40]}')")
    return notes
