"""A suspicion followed by negative tests that name no organism is excluded ("Dengue suspected; NS1 and IgM
negative", "Se sospechó sarampión, pero la IgM fue negativa", "Concern for meningitis; CSF culture no growth").

lab_statements.py excludes a suspected condition whose own organism is reported negative; notes often name only
the tests. A condition the note only suspected (certainty "suspected" or POSSIBLE) is marked RULED_OUT when the
work-up after it reports a test (kb/criteria/result_statements.tsv, class `test`) with a negative result word, no
positive result word, and the note has no positive result for that condition. A negative result that belongs to
another organism's statement ("rubella IgM negative") does not count, nor does a positive result written after
another disease the note names once the suspicion's tests came back negative: it is that disease's result, the
competing diagnosis ("Coqueluche évoquée, PCR négative ; en fait tuberculose pulmonaire, BAAR positifs", "Dengue
suspected, serology negative: leptospirosis confirmed by PCR").

The work-up is the rest of the suspicion's sentence when that sentence gives a test result; only a sentence that
gives none ("Concern for meningococcal sepsis.") reaches into the next one. A sentence that says its test was
ordered for the suspicion (class `requested`: "It was ordered for suspected pertussis") reaches back into the
sentence before it, which gave that result ("The PCR came back negative."). A third sentence counts only when it opens with a result
label (class `result_label`: "Suspected measles. Sample sent to the reference lab. Result: PCR negative"). So a result in the sentence after a
negative work-up ("…, PCR negative. The cough fits asthma; rhinovirus positive") is not read as the suspicion's.
A work-up still under way (class `pending`: "IgM pending", "aún no confirmado", "en attente", "đang chờ") rules
nothing out: the condition stays suspected, which is how a suspected case is reported.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from cliniq_agent.core.schema import Assertion, CompactRecord
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.text.criteria.sentences import SENTENCE_END, sentence_start, sentence_window
from cliniq_agent.text.doc import TextDoc

CLAUSE_BREAK = regex.compile(r"[,;:()\n]|\.(?:\s|$)")


@lru_cache(maxsize=8)
def result_class_pattern(kind: str) -> regex.Pattern[str]:
    """The pattern of the one result_statements.tsv row of class ``kind`` (``test``, ``pending``, ``requested``, ``result_label``)."""
    row = next(row for row in kb_table("criteria", "result_statements.tsv") if row["class"] == kind)
    return regex.compile(row["pattern"])


def named_by_test(folded: str, span: tuple[int, int]) -> bool:
    """Whether a disease's name at ``span`` only names the test written right before it ("PCR coqueluche",
    "sérologie rougeole", "IgM de la rougeole", "test nhanh sốt xuất huyết"): its result is the test's."""
    before = folded[max(0, span[0] - 60):span[0]]
    gap = _TEST_NAME_GAP.search(before)
    if gap is None or gap.start() == 0:
        return False
    return any(m.end() == gap.start() for m in result_class_pattern("test").finditer(before, 0, gap.start()))


_TEST_NAME_GAP = regex.compile(r"\s+(?:(?:de|du|des|d.|for|para|pour|da|do|of|tim)\s*(?:la\s+|le\s+|l.)?)?$")


def pending_in_sentence(folded: str, span: tuple[int, int]) -> bool:
    """Whether the sentence holding ``span`` says a test is still under way ("NS1 negative, IgM pending"): its
    negative results do not rule a suspicion out yet."""
    start = sentence_start(folded, span[0])
    stop = SENTENCE_END.search(folded, span[1])
    return bool(result_class_pattern("pending").search(folded, start, stop.start() if stop else len(folded)))


# a positive row that only names a specimen's place ("in stool", "dans les selles", "no sangue", "trong máu")
SPECIMEN_PLACE = regex.compile(r"(?:in|on|from|dans|sur|en|na|no|nas|nos|em|trong)\b")


# a negation right after a "culture:" label: what follows is no organism found
_NEGATION_NEXT = regex.compile(r"\s*(?:no|not|none|nothing|pas|aucune?|absence|sans|sin|ningun\w*|sem|nenhum\w*|nao|khong|neg\w*|ras)\b")


def _negative_after(folded: str, span: tuple[int, int], found: list) -> bool:
    """A positive-looking word followed, in the same clause, by a negative result, or right after one: it only
    says where the specimen came from ("Giardia antigen in stool negative", "PCR entérovirus dans les selles non
    détecté", "AFB negative on 3 smears", "BAAR négatifs dans les 3 crachats"); a specimen's place after a
    negative result of its clause says the same ("found no toxin in serum or stool", "pas de BAAR dans les
    crachats"); so is a "culture:" label that a negation follows ("stool culture: no Salmonella … isolated")."""
    place = bool(SPECIMEN_PLACE.match(folded, span[0]))
    if folded[span[0]:span[1]].rstrip().endswith(":") and _NEGATION_NEXT.match(folded, span[1]):
        return True   # "stool culture: no Salmonella, Shigella or Campylobacter isolated": the label names nothing
    return any(not pos and ((other[0] >= span[1] and not CLAUSE_BREAK.search(folded, span[1], other[0]))
                            or (other[1] <= span[0] and not folded[other[1]:span[0]].strip())
                            or (place and other[1] <= span[0] and not CLAUSE_BREAK.search(folded, other[1], span[0])))
               for pos, other in found)


