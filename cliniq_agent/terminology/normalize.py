"""Text keys for exact / alias matching: case-, accent- and punctuation-insensitive.

``fold_key("SARS-CoV-2")`` and ``fold_key("sars cov2")`` are both ``"sars cov 2"``: letters and digits are split
so spelling variants of codes and strain names (O157:H7, H5N1, COVID19) meet. ``case_key`` keeps letter case for
short abbreviations, where case carries meaning ("GAS" the organism, "gas" the word).
"""

from __future__ import annotations

import re

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


#: The ASCII view of the three patterns above, for the common all-ASCII text: every non-alphanumeric character
#: to a space (``split`` then joins the runs), and a letter or digit followed by the other kind gets a space after it.
_ASCII_NON_ALNUM = str.maketrans({chr(code): " " for code in range(128) if not chr(code).isalnum()})
_ASCII_DIGIT = re.compile(r"[0-9]")
_ASCII_LETTER_DIGIT = re.compile(r"[A-Za-z](?=[0-9])|[0-9](?=[A-Za-z])")


def _key(text: str) -> str:
    if text.isascii():  # the same key, without the Unicode-class patterns (a third of the time on KB and lab names)
        if "'" in text:
            text = _POSSESSIVE.sub("s", text)
        if _ASCII_DIGIT.search(text):
            text = _ASCII_LETTER_DIGIT.sub(_spaced, text)
        return " ".join(text.translate(_ASCII_NON_ALNUM).split())
    text = _POSSESSIVE.sub("s", text)
    text = _LETTER_DIGIT.sub(" ", text)
    return " ".join(_NON_ALNUM.sub(" ", text).split())


def _spaced(match: re.Match[str]) -> str:
    return match.group() + " "


def fold_key(text: str) -> str:
    """Lower-case, accent-free, punctuation-free key with letters and digits split.

    Not memoised: callers pass phrases of documents, and a module-level cache would keep them after the run
    (issue 12). A caller that folds the same text many times keeps its own memo for the one document."""
    return _key(fold(text))


def case_key(text: str) -> str:
    """Like :func:`fold_key` but keeps letter case (for abbreviations of four characters or fewer)."""
    if text.isascii():  # every ASCII character folds to its lower case but the backtick (to an apostrophe)
        folded = text.replace("`", "'")
    else:
        folded = "".join(ch if fold(ch) == ch.lower() else fold(ch) for ch in text)
    return _key(folded)


def is_case_sensitive_abbreviation(text: str, kind: str) -> bool:
    """Short abbreviations match case-sensitively: 'GAS' is group A strep, 'gas' is not."""
    compact = _NON_ALNUM.sub("", text)
    return kind == "abbreviation" and len(compact) <= 4 and any(ch.isupper() for ch in compact)
