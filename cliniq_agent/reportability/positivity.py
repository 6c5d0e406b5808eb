"""Does a lab result indicate the organism / analyte was found? Negative, pending and unclear never trigger.

Order of reading: coded result (SNOMED qualifier, else a bare LOINC answer code) -> result wording (negative,
indeterminate and pending cues are checked before positive ones) -> titre -> interpretation flag -> numeric value
against a threshold.
Quantitative analytes (lead, carboxyhaemoglobin ...) need a high/abnormal flag or a value over the threshold.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

import regex

from cliniq_agent.reportability.config import result_terms
from cliniq_agent.core.schema import Lab
from cliniq_agent.terminology.normalize import fold_key
from cliniq_agent.terminology.text_links import Threshold
from cliniq_agent.text.criteria.sentences import pieces_between
from cliniq_agent.text.initials import GENUS_DOT

_TITRE = regex.compile(r"^\s*1\s*:\s*(\d+)")
_NUMBER = regex.compile(r"^\s*(\d+(?:[.,]\d+)?)")
_UNIT_FOLD = {"µ": "u", "μ": "u", "mcg": "ug"}
# Sentence or list ends inside one result value ("No Salmonella isolated. Shigella sonnei isolated"); a point
# between digits is a decimal, and a genus initial's ("C. trachomatis", "E. coli") is text/initials.py's rule.
_CLAUSE_END = regex.compile(rf"(?!{GENUS_DOT})(?<!\d)\.(?!\d)|;|\n")


class Positivity(str, Enum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    INDETERMINATE = "indeterminate"
    PENDING = "pending"
    UNKNOWN = "unknown"


def _word_class(text: str) -> str | None:
    key = fold_key(text)
    for cls, pattern in result_terms().words:
        if pattern.search(key):
            return cls
    return None


def _interpretation_class(value: str) -> str | None:
    terms = result_terms()
    stripped = value.strip()
    if stripped in terms.interpretation:
        return terms.interpretation[stripped]
    key = fold_key(stripped)
    if regex.search(r"(?<![a-z])(high|elevated|critical high|above)(?![a-z])", key):
        return "high"
    if regex.search(r"(?<![a-z])(low|below)(?![a-z])", key):
        return "low"
    if regex.search(r"(?<![a-z])abnormal(?![a-z])", key):
        return "positive"
    if regex.search(r"(?<![a-z])normal(?![a-z])", key):
        return "negative"
    return _word_class(stripped)


def _unit(unit: str | None) -> str:
    unit = (unit or "").strip()
    for old, new in _UNIT_FOLD.items():
        unit = unit.replace(old, new)
    return unit.lower()


def _over_threshold(lab: Lab, threshold: Threshold) -> bool | None:
    raw = lab.value or lab.result
    match = _NUMBER.match(raw or "")
    if not match or _unit(lab.unit) != _unit(threshold.unit):
        return None
    return float(match.group(1).replace(",", ".")) >= threshold.value


def classify(lab: Lab, *, quantitative: bool = False, threshold: Threshold | None = None) -> tuple[Positivity, str]:
    """(positivity, reason) of one lab result."""
    terms = result_terms()
    if lab.result_code and lab.result_code.strip() in terms.snomed:
        cls = terms.snomed[lab.result_code.strip()]
        return Positivity(cls), f"coded result {lab.result_code}"
    answer = next((c.code for c in lab.result_translations if c.system == "loinc" and c.code in terms.answers), None)
    if answer and (lab.result or "").strip() in ("", answer):  # no words beside it (a bare code shows as the result)
        return Positivity(terms.answers[answer]), f"coded result {answer}"
    if lab.result and lab.result.strip():
        cls = _word_class(lab.result)
        if cls in ("negative", "indeterminate", "pending"):
            return Positivity(cls), f"result '{lab.result.strip()[:40]}'"
        if cls == "positive":
            return Positivity.POSITIVE, f"result '{lab.result.strip()[:40]}'"
        titre = _TITRE.match(lab.result)
        if titre and not quantitative and int(titre.group(1)) > 0 and "<" not in lab.result:
            return Positivity.POSITIVE, f"reactive titre {lab.result.strip()[:20]}"
    if lab.interpretation and lab.interpretation.strip():
        cls = _interpretation_class(lab.interpretation)
        if cls in ("positive", "high"):
            return Positivity.POSITIVE, f"interpretation {lab.interpretation.strip()}"
        if cls in ("negative", "low"):
            return Positivity.NEGATIVE, f"interpretation {lab.interpretation.strip()}"
        if cls in ("indeterminate", "pending"):
            return Positivity(cls), f"interpretation {lab.interpretation.strip()}"
    if quantitative and threshold is not None:
        over = _over_threshold(lab, threshold)
        if over is not None:
            return ((Positivity.POSITIVE, f"value >= {threshold.value:g} {threshold.unit}") if over
                    else (Positivity.NEGATIVE, f"value < {threshold.value:g} {threshold.unit}"))
    if lab.status and _word_class(lab.status) == "pending":
        return Positivity.PENDING, f"status {lab.status}"
    return Positivity.UNKNOWN, "no result, interpretation or threshold to read"


def names_organism_without_negation(result: str | None) -> bool:
    """A result text that is not itself a negative / pending / unclear statement (culture organism names)."""
    return bool(result and result.strip()) and _word_class(result) not in ("negative", "indeterminate", "pending")


class FoundClauses(NamedTuple):
    """What a result text may say was found: ``texts``, the parts that may name a found organism, and ``mixed``,
    whether it says in separate clauses both that something was found and that something was not."""
    texts: list[str]
    mixed: bool


def _clauses(text: str) -> list[str]:
    """``text`` cut at its clause ends, found on the lower-cased text so an upper-case report's genus initial
    ("N. GONORRHOEAE NOT DETECTED") stays with its epithet."""
    lowered = text.lower()
    if len(lowered) != len(text):   # a letter whose lower case is longer: its offsets would not map back
        lowered = text
    return [text[a:b] for a, b in pieces_between(_CLAUSE_END, lowered, 0, len(lowered))]


def found_clauses(lab: Lab) -> FoundClauses:
    """The parts of a result text that may name a found organism: the whole text when it is not a negative /
    pending / unclear statement; else, when it is mixed (found in one clause, not found in another, and no coded
    result decides), its clauses that are not negative; else none. The text is split into clauses once.

    Culture and multiplex results often say what was not found beside what was ("No Salmonella or Shigella
    isolated. Campylobacter jejuni isolated"; "C. trachomatis not detected; N. gonorrhoeae detected"): read as
    one text, the negative words silenced the organism that was found."""
    if names_organism_without_negation(lab.result):
        return FoundClauses([lab.result or ""], False)   # no clause of it reads negative either
    if lab.result_code and lab.result_code.strip() in result_terms().snomed:
        return FoundClauses([], False)
    clauses = [part for part in _clauses(lab.result or "") if part.strip()]
    classes = [_word_class(clause) for clause in clauses]
    if len(clauses) < 2 or "positive" not in classes or "negative" not in classes:
        return FoundClauses([], False)
    return FoundClauses([c for c, cls in zip(clauses, classes) if cls not in ("negative", "indeterminate", "pending")],
                        True)
