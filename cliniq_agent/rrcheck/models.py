"""Typed records of the RR cross-check: what the RR determined per jurisdiction, and the per-group comparison."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["both", "engine_only", "rr_only", "neither"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Agency(_Model):
    role: str                       # routing | responsible | rules_authoring (kb/rrcheck/rr.toml [agencies])
    name: str | None = None
    id: str | None = None           # the agency id's extension (e.g. a state code)


class Determination(_Model):
    """One jurisdiction's answer for one condition (one RR Reportability Information Organizer)."""

    condition_code: str | None = None  # the RR's SNOMED CT code of the condition this answers for
    code: str | None = None         # RRVS1 reportable, RRVS2 may be reportable, RRVS3 not, RRVS4 no rule met
    label: str | None = None
    found: bool = False             # RRVS1 / RRVS2
    location_relevance: str | None = None
    rules: list[str] = Field(default_factory=list)      # RR3 rule texts
    timeframe: str | None = None    # RR4, e.g. "0 min (Immediate)"
    agencies: list[Agency] = Field(default_factory=list)

    @property
    def jurisdiction(self) -> str | None:
        for role in ("routing", "responsible", "rules_authoring"):
            for agency in self.agencies:
                if agency.role == role and agency.name:
                    return agency.name
        return None


class RrCondition(_Model):
    """A condition the RR names, with every jurisdiction's determination."""

    code: str                       # the SNOMED CT code the RR uses (the jurisdiction rule's code)
    name: str | None = None
    group: str                      # RCTC condition code of its condition group (cliniq_agent.rrcheck.groups)
    relation: str                   # how code relates to group (kb/rrcheck/condition_groups.tsv)
    determinations: list[Determination] = Field(default_factory=list)

    @property
    def found(self) -> bool:
        return any(d.found for d in self.determinations)


class RrCheckItem(_Model):
    """One condition group: what the RR said, what the engine said, and why they differ."""

    group: str
    group_name: str | None = None
    status: Status
    rr_codes: list[str] = Field(default_factory=list)       # the RR's codes in this group (both codes are kept)
    engine_codes: list[str] = Field(default_factory=list)   # the engine's RCTC codes in this group
    engine_confidence: float | None = None
    engine_evidence: list[str] = Field(default_factory=list)  # trigger codes / items the engine relied on
    determinations: list[Determination] = Field(default_factory=list)
    reason: str | None = None       # kb/rrcheck/reasons.tsv code, when the engine did not raise an RR finding
    reason_text: str | None = None
    reason_detail: str | None = None


class RrCheck(_Model):
    """The cross-check of one eICR run against its RR."""

    rr_source: str | None = None
    rr_sha256: str | None = None
    summary: dict[str, int] = Field(default_factory=dict)   # items per status
    items: list[RrCheckItem] = Field(default_factory=list)
