"""Batch extraction: many inputs → one result file each + manifest.jsonl, on a local process pool or Ray."""

from cliniq_agent.batch.inputs import Case, Member, collect_cases
from cliniq_agent.batch.outputs import Finished
from cliniq_agent.batch.runner import BatchSummary, ProgressSink, run_batch
from cliniq_agent.batch.work import CaseResult

__all__ = ["BatchSummary", "Case", "CaseResult", "Finished", "Member", "ProgressSink", "collect_cases", "run_batch"]
