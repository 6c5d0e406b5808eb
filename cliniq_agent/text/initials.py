"""Genus initials: "E. coli", "P. falciparum", "N. gonorrhoeae", "S. Typhi" — a dot that does not end a sentence.

Why one module: the ConText segmenter (text/context/segment.py), the criteria readers' sentence stop
(text/criteria/sentences.py) and the agent's proposal guard (agent/propose.py) must agree on where an organism's name
is cut, or one reader keeps "swab for C. auris negative" together while another reads "C." as the end of a sentence.

The rule: a one-letter word (at the start of the text or after a space or "(") and its dot, followed on the same line
by a word that starts lower-case ("coli", also in case-folded text) or by a capitalised epithet of
kb/lookup/genus_initials.tsv ("Typhi"). After a type word of that table ("type B. The", "hepatitis B. HCV ...") the
letter names a type, and its dot ends the sentence like any word.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from cliniq_agent.core.tsv import kb_table


def _words(kind: str) -> list[str]:
    return sorted((row["word"] for row in kb_table("lookup", "genus_initials.tsv") if row["kind"] == kind),
                  key=len, reverse=True)


def _type_words() -> str:
    return "|".join(r"\s+".join(map(regex.escape, word.split())) for word in _words("type_word"))


#: A regex fragment: the dot of a genus initial (match it at the dot; it reads the text on both sides).
GENUS_DOT = (rf"(?<=(?:^|[\s(])\p{{L}})(?<!(?i:\b(?:{_type_words()}))\s+\p{{L}})"
             rf"\.(?=[ \t]+(?:\p{{Ll}}|(?:{'|'.join(map(regex.escape, _words('capitalised_epithet')))})\b))")


@lru_cache(maxsize=1)
def _genus_dot() -> regex.Pattern[str]:
    return regex.compile(GENUS_DOT)


def genus_initial_at(text: str, dot: int) -> bool:
    """Whether ``text[dot]`` is the dot of a genus initial ("E." of "E. coli")."""
    return _genus_dot().match(text, dot) is not None
