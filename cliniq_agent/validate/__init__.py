"""Code-format validation (check digits, existence) used by merge_validate and FHIR building."""

from cliniq_agent.validate.codes import check_code, normalize_code

__all__ = ["check_code", "normalize_code"]
