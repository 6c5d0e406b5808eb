"""Sibling species: a genus followed by another species' epithet is another organism (kb/lookup/other_species.tsv).

Why: a terminology name can be a bare genus ("chlamydia" for C. trachomatis infection), and the code index ranks
"Chlamydophila psittaci" close to "Chlamydophila pneumoniae"; both then code a respiratory C. pneumoniae result as
a reportable sexually transmitted infection or as psittacosis. One table, read by the lookup tier and the agent.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from cliniq_agent.core.textnorm import fold
from cliniq_agent.core.tsv import kb_table

_WORDS = regex.compile(r"[\p{L}\p{M}]+")


@lru_cache(maxsize=1)
def _rows() -> dict[tuple[str, str], frozenset[str]]:
    """(folded genus, folded epithet) -> the condition codes that binomial is not."""
    table: dict[tuple[str, str], set[str]] = {}
    for row in kb_table("lookup", "other_species.tsv"):
        table.setdefault((fold(row["genus"]), fold(row["epithet"])), set()).add(row["not_condition"])
    return {key: frozenset(codes) for key, codes in table.items()}


def other_species(text: str, code: str) -> str | None:
    """The binomial in ``text`` that names another organism than condition ``code`` ('chlamydia pneumoniae'), or
    None. Only adjacent words count: "Chlamydia trachomatis and Mycoplasma pneumoniae" names no such binomial."""
    rows = _rows()
    words = _WORDS.findall(fold(text))
    for genus, epithet in zip(words, words[1:]):
        if code in rows.get((genus, epithet), ()):
            return f"{genus} {epithet}"
    return None