@lru_cache(maxsize=1)
def _same_infection() -> frozenset[tuple[str, str]]:
    """(test's condition, suspected condition) of the `same_infection` rows: a negative IGRA or tuberculin skin
    test (linked to latent TB infection) is a suspected tuberculosis's own work-up."""
    return frozenset(tuple(part.strip() for part in row["conditions"].split(">"))
                     for row in kb_table("criteria", "result_statements.tsv") if row["class"] == "same_infection")


def _attributed_elsewhere(found: list, named: list[tuple[int, int]]) -> list:
    """``found`` without the positive result words that follow another named disease written after a negative
    result of the work-up ("PCR négative ; en fait tuberculose, BAAR positifs"): they are that disease's."""
    negatives = [span for pos, span in found if not pos]
    return [(pos, span) for pos, span in found
            if not (pos and any(n[1] <= m[0] and m[1] <= span[0] for n in negatives for m in named))]


def _workup(folded: str, start: int, results, words, others: set,
            named: list[tuple[int, int]] = ()) -> tuple[tuple[int, int], list] | None:
    """The window of the work-up after a suspicion ending at ``start`` and its result words (positive?, span),
    those of other organisms' statements left out: the rest of the sentence if it gives a test result,
    else that and the next sentence; None when neither names a test with a result."""
    for count in (1, 2, 3):
        window = sentence_window(folded, start, count)
        if count == 3 and not result_class_pattern("result_label").match(folded, sentence_window(folded, start, 2)[1]):
            break
        if not result_class_pattern("test").search(folded, *window):
            continue
        found = [(pos, span) for pos, span in results(folded, window, None, words) if span not in others]
        found = [(pos, span) for pos, span in found if not (pos and _negative_after(folded, span, found))]
        found = _attributed_elsewhere(found, named)
        if found:
            return window, found
    return None


def _workup_before(folded: str, start: int, results, words, others: set,
                   named: list[tuple[int, int]] = ()) -> tuple[tuple[int, int], list] | None:
    """The sentence before the suspicion's, when the suspicion's own sentence says a test was ordered for it
    (class ``requested``: "La PCR est revenue négative. Elle avait été demandée pour une suspicion de coqueluche"):
    that test's result, given first, is the suspicion's work-up; None otherwise."""
    stops = [m for m in SENTENCE_END.finditer(folded, 0, start)]
    if not stops or not result_class_pattern("requested").search(folded, stops[-1].end(), start):
        return None
    begin = stops[-2].end() if len(stops) > 1 else 0
    window = (begin, stops[-1].end())
    if not result_class_pattern("test").search(folded, *window):
        return None
    found = [(pos, span) for pos, span in results(folded, window, None, words) if span not in others]
    found = [(pos, span) for pos, span in found if not (pos and _negative_after(folded, span, found))]
    found = _attributed_elsewhere(found, named)
    return (window, found) if found else None


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
        own = codes_of(item.snomed)
        same = _same_infection()
        others = {s.result_span for s in statements if not own & codes_of(s.condition)
                  and (s.condition, item.snomed) not in same}
        named = [e.span for c in record.conditions if c.snomed and not own & codes_of(c.snomed)
                 and (c.snomed, item.snomed) not in same
                 and c.assertion in (Assertion.PRESENT, Assertion.POSSIBLE) for e in c.evidence if e.span]
        named += [s.span for s in statements if s.positive and not own & codes_of(s.condition)
                  and (s.condition, item.snomed) not in same]
        workup = _workup(folded, max(ends), results, words, others, named) or _workup_before(
            folded, min(e.span[0] for e in item.evidence if e.span), results, words, others, named)
        if workup is None:
            continue
        window, found = workup
        if result_class_pattern("pending").search(folded, *window):
            notes.append(f"negative work-up: {item.name or item.snomed} stays suspected, a test is still pending "
                         f"('{doc.text[window[0]:window[1]].strip()[:80]}')")
            continue
        if not any(pos for pos, _ in found):
            item.assertion = Assertion.RULED_OUT
            notes.append(f"negative work-up: suspected {item.name or item.snomed} excluded by the negative tests "
                         f"that follow it ('{doc.text[window[0]:window[1]].strip()[:80]}')")
    return notes
