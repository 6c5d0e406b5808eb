"""Scoring conventions shared by the benchmark and by users evaluating on their own gold data.

Per case we build sets and sum TP/FP/FN over cases (micro F1):
- codes: (system, code) from conditions[].snomed|icd10, labs[].loinc, meds[].rxnorm;
- full: codes + (loinc, result) for labs + (vital name, value) + (patient field, value) for name/gender/dob.
Codes failing their check digit are removed from both gold and prediction before counting (the
seed data invented some); how many were removed is reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import regex
from pydantic import BaseModel

from cliniq_agent.core.dates import normalize_date
from cliniq_agent.core.schema import CompactRecord
from cliniq_agent.core.textnorm import fold
from cliniq_agent.validate import check_code

_NUMBER = regex.compile(r"-?\d+(?:[.,]\d+)?")
# The scored codes: those of conditions, labs and meds (vitals and immunizations are not scored).
_CODE_SOURCES = tuple(
    (name, field) for name in ("conditions", "labs", "meds") for field in CompactRecord.code_fields(name)
)


class Counts(BaseModel):
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: set, pred: set) -> None:
        self.tp += len(gold & pred)
        self.fp += len(pred - gold)
        self.fn += len(gold - pred)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _valid(system: str, code: str) -> bool:
    return check_code(system, code) is None


def code_set(record: dict[str, Any], *, systems: Iterable[str] | None = None) -> tuple[set[tuple[str, str]], int]:
    """(system, code) pairs of a compact record, and how many invalid codes were dropped."""
    wanted = set(systems) if systems else None
    codes: set[tuple[str, str]] = set()
    dropped = 0
    for list_name, field in _CODE_SOURCES:
        if wanted is not None and field not in wanted:
            continue
        for item in record.get(list_name) or []:
            code = (item or {}).get(field)
            if not code:
                continue
            code = str(code).strip()
            if _valid(field, code):
                codes.add((field, code))
            else:
                dropped += 1
    return codes, dropped


def normalize_value(value: Any) -> str:
    """Vital values compare on their number ('39.6C' == '39.6' with unit Cel)."""
    text = str(value or "")
    match = _NUMBER.search(text)
    if not match:
        return fold(text).strip()
    number = float(match.group(0).replace(",", "."))
    return f"{number:g}"


def normalize_result(value: Any) -> str:
    return regex.sub(r"\s+", " ", fold(str(value or ""))).strip(" .")


def full_set(record: dict[str, Any], *, systems: Iterable[str] | None = None) -> tuple[set[tuple[str, ...]], int]:
    items: set[tuple[str, ...]] = set()
    codes, dropped = code_set(record, systems=systems)
    items |= codes
    for lab in record.get("labs") or []:
        loinc = (lab or {}).get("loinc")
        if loinc and _valid("loinc", str(loinc)) and lab.get("result") is not None:
            items.add(("lab", str(loinc), normalize_result(lab.get("result"))))
    for vital in record.get("vitals") or []:
        if vital and vital.get("name") and vital.get("value") is not None:
            items.add(("vital", vital["name"], normalize_value(vital["value"])))
    patient = record.get("patient") or {}
    for field in ("name", "gender", "dob"):
        value = patient.get(field)
        if value:
            if field == "dob":
                value = normalize_date(str(value)) or str(value)
            elif field == "gender":
                value = str(value).strip()[:1].upper()
            else:
                value = normalize_result(value)
            items.add(("patient", field, value))
    return items, dropped


class CaseScore(BaseModel):
    case_id: str
    missed: list[str]
    extra: list[str]


def score_case(gold: dict[str, Any], pred: dict[str, Any] | None, codes: Counts, full: Counts | None = None,
               *, systems: Iterable[str] | None = None, case_id: str = "") -> tuple[CaseScore, int]:
    """Add one case to the running counts; unparseable output (None) scores as empty."""
    pred = pred or {}
    gold_codes, dropped_gold = code_set(gold, systems=systems)
    pred_codes, dropped_pred = code_set(pred, systems=systems)
    codes.add(gold_codes, pred_codes)
    if full is not None:
        gold_full, _ = full_set(gold, systems=systems)
        pred_full, _ = full_set(pred, systems=systems)
        full.add(gold_full, pred_full)
    case = CaseScore(case_id=case_id, missed=sorted(":".join(c) for c in gold_codes - pred_codes),
                     extra=sorted(":".join(c) for c in pred_codes - gold_codes))
    return case, dropped_gold + dropped_pred


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
