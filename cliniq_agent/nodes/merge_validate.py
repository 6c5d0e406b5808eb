"""merge_validate: fold every draft into one record, validate every code, and split what is not
asserted (negated, ruled out, family history …) into the excluded list that the trace keeps.

A code that fails its check (LOINC mod-10, SNOMED Verhoeff, ICD-10-CM existence, numeric ids)
is moved to the item's ``issues`` and taken out of the code field, so it never reaches FHIR.
"""

from __future__ import annotations

from typing import Any

from cliniq_agent.core.schema import (
    CodeIssue,
    CompactRecord,
    Condition,
    Encounter,
    Immunization,
    Lab,
    Med,
    Patient,
    Social,
    Vital,
)
from cliniq_agent.core.state import Draft, ExcludedItem, RunState
from cliniq_agent.core.textnorm import fold
from cliniq_agent.validate import check_code

# Which producer wins when two drafts disagree on a single-valued field.
PRODUCER_RANK = {"cda": 0, "known_format": 1, "fast_path": 2, "narrative": 3, "cda_narrative": 4}


def merge_validate(state: RunState) -> dict[str, Any]:
    drafts = sorted(state.get("drafts", []), key=lambda d: PRODUCER_RANK.get(d.producer, 9))
    record, excluded = merge_drafts(drafts)
    return {"record": record, "excluded": [*state.get("excluded_upstream", []), *excluded]}


def merge_drafts(drafts: list[Draft]) -> tuple[CompactRecord, list[ExcludedItem]]:
    """Items are copied shallowly: an item kept in the record gets its own evidence and issue lists (extended
    in place by later merges), every other nested value is only reassigned, so the drafts stay as their
    producers left them without a deep copy of every item."""
    record = CompactRecord()
    excluded: list[ExcludedItem] = []
    indexes = {name: _MergeIndex() for name in CompactRecord.ITEM_LISTS}
    for draft in drafts:
        _merge_singletons(record, draft.record)
        record.social.travel.extend(draft.record.social.travel)
        for list_name in CompactRecord.ITEM_LISTS:
            for item in getattr(draft.record, list_name):
                item = item.model_copy()
                _validate_codes(list_name, item)
                if not item.assertion.asserted:
                    excluded.append(_excluded(list_name, item, f"{item.assertion.value} ({draft.producer})"))
                    continue
                if not _has_content(list_name, item):
                    excluded.append(_excluded(list_name, item, "no valid code and no name"))
                    continue
                _add_or_merge(getattr(record, list_name), indexes[list_name], list_name, item)
        _merge_acts(record, draft, excluded)
    return record, excluded


def _merge_acts(record: CompactRecord, draft: Draft, excluded: list[ExcludedItem]) -> None:
    """Allergies, procedures, orders, reports (CDA acts, one producer): codes validated, non-asserted items to
    the excluded list; practitioners carried as read."""
    for list_name in CompactRecord.ACT_LISTS:
        for item in getattr(draft.record, list_name):
            item = item.model_copy()
            _validate_act_codes(item)
            if not item.assertion.asserted:
                excluded.append(_excluded(list_name, item, f"{item.assertion.value} ({draft.producer})"))
            elif not (item.name or item.codes):
                excluded.append(_excluded(list_name, item, "no valid code and no name"))
            else:
                getattr(record, list_name).append(item)
    record.practitioners.extend(person.model_copy() for person in draft.record.practitioners)


#: Each item list's code fields, read once (``CompactRecord.code_fields`` inspects the annotations per call).
_CODE_FIELDS = {name: CompactRecord.code_fields(name) for name in CompactRecord.ITEM_LISTS}
_CHECKED_SYSTEMS = frozenset(field for fields in _CODE_FIELDS.values() for field in fields)


def _validate_act_codes(item: Any) -> None:
    """A coding in a checked system that fails its check leaves ``codes`` for ``issues`` (never reaches FHIR)."""
    kept = []
    for code in item.codes:
        problem = check_code(code.system, code.code) if code.system in _CHECKED_SYSTEMS else None
        if problem:
            item.issues = [*item.issues, CodeIssue(field=code.system, code=code.code, problem=problem)]
        else:
            kept.append(code)
    if len(kept) != len(item.codes):
        item.codes = kept


