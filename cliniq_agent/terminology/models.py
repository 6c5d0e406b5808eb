"""Contracts of the terminology knowledge base: concepts, reportable conditions, condition links."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

SystemName = Literal["snomed", "loinc", "rxnorm", "icd10", "cvx"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Concept(_Frozen):
    """One code with its display and alias names, and where the KB learned it."""

    system: SystemName
    code: str
    display: str
    synonyms: tuple[str, ...] = ()
    component: str | None = None      # LOINC component: the organism / analyte the test measures
    parent: str | None = None         # ICD-10-CM parent code
    condition: str | None = None      # linked RCTC reportable condition (SNOMED CT), where the KB has one
    status: str | None = None         # e.g. LOINC STATUS, RxNorm TTY, SNOMED 'active' from an imported table
    provenance: tuple[str, ...] = ()  # source kinds (hl7-sample, vendor-eicr, seed-compact, rctc, user:<file> ...)


class Synonym(_Frozen):
    text: str
    lang: str = "en"
    kind: str = "clinical"  # clinical | abbreviation | lay | translation | valueset | rctc


class ValueSetRef(_Frozen):
    """An RCTC value set grouped under a condition (names only: expansions are not shipped)."""

    name: str
    oid: str
    type: str
    code_system: str


class ReportableCondition(_Frozen):
    """One of the 211 RCTC reportable conditions, with its curated profile."""

    snomed: str
    name: str                      # preferred short display (Reportable.name)
    rctc_name: str                 # RCTC fully specified name
    category: str                  # infectious | neoplasm | toxic | injury | congenital | occupational | chronic ...
    scope: Literal["national", "jurisdictional"]
    parent: str | None = None      # more generic RCTC condition this one refines
    generic: bool = False          # catch-all: dropped when a more specific condition matched the same item
    synonyms: tuple[Synonym, ...] = ()
    value_sets: tuple[ValueSetRef, ...] = ()


LinkStrength = Literal["precise", "broad", "exposure"]


class ConditionLink(_Frozen):
    """Why a code or a text points at a reportable condition."""

    condition: str                   # RCTC condition SNOMED code
    via: str                         # "icd10:A37" | "text:<pattern row>" | "med:<row>" | "code" | "name"
    strength: str = "precise"        # precise | broad | exposure | moderate | weak
    span: tuple[int, int] | None = None  # matched span in the folded text (text links)
    matched: str | None = None       # the folded text that matched
