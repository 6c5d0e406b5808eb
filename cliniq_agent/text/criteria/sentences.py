"""Where a sentence ends, for the criteria readers: lab_statements' clauses, serology's sentences and
negative_workup's window after a suspicion. One definition, so that the three agree on where a statement ends.

A stop is ``.``, ``!`` or ``?`` followed by a space or the end of the text, except a genus initial's dot ("E. coli",
"P. falciparum", also at the start of the text; but a type letter, "serogroup W.", ends one: text/initials.py), a
genus's "sp." / "spp." ("Salmonella sp. isolated") or a list number standing alone ("1. fever 2. rash": text/list_numbers.py; a
decimal point is never followed by a space anyway). A result written as a number ends its sentence: "MAT 1:800.
Dengue negative", "negative x3. Malaria smear ...", "since 2019. HIV ...". A newline also ends a sentence.
"""

from __future__ import annotations

import regex

from cliniq_agent.text.initials import GENUS_DOT
from cliniq_agent.text.list_numbers import LIST_NUMBER

STOP = rf"(?!{GENUS_DOT})(?<!{LIST_NUMBER}|\bspp?)[.!?](?=\s|$)"
SENTENCE_END = regex.compile(rf"\n|{STOP}")


def pieces_between(separator: regex.Pattern[str], text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The non-empty spans of ``text[start:end]`` between matches of ``separator`` (sentences, clauses)."""
    out, cursor = [], start
    for match in separator.finditer(text, start, end):
        if match.start() > cursor:
            out.append((cursor, match.start()))
        cursor = match.end()
    if cursor < end:
        out.append((cursor, end))
    return out


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The non-empty sentences of ``text[start:end]`` (without their stops)."""
    return pieces_between(SENTENCE_END, text, start, end)


def sentence_start(text: str, position: int) -> int:
    """Where the sentence holding ``position`` begins (after the last sentence end before it, else 0)."""
    return max((m.end() for m in SENTENCE_END.finditer(text, 0, position)), default=0)


def sentence_window(text: str, start: int, count: int = 2) -> tuple[int, int]:
    """From ``start`` to the end of the ``count``-th sentence end after it (with its stop), or the text's end."""
    end = start
    for _ in range(count):
        stop = SENTENCE_END.search(text, end)
        if stop is None:
            return start, len(text)
        end = stop.end()
    return start, end
