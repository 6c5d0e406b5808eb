"""narrative: free text. Labelled lines, inline code markers (regex tier) and KB names (lookup tier)
first; then the agent codes the phrases those tiers left uncoded (code index + small-model turns)."""

from __future__ import annotations

from typing import Any

from cliniq_agent.agent.graph import run_agent
from cliniq_agent.errors import ModelError
from cliniq_agent.known_format.labels import CLINICAL_FIELDS, labelled_lines
from cliniq_agent.llm.models import ModelSpec, agent_spec, resolve_spec
from cliniq_agent.nodes.known_format import deterministic_draft
from cliniq_agent.state import Draft, RunOptions, RunState


def narrative(state: RunState) -> dict[str, Any]:
    text = state["source"].text
    base = deterministic_draft(text, producer="narrative")
    agent_draft, dropped = agent_pass(text, base, state["options"], producer="narrative_agent")
    return {"drafts": [base, agent_draft], "excluded_upstream": dropped}


def agent_pass(text: str, base: Draft, options: RunOptions, *, producer: str,
               regions: list[tuple[int, int]] | None = None) -> tuple[Draft, list]:
    """Run the agent over ``regions`` (default: all unlabelled text and clinical lines), skipping spans
    another tier already coded."""
    if regions is None:
        skip = {line.line_span for line in labelled_lines(text) if line.field not in CLINICAL_FIELDS}
        regions = _complement(len(text), sorted(skip))
    covered = [e.span for name in ("conditions", "labs", "meds", "immunizations")
               for item in getattr(base.record, name) if _coded(item) for e in item.evidence if e.span]
    spec, notes = _spec(options)
    result = run_agent(text, regions, covered, spec)
    notes += [f"agent: {len(result['candidates'])} candidate phrase(s), {len(result['turns'])} model turn(s)"]
    notes += [f"turn {t.kind} '{t.question}' → {t.answer} ({t.duration_ms:.0f} ms)" for t in result["turns"]]
    notes += [f"candidate '{c.phrase}' [{c.cue}] → {c.chosen.code if c.chosen else 'none'}: {c.verdict}"
              for c in result["candidates"]]
    return Draft(producer=producer, record=result["record"], notes=notes), result["dropped"]


def _spec(options: RunOptions) -> tuple[ModelSpec | None, list[str]]:
    if not options.use_llm:
        return None, ["agent: no model (--no-llm): deterministic decisions only"]
    try:
        if options.model_path is None:
            return agent_spec(), []
        return resolve_spec(options.model_path, options.lora_path, options.chat_format), []
    except ModelError as err:
        return None, [f"agent: model unavailable ({err}); deterministic decisions only"]


def _coded(item: Any) -> bool:
    return any(getattr(item, field, None) for field in ("snomed", "icd10", "loinc", "rxnorm", "cvx"))


def _complement(length: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    regions, cursor = [], 0
    for start, end in spans:
        if start > cursor:
            regions.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < length:
        regions.append((cursor, length))
    return regions
