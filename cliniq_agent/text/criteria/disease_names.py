"""Disease names of every language as lab-statement subjects: "sorologia para encefalite japonesa reagente".

kb/reportability/text_links.tsv names organisms and tests, and the disease names its rows were written with; the
curated synonyms of kb/terminology/synonyms.tsv (translations and lay names in five languages) name many more.
A positive test for a disease named by one of them is the same statement, so lab statements read both. A name
is used only when it names one condition (or, like "rubeola" after folding, one condition per language: it is
then read in the note's language), is not a short abbreviation (those are matched case-sensitively
elsewhere), and the clause holds none of the words the condition's text_links rows exclude (IgG, immunity,
vaccine ...).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import regex

from cliniq_agent.core.tsv import kb_table
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
        self.condition = {key: next(iter(codes)) for key, codes in owners.items()
                          if len(codes) == 1 and key not in kb.own_language_keys}
        # a key two conditions share across languages (or one names in its own language only: French "rage"):
        # {language: condition} when each language names one
        self.by_language: dict[str, dict[str, str]] = {}
        for key, codes in kb.condition_key_languages.items():
            if key in owners and key not in self.condition:
                per_language: dict[str, set[str]] = {}
                for code, languages in codes.items():
                    condition = kb.condition(code)
                    for language in languages if condition is not None else ():
                        per_language.setdefault(language, set()).add(kb.diagnosis_condition(condition).snomed)
                self.by_language[key] = {lang: next(iter(c)) for lang, c in per_language.items() if len(c) == 1}
        keys = sorted([*self.condition, *self.by_language], key=len, reverse=True)
        self.pattern = regex.compile(r"(?<![\w])(?:" + "|".join(regex.escape(k) for k in keys) + r")(?![\w])") \
            if keys else None
        self.excludes: dict[str, list[regex.Pattern[str]]] = {}
        for link in kb.text_links.links:
            if link.exclude is not None:
                self.excludes.setdefault(link.condition, []).append(link.exclude)

    def find(self, key: str, language: Callable[[], str | None] | None = None,
             exclude_key: str | None = None) -> list[tuple[str, tuple[int, int]]]:
        """(condition, span in ``key``) of each disease name in a clause key. ``language`` gives the note's
        language, asked only when a name shared across languages is found (without it such a name is skipped);
        ``exclude_key``: the key the rows' exclusions read (``without_breakthrough``)."""
        if self.pattern is None:
            return []
        found = []
        for match in self.pattern.finditer(key):
            condition = self.condition.get(match.group(0))
            if condition is None:
                note_language = language() if language is not None else None
                condition = self.by_language[match.group(0)].get(note_language) if note_language else None
            if condition is None:
                continue
            if any(exclude.search(exclude_key or key) for exclude in self.excludes.get(condition, ())):
                continue
            found.append((condition, match.span()))
        return found


@lru_cache(maxsize=1)
def _breakthrough() -> regex.Pattern[str]:
    row = next(row for row in kb_table("criteria", "result_statements.tsv") if row["class"] == "breakthrough")
    return regex.compile(row["pattern"])


def without_breakthrough(key: str) -> str:
    """``key`` with the words of a failed vaccination blanked ("mpox pcr positive despite one jynneos dose"): a
    breakthrough infection's vaccine is not what a row's exclusion (vaccine, immunity serology) is about."""
    return _breakthrough().sub(lambda m: " " * len(m.group(0)), key)


@lru_cache(maxsize=1)
def disease_names(kb: TerminologyKB) -> DiseaseNames:
    return DiseaseNames(kb)