def _merge_singletons(target: CompactRecord, source: CompactRecord) -> None:
    for attr, model in (("patient", Patient), ("encounter", Encounter), ("social", Social)):
        merged, incoming = getattr(target, attr), getattr(source, attr)
        for field in model.model_fields:
            if field in ("evidence", "travel"):
                continue
            if getattr(merged, field) is None and getattr(incoming, field) is not None:
                setattr(merged, field, getattr(incoming, field))
        merged.evidence.extend(incoming.evidence)


def _validate_codes(list_name: str, item: Any) -> None:
    for field in _CODE_FIELDS[list_name]:
        code = getattr(item, field, None)
        if not code:
            continue
        problem = check_code(field, code)
        if problem:
            item.issues = [*item.issues, CodeIssue(field=field, code=code, problem=problem)]
            setattr(item, field, None)


def _has_content(list_name: str, item: Any) -> bool:
    if list_name == "vitals":
        return item.value is not None
    return bool(item.name) or any(getattr(item, f, None) for f in _CODE_FIELDS[list_name])


def _identity(list_name: str, item: Any) -> tuple:
    """Two items with the same identity are one finding seen twice (merged, evidence unioned)."""
    if isinstance(item, Condition):
        return ("c", item.snomed or item.icd10 or fold(item.name or ""))
    if isinstance(item, Lab):
        return ("l", item.loinc or fold(item.name or ""), fold(item.result or item.value or ""), item.date or "")
    if isinstance(item, Med):
        return ("m", item.rxnorm or fold(item.name or ""))
    if isinstance(item, Vital):
        return ("v", item.name, item.value, item.date or "")
    if isinstance(item, Immunization):
        return ("i", item.cvx or fold(item.name or ""), item.date or "")
    raise TypeError(list_name)


def _add_or_merge(items: list[Any], index: _MergeIndex, list_name: str, item: Any) -> None:
    """Merge ``item`` into the first earlier item it matches (same identity, same condition, coded twin), else
    append it. Only the earlier items the index names can match, so only they are tested, in list order."""
    key = _identity(list_name, item)
    identities = index.identities
    for position in index.candidates(key, item):
        existing = items[position]
        if identities[position] == key or _same_condition(existing, item, index, position) \
                or _coded_twin(existing, item, index, position):
            for field in type(item).model_fields:
                if field in ("evidence", "issues", "assertion"):
                    continue
                if getattr(existing, field) is None and getattr(item, field) is not None:
                    setattr(existing, field, getattr(item, field))
            existing.evidence.extend(item.evidence)   # its own list (see _MergeIndex.add): no copy per merge
            existing.issues.extend(item.issues)
            existing.absorb_codes(item)
            index.update(position, _identity(list_name, existing), existing, item)
            return
    _own_lists(item)   # owned: later merges extend them
    items.append(item)
    index.add(key, item)


def _own_lists(item: Any) -> None:
    """Give ``item`` (a shallow copy) its own evidence and issue lists. Written past ``validate_assignment``: the
    lists are copies of the item's own, already validated ones, and re-validating every Evidence of every kept
    item cost more than the rest of the append."""
    item.__dict__["evidence"], item.__dict__["issues"] = list(item.evidence), list(item.issues)
    item.__pydantic_fields_set__.update(("evidence", "issues"))


