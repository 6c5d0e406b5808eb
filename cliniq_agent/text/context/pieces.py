"""Scan a trigger rule only in the pieces of the note that hold one of its required literals.

Why: after the vocabulary prefilter (prefilter.py) a rule whose words occur somewhere in the note still scanned
all of it, character by character (``\\b(?:...)`` patterns give the regex engine nothing to skip ahead with).
Most rules can never match some punctuation (a rule of words and spaces never matches "." or ","), so no match
of theirs crosses such a "stop" character: every match lies inside one stop-free piece, and it holds one of the
rule's literals. The scanner finds the literal occurrences (``str.find``), and runs the rule only on the pieces
around them.

Why it finds exactly what ``finditer`` over the whole range finds: a match lies in one piece, so the matches of
the range are those of its pieces in order; a piece is searched with ``pos`` at its start (look-behinds and
``\\b`` still see the text before it, as in a whole-range scan) and ``endpos`` at its stop character, and the
text after ``endpos`` could only matter to the match through that character, which the rule (look-arounds
included) cannot match; rules with ``^``/``$``-type anchors or constructs this analysis does not model get no
stop characters and are scanned whole. tests/test_context_prefilter.py compares the hits with full scans.
"""

from __future__ import annotations

import re._constants as C
from bisect import bisect_left
from collections.abc import Iterator

import regex

from .prefilter import find_all, parse_pattern

# candidate stop characters: ASCII characters that are not word characters (a word character can always be
# tested by \b or \w somewhere in a rule)
_CANDIDATES = frozenset(chr(code) for code in range(128) if not regex.match(r"\w", chr(code)))
_CATEGORIES = {   # which candidates each class escape matches (computed once)
    category: frozenset(c for c in _CANDIDATES if regex.match(escape, c))
    for category, escape in ((C.CATEGORY_DIGIT, r"\d"), (C.CATEGORY_NOT_DIGIT, r"\D"), (C.CATEGORY_SPACE, r"\s"),
                             (C.CATEGORY_NOT_SPACE, r"\S"), (C.CATEGORY_WORD, r"\w"), (C.CATEGORY_NOT_WORD, r"\W"))
}
_WORD_BOUNDARIES = (C.AT_BOUNDARY, C.AT_NON_BOUNDARY)
_DENSE = 400    # more than one literal occurrence per this many characters: scanning the whole range is cheaper


class _Unmodelled(Exception):
    pass


def stop_chars(pattern: regex.Pattern[str]) -> str:
    """Characters no match of ``pattern`` contains or looks at (sorted; "" when none, or when the pattern has
    an anchor other than \\b / \\B or a construct not modelled here)."""
    parsed = parse_pattern(pattern.pattern)
    if parsed is None:
        return ""
    try:
        possible = _chars(list(parsed))
    except _Unmodelled:
        return ""
    return "".join(sorted(_CANDIDATES - possible))


def _chars(items: list) -> set[str]:  # noqa: C901 - one branch per parser opcode
    """The candidate characters that some node of ``items`` (look-around bodies included) may match."""
    found: set[str] = set()
    for op, arg in items:
        if op is C.LITERAL:
            if chr(arg) in _CANDIDATES:
                found.add(chr(arg))
        elif op is C.NOT_LITERAL or op is C.ANY:
            found.update(_CANDIDATES)
        elif op is C.IN:
            found.update(c for c in _CANDIDATES if _in_class(arg, c))
        elif op is C.AT:
            if arg not in _WORD_BOUNDARIES:
                raise _Unmodelled(arg)
        elif op is C.SUBPATTERN:
            found |= _chars(list(arg[3]))
        elif op in (C.ASSERT, C.ASSERT_NOT):
            found |= _chars(list(arg[1]))
        elif op is C.ATOMIC_GROUP:
            found |= _chars(list(arg))
        elif op is C.BRANCH:
            for alternative in arg[1]:
                found |= _chars(list(alternative))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            found |= _chars(list(arg[2]))
        else:
            raise _Unmodelled(op)
    return found


def _in_class(items, char: str) -> bool:
    negate, hit = False, False
    for op, arg in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            hit = hit or chr(arg) == char
        elif op is C.RANGE:
            hit = hit or arg[0] <= ord(char) <= arg[1]
        elif op is C.CATEGORY and arg in _CATEGORIES:
            hit = hit or char in _CATEGORIES[arg]
        else:
            raise _Unmodelled(op)
    return hit != negate


class PieceScanner:
    """One note's trigger scans: ``finditer(rule, start, end)`` yields what ``rule.compiled.finditer`` over
    [start, end) yields, searching only the stop-free pieces that hold one of the rule's literals."""

    def __init__(self, folded: str) -> None:
        self._folded = folded
        self._occurrences: dict[str, list[int]] = {}
        self._stops: dict[str, tuple[regex.Pattern[str], regex.Pattern[str]]] = {}

    def finditer(self, rule, start: int, end: int) -> Iterator[regex.Match[str]]:
        compiled, folded = rule.compiled, self._folded
        starts = self._starts(rule.required, start, end) if rule.required and rule.stops else None
        if starts is None:
            yield from compiled.finditer(folded, start, end)
            return
        forward, backward = self._stop_patterns(rule.stops)
        piece_end = start
        for position in starts:
            if position < piece_end:
                continue        # inside the piece just scanned
            before = backward.search(folded, piece_end, position)
            piece_start = before.end() if before else piece_end
            after = forward.search(folded, position, end)
            piece_end = after.start() if after else end
            yield from compiled.finditer(folded, piece_start, piece_end)

    def _starts(self, required: tuple[str, ...], start: int, end: int) -> list[int] | None:
        """Sorted starts of the literals inside [start, end), or None when they are dense (scan it whole)."""
        found: list[int] = []
        for literal in required:
            positions = self._occurrences.get(literal)
            if positions is None:
                positions = self._occurrences[literal] = find_all(self._folded, literal)
            found.extend(positions[bisect_left(positions, start):bisect_left(positions, end)])
            if len(found) * _DENSE > end - start:
                return None
        found.sort()
        return found

    def _stop_patterns(self, stops: str) -> tuple[regex.Pattern[str], regex.Pattern[str]]:
        patterns = self._stops.get(stops)
        if patterns is None:
            body = "[" + "".join(regex.escape(c) for c in stops) + "]"
            patterns = self._stops[stops] = (regex.compile(body), regex.compile(body, regex.REVERSE))
        return patterns
