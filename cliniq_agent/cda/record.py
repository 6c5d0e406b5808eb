"""Collects extracted items into a CompactRecord, folding duplicates into one item with all evidence.

The same finding often appears twice in one eICR (problem list + encounter diagnosis, trigger
result + results section). Duplicates keep the first item, gain the other's evidence, and fill
fields the first one lacked; different assertions are never merged (a negated mention must stay
separate so the merge step can trace it).
"""

from __future__ import annotations

from collections.abc import Hashable

from cliniq_agent.core.schema import Condition, Immunization, Lab, Med, Reportable, Social, Travel, Vital

Item = Condition | Lab | Med | Vital | Immunization


def _key(item: Item) -> Hashable:
    name = (item.name or "").strip().lower()
    if isinstance(item, Condition):
        return ("condition", item.snomed or item.icd10 or name, item.assertion)
    if isinstance(item, Lab):
        return ("lab", item.loinc or name, item.result, item.value, item.unit, item.date, item.assertion)
    if isinstance(item, Med):
        return ("med", item.rxnorm or name, item.dose, item.route, item.status, item.assertion)
    if isinstance(item, Vital):
        return ("vital", item.name, item.value, item.unit, item.date, item.assertion)
    return ("immunization", item.cvx or name, item.date, item.assertion)


class RecordItems:
    def __init__(self) -> None:
        self.conditions: list[Condition] = []
        self.labs: list[Lab] = []
        self.meds: list[Med] = []
        self.vitals: list[Vital] = []
        self.immunizations: list[Immunization] = []
        self.travel: list[Travel] = []
        self.rr: dict[str, Reportable] = {}
        self._seen: dict[Hashable, Item] = {}

    def add(self, item: Item) -> None:
        key = _key(item)
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = item
            self._list_for(item).append(item)
            return
        first.evidence = [*first.evidence, *item.evidence]
        first.absorb_codes(item)
        for field in type(item).model_fields:
            if field in ("evidence", "issues", "assertion", "translations", "result_translations"):
                continue
            if getattr(first, field) is None and getattr(item, field) is not None:
                setattr(first, field, getattr(item, field))

    def add_rr(self, item: Reportable) -> None:
        known = self.rr.get(item.snomed)
        if known is None or item.confidence > known.confidence:
            self.rr[item.snomed] = item

    def _list_for(self, item: Item) -> list:
        if isinstance(item, Condition):
            return self.conditions
        if isinstance(item, Lab):
            return self.labs
        if isinstance(item, Med):
            return self.meds
        if isinstance(item, Vital):
            return self.vitals
        return self.immunizations


def fold_social(facts: list, travel: list[Travel], notes: list[str]) -> Social:
    """First value of each social field wins; a later, different value is noted, not dropped silently."""
    social = Social(travel=travel)
    for fact in facts:
        current = getattr(social, fact.field)
        if current is None:
            setattr(social, fact.field, fact.value)
            social.evidence.append(fact.evidence)
        elif current != fact.value:
            notes.append(f"social {fact.field}: kept {current!r}, another entry says {fact.value!r} [{fact.evidence.locator}]")
    return social
