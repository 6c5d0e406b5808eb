"""Scan text for KB names: every token n-gram is looked up as a folded key, longest match first.

Only mentions that can become items are kept: reportable-condition SNOMED codes (not symptoms or
qualifiers such as "fever" or "detected"), LOINC tests named by at least three words (one- and
two-word LOINC names such as "Note" or "Weight" are too generic to find in prose), RxNorm products
named with their strength (a bare ingredient does not say which product), and CVX vaccines. A disease
name followed by an analyte word ("measles IgM") is a lab test, not a diagnosis.
"""

from __future__ import annotations

from functools import lru_cache

import regex
from pydantic import BaseModel

from cliniq_agent.core.budget import check_budget
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.text.lookup.ngram_keys import KeyOf, key_function
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.terminology.normalize import fold_key
from cliniq_agent.core.textnorm import fold

_TOKEN = regex.compile(r"[\p{L}\p{M}]+|\p{N}+")
_MIN_LOINC_WORDS = 3
_BUDGET_CHECK_TOKENS = 4096   # a single huge line checks the time budget every this many tokens
_KIND = {"snomed": "conditions", "loinc": "labs", "rxnorm": "meds", "cvx": "immunizations"}


class KBMention(BaseModel):
    """A KB name found in text."""

    span: tuple[int, int]
    text: str
    system: str
    code: str
    name: str
    kind: str


@lru_cache(maxsize=1)
def _analyte_pattern() -> regex.Pattern[str]:
    words = sorted((fold(row["word"]) for row in kb_table("lookup", "analyte_words.tsv")), key=len, reverse=True)
    return regex.compile(r"^[\s(]*(?:virus\s+|viral\s+)?(?:" + "|".join(regex.escape(w) for w in words) + r")(?!\w)")


def find_kb_mentions(text: str, kb: TerminologyKB, spans: list[tuple[int, int]] | None = None) -> list[KBMention]:
    mentions: list[KBMention] = []
    for start, end in spans or [(0, len(text))]:
        check_budget("lookup tier")
        tokens = [m for m in _TOKEN.finditer(text, start, end)]
        key_of, first_words = key_function(text, tokens)
        starts, longest_cased = kb.name_key_starts
        line_ends = _line_ends(text, tokens)
        index = steps = 0
        while index < len(tokens):
            steps += 1
            if steps % _BUDGET_CHECK_TOKENS == 0:
                check_budget("lookup tier")
            found = None
            possible = first_words(index)
            if possible is None or any(word in starts for word in possible):
                found = _longest_at(text, tokens, index, kb, key_of, line_ends[index])
            elif tokens[index].end() - tokens[index].start() <= longest_cased:   # only an abbreviation can start here
                found = _longest_at(text, tokens, index, kb, key_of, line_ends[index], longest_cased)
            if found is None:
                index += 1
                continue
            length, mention = found
            if mention is not None:
                mentions.append(mention)
            index += length
    return mentions


def _line_ends(text: str, tokens: list[regex.Match[str]]) -> list[int]:
    """Per token, the index of the last token on its line (a name never spans lines)."""
    ends = [0] * len(tokens)
    last = len(tokens) - 1
    for k in range(len(tokens) - 1, -1, -1):
        if k < len(tokens) - 1 and "\n" in text[tokens[k].end():tokens[k + 1].start()]:
            last = k
        ends[k] = last
    return ends


def _longest_at(text: str, tokens: list[regex.Match[str]], index: int, kb: TerminologyKB, key_of: KeyOf,
                line_end: int, max_chars: int | None = None) -> tuple[int, KBMention | None] | None:
    """The longest name starting at token ``index`` (surfaces over ``max_chars`` characters skipped)."""
    limit = min(len(tokens) - index, kb.longest_name_tokens, line_end - index + 1)
    for length in range(limit, 0, -1):
        first, last = tokens[index], tokens[index + length - 1]
        if max_chars is not None and last.end() - first.start() > max_chars:
            continue
        surface = text[first.start():last.end()]
        key = key_of(index, length)
        hits = kb.name_key_hits(surface.strip(), cased=True) or kb.name_key_hits(key)
        if len(surface) <= 4 and not kb.name_key_hits(surface.strip(), cased=True):
            hits = [h for h in hits if len(key) > 3]  # tiny lower-case words are not abbreviations
        for system, code in hits:
            mention = _mention(text, (first.start(), last.end()), system, code, kb)
            if mention is not None:
                return length, mention
        if hits:
            return length, None  # a known non-item name ("fever", "detected"): consume it
    return None


def _mention(text: str, span: tuple[int, int], system: str, code: str, kb: TerminologyKB) -> KBMention | None:
    kind = _KIND.get(system)
    if kind is None:
        return None
    if system == "snomed":
        condition = kb.condition(code)
        if condition is None:
            return None
        if _analyte_pattern().match(fold(text[span[1]: span[1] + 40])):
            return None
        condition = kb.diagnosis_condition(condition)
        code, name = condition.snomed, condition.name
    else:
        concept = kb.lookup(system, code)
        if concept is None:
            return None
        surface = text[span[0]:span[1]]
        if system == "loinc" and len(fold_key(surface).split()) < _MIN_LOINC_WORDS:
            return None
        if system == "rxnorm" and not regex.search(r"\d", surface):
            return None
        name = concept.display
    return KBMention(span=span, text=text[span[0]:span[1]], system=system, code=code, name=name, kind=kind)
