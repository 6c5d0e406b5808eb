"""Disease names of every language as lab-statement subjects: "sorologia para encefalite japonesa reagente".

kb/reportability/text_links.tsv names organisms and tests, and the disease names its rows were written with; the
curated synonyms of kb/terminology/synonyms.tsv (translations and lay names in five languages) name many more.
A positive test for a disease named by one of them is the same statement, so lab statements read both. A name
is used only when it names one condition, is not a short abbreviation (those are matched case-sensitively
elsewhere), and the clause holds none of the words the condition's text_links rows exclude (IgG, immunity,
vaccine ...).
"""

from __future__ import annotations

from functools import lru_cache

import regex

from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.terminology.normalize import fold_key, is_case_sensitive_abbreviation

_MIN_KEY_CHARS = 4


class DiseaseNames:
    """One alternation of the folded synonyms (longest first) and, per key, its condition."""

    def __init__(self, kb: TerminologyKB) -> None:
        owners: dict[str, set[str]] = {}
        for condition in kb.conditions:
            for synonym in condition.synonyms:
                if synonym.kind == "valueset" or is_case_sensitive_abbreviation(synonym.text, synonym.kind):
                    continue
                key = fold_key(synonym.text)
                if len(key) >= _MIN_KEY_CHARS:
                    owners.setdefault(key, set()).add(kb.diagnosis_condition(condition).snomed)
        self.condition = {key: next(iter(codes)) for key, codes in owners.items() if len(codes) == 1}
        keys = sorted(self.condition, key=len, reverse=True)
        self.pattern = regex.compile(r"(?<![\w])(?:" + "|".join(regex.escape(k) for k in keys) + r")(?![\w])") \
            if keys else None
        self.excludes: dict[str, list[regex.Pattern[str]]] = {}
        for link in kb.text_links.links:
            if link.exclude is not None:
                self.excludes.setdefault(link.condition, []).append(link.exclude)

    def find(self, key: str) -> list[tuple[str, tuple[int, int]]]:
        """(condition, span in ``key``) of each disease name in a clause key."""
        if self.pattern is None:
            return []
        found = []
        for match in self.pattern.finditer(key):
            condition = self.condition[match.group(0)]
            if any(exclude.search(key) for exclude in self.excludes.get(condition, ())):
                continue
            found.append((condition, match.span()))
        return found


@lru_cache(maxsize=1)
def disease_names(kb: TerminologyKB) -> DiseaseNames:
    return DiseaseNames(kb)
