"""The act rules (kb/cda/acts.toml): which CDA entries become allergies, procedures, orders, reports and
practitioners, loaded once and validated, with every XPath compiled up front so a bad rule fails loudly."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal


from cliniq_agent.cda.navigate import Navigation, navigation
from cliniq_agent.cda.rules import Frozen, ScopedRule, checked, read_rules
from cliniq_agent.core.errors import CliniqError
from cliniq_agent.core.resources import kb_path


class ActRule(ScopedRule):
    extract: Literal["allergy", "procedure", "order", "report"]
    kind: str | None = None          # order rules: lab | observation | procedure | act | encounter | medication
    lab_if_loinc: bool = False       # a LOINC-coded planned observation is a lab order


class PersonRule(Frozen):
    id: str
    role: str
    xpath: str
    conformance: str
    role_from: str | None = None


class ActKb(Frozen):
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

    def xpath(self, name: str) -> Navigation:
        return navigation(self.xpaths[name])


def load_act_kb(folder: Path | None = None) -> ActKb:
    folder = folder or kb_path("cda")
    data = read_rules(folder, "acts.toml")

    def build() -> ActKb:   # acts.toml's tables are named as the fields, but for its [[rule]] and [[person]] lists
        tables = {name: data[name] for name in ActKb.model_fields if name not in ("rules", "people")}
        return ActKb(rules=data["rule"], people=data["person"], **tables)

    kb = checked(build, source=str(folder / "acts.toml"), ids=lambda kb: [r.id for r in [*kb.rules, *kb.people]],
                 xpaths=lambda kb: [r.xpath for r in [*kb.rules, *kb.people]] + list(kb.xpaths.values()))
    if any(rule.extract == "order" and not rule.kind for rule in kb.rules):
        raise CliniqError(f"every order rule in {folder / 'acts.toml'} needs a kind")
    if "*" not in kb.no_known_allergy:
        raise CliniqError(f"{folder / 'acts.toml'}: [no_known_allergy] needs a \"*\" row")
    return kb


@lru_cache(maxsize=1)
def default_act_kb() -> ActKb:
    return load_act_kb()
