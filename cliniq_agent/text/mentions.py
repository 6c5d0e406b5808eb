"""Turn a clause of clinical text into compact items: split at code markers, name each mention,
read result/dose/status words, and ask the ConText engine whether it is asserted.

Shared by the known-format line parser (Dx:/Lab:/Meds: clauses) and the free-text regex tier.
"""

from __future__ import annotations

from functools import lru_cache

import regex
from pydantic import BaseModel

from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.context.segment import LIST_MARKER
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.core.dates import normalize_date
from cliniq_agent.text.lines.fields import to_ucum
from cliniq_agent.text.markers.markers import CodeMarker, find_bare_codes, find_code_markers
from cliniq_agent.text.name_pieces import first_sentence_end, longest, name_pieces, name_without_excluded, vaccination_piece
from cliniq_agent.text.result_words import interpret, numeric_value, trailing_interpretation
from cliniq_agent.core.schema import Assertion, Condition, Evidence, Immunization, Lab, Med, Tier
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.core.textnorm import fold

Item = Condition | Lab | Med | Immunization

# ";", " | ", a newline, or an inline list number ("Assessment: 1. Pertussis, PCR confirmed 2. Hx of hepatitis A":
# each numbered item is its own clause, as ConText's segmenter already splits it)
_CLAUSE_SPLIT = regex.compile(r";|\s\|\s|\n|" + LIST_MARKER.pattern)
_CLAUSE_EVENTS = regex.compile(r"[(\[)\]]|(?=" + _CLAUSE_SPLIT.pattern + ")")   # a bracket, or where a split starts
_RESULT_SEPS = (regex.compile(r"\s+[-–—]+\s+"), regex.compile(r"\s*[:=]\s+"), regex.compile(r"\s*,\s+(?=[^,]*$)"))
_DASH_TAIL = regex.compile(r"\s[—–]\s|\s-\s")  # "Measles — suspected, awaiting IgM": the name ends at the dash
_TRAILING_BRACKET = regex.compile(r"\[(?P<inner>[^\]]*)\]\s*$")
_PAREN = regex.compile(r"\s*\((?![^)]*\d{3})[^)]*\)")
_DOSE = regex.compile(r"(?<![\w.])\d+(?:[.,]\d+)?\s*(?:MG|MCG|G|UNT|UNITS?|ML|MEQ|IU|%|MG/ML|MG/KG)\b(?:\s*/\s*\d+(?:[.,]\d+)?\s*(?:MG|MCG|G|ML|UNT))?", regex.I)
_ROUTES = {"oral": "oral", "by mouth": "oral", "po": "oral", "iv": "intravenous", "intravenous": "intravenous",
           "im": "intramuscular", "intramuscular": "intramuscular", "subcutaneous": "subcutaneous", "sc": "subcutaneous",
           "topical": "topical", "inhaled": "inhalation", "nebulized": "inhalation", "intranasal": "nasal"}
_ROUTE = regex.compile(r"\b(" + "|".join(regex.escape(k) for k in sorted(_ROUTES, key=len, reverse=True)) + r")\b", regex.I)
_LEADING_NOISE = regex.compile(r"^(?:[\s,:;.\-–—(]|and\b|with\b|plus\b|then\b|also\b|y\b|e\b|et\b)+", regex.I)
_TRAILING_NOISE = regex.compile(r"[\s,:;.\-–—(]+$")
# precompiled: a pattern given as a string is looked up in ``regex``'s cache on every call (per clause)
_CODE_GAP = regex.compile(r"[\s,;/()\[\]]*(?:or|and)?[\s,;/()\[\]]*")
_TAG = regex.compile(r"<[^>]*>?")
_SPACES = regex.compile(r"\s+")


class Clause(BaseModel):
    span: tuple[int, int]


@lru_cache(maxsize=1)
def _status_words() -> dict[str, list[tuple[regex.Pattern[str], str]]]:
    table: dict[str, list[tuple[regex.Pattern[str], str]]] = {}
    for row in kb_table("known_format", "statuses.tsv"):
        pattern = regex.compile(rf"(?<!\w){regex.escape(fold(row['word']))}(?!\w)")
        table.setdefault(row["kind"], []).append((pattern, row["status"]))
    return table


