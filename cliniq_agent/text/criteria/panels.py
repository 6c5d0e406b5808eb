"""Panel headers: "GC/CT NAAT: CT detected, GC not detected", "Hep panel: HAV IgM neg, HBsAg pos".

A multiplex test is written as a header naming the panel (its organisms, its test words) followed by a colon and
one result per analyte. The organisms in the header name the *test*, not a finding: each analyte takes the result
written after the colon, so a header organism must neither become a diagnosis (lookup tier) nor borrow another
analyte's result (lab statements). A header counts as a panel header when
- it names at least one organism or disease (kb/reportability/text_links.tsv, the curated disease names), and
- it holds a test word (kb/lookup/analyte_words.tsv, kb/criteria/panel_words.tsv) or names two or more of them, and
- the text after the colon, up to the sentence end, names an organism with a result word of its own.
"Chlamydia NAAT: positive" has no organism after the colon, so its header keeps the result (as before).
"""

from __future__ import annotations

from functools import lru_cache

import regex

from cliniq_agent.core.tsv import kb_table
from cliniq_agent.core.textnorm import fold
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.terminology.normalize import fold_key
from cliniq_agent.text.criteria.disease_names import disease_names
from cliniq_agent.text.criteria.sentences import SENTENCE_END

# a header's colon: not a time ("10:30") or a titre ("1:64"); French puts a space before it
_COLON = regex.compile(r"(?<!\d)\s?:(?!\d)")
# where a header starts (looking back from its colon): a clause or line break, a list comma, a dash
_HEADER_START = regex.compile(r"[.;,\n]\s|[;\n]|\s[-–—]+\s|:\s")
_MAX_HEADER_CHARS = 60


@lru_cache(maxsize=1)
def _test_words() -> regex.Pattern[str]:
    words = [fold(row["word"]) for row in kb_table("lookup", "analyte_words.tsv")]
    words += [fold(row["word"]) for row in kb_table("criteria", "panel_words.tsv")]
    alternation = "|".join(regex.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return regex.compile(r"(?<!\w)(?:" + alternation + r")(?!\w)")


def _conditions(kb: TerminologyKB, text: str) -> list[str]:
    """The conditions named in ``text`` (one entry per organism / disease name written)."""
    found = [link.condition for use in ("lab", "dx") for _, link in kb.text_links.match(text, use)]
    found += [condition for condition, _ in disease_names(kb).find(fold_key(text))]
    return found


def _has_result(folded: str) -> bool:
    from cliniq_agent.text.criteria.lab_statements import result_phrases   # lab_statements reads the headers
    return any(phrase.pattern.search(folded) for phrase in result_phrases())


@lru_cache(maxsize=4096)
def _names_panel(head: str, kb: TerminologyKB) -> bool:
    """A header naming an organism with a test word, or two organisms (memoised: notes repeat their labels)."""
    if not head.strip():
        return False
    named = set(_conditions(kb, head))   # distinct: several link rows read one "dengue" ("Suspected dengue: NS1 …")
    return bool(named) and (len(named) >= 2 or bool(_test_words().search(fold(head))))


def _per_analyte_results(rest: str, kb: TerminologyKB) -> bool:
    """The text after the colon names an organism and a result word."""
    return _has_result(fold(rest)) and bool(_conditions(kb, rest))


def panel_headers(text: str, kb: TerminologyKB | None = None) -> list[tuple[int, int]]:
    """Spans of the panel headers of ``text`` (see the module docstring)."""
    if ":" not in text:
        return []
    kb = kb or TerminologyKB.load()
    headers: list[tuple[int, int]] = []
    for colon in _COLON.finditer(text):
        floor = max(0, colon.start() - _MAX_HEADER_CHARS)
        start = floor
        for boundary in _HEADER_START.finditer(text, floor, colon.start()):
            start = boundary.end()
        if start == floor and floor > 0:
            continue   # no clause start within reach: prose, not a header
        header = (start, colon.start())
        stop = SENTENCE_END.search(text, colon.end())
        rest = (colon.end(), stop.start() if stop else len(text))
        if _names_panel(text[header[0]:header[1]], kb) and _per_analyte_results(text[rest[0]:rest[1]], kb):
            headers.append(header)
    return headers
