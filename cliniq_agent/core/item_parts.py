"""What every item of the compact schema (core/schema.py) is built from: the tier and assertion vocabularies,
evidence, code issues, codings, the trailing code / original-text fields and the ``_Item`` base class.

Kept apart from the item and record classes so that each module stays one screenful of one concern; every
name here is re-exported by core/schema.py, which stays the one place callers import the contract from.
"""

from __future__ import annotations

from enum import Enum
from functools import partial
from typing import Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

VitalName = Literal["temp", "hr", "rr", "spo2", "sbp", "dbp", "weight", "height", "bmi"]
VITAL_NAMES: tuple[str, ...] = get_args(VitalName)


class Tier(str, Enum):
    """Which extraction tier produced an item (most to least trustworthy)."""

    CDA_ENTRY = "cda_entry"          # coded CDA entry, templateId-scoped
    CDA_NARRATIVE = "cda_narrative"  # CDA section text run through the text tiers
    LINE = "line"                    # deterministic known-format line parser
    REGEX = "regex"                  # inline code marker / labelled line in free text
    LOOKUP = "lookup"                # exact / alias match in the knowledge base
    RAG = "rag"                      # code-index retrieval
    AGENT = "agent"                  # LLM agent choice among tool results
    FAST_PATH = "fast_path"          # single-shot LoRA model output, grounded in text
    INFERRED = "inferred"            # derived (e.g. reportability from trigger codes)


class Assertion(str, Enum):
    """ConText-style assertion status of a mention."""

    PRESENT = "present"
    NEGATED = "negated"
    RULED_OUT = "ruled_out"
    HISTORICAL = "historical"
    HYPOTHETICAL = "hypothetical"
    POSSIBLE = "possible"          # differential / "consider" – not asserted
    FAMILY = "family"              # family history / other experiencer
    VACCINATION = "vaccination"    # vaccine *against* a disease, not the disease
    PLANNED = "planned"            # ordered / intended (moodCode INT etc.)

    @property
    def asserted(self) -> bool:
        return self is Assertion.PRESENT


class Evidence(BaseModel):
    """Where an item came from: tier, locator (XPath or line), character span and text."""

    model_config = ConfigDict(extra="forbid")

    tier: Tier
    locator: str | None = None          # XPath into the CDA, or "line 12"
    span: tuple[int, int] | None = None  # character offsets into the source text
    text: str | None = None              # the source text the item rests on
    rule: str | None = None              # rule / template / prompt id that fired
    score: float | None = None           # retrieval or model confidence, when there is one


class CodeIssue(BaseModel):
    """A code that failed validation: kept visible here, kept out of FHIR codings."""

    field: str
    code: str
    problem: str


def _empty(value: Any) -> bool:
    return not value


_tail_codes = partial(Field, default_factory=list, exclude_if=_empty)  # trailing codes, left out while empty (_Item)
_tail_text = partial(Field, default=None, exclude_if=_empty)  # the trailing original text, likewise


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    #: The item's own code fields, each named after its code system (kb/terminology/code_systems.tsv, checked):
    #: what merge/validate checks, scoring counts and renderers list.
    CODE_FIELDS: ClassVar[tuple[str, ...]] = ()

    assertion: Assertion = Assertion.PRESENT
    evidence: list[Evidence] = Field(default_factory=list)
    issues: list[CodeIssue] = Field(default_factory=list)
    # Every item class ends with ``translations`` (a lab's ``result_translations`` next) and ``original_text``
    # (``_tail_codes`` / ``_tail_text``): the document's other codes for the concept (CDA <translation>s, or a
    # primary code in a system the item has no field for) and its originalText when it differs from the name; last
    # in the JSON and left out while empty (issue 11: outputs without them keep their shape). Declared per class, so
    # pydantic writes them in place: a wrap serializer moving them cost a Python call per item per dump.

    def absorb_codes(self, other: "_Item") -> None:
        """Union the other mention's codes into this one (two mentions of one finding were merged): its extra codes,
        and a code of its own fields that differs from ours (a second ICD-10-CM code) as a translation."""
        fields = type(self).model_fields
        for name in ("translations", "result_translations"):
            if name not in fields:
                continue
            # (field, system) pairs whose differing code joins this list: the item's code fields (each named after
            # its system) for translations; a lab's result_code (SNOMED CT) for result_translations
            pairs = [(f, f) for f in self.CODE_FIELDS] if name == "translations" else [("result_code", "snomed")]
            own = [Code(system=system, code=getattr(other, field)) for field, system in pairs
                   if field in fields and getattr(other, field)
                   and getattr(self, field) not in (None, getattr(other, field))]
            mine = getattr(self, name)
            extra = [code for code in [*own, *getattr(other, name)]
                     if all((code.system, code.code) != (held.system, held.code) for held in mine)]
            if extra:
                setattr(self, name, [*mine, *extra])


class Code(BaseModel):
    """One coding as the document wrote it: system key (``snomed``, ``rxnorm`` …, or ``urn:oid:…``), code, display."""

    model_config = ConfigDict(extra="forbid")

    system: str
    code: str
    display: str | None = None
