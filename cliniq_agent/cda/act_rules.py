"""The act rules (kb/cda/acts.toml): which CDA entries become allergies, procedures, orders, reports and
practitioners, loaded once and validated, with every XPath compiled up front so a bad rule fails loudly."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from lxml import etree
from pydantic import BaseModel, ConfigDict, ValidationError

from cliniq_agent.cda.rules import _read, compiled_xpath
from cliniq_agent.core.errors import CliniqError
from cliniq_agent.core.resources import kb_path


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActRule(_Frozen):
    id: str
    extract: Literal["allergy", "procedure", "order", "report"]
    sections: list[str]
    xpath: str
    conformance: str
    kind: str | None = None          # order rules: lab | observation | procedure | act | encounter | medication
    lab_if_loinc: bool = False       # a LOINC-coded planned observation is a lab order

    def applies_to(self, section_kind: str | None) -> bool:
        """Same convention as entries.toml: "*" any section, "?" unclassified, else the listed kinds."""
        if section_kind is None:
            return "*" in self.sections or "?" in self.sections
        return "*" in self.sections or section_kind in self.sections


class PersonRule(_Frozen):
    id: str
    role: str
    xpath: str
    conformance: str
    role_from: str | None = None


class ActKb(_Frozen):
    rules: list[ActRule]
    people: list[PersonRule]
    participation_role: dict[str, str]
    npi_roots: frozenset[str]
    allergy_type: dict[str, tuple[str, str]]
    no_known_allergy: dict[str, tuple[str, str]]
    allergy_severity: dict[str, str]
    allergy_criticality: dict[str, str]
    order_intent: dict[str, str]
    xpaths: dict[str, str]

    def xpath(self, name: str) -> etree.XPath:
        return compiled_xpath(self.xpaths[name])


def load_act_kb(folder: Path | None = None) -> ActKb:
    folder = folder or kb_path("cda")
    data = _read(folder, "acts.toml")
    try:
        kb = ActKb(
            rules=data["rule"],
            people=data["person"],
            participation_role=data["participation_role"],
            npi_roots=frozenset(data["npi_roots"]),
            allergy_type=data["allergy_type"],
            no_known_allergy=data["no_known_allergy"],
            allergy_severity=data["allergy_severity"],
            allergy_criticality=data["allergy_criticality"],
            order_intent=data["order_intent"],
            xpaths=data["xpaths"],
        )
    except (KeyError, ValidationError) as err:
        raise CliniqError(f"CDA act rules {folder / 'acts.toml'} are inconsistent: {err}") from err
    ids = [rule.id for rule in kb.rules] + [rule.id for rule in kb.people]
    if len(ids) != len(set(ids)):
        raise CliniqError(f"duplicate rule ids in {folder / 'acts.toml'}")
    if any(rule.extract == "order" and not rule.kind for rule in kb.rules):
        raise CliniqError(f"every order rule in {folder / 'acts.toml'} needs a kind")
    if "*" not in kb.no_known_allergy:
        raise CliniqError(f"{folder / 'acts.toml'}: [no_known_allergy] needs a \"*\" row")
    for expr in [r.xpath for r in kb.rules] + [r.xpath for r in kb.people] + list(kb.xpaths.values()):
        try:
            compiled_xpath(expr)
        except etree.XPathSyntaxError as err:
            raise CliniqError(f"CDA act rule XPath does not compile: {expr!r}: {err}") from err
    return kb


@lru_cache(maxsize=1)
def default_act_kb() -> ActKb:
    return load_act_kb()
