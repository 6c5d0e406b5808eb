"""The compact extraction schema: the contract every stage reads and writes.

Field names are fixed (downstream code and the benchmark read them). Every list holds only
*asserted* items in the final record; drafts produced by the extraction nodes also carry
negated / historical / family-history mentions, marked by ``assertion``, so that
merge_validate can move them to the trace instead of silently dropping them.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, get_args

from pydantic import BaseModel, ConfigDict, Field

from cliniq_agent.core.item_parts import (  # noqa: F401 - re-exported: callers import the whole contract from here
    VITAL_NAMES,
    Assertion,
    Code,
    CodeIssue,
    Evidence,
    Tier,
    VitalName,
    _Item,
    _tail_codes,
    _tail_text,
)


class Patient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    gender: str | None = None
    dob: str | None = None  # YYYY-MM-DD
    race: str | None = None
    ethnicity: str | None = None
    address: str | None = None
    phone: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)


class Encounter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: str | None = None
    end: str | None = None
    type: str | None = None
    facility: str | None = None
    facility_id: str | None = None
    reason: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)


class Condition(_Item):
    CODE_FIELDS: ClassVar[tuple[str, ...]] = ("snomed", "icd10")

    name: str | None = None
    snomed: str | None = None
    icd10: str | None = None
    onset: str | None = None
    status: str | None = None  # active | resolved | suspected | confirmed …
    translations: list[Code] = _tail_codes()
    original_text: str | None = _tail_text()


class Lab(_Item):
    CODE_FIELDS: ClassVar[tuple[str, ...]] = ("loinc",)  # result_code is the result's code, not the test's

    name: str | None = None
    loinc: str | None = None
    result: str | None = None          # display of the result as written (coded or text)
    result_code: str | None = None     # SNOMED code of a coded result, when given
    value: str | None = None           # numeric value, as a string
    unit: str | None = None            # UCUM when known
    interpretation: str | None = None  # positive | negative | abnormal | normal | H | L …
    specimen: str | None = None
    date: str | None = None
    status: str | None = None          # final | preliminary | pending …
    translations: list[Code] = _tail_codes()
    result_translations: list[Code] = _tail_codes()  # the coded result's other codes
    original_text: str | None = _tail_text()


class Med(_Item):
    CODE_FIELDS: ClassVar[tuple[str, ...]] = ("rxnorm",)

    name: str | None = None
    rxnorm: str | None = None
    dose: str | None = None
    route: str | None = None
    status: str | None = None  # active | completed | administered | discontinued
    translations: list[Code] = _tail_codes()
    original_text: str | None = _tail_text()


class Vital(_Item):
    CODE_FIELDS: ClassVar[tuple[str, ...]] = ("loinc",)

    name: VitalName
    value: str | None = None
    unit: str | None = None
    loinc: str | None = None
    date: str | None = None
    translations: list[Code] = _tail_codes()
    original_text: str | None = _tail_text()


class Immunization(_Item):
    CODE_FIELDS: ClassVar[tuple[str, ...]] = ("cvx",)

    name: str | None = None
    cvx: str | None = None
    date: str | None = None
    status: str | None = None
    translations: list[Code] = _tail_codes()
    original_text: str | None = _tail_text()


class EntryId(BaseModel):
    """The source entry's identifier (CDA ``id``): root OID/UUID and optional extension."""

    model_config = ConfigDict(extra="forbid")

    root: str
    extension: str | None = None


class _ActItem(_Item):
    """Items read from CDA acts (allergies, procedures, orders, reports): codes in a list, every system kept."""

    name: str | None = None
    codes: list[Code] = Field(default_factory=list)
    entry_id: EntryId | None = None


class Allergy(_ActItem):
    """Allergy/intolerance: ``codes`` = the substance (absent for "no known allergy", see ``no_known``)."""

    type: str | None = None          # allergy | intolerance
    category: str | None = None      # medication | food | environment | biologic
    criticality: str | None = None   # low | high | unable-to-assess
    reactions: list[str] = Field(default_factory=list)
    severity: str | None = None      # mild | moderate | severe
    status: str | None = None        # active | inactive | resolved
    onset: str | None = None
    no_known: bool = False           # a negated allergy entry without a substance: "no known (drug) allergy"
    translations: list[Code] = _tail_codes()
    original_text: str | None = _tail_text()


class Procedure(_ActItem):
    date: str | None = None
    end: str | None = None
    status: str | None = None        # completed | active | aborted | cancelled …
    translations: list[Code] = _tail_codes()
    original_text: str | None = _tail_text()


class Order(_ActItem):
    """Something ordered or planned: a lab test, procedure, act, encounter or medication (moodCode INT/RQO …)."""

    kind: str                        # lab | procedure | observation | act | encounter | medication
    intent: str = "order"            # order | plan | proposal (from moodCode)
    status: str | None = None        # active | completed | cancelled | on-hold …
    date: str | None = None
    trigger: bool = False            # eICR trigger-code template or RCTC-marked code
    value_set: str | None = None     # RCTC value set OID the trigger code was matched from
    value_set_version: str | None = None
    dose: str | None = None          # medication orders
    route: str | None = None
    translations: list[Code] = _tail_codes()
    original_text: str | None = _tail_text()


