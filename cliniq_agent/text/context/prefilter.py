"""Literal prefilter for the ConText trigger rules: skip a rule whose required words are not in the note.

Why: about a hundred trigger regexes per language each scanned the whole note (about 2 ms per KB together),
though most of them need a word the note never uses ("ago", "differential", "household"). Each rule's
pattern is analysed once, at load time, into the literal strings that every match must contain (one of
them at least: ``\\b(?:ruled\\s+out|excluded)\\b`` needs "ruled", "out" or "excluded" — the analysis keeps
the most selective such set); a note is read once into its vocabulary, and a rule whose literals cannot
occur in the note is not run. The test only answers "cannot match", so the hits are exactly those of a
full scan (tests/test_context_prefilter.py checks it on the shared notes and the rule tables).

How: the folded pattern is parsed with Python's regex parser (the rule syntax is the common subset; a
pattern it cannot parse, or one with a construct the analysis does not model, gets no prefilter and is
always run). For each node we compute ``exact`` (the finite set of strings it can match, when small) or
``need`` (strings one of which every match contains); a sequence multiplies exact sets while they stay
small, and otherwise keeps the best factor seen — the classic trigram-index analysis, without trigrams.
"""

from __future__ import annotations

import re._constants as C
import re._parser as parser
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex

from .language import WORD

_MAX_EXACT = 64        # larger exact sets turn into a factor (a "need") of the sequence
_MAX_CLASS = 16        # a character class of more characters is "any character" here


@dataclass(frozen=True, slots=True)
class _Info:
    exact: frozenset[str] | None = None   # every match is one of these (None: unknown / too many)
    need: frozenset[str] | None = None    # every match contains one of these (None: nothing known)

    def factor(self) -> frozenset[str] | None:
        """The strings one of which every match contains, or None."""
        found = self.exact if self.exact is not None else self.need
        return None if found is None or "" in found else found


_UNKNOWN = _Info()
_EMPTY = _Info(exact=frozenset({""}))


def required_literals(pattern: regex.Pattern[str]) -> tuple[str, ...] | None:
    """Literal strings one of which every match of ``pattern`` contains (sorted), or None when the analysis
    finds none (the rule then always runs)."""
    if pattern.flags & (regex.IGNORECASE | regex.FULLCASE):
        return None
    parsed = parse_pattern(pattern.pattern)
    if parsed is None:   # a construct of the regex module that Python's parser does not know: no prefilter
        return None
    if parsed.state.flags & (C.SRE_FLAG_IGNORECASE | C.SRE_FLAG_VERBOSE):
        return None
    found = _sequence(list(parsed)).factor()
    return tuple(sorted(_minimal(found))) if found else None


@lru_cache(maxsize=2048)
def parse_pattern(source: str):
    """Python's parse tree of a rule pattern (shared by the analyses here and in pieces.py), or None."""
    try:
        return parser.parse(source)
    except Exception:  # noqa: BLE001 - any error: the pattern is not analysed
        return None


