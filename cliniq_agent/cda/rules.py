"""The CDA rule data (kb/cda/*.toml), loaded once, validated, with compiled XPaths.

Rules are data so that a new template or code can be added without touching the extractors,
and so that every extracted item can name the rule (and IG conformance) that produced it.
"""

from __future__ import annotations

import threading
import tomllib
from functools import cached_property, lru_cache
from pathlib import Path
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cliniq_agent.core.code_systems import by_document_name, by_oid
from cliniq_agent.core.errors import CliniqError
from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.schema import VITAL_NAMES, Assertion
from cliniq_agent.core.xmlsafe import NSMAP
from cliniq_agent.cda.navigate import Navigation, navigation

Extract = Literal[
    "condition", "lab_result", "lab_order", "medication", "immunization", "vital",
    "pregnancy", "delivery_date", "travel", "occupation", "rr_condition", "encounter",
]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SectionRule(Frozen):
    kind: str
    template_ids: list[str]
    codes: list[str]
    title_keywords: list[str]
    conformance: str
    assertion: Assertion | None = None
    text_tier: bool = False


class ScopedRule(Frozen):
    """A rule that selects entries by XPath within the sections it names (entries.toml, acts.toml)."""

    id: str
    sections: list[str]
    xpath: str
    conformance: str

    def applies_to(self, section_kind: str | None) -> bool:
        """"*" = any section; "?" = a section no rule classified; else the listed section kinds."""
        if section_kind is None:
            return "*" in self.sections or "?" in self.sections
        return "*" in self.sections or section_kind in self.sections


class EntryRule(ScopedRule):
    extract: Extract
    tier: int = Field(ge=1, le=3)
    status: str | None = None
    finding: Literal["value", "code"] = "value"   # where a condition rule reads the finding


class TriggerTemplate(Frozen):
    root: str
    name: str
    code_paths: list[str]


class RrDetermination(Frozen):
    label: str
    confidence: float = Field(ge=0.0, le=1.0)


class CdaKb(Frozen):
    """Everything the CDA parser knows, as read from kb/cda."""

    sections: list[SectionRule]
    entries: list[EntryRule]
    vitals: dict[str, str]
    interpretation: dict[str, str]
    result_status_v2: dict[str, str]
    result_status_act: dict[str, str]
    med_status_act: dict[str, str]
    concern_status_act: dict[str, str]
    problem_status_snomed: dict[str, str]
    mood: dict[str, Assertion]
    skip_status: dict[str, str]
    artefact_snomed: frozenset[str]
    artefact_loinc: frozenset[str]
    null_flavor_codes: frozenset[str]
    null_phrases: frozenset[str]
    gender: dict[str, str]
    race_ethnicity: dict[str, str]
    header_xpaths: dict[str, Any]
    pregnancy_value: dict[str, bool]
    pregnancy_unknown: dict[str, str]
    rctc_value_sets: frozenset[str]
    rctc_value_set_prefixes: tuple[str, ...]
    trigger_templates: list[TriggerTemplate]
    rr_determination_xpath: str
    rr_determination: dict[str, RrDetermination]
    navigation: dict[str, str]

    @field_validator("vitals")
    @classmethod
    def _vital_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(name for name in value.values() if name not in VITAL_NAMES)
        if bad:
            raise ValueError(f"vitals.toml maps to unknown vital names {bad}")
        return value

    # ---------------------------------------------------------------- lookups
    @cached_property
    def section_by_template(self) -> dict[str, SectionRule]:
        return {tid: rule for rule in self.sections for tid in rule.template_ids}

    @cached_property
    def section_by_code(self) -> dict[str, SectionRule]:
        return {code: rule for rule in self.sections for code in rule.codes}

    @cached_property
    def section_codes(self) -> frozenset[str]:
        return frozenset(self.section_by_code)

    def system_short(self, oid: str | None, name: str | None = None) -> str | None:
        """Short system name for a codeSystem OID (or, failing that, a codeSystemName)."""
        if oid and oid in by_oid():
            return by_oid()[oid].key
        if oid and oid[:8].lower() == "urn:oid:" and oid[8:].strip() in by_oid():
            # an OID written as a URN (FHIR-minded senders; CDA's codeSystem is a bare uid): the same system
            return by_oid()[oid[8:].strip()].key
        if name and name.strip().lower() in by_document_name():
            return by_document_name()[name.strip().lower()].key
        if oid:
            return f"urn:oid:{oid}"
        return None

    def is_artefact(self, system: str | None, code: str | None) -> bool:
        """True for structural codes (problem-type, section, document codes): never findings."""
        if not code:
            return False
        if system == "snomed":
            return code in self.artefact_snomed
        if system == "loinc":
            return code in self.artefact_loinc or code in self.section_codes
        return False

    def is_null_phrase(self, text: str) -> bool:
        """True when a whole narrative only says that there is no information."""
        return text.strip().rstrip(".!;:").strip().lower() in self.null_phrases

    def is_rctc(self, value_set: str | None) -> bool:
        if not value_set:
            return False
        value_set = value_set.strip()
        return value_set in self.rctc_value_sets or value_set.startswith(self.rctc_value_set_prefixes)

    def xpath(self, expr: str) -> Navigation:
        """``expr`` evaluated relative to an element, its cheap shapes answered without libxml2 (cda/navigate.py)."""
        return navigation(expr)


