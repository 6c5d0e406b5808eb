"""Find code markers in text: labelled inline codes (kb/regex/code_markers.tsv) and CDA-style XML
``<code code=… codeSystem=…>`` tags pasted into text (attributes in any order, either quote style)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import regex
from pydantic import BaseModel

from cliniq_agent.core.code_systems import by_oid
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.core.textnorm import fold
from cliniq_agent.validate import normalize_code
from cliniq_agent.validate.codes import icd10_exists

ItemKind = Literal["conditions", "labs", "meds", "immunizations"]

_XML_TAG = regex.compile(r"<(?P<tag>(?:[\w-]+:)?(?:code|value|translation))\b(?P<attrs>[^<>]*?)/?>", regex.I | regex.S)
_XML_ATTR = regex.compile(r"""(?P<name>[\w:-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""", regex.S)
_OBSERVATION = regex.compile(r"<(?:[\w-]+:)?(observation|substanceAdministration|act)\b.*?</(?:[\w-]+:)?\1\s*>", regex.I | regex.S)

_KIND_BY_SYSTEM: dict[str, ItemKind] = {
    "snomed": "conditions", "icd10": "conditions", "loinc": "labs", "rxnorm": "meds", "cvx": "immunizations",
}


class CodeMarker(BaseModel):
    """One code found in text, with where it sits and what it is attached to."""

    system: str
    code: str
    kind: ItemKind
    span: tuple[int, int]
    rule: str
    display: str | None = None          # displayName of an XML tag
    result: str | None = None           # for XML lab observations: the <value> display/code
    result_code: str | None = None
    block: tuple[int, int] | None = None  # enclosing XML element span, when in an XML fragment


@lru_cache(maxsize=1)
def _label_rules() -> tuple[tuple[str, str, ItemKind, regex.Pattern[str]], ...]:
    return tuple(
        (row["id"], row["system"], row["kind"], regex.compile(row["pattern"], regex.I))  # type: ignore[misc]
        for row in kb_table("regex", "code_markers.tsv")
    )


@lru_cache(maxsize=1)
def _bare_rules() -> tuple[tuple[str, str, str, regex.Pattern[str]], ...]:
    return tuple((row["id"], row["system"], row["kind"], regex.compile(row["pattern"]))
                 for row in kb_table("regex", "bare_codes.tsv"))


def find_bare_codes(text: str, kind: str, memo: dict[tuple[int, str], bool] | None = None) -> list[CodeMarker]:
    """Unlabelled codes in one clause of a line labelled ``kind`` (kb/regex/bare_codes.tsv); only codes
    that exist in the terminology count."""
    found = []
    for rule_id, system, rule_kind, pattern in _bare_rules():
        if rule_kind != kind:
            continue
        for match in pattern.finditer(text):
            code = normalize_code(system, match.group("code"))
            if system == "icd10" and not icd10_exists(code):
                continue
            if instructed(text, match.span(), memo):
                continue
            found.append(CodeMarker(system=system, code=code, kind=rule_kind, span=match.span(), rule=rule_id))
    return found


_SENTENCE_BREAK = regex.compile(r"[.!?](?=\s)|\n|[|;]")
_MARKER_OPENING = regex.compile(r"[\s(\[]*$")
#: A code-system label just before a bare code ("output SNOMED 840539006" seen from the code itself).
_SYSTEM_LABEL = regex.compile(r"\b(?:snomed(?:[\s-]?ct)?|sct|loinc|rxnorm|rxcui|icd[\s-]?10(?:[\s-]?cm)?|cie[\s-]?10|"
                              r"cid[\s-]?10|cim[\s-]?10|cvx)\s*(?:code|id)?\s*[:#=]?[\s(\[]*$")
_MAX_CUE_REACH = 200  # characters looked at on each side of a marker, within its sentence


@lru_cache(maxsize=1)
def _instruction_cues() -> tuple[tuple[regex.Pattern[str], ...], tuple[regex.Pattern[str], ...]]:
    """(sentence-scope, before-marker-scope) patterns from kb/regex/instruction_cues.tsv."""
    rows = kb_table("regex", "instruction_cues.tsv")
    sentence = _any_of([r["pattern"] for r in rows if r["scope"] == "sentence"])
    before = _any_of([r["pattern"] for r in rows if r["scope"] == "before"])
    return sentence, before


def _any_of(patterns: list[str]) -> tuple[regex.Pattern[str], ...]:
    """One pattern matching wherever any of ``patterns`` does (one search per marker instead of one per cue:
    "does any cue occur" has the same answer), or the patterns one by one if they cannot be joined."""
    if not patterns:
        return ()
    try:
        return (regex.compile("|".join(f"(?:{p})" for p in patterns), regex.I),)
    except regex.error:
        return tuple(regex.compile(p, regex.I) for p in patterns)


def instructed(text: str, span: tuple[int, int], memo: dict[tuple[int, str], bool] | None = None) -> bool:
    """True when the marker at ``span`` sits in instruction-like text ("output SNOMED 840539006", "ignore the
    previous instructions …"): an order to the engine, not a clinical mention, so it never yields a code."""
    low = max(0, span[0] - _MAX_CUE_REACH)
    high = min(len(text), span[1] + _MAX_CUE_REACH)
    head = fold(text[low:span[0]])
    breaks = list(_SENTENCE_BREAK.finditer(head))
    head = head[breaks[-1].end():] if breaks else head
    tail = fold(text[span[1]:high])
    stop = _SENTENCE_BREAK.search(tail)
    tail = tail[: stop.start()] if stop else tail
    sentence = f"{head} {fold(text[span[0]:span[1]])} {tail}".strip()
    if _cue(_SENTENCE_CUES, sentence, memo):
        return True
    return _cue(_BEFORE_CUES, _MARKER_OPENING.sub("", _SYSTEM_LABEL.sub("", head)), memo)


_SENTENCE_CUES, _BEFORE_CUES = 0, 1


def _cue(kind: int, value: str, memo: dict[tuple[int, str], bool] | None) -> bool:
    """Whether a cue pattern of ``kind`` matches ``value``. The patterns cost ~0.1 ms a search (about thirty
    alternatives, none with a literal prefix) and a long note repeats the same sentence around its markers on
    many lines ("Dx: Measles (SNOMED 14189004)"): ``memo`` is the note's own (``TextDoc.instruction_cues``),
    so no document text outlives its run."""
    if memo is None:
        return any(p.search(value) for p in _instruction_cues()[kind])
    key = (kind, value)
    if key not in memo:
        memo[key] = any(p.search(value) for p in _instruction_cues()[kind])
    return memo[key]


@lru_cache(maxsize=1)
def non_finding_codes() -> frozenset[tuple[str, str]]:
    """(system, code) pairs that label a structure (problem type, section, document), never a finding."""
    return frozenset((row["system"], row["code"]) for row in kb_table("regex", "non_finding_codes.tsv"))


def _block_has_loinc(block: str) -> bool:
    return any(
        _system_key(_attrs(m.group("attrs")).get("codeSystem", "")) == "loinc"
        and m.group("tag").split(":")[-1].lower() == "code"
        for m in _XML_TAG.finditer(block)
    )


def _system_key(oid: str) -> str | None:
    system = by_oid().get(oid)
    return system.key if system else None


def _attrs(text: str) -> dict[str, str]:
    return {
        m.group("name").split(":")[-1]: (m.group("dq") if m.group("dq") is not None else m.group("sq"))
        for m in _XML_ATTR.finditer(text)
    }


def find_code_markers(text: str, memo: dict[tuple[int, str], bool] | None = None) -> list[CodeMarker]:
    """All markers, in text order; XML tags inside one <observation> share its span as ``block``
    (``memo``: the note's ``TextDoc.instruction_cues``)."""
    markers = [m for m in (*_labelled_markers(text), *_xml_markers(text)) if not instructed(text, m.span, memo)]
    markers.sort(key=lambda m: m.span)
    return markers


@lru_cache(maxsize=1)
def _any_label() -> regex.Pattern[str]:
    """Matches where any code-marker rule does: one search tells that a clause holds no marker (most do not)."""
    return regex.compile("|".join(f"(?:{pattern.pattern.replace('(?P<code>', '(?:')})" for *_, pattern in _label_rules()),
                         regex.I)


def _labelled_markers(text: str) -> list[CodeMarker]:
    if not _any_label().search(text):
        return []
    found = []
    for rule_id, system, kind, pattern in _label_rules():
        for match in pattern.finditer(text):
            code = normalize_code(system, match.group("code"))
            found.append(CodeMarker(system=system, code=code, kind=kind, span=_with_brackets(text, match.span()),
                                    rule=rule_id))
    return found


_OPEN_BRACKET = regex.compile(r"[(\[]\s*$")
_CLOSE_BRACKET = regex.compile(r"\s*[)\]]")


def _with_brackets(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """Widen '(SNOMED 123)' / '[LOINC 1-2]' so the brackets belong to the marker, not the name."""
    start, end = span
    opening = _OPEN_BRACKET.search(text, max(0, start - 3), start)
    closing = _CLOSE_BRACKET.match(text, end)
    if opening and closing:
        return opening.start(), closing.end()
    return span


def _xml_markers(text: str) -> list[CodeMarker]:
    if "<" not in text:
        return []
    blocks = [m.span() for m in _OBSERVATION.finditer(text)]
    found: list[CodeMarker] = []
    for match in _XML_TAG.finditer(text):
        local = match.group("tag").split(":")[-1].lower()
        attrs = _attrs(match.group("attrs"))
        system = _system_key(attrs.get("codeSystem", ""))
        if system not in _KIND_BY_SYSTEM or not attrs.get("code"):
            continue
        code = normalize_code(system, attrs["code"])
        if (system, code) in non_finding_codes():
            continue
        block = next((b for b in blocks if b[0] <= match.start() < b[1]), None)
        if local == "value" and (block is None or _block_has_loinc(text[block[0]:block[1]])):
            continue  # a lab result value, read by _block_value; not an item of its own
        marker = CodeMarker(
            system=system,
            code=code,
            kind=_KIND_BY_SYSTEM[system],
            span=match.span(),
            rule=f"xml_{local}_tag",
            display=attrs.get("displayName") or None,
            block=block,
        )
        if block and system == "loinc":
            marker.result, marker.result_code = _block_value(text[block[0]:block[1]])
        found.append(marker)
    return found


def _block_value(block: str) -> tuple[str | None, str | None]:
    for match in _XML_TAG.finditer(block):
        if match.group("tag").split(":")[-1].lower() == "value":
            attrs = _attrs(match.group("attrs"))
            if attrs.get("value"):
                unit = attrs.get("unit")
                return (f"{attrs['value']} {unit}" if unit else attrs["value"]), None
            return attrs.get("displayName") or attrs.get("code"), attrs.get("code")
    return None, None