def split_clauses(text: str, span: tuple[int, int]) -> list[Clause]:
    """Split ``text[span]`` at ';' / newlines / ' | ' / an inline list number, never inside parentheses or brackets."""
    start, end = span
    clauses, depth, cursor = [], 0, start
    # only brackets and split points matter: visit those, not every character (a 170 KB line has few)
    for event in _CLAUSE_EVENTS.finditer(text, start, min(len(text), end + 2)):
        index = event.start()
        if index >= end:
            break
        if event.end() > index:          # a bracket
            char = text[index]
            depth += char in "(["
            depth -= char in ")]" and depth > 0
        elif depth == 0:                 # a split point (";", newline, " | ")
            clauses.append((cursor, index))
            cursor = index if text[index].isdigit() else index + 1   # a list number stays with its item
    clauses.append((cursor, end))
    return [Clause(span=_trim(text, s)) for s in clauses if text[s[0]:s[1]].strip()]


# a comma, or a sentence stop (not a decimal point, not the initial of "S. aureus"): a results line of a long note
# runs on over sentences ("Labs: Anti-HCV negative. HIV negative. HAV IgG positive.")
_COMMA = regex.compile(r",\s+|(?<=\w{2})\.\s+")


def split_results(text: str, clause: Clause) -> list[Clause]:
    """A lab clause listing several results ("Shigella negative, Salmonella positive") split at a comma or a
    sentence stop between two parts that each end with their own result words, so each test keeps its own result
    ("MTB detected, no rifampin resistance" and "positive, final" stay whole)."""
    commas = list(_COMMA.finditer(text, clause.span[0], clause.span[1]))
    if not commas:
        return [clause]
    bounds = [clause.span[0]] + [c.end() for c in commas]
    ends = [c.start() for c in commas] + [clause.span[1]]
    parts = list(zip(bounds, ends))
    out, cursor = [], clause.span[0]
    for (start, end), (next_start, next_end) in zip(parts, parts[1:]):
        if trailing_interpretation(text[start:end]) is not None \
                and trailing_interpretation(text[next_start:next_end]) is not None:
            out.append(Clause(span=(cursor, end)))
            cursor = next_start
    out.append(Clause(span=(cursor, clause.span[1])))
    return out


