"""The pieces of a mention's name region between ConText trigger words, and what each piece asserts.

A labelled value ("Dx: ...", "Assessment: ...") becomes one condition item whose assertion is read at its longest
piece; its name is then matched against the reportable-condition names. When the value holds several mentions
("Fever and rash, not measles (IgM negative), likely parvovirus"; "viral gastroenteritis. Shigella and Salmonella
were excluded by stool culture"), a mention the note itself negates, rules out, vaccinates against, places in another
person or in a hypothetical must not stay in the name of a PRESENT item. Pieces never cross a sentence end.
"""

from __future__ import annotations

from cliniq_agent.core.schema import Assertion
from cliniq_agent.text.context import AssertionResult, ContextEngine
from cliniq_agent.text.doc import TextDoc

_PUNCT = " ,;:-–—()"
_SENTENCE_CHARS = frozenset(".!?\n")
# what the note says is not the patient's current disease: such a piece leaves the name of a PRESENT item
_NOT_PRESENT = frozenset({Assertion.NEGATED, Assertion.RULED_OUT, Assertion.VACCINATION, Assertion.FAMILY,
                          Assertion.HYPOTHETICAL, Assertion.POSSIBLE})


def first_sentence_end(doc: TextDoc, span: tuple[int, int], engine: ContextEngine) -> int | None:
    """Where the first sentence inside ``span`` ends, when the span holds more than one."""
    start, end = span
    if not any(char in _SENTENCE_CHARS for char in doc.text[start:end]):
        return None
    return next((s_end for _, s_end in engine.segments(doc) if start < s_end < end), None)


def name_pieces(doc: TextDoc, span: tuple[int, int], engine: ContextEngine) -> list[tuple[int, int]]:
    """The stretches of ``span`` between trigger words and sentence ends, stripped of punctuation."""
    start, end = span
    text = doc.text
    cuts = list(engine.trigger_spans(doc, span))
    if first_sentence_end(doc, span, engine) is not None:   # a value of several sentences
        cuts.extend((s_end, s_end) for _, s_end in engine.segments(doc) if start < s_end < end)
        cuts.sort()
    raw_pieces, cursor = [], start
    for c_start, c_end in cuts:
        raw_pieces.append((cursor, c_start))
        cursor = max(cursor, c_end)
    raw_pieces.append((cursor, end))
    pieces = []
    for p_start, p_end in raw_pieces:
        raw = text[p_start:p_end]
        stripped = raw.strip(_PUNCT + ".!?\n")
        if stripped:
            offset = raw.find(stripped)
            pieces.append((p_start + offset, p_start + offset + len(stripped)))
    return pieces


def longest(pieces: list[tuple[int, int]], first_end: int | None = None) -> tuple[int, int] | None:
    """The mention itself: the longest piece (the first of equals) of the value's first sentence (before
    ``first_end``: the labelled value proper; a later sentence only adds to it)."""
    if first_end is not None:
        pieces = [piece for piece in pieces if piece[1] <= first_end] or pieces
    best = None
    for piece in pieces:
        if best is None or piece[1] - piece[0] > best[1] - best[0]:
            best = piece
    return best


def vaccination_piece(doc: TextDoc, pieces: list[tuple[int, int]], target: tuple[int, int],
                      engine: ContextEngine) -> AssertionResult | None:
    """A labelled value that is itself a vaccination phrase ("Dx: need for vaccination against hepatitis A"):
    the longest piece ("need for") has no modifier, but the disease named after the vaccine words is what a
    vaccine protects against, and that changes what the whole value denotes (VACCINATION ranks first)."""
    for piece in pieces:
        if piece == target:
            continue
        verdict = engine.assess(doc, piece)
        if verdict.assertion is Assertion.VACCINATION:
            return verdict
    return None


def name_without_excluded(doc: TextDoc, span: tuple[int, int], pieces: list[tuple[int, int]],
                          target: tuple[int, int], engine: ContextEngine) -> str | None:
    """The text of ``span`` with the pieces the note excludes blanked out (None when no piece is excluded)."""
    if len(pieces) < 2:
        return None
    start, end = span
    chars = list(doc.text[start:end])
    blanked = False
    for piece in pieces:
        if piece == target:
            continue
        verdict = engine.assess(doc, piece)
        if verdict.assertion not in _NOT_PRESENT:
            continue
        for a, b in (piece, verdict.trigger_span or piece):    # the piece and the trigger that excludes it
            if start <= a and b <= end:
                chars[a - start:b - start] = " " * (b - a)
        blanked = True
    return "".join(chars) if blanked else None
