"""Lab-result wording: interpretation words (kb/results/interpretations.tsv), numeric value + unit."""

from __future__ import annotations

from functools import lru_cache

import regex

from cliniq_agent.core.tsv import kb_table
from cliniq_agent.core.textnorm import fold

_NUMERIC = regex.compile(r"(?<![\w.])(?P<cmp>[<>]=?|≤|≥)?\s*(?P<value>\d+(?:[.,]\d+)?)\s*(?P<unit>[a-zA-Z%µ/^\[\]0-9*.]+(?:/[a-zA-Z0-9.\[\]]+)?)?")


@lru_cache(maxsize=1)
def _interpretation_pattern() -> tuple[regex.Pattern[str], dict[str, tuple[str, str]]]:
    rows = kb_table("results", "interpretations.tsv")
    table = {fold(row["phrase"]): (row["interpretation"], row["v3_code"]) for row in rows}
    alternatives = "|".join(regex.escape(p) for p in sorted(table, key=len, reverse=True))
    return regex.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])"), table


def interpret(text: str | None) -> tuple[str, str] | None:
    """(interpretation, HL7 v3 code) of the first interpretation phrase in ``text``, longest match first."""
    if not text:
        return None
    pattern, table = _interpretation_pattern()
    match = pattern.search(fold(text))
    return table[match.group(0)] if match else None


def interpretation_span(text: str) -> tuple[int, int] | None:
    pattern, _ = _interpretation_pattern()
    match = pattern.search(fold(text))
    return match.span() if match else None


def trailing_interpretation(text: str) -> int | None:
    """Where an interpretation phrase that ends ``text`` (after a space, not the whole text) starts:
    "Salmonella dương tính", "HBsAg positive"."""
    stripped = fold(text).rstrip(" .;")
    pattern, _ = _interpretation_pattern()
    for match in pattern.finditer(stripped):
        if match.end() == len(stripped) and match.start() > 0 and stripped[match.start() - 1] == " " \
                and stripped[:match.start()].strip():
            return match.start()
    return None


def numeric_value(text: str | None) -> tuple[str, str | None] | None:
    """First number in ``text`` with the unit written after it (as written; callers map to UCUM)."""
    if not text:
        return None
    match = _NUMERIC.search(text)
    if not match:
        return None
    value = match.group("value").replace(",", ".")
    if match.group("cmp"):
        value = f"{match.group('cmp')}{value}"
    return value, match.group("unit")
