"""known_format: deterministic line parser, the regex tier over lines no label claimed, and the
KB lookup tier for mentions no inline code covers."""

from __future__ import annotations

from typing import Any

from cliniq_agent.context import ContextEngine
from cliniq_agent.known_format.labels import CLINICAL_FIELDS, labelled_lines
from cliniq_agent.known_format.parser import parse_known_format
from cliniq_agent.lookup.tier import extract_lookup_draft
from cliniq_agent.regex_tier.tier import extract_markers_draft
from cliniq_agent.schema import CompactRecord
from cliniq_agent.state import Draft, RunState

_CODE_FIELDS = ("snomed", "icd10", "loinc", "rxnorm", "cvx")


def known_format(state: RunState) -> dict[str, Any]:
    from cliniq_agent.nodes.narrative import agent_pass

    text = state["source"].text
    base = deterministic_draft(text, producer="known_format")
    agent_draft, dropped = agent_pass(text, base, state["options"], producer="known_format_agent")
    return {"drafts": [base, agent_draft], "excluded_upstream": dropped}


def deterministic_draft(text: str, *, producer: str) -> Draft:
    """Line parser + regex tier + lookup tier over one text (the no-LLM extraction of any text)."""
    engine = ContextEngine.default()
    record, unclaimed = parse_known_format(text, engine=engine)
    extra = extract_markers_draft(text, unclaimed, engine=engine) if unclaimed else CompactRecord()
    _extend(record, extra)
    clinical_values = [line.value_span for line in labelled_lines(text) if line.field in CLINICAL_FIELDS]
    coded = [evidence.span for item in _items(record) if _has_code(item) for evidence in item.evidence if evidence.span]
    _extend(record, extract_lookup_draft(text, [*unclaimed, *clinical_values], engine=engine, skip=coded))
    notes = [f"{len(unclaimed)} unlabelled text region(s) scanned by the regex and lookup tiers"] if unclaimed else []
    return Draft(producer=producer, record=record, notes=notes)


def _extend(record: CompactRecord, extra: CompactRecord) -> None:
    for name in CompactRecord.ITEM_LISTS:
        getattr(record, name).extend(getattr(extra, name))


def _items(record: CompactRecord) -> list[Any]:
    return [item for name in CompactRecord.ITEM_LISTS if name != "vitals" for item in getattr(record, name)]


def _has_code(item: Any) -> bool:
    return any(getattr(item, field, None) for field in _CODE_FIELDS)
