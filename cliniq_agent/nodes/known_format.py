"""known_format: deterministic line parser, plus the regex tier over lines no label claimed."""

from __future__ import annotations

from typing import Any

from cliniq_agent.context import ContextEngine
from cliniq_agent.known_format import parse_known_format
from cliniq_agent.regex_tier import extract_markers_draft
from cliniq_agent.schema import CompactRecord
from cliniq_agent.state import Draft, RunState


def known_format(state: RunState) -> dict[str, Any]:
    return {"drafts": [deterministic_draft(state["source"].text, producer="known_format")]}


def deterministic_draft(text: str, *, producer: str) -> Draft:
    engine = ContextEngine.default()
    record, unclaimed = parse_known_format(text, engine=engine)
    extra = extract_markers_draft(text, unclaimed, engine=engine) if unclaimed else CompactRecord()
    for name in CompactRecord.ITEM_LISTS:
        getattr(record, name).extend(getattr(extra, name))
    notes = [f"{len(unclaimed)} unlabelled text region(s) scanned by the regex tier"] if unclaimed else []
    return Draft(producer=producer, record=record, notes=notes)