def _trim(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@lru_cache(maxsize=8)
def _any_status_word(kind: str) -> regex.Pattern[str]:
    """Matches where any status word of ``kind`` does: one search tells that none occurs (most clauses),
    instead of one search per word."""
    words = [fold(row["word"]) for row in kb_table("known_format", "statuses.tsv") if row["kind"] == kind]
    return regex.compile(r"(?<!\w)(?:" + "|".join(regex.escape(word) for word in words) + r")(?!\w)") if words \
        else regex.compile(r"(?!)")


def status_word(kind: str, text: str) -> str | None:
    folded = fold(text)
    if not _any_status_word(kind).search(folded):
        return None
    for pattern, status in _status_words().get(kind, []):
        if pattern.search(folded):
            return status
    return None


def _segments(text: str, clause: Clause, markers: list[CodeMarker]) -> list[tuple[tuple[int, int], list[CodeMarker]]]:
    """Group markers into mentions: a marker of a new system directly after another joins it
    ('X (SNOMED 1) (ICD-10 A01.0)'); otherwise each marker closes a mention."""
    groups: list[tuple[tuple[int, int], list[CodeMarker]]] = []
    cursor = clause.span[0]
    for marker in markers:
        if groups:
            prev_span, prev_markers = groups[-1]
            gap = text[prev_markers[-1].span[1]: marker.span[0]]
            if marker.system not in {m.system for m in prev_markers} and _CODE_GAP.fullmatch(gap):
                groups[-1] = ((prev_span[0], marker.span[1]), [*prev_markers, marker])
                cursor = marker.span[1]
                continue
        groups.append(((cursor, marker.span[1]), [marker]))
        cursor = marker.span[1]
    if groups:  # text after the last marker (results, specimen, status) belongs to the last mention
        last_span, last_markers = groups[-1]
        groups[-1] = ((last_span[0], clause.span[1]), last_markers)
    return groups or [(clause.span, [])]


def clean_name(raw: str) -> str | None:
    name = _TAG.sub(" ", raw)
    name = _PAREN.sub("", name)
    name = _LEADING_NOISE.sub("", name)
    name = _TRAILING_NOISE.sub("", name)
    name = _SPACES.sub(" ", name).strip(" \"'")
    return name or None


def build_item(kind: str, text: str | TextDoc, clause: Clause, *, engine: ContextEngine,
               tier: Tier = Tier.LINE) -> list[Item]:
    """Items of list ``kind`` ('conditions', 'labs', 'meds', 'immunizations') found in one clause."""
    doc = TextDoc.of(text)
    text = doc.text
    start, end = clause.span
    found = find_code_markers(text[start:end], doc.instruction_cues)
    if tier == Tier.LINE and not any(m.kind == kind for m in found):  # the line's label says what a bare code is
        found = sorted([*found, *find_bare_codes(text[start:end], kind, doc.instruction_cues)],
                       key=lambda m: m.span)
    markers = [m.model_copy(update={"span": (m.span[0] + start, m.span[1] + start)}) for m in found]
    items: list[Item] = []
    for (seg_start, seg_end), seg_markers in _segments(text, clause, markers):
        name_end = seg_markers[0].span[0] if seg_markers else seg_end
        item = _make(kind, text, (seg_start, name_end), (seg_start, seg_end), seg_markers)
        if item is None:
            continue
        pieces = name_pieces(doc, (seg_start, name_end), engine)
        target = longest(pieces, first_sentence_end(doc, (seg_start, name_end), engine)) or (seg_markers[0].span if seg_markers else (seg_start, seg_end))
        verdict = _assess(kind, doc, target, clause, engine)
        if kind == "conditions" and verdict.category is None:
            verdict = vaccination_piece(doc, pieces, target, engine) or verdict
        if isinstance(item, Condition) and item.name and verdict.assertion is Assertion.PRESENT:
            kept = name_without_excluded(doc, (seg_start, name_end), pieces, target, engine)
            if kept is not None:
                item.name = _condition_name(kept) or item.name
        item.assertion = verdict.assertion
        item.evidence = [Evidence(tier=tier, span=(seg_start, seg_end), text=text[seg_start:seg_end],
                                  rule=";".join([m.rule for m in seg_markers] + ([verdict.rule_id] if verdict.rule_id else [])) or None)]
        if isinstance(item, Condition) and item.name and verdict.trigger:
            item.name = _strip_phrase(item.name, verdict.trigger)
        if isinstance(item, Condition) and verdict.certainty == "suspected" and not item.status:
            item.status = "suspected"
        items.append(item)
    return items


def _assess(kind: str, text: TextDoc, target: tuple[int, int], clause: Clause, engine: ContextEngine):
    """Assertion of a mention. For a lab the result words ('not detected', 'negative') describe the
    result, not whether the test was done, so only the text up to the test name is considered."""
    if kind != "labs":
        return engine.assess(text, target)
    return engine.assess(text, target, until=target[1])


def _strip_phrase(name: str, phrase: str) -> str:
    """The name without the trigger phrase as a whole word ("no" must not be cut out of "diagnosed")."""
    cleaned = regex.sub(rf"(?<!\w){regex.escape(phrase)}(?!\w)", "", name, flags=regex.I)
    return clean_name(cleaned) or name


def _make(kind: str, text: str, name_span: tuple[int, int], seg: tuple[int, int], markers: list[CodeMarker]) -> Item | None:
    raw_name = text[name_span[0]:name_span[1]]
    after = text[markers[-1].span[1]:seg[1]] if markers else ""
    codes = {m.system: m.code for m in markers}  # a marker's system is its item's code field
    display = next((m.display for m in markers if m.display), None)
    if kind == "conditions":
        if not (codes.get("snomed") or codes.get("icd10") or raw_name.strip()):
            return None
        name = _condition_name(raw_name) or display
        if not name and after.strip():  # "B20 (Human immunodeficiency virus disease)": the name follows the code
            name = clean_name(after.strip().strip("()[]"))
        return Condition(name=name, snomed=codes.get("snomed"), icd10=codes.get("icd10"),
                         status=status_word("condition", text[seg[0]:seg[1]]))
    if kind == "labs":
        return _make_lab(text, name_span, after, codes, markers, display)
    if kind == "meds":
        segment = text[seg[0]:seg[1]]
        name = clean_name(_DASH_TAIL.split(_strip_status(raw_name, "med"))[0]) or display
        if not name and not codes.get("rxnorm"):
            return None
        dose = _DOSE.search(segment)
        route = _ROUTE.search(segment)
        return Med(name=name, rxnorm=codes.get("rxnorm"), dose=dose.group(0) if dose else None,
                   route=_ROUTES[route.group(1).lower()] if route else None, status=status_word("med", segment))
    if kind == "immunizations":
        name = clean_name(raw_name) or display
        if not name and not codes.get("cvx"):
            return None
        return Immunization(name=name, cvx=codes.get("cvx"), date=normalize_date(text[seg[0]:seg[1]]))
    return None


def _condition_name(raw: str) -> str | None:
    return clean_name(_DASH_TAIL.split(_strip_status(raw, "condition"))[0])


def _strip_status(raw: str, kind: str) -> str:
    folded = fold(raw)
    if not _any_status_word(kind).search(folded):
        return raw
    for pattern, _ in _status_words().get(kind, []):
        match = pattern.search(folded)
        if match:
            raw = raw[: match.start()] + " " * (match.end() - match.start()) + raw[match.end():]
            folded = fold(raw)
    return raw


def _make_lab(text: str, name_span: tuple[int, int], after: str, codes: dict[str, str],
              markers: list[CodeMarker], display: str | None) -> Lab | None:
    raw_name = text[name_span[0]:name_span[1]]
    if not markers:  # "Name - Result [Specimen, status]" or "Name: result"
        raw_name, after = _split_result(raw_name)
    specimen, status = None, None
    bracket = _TRAILING_BRACKET.search(after)
    if bracket:
        parts = [p.strip() for p in bracket.group("inner").split(",")]
        specimen = parts[0] or None
        status = status_word("lab", bracket.group("inner"))
        after = after[: bracket.start()]
    result = after.lstrip(" )]").strip(" -–—:=,;") or None
    marker_result = next((m for m in markers if m.result), None)
    if marker_result and not result:
        result = marker_result.result
    name = clean_name(raw_name) or display
    if not name and not codes.get("loinc"):
        return None
    interpretation = interpret(result)
    status = status or (interpretation[0] if interpretation and interpretation[0] == "pending" else None) or status_word("lab", after)
    lab = Lab(name=name, loinc=codes.get("loinc"), result=result, specimen=specimen, status=status,
              interpretation=interpretation[0] if interpretation else None,
              result_code=marker_result.result_code if marker_result else None)
    number = numeric_value(result) if result and not interpretation else None
    if number:
        lab.value, lab.unit = number[0], to_ucum(number[1]) if number[1] else None
    return lab


def _split_result(raw: str) -> tuple[str, str]:
    """Split an uncoded lab clause into (name, result) at ' - ', ' — ', ': ' or a trailing interpretation."""
    for separator in _RESULT_SEPS:
        match = separator.search(raw)
        if match and match.start() > 0 and (separator is not _RESULT_SEPS[-1] or interpret(raw[match.end():])):
            return raw[: match.start()], raw[match.end():]
    tail = trailing_interpretation(raw)
    if tail is not None:   # "Salmonella dương tính", "HBsAg positive": the clause ends with its result words
        return raw[:tail].rstrip(), raw[tail:].rstrip(" .;")
    return raw, ""
