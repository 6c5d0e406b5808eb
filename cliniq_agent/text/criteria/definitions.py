"""Load the case criteria (kb/criteria/definitions.toml) and their findings (kb/criteria/findings.tsv)."""

from __future__ import annotations

import tomllib
from functools import lru_cache

import regex
from pydantic import BaseModel, ConfigDict, Field

from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.tsv import kb_table


class FindingPattern(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    finding: str
    language: str          # en | es | pt | fr | vi | any
    pattern: regex.Pattern[str]


class CriteriaGroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    findings: tuple[str, ...]
    min: int = Field(default=1, ge=1)


class CaseDefinition(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    condition: str
    source: str
    groups: tuple[CriteriaGroup, ...]


@lru_cache(maxsize=1)
def finding_patterns() -> tuple[FindingPattern, ...]:
    return tuple(FindingPattern(finding=row["finding"], language=row["language"], pattern=regex.compile(row["pattern"]))
                 for row in kb_table("criteria", "findings.tsv"))


@lru_cache(maxsize=1)
def case_definitions() -> tuple[CaseDefinition, ...]:
    """Every definition; a group naming a finding without patterns is a KB error, raised at load."""
    data = tomllib.loads(kb_path("criteria", "definitions.toml").read_text(encoding="utf-8"))
    definitions = tuple(CaseDefinition.model_validate(row) for row in data.get("definition", []))
    known = {p.finding for p in finding_patterns()}
    for definition in definitions:
        for group in definition.groups:
            missing = set(group.findings) - known
            if missing:
                raise ValueError(f"kb/criteria: {definition.id} uses findings without patterns: {sorted(missing)}")
            if group.min > len(group.findings):
                raise ValueError(f"kb/criteria: {definition.id} asks for {group.min} of {len(group.findings)} findings")
    return definitions
