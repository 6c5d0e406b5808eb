"""Serology patterns: past infection or immunity is not a current case (CSTE hepatitis, VPD and arboviral definitions).

Notes list hepatitis markers one after another ("HBsAg negative, anti-HBc positive, anti-HBs positive") and the
earlier tiers read each positive marker as the disease. A case definition reads the *combination*: a positive
marker of current infection (antigen, nucleic acid, IgM) makes a case; otherwise an immunity marker (IgG, anti-HBs,
total anti-HAV), or an antibody whose current-infection test is negative (anti-HCV with RNA not detected, anti-HBc
with HBsAg negative), shows resolved infection or immunity. Then the items read from those marker clauses are
marked HISTORICAL, so reportability does not count them. The markers and conditions are kb/criteria/serology.tsv.
"""

from __future__ import annotations

from functools import lru_cache

import regex
from pydantic import BaseModel, ConfigDict

from cliniq_agent.core.schema import Assertion, CompactRecord
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.text.criteria.lab_statements import clause_results, result_words
from cliniq_agent.text.criteria.sentences import pieces_between, sentences
from cliniq_agent.text.doc import TextDoc

_KINDS = ("current", "immunity", "antibody")      # checked in this order: "IgM anti-HBc" is a current marker
# sentences end where sentences.py says; within one, clauses end at a comma, a semicolon or a contrastive conjunction
_CLAUSE_END = regex.compile(
    r"[;,/]\s|\s[-\u2013\u2014]\s|\s(?:and|but|with|y|e|et|con|com|avec|va|nhung|pero|mas|mais)\s", regex.IGNORECASE)


class _Marker(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    group: str           # hav | hbv | hcv | hev | any
    kind: str            # name | current | immunity | antibody
    pattern: regex.Pattern[str]


class SerologyFinding(BaseModel):
    """One marker with its result in one clause."""

    group: str
    kind: str
    positive: bool
    clause: tuple[int, int]
    sentence: tuple[int, int]     # with its stop: a condition named there is read from the markers


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[_Marker, ...], dict[str, frozenset[str]]]:
    markers, conditions = [], {}
    for row in kb_table("criteria", "serology.tsv"):
        if row["kind"] == "conditions":
            conditions[row["group"]] = frozenset(row["pattern"].split())
        else:
            markers.append(_Marker(group=row["group"], kind=row["kind"], pattern=regex.compile(row["pattern"])))
    return tuple(markers), conditions


@lru_cache(maxsize=1)
def _any_name() -> regex.Pattern[str]:
    markers, _ = _table()
    return regex.compile("|".join(f"(?:{m.pattern.pattern})" for m in markers if m.kind == "name"))


def _group_named(folded: str, clause: tuple[int, int], markers: tuple[_Marker, ...]) -> str | None:
    for marker in markers:
        if marker.kind == "name" and marker.pattern.search(folded, *clause):
            return marker.group
    return None


def _kind_of(folded: str, clause: tuple[int, int], group: str, markers: tuple[_Marker, ...]) -> str | None:
    for kind in _KINDS:
        if any(m.kind == kind and m.group in (group, "any") and m.pattern.search(folded, *clause) for m in markers):
            return kind
    return None


def find_serology(doc: TextDoc, spans: list[tuple[int, int]]) -> list[SerologyFinding]:
    """Hepatitis markers with a positive / negative result word in their clause (the nearest result word wins;
    a clause naming no virus inherits the virus of the clause before it in the same sentence)."""
    folded = doc.fold
    markers, conditions = _table()
    words = result_words(folded)
    found: list[SerologyFinding] = []
    names = _any_name()
    for start, end in spans:
        if not names.search(folded, start, end):      # no hepatitis virus named: nothing to read (most notes)
            continue
        for sentence in sentences(folded, start, end):
            if not names.search(folded, *sentence):
                continue
            group = None
            for clause in pieces_between(_CLAUSE_END, folded, *sentence):
                group = _group_named(folded, clause, markers) or group
                if group is None or group not in conditions:
                    continue
                kind = _kind_of(folded, clause, group, markers)
                results = clause_results(folded, clause, None, words)
                if kind is None or not results:
                    continue
                positive = {p for p, _ in results}
                if len(positive) == 1:        # "positive ... negative" in one clause: unclear, not read
                    found.append(SerologyFinding(group=group, kind=kind, positive=positive.pop(), clause=clause,
                                                 sentence=(sentence[0], min(sentence[1] + 1, end))))
    return found


def past_or_immune(findings: list[SerologyFinding]) -> dict[str, list[SerologyFinding]]:
    """Groups whose markers show past infection or immunity and no current infection, with their findings."""
    out: dict[str, list[SerologyFinding]] = {}
    for group in {f.group for f in findings}:
        mine = [f for f in findings if f.group == group]
        current_positive = any(f.kind == "current" and f.positive for f in mine)
        current_negative = any(f.kind == "current" and not f.positive for f in mine)
        immune = any(f.kind == "immunity" and f.positive for f in mine)
        antibody = any(f.kind == "antibody" and f.positive for f in mine)
        if not current_positive and (immune or (antibody and current_negative)):
            out[group] = mine
    return out


def mark_past_serology(doc: TextDoc, spans: list[tuple[int, int]], record: CompactRecord) -> list[str]:
    """Mark HISTORICAL the conditions and labs of ``record`` read only from the marker clauses of a hepatitis whose
    serology shows past infection or immunity; one trace note per group."""
    _, conditions = _table()
    notes = []
    for group, mine in sorted(past_or_immune(find_serology(doc, spans)).items()):
        clauses, sentences = [f.clause for f in mine], [f.sentence for f in mine]

        def inside(item) -> bool:
            located = [e.span for e in item.evidence if e.span]
            return bool(located) and all(any(lo <= s[0] and s[1] <= hi for lo, hi in sentences) for s in located)

        marked = 0
        for item in record.conditions:
            if item.snomed in conditions[group] and item.assertion is Assertion.PRESENT and inside(item):
                item.assertion, marked = Assertion.HISTORICAL, marked + 1
        for lab in record.labs:
            if lab.assertion is Assertion.PRESENT and inside(lab) and any(
                    lo < e.span[1] and e.span[0] < hi for e in lab.evidence if e.span for lo, hi in clauses):
                lab.assertion, marked = Assertion.HISTORICAL, marked + 1
        notes.append(f"serology: {group} markers show past infection or immunity, no current infection "
                     f"({len(clauses)} marker clause(s)); {marked} item(s) marked historical")
    return notes

