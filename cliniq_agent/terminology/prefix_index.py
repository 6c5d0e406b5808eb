"""Which text-link rows can match a text, without running every row's regex.

Every text-link pattern is wrapped in token boundaries, so a match starts where the text has no letter or
digit just before it. Most patterns are alternations of words ("measles virus|rubeola virus|measles"):
each branch then starts with a literal, and a row can only match a text in which one of those literals
starts at a token boundary (a leading lookbehind, "(?<=ct )ng", matches no characters: the literal after it
counts). The index maps the first two characters of each literal to the rows; rows with a branch that does not
start with a literal (a group, a class, an escape) are always tried. Candidates come
back in table order, so matching stays exactly what scanning every row gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_META = frozenset("\\.^$*+?{}[]|()")
_OPTIONAL = frozenset("?*{")     # quantifiers that make the preceding character optional
_PREFIX = 2                      # characters of a literal that key the index
#: Where a literal may start: after no letter or digit, with two characters left. Written for ``re`` and consuming
#: the first character (the same starts; about three times faster than the zero-width ``regex`` form).
_BOUNDARY_START = re.compile(r"(?<![a-z0-9])[\s\S](?=[\s\S])")


def _structure(expr: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, group depth after it) for each character of ``expr`` that is neither escaped nor inside
    a character class: the characters that can open or close a group or split alternatives."""
    depth, in_class, escaped = 0, False, False
    for index, char in enumerate(expr):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        else:
            depth += (char == "(") - (char == ")")
            yield index, char, depth


def top_level_branches(expr: str) -> list[str]:
    """``expr`` split at its top-level ``|`` (outside groups, classes and escapes)."""
    branches, start = [], 0
    for index, char, depth in _structure(expr):
        if char == "|" and depth == 0:
            branches.append(expr[start:index])
            start = index + 1
    branches.append(expr[start:])
    return branches


def _after_lookbehinds(branch: str) -> str:
    """``branch`` without the lookbehinds it opens with: they match no characters, so a match of the branch
    starts where the rest starts ("(?<=ct )ng" starts with "ng")."""
    while branch.startswith(("(?<=", "(?<!")):
        closing = next((index for index, char, depth in _structure(branch) if char == ")" and depth == 0), None)
        if closing is None:
            return ""   # unbalanced: no literal claimed
        branch = branch[closing + 1:]
    return branch


def literal_start(branch: str) -> str:
    """The literal every match of ``branch`` begins with ('' when it does not begin with one)."""
    literal = []
    for char in _after_lookbehinds(branch):
        if char in _META:
            if char in _OPTIONAL and literal:
                literal.pop()
            return "".join(literal)
        literal.append(char)
    return "".join(literal)


def pattern_prefixes(expr: str) -> frozenset[str] | None:
    """The two-character starts of every branch's literal, or None when some branch has no usable literal."""
    prefixes = set()
    for branch in top_level_branches(expr):
        literal = literal_start(branch)
        if len(literal) < _PREFIX:
            return None
        prefixes.add(literal[:_PREFIX])
    return frozenset(prefixes)


class PrefixIndex:
    """Rows (by position) reachable from a text's token-start character pairs, plus the always-tried rows."""

    def __init__(self, patterns: list[str]) -> None:
        self._always: list[int] = []
        # prefix -> (row, that row's branch literals beginning with the prefix), rows in table order. A match of
        # a row starts at a token boundary with one of its literals, so a row is a candidate only where the text
        # has one of them at such a start: ``str.startswith`` at that position, far cheaper than the row's
        # regex (and than looking for every literal of the row anywhere in the text).
        self._by_prefix: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for position, expr in enumerate(patterns):
            prefixes = pattern_prefixes(expr)
            if prefixes is None:
                self._always.append(position)
                continue
            literals = tuple(dict.fromkeys(literal_start(b) for b in top_level_branches(expr)))
            for prefix in sorted(prefixes):
                self._by_prefix.setdefault(prefix, []).append(
                    (position, tuple(literal for literal in literals if literal.startswith(prefix))))

    def candidates(self, key: str) -> list[int]:
        """Positions of the rows that may match ``key``, in table order."""
        found = set(self._always)
        by_prefix = self._by_prefix
        for boundary in _BOUNDARY_START.finditer(key):
            start = boundary.start()
            rows = by_prefix.get(key[start:start + _PREFIX])
            if rows:
                for row, literals in rows:
                    if row not in found and key.startswith(literals, start):
                        found.add(row)
        return sorted(found)