def _minimal(strings: frozenset[str]) -> frozenset[str]:
    """Drop a string that contains another one of the set (the shorter one is present whenever it is)."""
    return frozenset(s for s in strings if not any(o != s and o in s for o in strings))


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two factor sets: longest shortest string, then fewest strings."""
    if a is None:
        return b
    if b is None:
        return a
    score_a, score_b = (min(map(len, a)), -len(a)), (min(map(len, b)), -len(b))
    return a if score_a >= score_b else b


def _sequence(items: list) -> _Info:
    exact: frozenset[str] = frozenset({""})
    best: frozenset[str] | None = None
    whole = True    # False once some item had no small exact set: the sequence's exact set is unknown
    for op, arg in items:
        info = _node(op, arg)
        if info.exact is not None and len(exact) * len(info.exact) <= _MAX_EXACT:
            exact = frozenset(a + b for a in exact for b in info.exact)
            continue
        whole = False
        best = _better(best, _Info(exact=exact).factor())
        if info.exact is not None:
            exact = info.exact
        else:
            best = _better(best, info.factor())
            exact = frozenset({""})
    if whole:
        return _Info(exact=exact)
    return _Info(need=_better(best, _Info(exact=exact).factor()))


def _node(op, arg) -> _Info:  # noqa: C901 - one branch per parser opcode
    if op is C.LITERAL:
        return _Info(exact=frozenset({chr(arg)}))
    if op is C.IN:
        return _char_class(arg)
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return _EMPTY    # zero width: a lookaround's own literals are not part of the match
    if op is C.SUBPATTERN:
        _group, add_flags, _del_flags, body = arg
        if add_flags & (C.SRE_FLAG_IGNORECASE | C.SRE_FLAG_VERBOSE):
            return _UNKNOWN
        return _sequence(list(body))
    if op is C.ATOMIC_GROUP:
        return _sequence(list(arg))
    if op is C.BRANCH:
        return _branch([_sequence(list(alt)) for alt in arg[1]])
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, high, body = arg
        return _repeat(low, high, _sequence(list(body)))
    return _UNKNOWN     # ANY, NOT_LITERAL, GROUPREF, GROUPREF_EXISTS, ...


def _char_class(items) -> _Info:
    chars: set[str] = set()
    for op, arg in items:
        if op is C.LITERAL:
            chars.add(chr(arg))
        elif op is C.RANGE and arg[1] - arg[0] < _MAX_CLASS:
            chars.update(chr(code) for code in range(arg[0], arg[1] + 1))
        else:           # NEGATE, CATEGORY (\w, \s, \d), a wide range
            return _UNKNOWN
    return _Info(exact=frozenset(chars)) if 0 < len(chars) <= _MAX_CLASS else _UNKNOWN


def _branch(alternatives: list[_Info]) -> _Info:
    if all(alt.exact is not None for alt in alternatives):
        union = frozenset().union(*(alt.exact for alt in alternatives))  # type: ignore[arg-type]
        if len(union) <= _MAX_EXACT:
            return _Info(exact=union)
    factors = [alt.factor() for alt in alternatives]
    if any(factor is None for factor in factors):
        return _UNKNOWN
    return _Info(need=frozenset().union(*factors))  # type: ignore[arg-type]


def _repeat(low: int, high: int, body: _Info) -> _Info:
    if high == 1:
        if low == 1:
            return body
        return _Info(exact=body.exact | {""}) if body.exact is not None else _UNKNOWN
    if low >= 1:
        return _Info(need=body.factor())     # at least one copy of the body lies in the match
    return _UNKNOWN


class Vocabulary:
    """What a note can match, read once: its distinct word tokens (folded), joined, so that "can this literal
    occur in the note" is a substring test on the vocabulary (a few KB), not on the note (MBs).

    A literal occurs in the note only if each of its word pieces lies inside one of the note's tokens; a
    literal with no word character ("?", "(") is looked up in the note itself."""

    def __init__(self, folded: str) -> None:
        self._folded = folded
        self._words = "\0".join(set(WORD.findall(folded)))
        self._known: dict[str, bool] = {}

    def may_occur(self, literal: str) -> bool:
        known = self._known.get(literal)
        if known is None:
            pieces = WORD.findall(literal)
            known = all(piece in self._words for piece in pieces) if pieces else literal in self._folded
            self._known[literal] = known
        return known

    def may_match(self, required: tuple[str, ...] | None) -> bool:
        """False only when no literal of ``required`` can occur (the rule then cannot match)."""
        return required is None or any(self.may_occur(literal) for literal in required)


class LiteralOccurrences:
    """Where the required literals of a few patterns occur in one text (found once, by ``str.find``), so that
    "can pattern ``i`` match inside [start, end)?" is a bisect: a match there holds one of its literals, which
    then starts inside the range. Used where a text is searched range by range (clause by clause)."""

    def __init__(self, text: str, required: Sequence[tuple[str, ...] | None]) -> None:
        found: dict[str, list[int]] = {}
        self._starts: list[list[int] | None] = []
        for literals in required:
            if literals is None:
                self._starts.append(None)
                continue
            starts: set[int] = set()
            for literal in literals:
                if literal not in found:
                    found[literal] = find_all(text, literal)
                starts.update(found[literal])
            self._starts.append(sorted(starts))
        self._any = None if any(s is None for s in self._starts) else \
            sorted(set().union(*(s for s in self._starts if s is not None)))

    def may_match(self, index: int, start: int, end: int) -> bool:
        """False only when no literal of pattern ``index`` starts inside [start, end)."""
        return _starts_within(self._starts[index], start, end)

    def may_match_any(self, start: int, end: int) -> bool:
        return _starts_within(self._any, start, end)


def _starts_within(starts: list[int] | None, start: int, end: int) -> bool:
    if starts is None:
        return True
    index = bisect_left(starts, start)
    return index < len(starts) and starts[index] < end


def find_all(text: str, literal: str) -> list[int]:
    starts, position = [], text.find(literal)
    while position >= 0:
        starts.append(position)
        position = text.find(literal, position + 1)
    return starts
