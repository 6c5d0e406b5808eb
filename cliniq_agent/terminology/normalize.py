"""Text keys for exact / alias matching: case-, accent- and punctuation-insensitive.

``fold_key("SARS-CoV-2")`` and ``fold_key("sars cov2")`` are both ``"sars cov 2"``: letters and digits are split
so spelling variants of codes and strain names (O157:H7, H5N1, COVID19) meet. ``case_key`` keeps letter case for
short abbreviations, where case carries meaning ("GAS" the organism, "gas" the word).
"""

from __future__ import annotations

import regex

from cliniq_agent.core.textnorm import fold

_NON_ALNUM = regex.compile(r"[^\p{L}\p{N}]+")
_LETTER_DIGIT = regex.compile(r"(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})")
_POSSESSIVE = regex.compile(r"(?<=\p{L})['’]s\b")
_SEMANTIC_TAG = regex.compile(
    r"\s*\((disorder|finding|organism|substance|event|procedure|qualifier value|situation|observable entity|"
    r"morphologic abnormality|body structure|specimen|product|medicinal product|physical object|regime/therapy)\)\s*$",
    regex.IGNORECASE,
)


def strip_semantic_tag(name: str) -> str:
    """'Pertussis (disorder)' -> 'Pertussis' (SNOMED CT fully specified name to plain term)."""
    return _SEMANTIC_TAG.sub("", name).strip()


def _key(text: str) -> str:
    text = _POSSESSIVE.sub("s", text)
    text = _LETTER_DIGIT.sub(" ", text)
    return " ".join(_NON_ALNUM.sub(" ", text).split())


def fold_key(text: str) -> str:
    """Lower-case, accent-free, punctuation-free key with letters and digits split.

    Not memoised: callers pass phrases of documents, and a module-level cache would keep them after the run
    (issue 12). A caller that folds the same text many times keeps its own memo for the one document."""
    return _key(fold(text))


def case_key(text: str) -> str:
    """Like :func:`fold_key` but keeps letter case (for abbreviations of four characters or fewer)."""
    folded = "".join(ch if fold(ch) == ch.lower() else fold(ch) for ch in text)
    return _key(folded)


def is_case_sensitive_abbreviation(text: str, kind: str) -> bool:
    """Short abbreviations match case-sensitively: 'GAS' is group A strep, 'gas' is not."""
    compact = _NON_ALNUM.sub("", text)
    return kind == "abbreviation" and len(compact) <= 4 and any(ch.isupper() for ch in compact)
