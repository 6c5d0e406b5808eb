"""The result of one run, as the API, the CLI, batch and the service hand it out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from cliniq_agent.rrcheck.models import RrCheck
from cliniq_agent.core.schema import CompactRecord
from cliniq_agent.agent.records import AgentReport
from cliniq_agent.core.state import DocFormat, ExcludedItem, ModelRun, Route, StepRecord


class Extraction(BaseModel):
    """The result of one run: the compact record plus how it was obtained."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    run_id: str
    route: Route
    format: DocFormat
    source_name: str
    source_sha256: str
    record: CompactRecord
    excluded: list[ExcludedItem] = Field(default_factory=list)
    steps: list[StepRecord] = Field(default_factory=list)
    duration_ms: float
    fhir_bundle: dict[str, JsonValue] | None = Field(default=None, repr=False)
    rr_check: RrCheck | None = None  # only when an RR was given (cliniq_agent/rrcheck)
    model_runs: list[ModelRun] = Field(default_factory=list, repr=False)        # fast-path model calls
    agent_reports: list[AgentReport] = Field(default_factory=list, repr=False)  # one per text the agent coded

    def to_compact(self, *, evidence: bool = True) -> dict[str, Any]:
        compact = self.record.to_compact(evidence=evidence)
        if self.rr_check is not None:
            compact["rr_check"] = self.rr_check.model_dump(mode="json")
        return compact

    def to_fhir(self) -> dict[str, Any]:
        if self.fhir_bundle is None:
            from cliniq_agent.fhir import build_bundle

            self.fhir_bundle = build_bundle(self.record, run_id=self.run_id, source_name=self.source_name,
                                            source_sha256=self.source_sha256)
            if self.rr_check is not None:
                from cliniq_agent.rrcheck.fhir import with_rr_observations

                self.fhir_bundle = with_rr_observations(self.fhir_bundle, self.rr_check, self.run_id)
        return self.fhir_bundle

    def to_fhir_document(self) -> dict[str, Any]:
        """The record as a FHIR R4 document Bundle: an eICR Composition first, then the resources of to_fhir()."""
        from cliniq_agent.fhir.document import build_document

        document = build_document(self.record, run_id=self.run_id, source_name=self.source_name,
                                  source_sha256=self.source_sha256)
        if self.rr_check is not None:
            from cliniq_agent.rrcheck.fhir import with_rr_observations

            document = with_rr_observations(document, self.rr_check, self.run_id)
        return document

    def to_format(self, output_format: str, *, evidence: bool = True) -> dict[str, Any]:
        """The payload of an output format: ``compact``, ``fhir`` (collection) or ``fhir-document``."""
        if output_format == "fhir":
            return self.to_fhir()
        if output_format == "fhir-document":
            return self.to_fhir_document()
        if output_format == "compact":
            return self.to_compact(evidence=evidence)
        raise ValueError(f"unknown output format {output_format!r}: choose compact, fhir or fhir-document")
