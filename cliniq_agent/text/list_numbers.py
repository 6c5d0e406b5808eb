"""A list number standing alone ("1. fever 2. rash") does not end a sentence: one definition for the ConText
segmenter (text/context/segment.py) and the criteria readers' sentence stop (text/criteria/sentences.py).

One or two digits at the start of the text or after a space or "(". A result written as a number ends its sentence
like any word ("MAT 1:800. Dengue NS1 negative", "CD4 350. HIV ...", "since 2019. Now ..."): three digits, or
digits after ":" or "/", are not a list number.
"""

from __future__ import annotations

import regex

#: A regex fragment for lookbehinds: the list number right before a dot.
LIST_NUMBER = r"(?:^|[\s(])\d{1,2}"
_BEFORE = regex.compile(rf"(?<={LIST_NUMBER})")


def list_number_before(text: str, dot: int) -> bool:
    """Whether the text right before position ``dot`` is a list number standing alone."""
    return _BEFORE.match(text, dot) is not None
