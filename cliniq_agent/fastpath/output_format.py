"""The fast path's short output format: what the model is trained to emit, and how it is parsed.

The model sees only the clinical lines (demographic lines are read exactly by the line parser and
never sent), and answers with codes and results only — no names, no evidence, no vitals — because
every output token costs ~30 ms on a 2-core CPU. Names and evidence come from the line each code is
grounded in; vitals come from the table-driven line parser, which reads them exactly.

    {"c":["409498004"],"x":["14189004"],"l":[["11470-2","Detected"]],"m":["197511"]}

c: asserted condition codes (SNOMED CT or ICD-10-CM); x: condition codes mentioned but not asserted
(ruled out, negated, family history …; omitted when empty); l: [LOINC, result as written];
m: RxNorm codes of medications.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from cliniq_agent.schema import CompactRecord

_CODE = r"^(?:\d{1,18}|\d{1,7}-\d|[A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?|U\d{2}(?:\.[0-9A-Z]{1,4})?)$"


class FastPathOutput(BaseModel):
    """Parsed model output (see module docstring)."""

    c: list[str] = Field(default_factory=list)
    x: list[str] = Field(default_factory=list)
    l: list[tuple[str, str]] = Field(default_factory=list)  # noqa: E741 - the wire format's key
    m: list[str] = Field(default_factory=list)


def output_json_schema() -> dict[str, Any]:
    """JSON schema for grammar-constrained decoding (used for the retry when free output fails to parse)."""
    code = {"type": "string", "pattern": _CODE}
    return {
        "type": "object",
        "properties": {
            "c": {"type": "array", "items": code},
            "x": {"type": "array", "items": code},
            "l": {"type": "array", "items": {"type": "array", "prefixItems": [code, {"type": "string"}],
                                             "minItems": 2, "maxItems": 2}},
            "m": {"type": "array", "items": {"type": "string", "pattern": r"^\d{1,8}$"}},
        },
        "required": ["c", "l", "m"],
        "additionalProperties": False,
    }


def to_target(record: CompactRecord, *, excluded_codes: list[str] | None = None) -> str:
    """The training target for a gold compact record (asserted items only), minified."""
    conditions = []
    for condition in record.conditions:
        code = condition.snomed or condition.icd10
        if code and code not in conditions:
            conditions.append(code)
    out: dict[str, Any] = {"c": conditions}
    if excluded_codes:
        out["x"] = excluded_codes
    out["l"] = [[lab.loinc, lab.result or ""] for lab in record.labs if lab.loinc]
    out["m"] = [med.rxnorm for med in record.meds if med.rxnorm]
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
    for key in ("c", "x", "m"):
        if key in data and isinstance(data[key], list):
            data[key] = [str(v) for v in data[key] if v is not None]
    if isinstance(data.get("l"), list):
        data["l"] = [(str(item[0]), str(item[1]) if len(item) > 1 and item[1] is not None else "")
                     for item in data["l"] if isinstance(item, list) and item]
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
