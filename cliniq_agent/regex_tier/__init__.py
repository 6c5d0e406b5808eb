"""Regex tier: inline code markers ("(SNOMED 36989005)", "LOINC: 94500-6", XML <code> tags) in any text."""

from cliniq_agent.regex_tier.markers import CodeMarker, find_code_markers
from cliniq_agent.regex_tier.tier import extract_markers_draft

__all__ = ["CodeMarker", "find_code_markers", "extract_markers_draft"]
