"""The fast path's short output format: what the model is trained to emit, and how it is parsed.

The model sees only the Dx/Lab/Meds/Immunization lines and unlabelled text (demographics and vitals
are read exactly by the line parser and never sent), and answers with codes only — no names, results,
evidence or vitals — because every output token costs ~30-40 ms on a 2-core CPU. Names, results and
evidence come from the line each code is grounded in.

    {"c":["409498004"],"l":["11470-2"],"m":["197511","197984"]}

c: codes of asserted conditions (SNOMED CT or ICD-10-CM; ruled-out, negated and family-history
mentions are left out); l: LOINC codes of lab tests; m: RxNorm codes of medications.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from cliniq_agent.core.schema import CompactRecord

class FastPathOutput(BaseModel):
    """Parsed model output (see module docstring)."""

    c: list[str] = Field(default_factory=list)
    l: list[str] = Field(default_factory=list)  # noqa: E741 - the wire format's key
    m: list[str] = Field(default_factory=list)
    results: dict[str, str] = Field(default_factory=dict)  # LOINC → result, from full-JSON answers only


def to_target(record: CompactRecord) -> str:
    """The training target for a gold compact record (asserted items only), minified."""
    conditions = []
    for condition in record.conditions:
        code = condition.snomed or condition.icd10
        if code and code not in conditions:
            conditions.append(code)
    out = {"c": conditions,
           "l": list(dict.fromkeys(lab.loinc for lab in record.labs if lab.loinc)),
           "m": list(dict.fromkeys(med.rxnorm for med in record.meds if med.rxnorm))}
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def parse_output(text: str) -> tuple[FastPathOutput | None, list[str]]:
    """Parse model text; repair a truncated tail by closing open brackets. Returns (output, notes)."""
    notes: list[str] = []
    start = text.find("{")
    if start < 0:
        return None, ["no JSON object in model output"]
    body = text[start:]
    decoder = json.JSONDecoder()
    for attempt, candidate in enumerate((body, _close_brackets(body))):
        try:
            data, _ = decoder.raw_decode(candidate)  # text after the object (a stop marker) is ignored
        except json.JSONDecodeError:
            continue
        if attempt:
            notes.append("model output was truncated; closed its brackets")
        try:
            return FastPathOutput.model_validate(_coerce(data)), notes
        except ValidationError as err:
            return None, [*notes, f"model output does not fit the format: {err.errors()[0]['msg']}"]
    return None, [*notes, "model output is not valid JSON"]


def _coerce(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    data = dict(data)
    for key in ("c", "m"):
        if key in data and isinstance(data[key], list):
            data[key] = [str(v) for v in data[key] if v is not None]
    if isinstance(data.get("l"), list):  # a [code, result] pair is read as its code
        data["l"] = [str(item[0] if isinstance(item, list) else item) for item in data["l"]
                     if item not in (None, []) and (not isinstance(item, list) or item[0] is not None)]
    return data


def _close_brackets(text: str) -> str:
    """Cut after the last complete value and close whatever is still open."""
    stack: list[str] = []
    in_string = escaped = False
    last_safe = 0
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                last_safe = index + 1
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            stack.append("]" if char == "[" else "}")
        elif char in "]}":
            if stack:
                stack.pop()
            last_safe = index + 1
        elif char == ",":
            last_safe = index
    safe = text[:last_safe]
    # recompute what is open at the cut point
    stack = []
    in_string = escaped = False
    for char in safe:
        if in_string:
            escaped = (char == "\\") and not escaped
            if char == '"' and not escaped:
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            stack.append("]" if char == "[" else "}")
        elif char in "]}" and stack:
            stack.pop()
    return safe.rstrip(",:") + "".join(reversed(stack))


def parse_compact_output(text: str) -> tuple[FastPathOutput | None, list[str]]:
    """Read a full compact-JSON answer ({conditions, labs, meds, ...}), the format of adapters trained on
    the predecessor's data (e.g. its published Gemma 4 E2B "v62" LoRA), as codes to ground."""
    start = text.find("{")
    if start < 0:
        return None, ["no JSON object in model output"]
    notes: list[str] = []
    decoder = json.JSONDecoder()
    for attempt, candidate in enumerate((text[start:], _close_brackets(text[start:]))):
        try:
            data, _ = decoder.raw_decode(candidate)
        except json.JSONDecodeError:
            continue
        if attempt:
            notes.append("model output was truncated; closed its brackets")
        if not isinstance(data, dict):
            break
        items = lambda key: [i for i in data.get(key) or [] if isinstance(i, dict)]  # noqa: E731
        return FastPathOutput(
            c=[str(i.get("snomed") or i.get("icd10")) for i in items("conditions") if i.get("snomed") or i.get("icd10")],
            l=[str(i["loinc"]) for i in items("labs") if i.get("loinc")],
            m=[str(i["rxnorm"]) for i in items("meds") if i.get("rxnorm")],
            results={str(i["loinc"]): str(i["result"]) for i in items("labs") if i.get("loinc") and i.get("result")},
        ), notes
    return None, [*notes, "model output is not valid JSON"]
