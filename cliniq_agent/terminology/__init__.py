"""Terminology knowledge base: reportable conditions, code tables, name matching and condition links.

``TerminologyKB.load()`` reads kb/terminology and kb/reportability (plus tables a user imported with
``cliniq-agent kb import``); see kb/README.md for every table's source, version and licence.
"""

from cliniq_agent.terminology.catalog import TerminologyKB, normalize_system
from cliniq_agent.terminology.text_links import LabLink
from cliniq_agent.terminology.models import Concept, ConditionLink, ReportableCondition, Synonym, ValueSetRef
from cliniq_agent.terminology.normalize import fold_key

__all__ = [
    "Concept",
    "ConditionLink",
    "LabLink",
    "ReportableCondition",
    "Synonym",
    "TerminologyKB",
    "ValueSetRef",
    "fold_key",
    "normalize_system",
]
