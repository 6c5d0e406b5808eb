"""Contracts of the CDA stage: what parse_cda returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cliniq_agent.core.schema import CompactRecord, Reportable, Trigger

DocKind = Literal["eicr", "rr", "ccda"]


class SectionInfo(BaseModel):
    """One CDA section: identity, how it was classified, and its narrative as readable lines."""

    model_config = ConfigDict(extra="forbid")

    kind: str | None = None          # kb/cda/sections.toml kind ("problems", "hpi" ...), None if unknown
    tier: int | None = None          # 1 templateId, 2 LOINC section code, 3 title keywords
    rule: str | None = None          # conformance of the matching section rule
    template_ids: list[str] = Field(default_factory=list)
    code: str | None = None          # section code (LOINC)
    title: str | None = None
    xpath: str
    text: str = ""                   # narrative rendered to lines ("\n"-joined)
    coded_entry_count: int = 0       # <entry> children
    null_flavor: str | None = None   # e.g. "NI" for "no information" sections
    text_tier: bool = False          # narrative the text tiers should read (HPI, reason, assessment ...)


class CdaParse(BaseModel):
    """Draft extraction of one CDA document, with the material later stages need."""

    model_config = ConfigDict(extra="forbid")

    source_name: str
    doc_kind: DocKind
    doc_template_ids: list[str] = Field(default_factory=list)
    doc_code: str | None = None
    record: CompactRecord = Field(default_factory=CompactRecord)
    sections: list[SectionInfo] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list)
    rr_conditions: list[Reportable] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def sections_of(self, *kinds: str) -> list[SectionInfo]:
        """Sections of the given kinds, in document order."""
        return [section for section in self.sections if section.kind in kinds]

    def text_tier_sections(self) -> list[SectionInfo]:
        """Sections whose narrative the text tiers should read, non-empty only."""
        return [section for section in self.sections if section.text_tier and section.text]
