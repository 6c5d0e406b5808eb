"""Audit trace: every run's route, node timeline and item evidence, persisted in SQLite."""

from cliniq_agent.trace.steps import traced, traced_stages
from cliniq_agent.trace.store import RunTrace, TraceStore

__all__ = ["RunTrace", "TraceStore", "traced", "traced_stages"]