class _MergeIndex:
    """Which earlier items of one list a new item can merge with: by identity, by condition code, by CDA entry
    XPath and by evidence span (spans bucketed by position), so a note with thousands of items checks each
    new one against the few it may match, not all of them (a scan per item was quadratic on long notes).
    Entries are only added: a stale one costs a test, never a wrong merge (candidates are re-tested)."""

    _BUCKET = 256         # characters per span bucket
    _WIDE = 64            # a span over this many buckets is kept in one list (tested for every span query)

    def __init__(self) -> None:
        self.identities: list[tuple] = []    # ``_identity`` of each item, kept current
        self._where: dict[Any, set[int]] = {}
        self._buckets: dict[int, dict[int, list[tuple[int, int]]]] = {}   # bucket -> position -> spans
        self._wide: dict[int, list[tuple[int, int]]] = {}                 # position -> its wide spans
        self._spans: dict[int, list[tuple[int, int]]] = {}                # position -> all its spans
        self.places: dict[int, set[str]] = {}                             # position -> its CDA entry XPaths

    def add(self, key: tuple, item: Any) -> None:
        self.identities.append(key)
        self.update(len(self.identities) - 1, key, item, item)

    def update(self, position: int, key: tuple, item: Any, merged: Any) -> None:
        """``item`` (at ``position``) now has identity ``key`` and holds ``merged``'s evidence and codes."""
        self.identities[position] = key
        for entry in (("key", key), *self._codes(item)):
            self._where.setdefault(entry, set()).add(position)
        for evidence in merged.evidence:
            if evidence.locator and evidence.locator.startswith("/"):
                self._where.setdefault(("place", evidence.locator), set()).add(position)
                self.places.setdefault(position, set()).add(evidence.locator)
            if evidence.span:
                span = tuple(evidence.span)
                self._spans.setdefault(position, []).append(span)
                first, last = self._bucket_range(span)
                if last - first > self._WIDE:
                    self._wide.setdefault(position, []).append(span)
                    continue
                for bucket in range(first, last + 1):
                    self._buckets.setdefault(bucket, {}).setdefault(position, []).append(span)

    def candidates(self, key: tuple, item: Any) -> list[int]:
        found: set[int] = set(self._where.get(("key", key), ()))
        for entry in self._codes(item):
            found |= self._where.get(entry, set())
        for evidence in item.evidence:
            if evidence.locator and evidence.locator.startswith("/"):
                found |= self._where.get(("place", evidence.locator), set())
            if evidence.span:
                first, last = self._bucket_range(evidence.span)
                if last - first > self._WIDE:
                    buckets = (positions for bucket, positions in self._buckets.items() if first <= bucket <= last)
                else:
                    buckets = (self._buckets.get(bucket, ()) for bucket in range(first, last + 1))
                for positions in buckets:
                    found.update(positions)
                found.update(self._wide)
        return sorted(found)

    def overlaps(self, position: int, item: Any) -> bool:
        """True when an evidence span of the item at ``position`` shares a character with one of ``item``'s."""
        for evidence in item.evidence:
            if not evidence.span:
                continue
            start, end = evidence.span
            first, last = self._bucket_range(evidence.span)
            if last - first > self._WIDE:
                near = self._spans.get(position, ())
            else:
                near = [span for bucket in range(first, last + 1)
                        for span in self._buckets.get(bucket, {}).get(position, ())]
                near.extend(self._wide.get(position, ()))
            if any(a < end and start < b for a, b in near):
                return True
        return False

    def _bucket_range(self, span: tuple[int, int]) -> tuple[int, int]:
        start, end = span
        return start // self._BUCKET, max(start, end - 1) // self._BUCKET

    @staticmethod
    def _codes(item: Any) -> list[tuple[str, str]]:
        fields = type(item).model_fields  # not getattr(..., None): a pydantic model's missing attribute raises inside
        return [(field, code) for field in ("snomed", "icd10") if field in fields and (code := getattr(item, field))]


def _same_condition(a: Any, b: Any, index: _MergeIndex, position: int) -> bool:
    """One condition seen twice: a SNOMED-only and an ICD-only mention of one CDA entry (same XPath),
    or an uncoded mention whose text span holds a coded mention from another tier. ``a`` is the item at
    ``position`` of the list ``index`` describes (its spans and XPaths are read from there)."""
    if not (isinstance(a, Condition) and isinstance(b, Condition)):
        return False
    if not (a.snomed or a.icd10) or not (b.snomed or b.icd10):
        return index.overlaps(position, b)
    if a.snomed and b.snomed and a.snomed != b.snomed or a.icd10 and b.icd10 and a.icd10 != b.icd10:
        return False
    shared_code = (a.snomed and a.snomed == b.snomed) or (a.icd10 and a.icd10 == b.icd10)
    entries_a = index.places.get(position, set())
    same_place = entries_a & {e.locator for e in b.evidence if e.locator and e.locator.startswith("/")}
    return bool(shared_code or same_place and (a.snomed or a.icd10) and (b.snomed or b.icd10))


def _coded_twin(a: Any, b: Any, index: _MergeIndex, position: int) -> bool:
    """An uncoded lab / medication and a coded one read from the same text are one item."""
    if type(a) is not type(b) or not isinstance(a, (Lab, Med)):
        return False
    field = "loinc" if isinstance(a, Lab) else "rxnorm"
    if bool(getattr(a, field)) == bool(getattr(b, field)):
        return False
    return index.overlaps(position, b)


def _excluded(list_name: str, item: Any, reason: str) -> ExcludedItem:
    # built, not validated: the item's JSON dump is JSON by construction (validating it walked every evidence)
    return ExcludedItem.model_construct(kind=list_name, name=getattr(item, "name", None), reason=reason,
                                        item=item.model_dump(mode="json"))
