"""Deterministic parser for known-format clinician text.

Each labelled line fills its field; Dx/Lab/Meds lines are split into clauses, every clause gets its
inline code markers, a name, and an assertion from the ConText engine. This parser is the fast
path's cross-check and the fallback when no model runs, so it never guesses a code.
"""

from __future__ import annotations

import regex

from cliniq_agent.core.budget import check_budget
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.core.dates import normalize_date
from cliniq_agent.text.lines.fields import (
    parse_facility,
    parse_gender,
    parse_pregnancy,
    parse_travel,
    parse_vitals,
)
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.lines.labels import LabelledLine
from cliniq_agent.text.mentions import Clause, build_item, split_clauses, split_results
from cliniq_agent.core.schema import CompactRecord, Evidence, Tier

_PATIENT_FIELDS = {"patient.name": "name", "patient.race": "race", "patient.ethnicity": "ethnicity",
                   "patient.address": "address", "patient.phone": "phone"}
_LIST_FIELDS = ("conditions", "labs", "meds", "immunizations")
_NONE_VALUE = regex.compile(r"^\s*(?:none|no|n/?a|nil|nkda|ninguno|nenhum|aucun|khong)\b[\s.]*$", regex.I)


def parse_known_format(text: str | TextDoc, *,
                       engine: ContextEngine | None = None) -> tuple[CompactRecord, list[tuple[int, int]]]:
    """Parse every labelled line of ``text``.

    Returns the draft record and the spans of text that no label claimed (for the regex/narrative tiers).
    """
    engine = engine or ContextEngine.default()
    record = CompactRecord()
    doc = TextDoc.of(text)
    lines = list(doc.lines)
    for line in lines:
        check_budget("line parser")
        _apply_line(record, doc, line, engine)
    return record, _unclaimed_spans(doc.text, lines)


def _evidence(text: str, line: LabelledLine, span: tuple[int, int] | None = None) -> Evidence:
    span = span or line.line_span
    return Evidence(tier=Tier.LINE, locator=f"line {line.line_no}", span=span, text=text[span[0]:span[1]],
                    rule=f"label:{line.field}")


def _apply_line(record: CompactRecord, doc: TextDoc, line: LabelledLine, engine: ContextEngine) -> None:
    text, field, value = doc.text, line.field, line.value
    if not value.strip():
        return
    if field in _PATIENT_FIELDS:
        setattr(record.patient, _PATIENT_FIELDS[field], value.strip())
        record.patient.evidence.append(_evidence(text, line))
    elif field == "patient.gender":
        record.patient.gender = parse_gender(value)
        record.patient.evidence.append(_evidence(text, line))
    elif field == "patient.dob":
        record.patient.dob = normalize_date(value) or value.strip()
        record.patient.evidence.append(_evidence(text, line))
    elif field == "encounter.facility":
        record.encounter.facility, record.encounter.facility_id = parse_facility(value)
        record.encounter.evidence.append(_evidence(text, line))
    elif field == "encounter.date":
        record.encounter.date = normalize_date(value, keep_time=True) or record.encounter.date
        record.encounter.evidence.append(_evidence(text, line))
    elif field in ("encounter.reason", "encounter.type"):
        setattr(record.encounter, field.split(".")[1], value.strip())
        record.encounter.evidence.append(_evidence(text, line))
    elif field == "vitals":
        for vital, span in parse_vitals(value, line_offset=line.value_span[0]):
            vital.evidence = [_evidence(text, line, span)]
            record.vitals.append(vital)
    elif field == "social.pregnant":
        record.social.pregnant, record.social.pregnancy_due = parse_pregnancy(value)
        record.social.evidence.append(_evidence(text, line))
    elif field == "social.travel":
        travel = parse_travel(value)
        if travel:
            travel.evidence = [_evidence(text, line)]
            record.social.travel.append(travel)
    elif field == "social.occupation":
        record.social.occupation = value.strip()
        record.social.evidence.append(_evidence(text, line))
    elif field in _LIST_FIELDS and not _NONE_VALUE.match(value):
        for clause in split_clauses(text, line.value_span):
            for part in split_results(text, clause) if field == "labs" else [clause]:
                _apply_clause(record, doc, line, part, engine)


def _apply_clause(record: CompactRecord, doc: TextDoc, line: LabelledLine, clause: Clause, engine: ContextEngine) -> None:
    for item in build_item(line.field, doc, clause, engine=engine):
        for evidence in item.evidence:
            evidence.tier, evidence.locator = Tier.LINE, f"line {line.line_no}"
            evidence.rule = f"label:{line.field}" + (f";{evidence.rule}" if evidence.rule else "")
        getattr(record, line.field).append(item)


def _unclaimed_spans(text: str, lines: list[LabelledLine]) -> list[tuple[int, int]]:
    spans, cursor = [], 0
    for line in sorted(lines, key=lambda item: item.line_span):
        if text[cursor: line.line_span[0]].strip():
            spans.append((cursor, line.line_span[0]))
        cursor = line.line_span[1]
    if text[cursor:].strip():
        spans.append((cursor, len(text)))
    return spans
