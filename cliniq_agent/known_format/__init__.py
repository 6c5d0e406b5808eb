"""Known-format clinician text ("Patient:/Dx:/Lab:/Vitals:/Meds:" lines): deterministic line parser."""

from cliniq_agent.known_format.labels import LabelledLine, known_format_likelihood, labelled_lines
from cliniq_agent.known_format.parser import parse_known_format

__all__ = ["LabelledLine", "known_format_likelihood", "labelled_lines", "parse_known_format"]