class Report(_ActItem):
    """A result organizer (panel/battery): its member observations by source locator (the labs' evidence)."""

    date: str | None = None
    status: str | None = None        # final | preliminary | pending …
    results: list[str] = Field(default_factory=list)
    translations: list[Code] = _tail_codes()
    original_text: str | None = _tail_text()


class Practitioner(BaseModel):
    """A clinician named as author, performer or responsible party, with the organization they act for."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    npi: str | None = None
    roles: list[str] = Field(default_factory=list)
    phone: str | None = None
    address: str | None = None
    organization: str | None = None
    organization_npi: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    issues: list[CodeIssue] = Field(default_factory=list)


class Travel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    place: str | None = None
    start: str | None = None
    end: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)


class Social(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pregnant: bool | None = None
    pregnancy_due: str | None = None
    travel: list[Travel] = Field(default_factory=list)
    occupation: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)


class Trigger(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str
    code: str
    display: str | None = None
    source: str | None = None  # which item / template carried it


class Reportable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    snomed: str
    triggers: list[Trigger] = Field(default_factory=list)
    confidence: float = 0.0


class CompactRecord(BaseModel):
    """The compact output. Also used as the draft each extraction node produces."""

    model_config = ConfigDict(extra="forbid")

    patient: Patient = Field(default_factory=Patient)
    encounter: Encounter = Field(default_factory=Encounter)
    conditions: list[Condition] = Field(default_factory=list)
    labs: list[Lab] = Field(default_factory=list)
    meds: list[Med] = Field(default_factory=list)
    vitals: list[Vital] = Field(default_factory=list)
    immunizations: list[Immunization] = Field(default_factory=list)
    social: Social = Field(default_factory=Social)
    reportable: list[Reportable] = Field(default_factory=list)
    allergies: list[Allergy] = Field(default_factory=list)
    procedures: list[Procedure] = Field(default_factory=list)
    orders: list[Order] = Field(default_factory=list)
    reports: list[Report] = Field(default_factory=list)
    practitioners: list[Practitioner] = Field(default_factory=list)

    ITEM_LISTS: ClassVar[tuple[str, ...]] = ("conditions", "labs", "meds", "vitals", "immunizations")
    #: Lists read from CDA acts (issue 11); asserted-only like ITEM_LISTS, merged by merge_validate on their own.
    ACT_LISTS: ClassVar[tuple[str, ...]] = ("allergies", "procedures", "orders", "reports")
    #: Keys left out of the compact JSON while empty, so outputs without these sections keep their shape.
    OPTIONAL_LISTS: ClassVar[tuple[str, ...]] = (*ACT_LISTS, "practitioners")

    @classmethod
    def item_class(cls, list_name: str) -> type[_Item]:
        """The item class of list ``list_name`` (``conditions`` -> Condition)."""
        return get_args(cls.model_fields[list_name].annotation)[0]

    @classmethod
    def code_fields(cls, list_name: str) -> tuple[str, ...]:
        """Code fields of the items of list ``list_name`` (``conditions`` -> snomed, icd10)."""
        return cls.item_class(list_name).CODE_FIELDS

    def to_compact(self, *, evidence: bool = True) -> dict[str, Any]:
        """JSON-ready dict; every key present (the optional lists only when non-empty), ``assertion`` left out
        (lists are asserted-only)."""
        data = self.model_dump(mode="json")
        for key in self.OPTIONAL_LISTS:
            if not data[key]:
                del data[key]
        for key in (*self.ITEM_LISTS, *self.ACT_LISTS):
            for item in data.get(key, []):
                item.pop("assertion", None)
        if not evidence:
            _strip_key(data, "evidence")
        return data

    def to_json(self, *, evidence: bool = True, indent: int | None = None) -> str:
        return json.dumps(self.to_compact(evidence=evidence), ensure_ascii=False, indent=indent)


_ITEM_CLASS: dict[str, type] = {"conditions": Condition, "labs": Lab, "meds": Med, "immunizations": Immunization}


def coded_item(list_name: str, system: str, code: str, name: str | None, **fields: Any) -> _Item:
    """A new item of list ``list_name`` carrying ``code`` in its ``system`` field (snomed, icd10, loinc …)."""
    return _ITEM_CLASS[list_name](name=name, **{system: code}, **fields)


#: Every item code field, in a stable order (snomed, icd10, loinc, rxnorm, cvx).
ITEM_CODE_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(field for name in CompactRecord.ITEM_LISTS for field in CompactRecord.code_fields(name))
)


def _strip_key(node: Any, key: str) -> None:
    if isinstance(node, dict):
        node.pop(key, None)
    for value in node.values() if isinstance(node, dict) else node if isinstance(node, list) else ():
        _strip_key(value, key)


def compact_json_schema() -> dict[str, Any]:
    """JSON Schema of the compact record (exported for constrained decoding and consumers)."""
    return CompactRecord.model_json_schema(mode="serialization")
