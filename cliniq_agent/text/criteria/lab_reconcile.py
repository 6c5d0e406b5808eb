"""How prose lab statements meet the record the earlier tiers built: a test of another disease of the same
organism, a mechanism that stands for its organism group, a longer organism name that supersedes a shorter coded
one, and a suspected condition that a negative test excludes. Split from lab_statements.py, which finds the
statements; the rows are the `other_disease` and `organism_group` classes of kb/criteria/result_statements.tsv."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import regex

from cliniq_agent.core.schema import Assertion, CompactRecord, Tier
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.text.doc import TextDoc

if TYPE_CHECKING:
    from cliniq_agent.text.criteria.lab_statements import LabStatement


@lru_cache(maxsize=1)
def _other_diseases() -> tuple[tuple[frozenset[str], object], ...]:
    """(conditions, pattern) of the `other_disease` rows: another disease of the same organism named in the note."""
    return tuple((frozenset(row["conditions"].split()), regex.compile(row["pattern"]))
                 for row in kb_table("criteria", "result_statements.tsv") if row["class"] == "other_disease")


def other_disease(folded: str, statement: LabStatement) -> bool:
    """An organism's test ("VZV PCR positive") in a note that names another disease of that organism ("herpes
    zoster") is that disease's, not the listed condition's."""
    return not statement.disease_name and any(statement.condition in conditions and pattern.search(folded)
                                              for conditions, pattern in _other_diseases())


@lru_cache(maxsize=1)
def _organism_groups() -> tuple[tuple[str, str, object], ...]:
    """(mechanism condition, group condition, organism pattern) of the `organism_group` rows."""
    out = []
    for row in kb_table("criteria", "result_statements.tsv"):
        if row["class"] == "organism_group":
            source, target = row["conditions"].split(">")
            out.append((source.strip(), target.strip(), regex.compile(row["pattern"])))
    return tuple(out)


def group_statements(doc: TextDoc, found: list[LabStatement]) -> list[LabStatement]:
    """A positive mechanism statement ("KPC positive") on a line that names an organism of a group ("Klebsiella
    pneumoniae") also stands for the group's condition (carbapenem-resistant Enterobacterales)."""
    folded, out = doc.fold, []
    for statement in found:
        if not statement.positive:
            continue
        line = (folded.rfind("\n", 0, statement.span[0]) + 1, len(folded))
        newline = folded.find("\n", statement.span[1])
        if newline >= 0:
            line = (line[0], newline)
        for source, target, pattern in _organism_groups():
            if statement.condition == source and pattern.search(folded, *line):
                out.append(statement.model_copy(update={"condition": target, "disease_name": True}))
    return out


def supersedes(record: CompactRecord, statement: LabStatement, kb: TerminologyKB, notes: list[str]) -> bool:
    """A lab statement's organism is a longer name holding a shorter one the lookup tier coded as another
    condition ("influenza A H5 positive": novel influenza A, not the seasonal "influenza A"): the more specific
    name wins, so the lookup's condition is dropped and the statement stands. Any other overlap keeps the
    earlier tier's item."""
    lo, hi = statement.span
    overlapping = [item for item in record.conditions if any(
        e.span and e.span[0] < hi and lo < e.span[1] for e in item.evidence)]
    others = [item for name in CompactRecord.ITEM_LISTS if name not in ("vitals", "conditions")
              for item in getattr(record, name) if coded(item)
              and any(e.span and e.span[0] < hi and lo < e.span[1] for e in item.evidence)]
    codes = codes_of(kb, statement.condition)
    if others or not overlapping or not all(
            item.snomed and item.snomed not in codes and all(e.tier is Tier.LOOKUP for e in item.evidence)
            and all(e.span and lo <= e.span[0] and e.span[1] <= hi and (e.span[1] - e.span[0]) < hi - lo
                    for e in item.evidence if e.span) for item in overlapping):
        return False
    for item in overlapping:
        record.conditions.remove(item)
        notes.append(f"lab statement: '{item.name}' is part of the longer organism name of a {statement.condition} "
                     "statement: the more specific name wins")
    return True


def codes_of(kb: TerminologyKB, condition: str) -> set[str]:
    found = kb.condition(condition)
    return {condition} | ({kb.diagnosis_condition(found).snomed} if found is not None else set())


def coded(item) -> bool:
    return any(getattr(item, field, None) for field in ("snomed", "icd10", "loinc", "rxnorm", "cvx"))


def _descendants(kb: TerminologyKB, code: str) -> set[str]:
    """The conditions below ``code`` in kb/terminology/condition_profile.tsv's parent column (mpox and smallpox
    below orthopoxvirus infection, typhoid fever below salmonellosis)."""
    out: set[str] = set()
    frontier = {code}
    while frontier:
        frontier = {c.snomed for c in kb.conditions if c.parent in frontier} - out
        out |= frontier
    return out


def exclude_suspected(record: CompactRecord, negative_only: set[str], kb: TerminologyKB, notes: list[str],
                      test_names: tuple[tuple[int, int], ...] = ()) -> None:
    """A differential the note only suspected, whose test came back negative, is excluded. A negative test for a
    group rules out each kind of it ("orthopoxvirus PCR negative" rules out a suspected mpox). A mention that is
    only the name of a negative test (``test_names``: "PCR coqueluche …: pas de Bordetella retrouvée") asserts
    nothing either."""
    codes = {code for condition in negative_only for group in codes_of(kb, condition)
             for code in {group} | _descendants(kb, group)}
    for item in record.conditions:
        spans = [e.span for e in item.evidence if e.span]
        suspected = item.status == "suspected" or item.assertion is Assertion.POSSIBLE or bool(spans) and all(
            any(lo <= span[0] and span[1] <= hi for lo, hi in test_names) for span in spans)
        if item.snomed in codes and suspected and item.assertion in (Assertion.PRESENT, Assertion.POSSIBLE):
            item.assertion = Assertion.RULED_OUT
            notes.append(f"lab statement: suspected {item.name or item.snomed} excluded by a negative test")
