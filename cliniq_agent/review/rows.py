"""Rows of the record panel (and of the excluded panel), each with its evidence and a highlight key per
piece of evidence, built from the stored trace record — nothing is extracted again."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from cliniq_agent.core.schema import ITEM_CODE_FIELDS, CompactRecord

CODE_FIELDS = (*ITEM_CODE_FIELDS, "result_code")
TIER_LABELS = {
    "cda_entry": "CDA entry", "cda_narrative": "CDA narrative", "line": "line parser", "regex": "regex",
    "lookup": "KB lookup", "criteria": "clinical criteria", "rag": "code index", "agent": "agent (model)",
    "fast_path": "fast-path model", "inferred": "inferred", "candidate": "agent candidate",
}
LIST_TITLES = {"conditions": "Conditions", "labs": "Labs", "meds": "Medications", "vitals": "Vitals",
               "immunizations": "Immunizations"}
_SKIP_FIELDS = {"name", "evidence", "issues", "assertion", *CODE_FIELDS}
_PATIENT_FIELDS = ("name", "gender", "dob", "race", "ethnicity", "address", "phone")
_ENCOUNTER_FIELDS = ("date", "end", "type", "facility", "facility_id", "reason")
_SOCIAL_FIELDS = ("pregnant", "pregnancy_due", "occupation")


@dataclass
class EvidenceView:
    """One piece of evidence; ``where`` and ``located`` are filled when it is placed in the source."""

    key: str
    tier: str
    locator: str | None
    span: list[int] | None
    text: str | None
    rule: str | None
    score: float | None
    located: bool = False
    searched: bool = False      # placed by looking up its quoted words (no span was recorded)
    inside: str | None = None   # for CDA: the path from the entry to the element the evidence names
    place: str | None = None    # for CDA: the section (and entry) it was placed in

    @property
    def tier_label(self) -> str:
        return TIER_LABELS.get(self.tier, self.tier)

    @property
    def where(self) -> str:
        if self.place:
            return self.place + (f" → {self.inside}" if self.inside else "")
        if self.locator and self.locator.startswith("line "):
            return self.locator + (f", chars {self.span[0]}–{self.span[1]}" if self.span else "")
        if self.span:
            return f"chars {self.span[0]}–{self.span[1]}"
        return self.locator or "no location recorded"


@dataclass
class Row:
    row_id: str
    group: str
    label: str
    codes: list[tuple[str, str]] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    evidence: list[EvidenceView] = field(default_factory=list)
    reason: str | None = None     # excluded rows: why it was kept out

    @property
    def keys(self) -> list[str]:
        return [e.key for e in self.evidence if e.located]

    @property
    def tiers(self) -> list[str]:
        return list(dict.fromkeys(e.tier for e in self.evidence))


class Keys:
    """Highlight keys, unique within one page."""

    def __init__(self, prefix: str = "h") -> None:
        self._next = itertools.count(1)
        self.prefix = prefix

    def __call__(self) -> str:
        return f"{self.prefix}{next(self._next)}"


def display_tier(evidence: dict[str, Any]) -> str:
    """The tier as the auditor thinks of it: criteria findings are stored as ``inferred`` with a criteria rule."""
    tier = str(evidence.get("tier") or "inferred")
    return "criteria" if tier == "inferred" and str(evidence.get("rule") or "").startswith("criteria:") else tier


def evidence_views(evidence: list[dict[str, Any]], keys: Keys) -> list[EvidenceView]:
    return [EvidenceView(key=keys(), tier=display_tier(e), locator=e.get("locator"), span=e.get("span"),
                         text=e.get("text"), rule=e.get("rule"), score=e.get("score")) for e in evidence]


def record_rows(record: dict[str, Any], keys: Keys) -> list[tuple[str, list[Row], bool]]:
    """(group title, rows, rows are fields) for patient, encounter, every item list and social history."""
    groups = [("Patient", _field_rows("patient", record.get("patient") or {}, _PATIENT_FIELDS, keys), True),
              ("Encounter", _field_rows("encounter", record.get("encounter") or {}, _ENCOUNTER_FIELDS, keys), True)]
    for name in CompactRecord.ITEM_LISTS:
        groups.append((LIST_TITLES[name], [item_row(f"row-{name}-{i}", name, item, keys)
                                           for i, item in enumerate(record.get(name) or [])], False))
    social = record.get("social") or {}
    rows = _field_rows("social", social, _SOCIAL_FIELDS, keys)
    for i, trip in enumerate(social.get("travel") or []):
        dates = " – ".join(d for d in (trip.get("start"), trip.get("end")) if d)
        rows.append(Row(row_id=f"row-travel-{i}", group="social", label=f"travel: {trip.get('place') or '?'}",
                        details=[("dates", dates)] if dates else [],
                        evidence=evidence_views(trip.get("evidence") or [], keys)))
    groups.append(("Social history", rows, True))
    return groups


def item_row(row_id: str, group: str, item: dict[str, Any], keys: Keys) -> Row:
    label = str(item.get("name") or "(unnamed)")
    if group == "vitals":
        label = f"{item.get('name')} {item.get('value') or ''} {item.get('unit') or ''}".strip()
    details = [(k, _shown(v)) for k, v in item.items() if k not in _SKIP_FIELDS and v not in (None, "", [])
               and not (group == "vitals" and k in ("value", "unit"))]
    return Row(row_id=row_id, group=group, label=label,
               codes=[(f, str(item[f])) for f in CODE_FIELDS if item.get(f)], details=details,
               issues=[f"{i.get('field')} {i.get('code')}: {i.get('problem')}" for i in item.get("issues") or []],
               evidence=evidence_views(item.get("evidence") or [], keys))


def excluded_rows(excluded: list[Any], keys: Keys) -> list[Row]:
    """Mentions kept out of the lists. An agent's dropped phrase carries a span and its hits, not evidence."""
    rows = []
    for i, entry in enumerate(excluded):
        item = dict(entry.item)
        evidence = item.get("evidence") or []
        if not evidence and item.get("span"):
            evidence = [{"tier": "rag", "span": item["span"], "text": item.get("phrase"), "rule": item.get("cue")}]
        row = item_row(f"row-excluded-{i}", entry.kind, {k: v for k, v in item.items() if k not in ("span", "phrase", "cue")}, keys)
        row.label = entry.name or row.label
        row.evidence = evidence_views(evidence, keys)
        row.reason = entry.reason
        rows.append(row)
    return rows


def _field_rows(group: str, part: dict[str, Any], names: tuple[str, ...], keys: Keys) -> list[Row]:
    """One row per filled field. A field gets the evidence whose rule names it or whose words are its value;
    else the evidence no other field claims; else the structured evidence (a CDA header element, a line)."""
    evidence = part.get("evidence") or []
    values = {name: str(part.get(name)) for name in names if part.get(name) not in (None, "")}
    rows = []
    for name, value in values.items():
        own = [e for e in evidence if _names(e, group, name) or e.get("text") == value]
        free = [e for e in evidence if f"{group}." not in str(e.get("rule") or "")
                and e.get("text") not in values.values()]
        structured = [e for e in evidence if e.get("tier") in ("cda_entry", "line")]
        rows.append(Row(row_id=f"row-{group}-{name}", group=group, label=name.replace("_", " "),
                        details=[("value", _shown(part.get(name)))],
                        evidence=evidence_views(own or free or structured or evidence, keys)))
    return rows


def _names(evidence: dict[str, Any], group: str, field_name: str) -> bool:
    return str(evidence.get("rule") or "").endswith(f"{group}.{field_name}")


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)
