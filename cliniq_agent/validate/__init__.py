"""Code-format validation (check digits, existence) used by merge_validate and FHIR building."""

from cliniq_agent.validate.codes import CodeSystem, check_code, normalize_code

__all__ = ["CodeSystem", "check_code", "normalize_code"]
