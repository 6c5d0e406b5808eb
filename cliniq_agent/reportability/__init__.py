"""Reportability: which RCTC reportable conditions an extracted record supports, with triggers and confidence.

Confidence scheme (weights in kb/reportability/scoring.toml): each asserted item gives evidence of a kind -
eICR trigger marker 0.95, RCTC condition code 0.92, precise ICD-10-CM prefix 0.88, positive lab named by its LOINC
display 0.88, exact condition name 0.85, organism named in a culture result 0.85, positive lab by the sender's test
name 0.78, disease words in a diagnosis display 0.75, broad ICD-10-CM prefix 0.70, RCTC-listed vaccine / antitoxin
0.60; exposure codes 0.30 and medications 0.30 only support. Items combine by noisy-OR; "suspected" wording scales
by 0.7; jurisdiction-dependent conditions scale by 0.45 (below the 0.5 reporting threshold unless
``include_jurisdictional=True``).
"""

from cliniq_agent.reportability.determine import (
    ReportabilityResult,
    SkippedEvidence,
    assess_reportability,
    determine_reportable,
)
from cliniq_agent.reportability.positivity import Positivity, classify

__all__ = [
    "Positivity",
    "ReportabilityResult",
    "SkippedEvidence",
    "assess_reportability",
    "classify",
    "determine_reportable",
]