_local = threading.local()


def compiled_xpath(expr: str) -> etree.XPath:
    """Per-thread cache of compiled XPath objects (lxml XPath evaluators are not shared across threads)."""
    cache: dict[str, etree.XPath] | None = getattr(_local, "xpaths", None)
    if cache is None:
        cache = _local.xpaths = {}
    found = cache.get(expr)
    if found is None:
        found = cache[expr] = etree.XPath(expr, namespaces=NSMAP)
    return found


def read_rules(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as err:
        raise CliniqError(f"CDA rule file {path} is missing") from err
    except tomllib.TOMLDecodeError as err:
        raise CliniqError(f"CDA rule file {path} is not valid TOML: {err}") from err


K = TypeVar("K", bound=BaseModel)


def checked(build: Callable[[], K], *, source: str, ids: Callable[[K], list[str]],
            xpaths: Callable[[K], list[str]]) -> K:
    """The rule KB ``build`` makes of its TOML data, checked so that a bad rule fails loudly when loaded: every
    key present and valid, no rule id twice, every XPath compiled once here (entries.toml and acts.toml alike)."""
    try:
        kb = build()
    except (KeyError, ValidationError) as err:
        raise CliniqError(f"CDA rule files in {source} are inconsistent: {err}") from err
    rule_ids = ids(kb)
    if len(rule_ids) != len(set(rule_ids)):
        raise CliniqError(f"duplicate rule ids in {source}")
    for expr in xpaths(kb):
        try:
            compiled_xpath(expr)
        except etree.XPathSyntaxError as err:
            raise CliniqError(f"CDA rule XPath does not compile: {expr!r}: {err}") from err
    return kb


def load_kb(folder: Path | None = None) -> CdaKb:
    """Read and validate kb/cda; every XPath is compiled once here so a bad rule fails loudly."""
    folder = folder or kb_path("cda")
    sections = read_rules(folder, "sections.toml")
    entries = read_rules(folder, "entries.toml")
    statuses = read_rules(folder, "statuses.toml")
    artefacts = read_rules(folder, "artefacts.toml")
    demographics = read_rules(folder, "demographics.toml")
    social = read_rules(folder, "social.toml")
    triggers = read_rules(folder, "triggers.toml")
    rr = read_rules(folder, "rr.toml")
    navigation = read_rules(folder, "navigation.toml")

    def build() -> CdaKb:
        return CdaKb(
            sections=sections["section"],
            entries=entries["rule"],
            vitals=read_rules(folder, "vitals.toml")["vitals"],
            interpretation=read_rules(folder, "interpretation.toml")["interpretation"],
            result_status_v2=statuses["result_status_v2"],
            result_status_act=statuses["result_status_act"],
            med_status_act=statuses["med_status_act"],
            concern_status_act=statuses["concern_status_act"],
            problem_status_snomed=statuses["problem_status_snomed"],
            mood=statuses["mood"],
            skip_status=statuses["skip_status"],
            artefact_snomed=frozenset(artefacts["codes"]["snomed"]),
            artefact_loinc=frozenset(artefacts["codes"]["loinc"]),
            null_flavor_codes=frozenset(artefacts["null_flavor"]["codes"]),
            null_phrases=frozenset(p.lower() for p in artefacts["narrative"]["null_phrases"]),
            gender=demographics["gender"],
            race_ethnicity=demographics["race_ethnicity"],
            header_xpaths=demographics["xpaths"],
            pregnancy_value=social["pregnancy_value"],
            pregnancy_unknown=social["pregnancy_unknown"],
            rctc_value_sets=frozenset(triggers["rctc_value_sets"]),
            rctc_value_set_prefixes=tuple(triggers["rctc_value_set_prefixes"]),
            trigger_templates=triggers["template"],
            rr_determination_xpath=rr["determination_xpath"],
            rr_determination=rr["determination"],
            navigation=navigation["xpaths"],
        )

    return checked(build, source=str(folder), ids=lambda kb: [rule.id for rule in kb.entries], xpaths=_all_xpaths)


def _all_xpaths(kb: CdaKb) -> list[str]:
    exprs = [rule.xpath for rule in kb.entries]
    exprs += [path for template in kb.trigger_templates for path in template.code_paths]
    exprs += list(kb.navigation.values()) + [kb.rr_determination_xpath]
    for value in kb.header_xpaths.values():
        if isinstance(value, list):
            exprs += value
        elif isinstance(value, str) and value.startswith(("/", "cda:")):
            exprs.append(value)
    return exprs


@lru_cache(maxsize=1)
def default_kb() -> CdaKb:
    return load_kb()
