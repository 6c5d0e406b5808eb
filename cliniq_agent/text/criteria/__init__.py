"""Clinical-criteria tier: a reportable condition suspected from a pattern of findings (kb/criteria)."""

from cliniq_agent.text.criteria.matcher import CriteriaMatch, infer_from_criteria

__all__ = ["CriteriaMatch", "infer_from_criteria"]
