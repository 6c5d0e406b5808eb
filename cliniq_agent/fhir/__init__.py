"""FHIR R4 output: the compact record as a Bundle built and validated with fhir.resources' R4B models."""

from cliniq_agent.fhir.builder import build_bundle
from cliniq_agent.fhir.checks import bundle_problems, validate_bundle

__all__ = ["build_bundle", "bundle_problems", "validate_bundle"]
