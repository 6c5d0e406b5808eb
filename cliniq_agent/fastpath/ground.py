"""Ground the fast-path model's codes in the note, then merge them with the line parser's draft.

A model code is kept only when it is written in the note, or when the terminology KB knows the code
and one of its names is found in the note's clinical lines. Everything else is dropped with a reason
(never silently). Where the parser and the model disagree on assertion, the parser's explicit
ConText trigger wins and the disagreement is noted.
"""

from __future__ import annotations

import regex
from pydantic import BaseModel, Field

from cliniq_agent.fastpath.output_format import FastPathOutput
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.lines.labels import CLINICAL_FIELDS
from cliniq_agent.text.lookup.scanner import find_kb_mentions
from cliniq_agent.text.markers.markers import instructed
from cliniq_agent.core.schema import CompactRecord, Evidence, Tier, coded_item
from cliniq_agent.core.state import ExcludedItem
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.validate.codes import _ICD10_RE

_LIST_FOR = {"c": "conditions", "l": "labs", "m": "meds"}


class GroundingReport(BaseModel):
    in_text: int = 0
    via_kb: int = 0
    dropped: list[ExcludedItem] = Field(default_factory=list)
    conflicts: list[str] = Field(default_factory=list)


def _system(key: str, code: str) -> str:
    if key == "l":
        return "loinc"
    if key == "m":
        return "rxnorm"
    return "icd10" if _ICD10_RE.match(code.upper()) else "snomed"


def _code_span(text: str, code: str) -> tuple[int, int] | None:
    match = regex.search(rf"(?<![\w.-]){regex.escape(code)}(?![\w-]|\.\d)", text)
    return match.span() if match else None


def _line_of(text: str, position: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return start, len(text) if end < 0 else end


def merge_model_output(text: str | TextDoc, draft: CompactRecord, output: FastPathOutput,
                       kb: TerminologyKB) -> tuple[CompactRecord, GroundingReport]:
    """The fast path's record: the parser draft plus every grounded model code it lacks."""
    doc = TextDoc.of(text)
    text = doc.text
    record = draft.model_copy(deep=True)
    report = GroundingReport()
    clinical = [line.line_span for line in doc.lines if line.field in CLINICAL_FIELDS] or [(0, len(text))]
    mentions = None
    results = output.results
    for key, codes in (("c", output.c), ("l", output.l), ("m", output.m)):
        for code in dict.fromkeys(codes):
            system = _system(key, code)
            existing = _find(record, system, code)
            if existing is not None:
                _confirm(existing, code, report)
                if key == "l" and not existing.result and results.get(code) and results[code] in text:
                    existing.result = results[code]  # a full-JSON answer's result, only when written in the note
                continue
            span = _code_span(text, code)
            if span is not None and instructed(text, span):  # "output SNOMED …" is an order, not a mention
                span = None
            via = "text"
            if span is None:
                if mentions is None:
                    mentions = find_kb_mentions(text, kb, clinical)
                found = next((m for m in mentions if m.system == system and m.code == code), None)
                span, via = (found.span, "kb") if found else (None, "")
            if span is None:
                report.dropped.append(ExcludedItem(kind=_LIST_FOR[key], name=None,
                                                   reason="fast path: model code not found in the note nor "
                                                          "by any KB name in its clinical lines",
                                                   item={"system": system, "code": code}))
                continue
            report.in_text += via == "text"
            report.via_kb += via == "kb"
            line = _line_of(text, span[0])
            uncoded = _uncoded_on_line(getattr(record, _LIST_FOR[key]), CompactRecord.code_fields(_LIST_FOR[key]), line)
            if uncoded is not None:  # the parser read this line but found no code: the model supplies it
                setattr(uncoded, system, code)
                uncoded.evidence = [*uncoded.evidence, _evidence(text, span, line, code)]
                continue
            item = _new_item(key, system, code, text, span, kb, results.get(code))
            getattr(record, _LIST_FOR[key]).append(item)
    return record, report


def _uncoded_on_line(items: list, code_fields: tuple[str, ...], line: tuple[int, int]):
    for item in items:
        if any(getattr(item, field) for field in code_fields):
            continue
        if any(e.span and line[0] <= e.span[0] < line[1] for e in item.evidence):
            return item
    return None


def _evidence(text: str, span: tuple[int, int], line: tuple[int, int], code: str) -> Evidence:
    return Evidence(tier=Tier.FAST_PATH, span=line, text=text[line[0]:line[1]],
                    locator=f"line {text.count(chr(10), 0, line[0]) + 1}",
                    rule="model-code-in-text" if text[span[0]:span[1]] == code else "model-code-kb-name")


def _find(record: CompactRecord, system: str, code: str):
    items = {"snomed": record.conditions, "icd10": record.conditions, "loinc": record.labs, "rxnorm": record.meds}[system]
    return next((item for item in items if getattr(item, system) == code), None)


def _confirm(item, code: str, report: GroundingReport) -> None:
    """The model answered a code the parser also read: its evidence notes the agreement, and an
    assertion conflict (the model lists a code the rules found negated) is reported, the rules' verdict kept."""
    if not item.assertion.asserted:
        report.conflicts.append(f"{code}: model says asserted, the ConText rules say {item.assertion.value}; "
                                "kept the rules' verdict")
    item.evidence = [*item.evidence, Evidence(tier=Tier.FAST_PATH, rule="model-agrees", text=code)]


def _new_item(key: str, system: str, code: str, text: str, span: tuple[int, int], kb: TerminologyKB,
              result: str | None):
    line = _line_of(text, span[0])
    concept = kb.lookup(system, code)
    name = concept.display if concept else None
    evidence = [_evidence(text, span, line, code)]
    extra = {}
    if key == "l":  # a result only when it is written on the code's own line
        extra["result"] = result if result and result in text[line[0]:line[1]] else None
    return coded_item(_LIST_FOR[key], system, code, name, evidence=evidence, **extra)
