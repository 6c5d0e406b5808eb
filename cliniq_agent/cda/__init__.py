"""Section-aware HL7 CDA R2 (eICR / RR / C-CDA) parser: templateId-scoped rules from kb/cda."""

from cliniq_agent.cda.rules import CdaKb, default_kb, load_kb
from cliniq_agent.cda.models import CdaParse, DocKind, SectionInfo
from cliniq_agent.cda.parser import parse_cda

__all__ = ["CdaKb", "CdaParse", "DocKind", "SectionInfo", "default_kb", "load_kb", "parse_cda"]
