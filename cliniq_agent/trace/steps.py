"""Wrap graph nodes so each execution leaves a StepRecord (timing + what it produced)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Annotated, Any, get_origin, get_type_hints

from pydantic import JsonValue

from cliniq_agent.core.budget import check_budget
from cliniq_agent.core.schema import CompactRecord
from cliniq_agent.core.state import Draft, RunState, StepRecord

NodeFn = Callable[[RunState], dict[str, Any]]


def traced(name: str, node: NodeFn, *, describe: Callable[[dict[str, Any]], str] | None = None) -> NodeFn:
    """Return ``node`` wrapped to append a StepRecord to ``state['steps']``; ``describe`` words the summary of
    an update ``summarize`` does not know (the agent's intermediate steps)."""

    def run(state):  # unannotated: LangGraph then hands the node its graph's whole state (main graph or agent)
        check_budget(name)
        started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        clock = time.perf_counter()
        update = node(state)
        elapsed = (time.perf_counter() - clock) * 1000
        summary, outputs = summarize(update)
        if describe is not None:
            summary = describe(update)
        # built, not validated: ``summarize`` makes JSON values by construction, and validating them again (the
        # CDA draft's whole record) cost about half a millisecond per document
        step = StepRecord.model_construct(node=name, started_at=started, duration_ms=round(elapsed, 3), summary=summary,
                                          outputs=outputs)
        return {**update, "steps": [step]}

    run.__name__ = name
    run.__doc__ = node.__doc__
    return run


#: RunState channels whose updates add up (``Annotated[list, operator.add]``) rather than replace the value.
_ACCUMULATED = frozenset(key for key, hint in get_type_hints(RunState, include_extras=True).items()
                         if get_origin(hint) is Annotated)


def traced_stages(*stages: tuple[str, NodeFn]) -> NodeFn:
    """Stages that always run one after the other as ONE graph node, each still traced as its own step.

    Every LangGraph super-step costs about half a millisecond of bookkeeping whatever its node does; two nodes
    joined by a plain edge on every route are one step's worth of work. Each stage sees the state as the graph
    would have handed it (the earlier stages' updates applied, accumulated channels added up), and the node's
    update is theirs combined, so the graph's state and the trace are what two nodes would have left."""
    wrapped = [traced(name, node) for name, node in stages]

    def run(state):  # unannotated, as in ``traced``: the whole state
        view, update = state, {}
        for stage in wrapped:
            out = stage(view)
            view, update = _applied(view, out), _applied(update, out)
        return update

    run.__name__ = "+".join(name for name, _ in stages)
    return run


def _applied(state: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``state`` with ``update`` applied as LangGraph's reducers apply it (a new dict; neither is changed)."""
    merged = {**state, **update}
    for key in _ACCUMULATED.intersection(update).intersection(state):
        merged[key] = [*state[key], *update[key]]
    return merged


def _counts(record: CompactRecord) -> dict[str, int]:
    return {name: len(getattr(record, name)) for name in (*CompactRecord.ITEM_LISTS, "reportable") if getattr(record, name)}


def summarize(update: dict[str, Any]) -> tuple[str, dict[str, JsonValue]]:
    """One human line plus machine-readable outputs for whatever a node returned."""
    parts: list[str] = []
    outputs: dict[str, JsonValue] = {}
    for key in ("format", "route"):
        if key in update:
            parts.append(f"{key}={update[key]}")
            outputs[key] = update[key]
    for draft in update.get("drafts", []):
        if isinstance(draft, Draft):
            counts = _counts(draft.record)
            non_asserted = sum(
                1 for name in CompactRecord.ITEM_LISTS for item in getattr(draft.record, name) if not item.assertion.asserted
            )
            parts.append(f"{draft.producer}: " + (", ".join(f"{v} {k}" for k, v in counts.items()) or "nothing")
                         + (f" ({non_asserted} not asserted)" if non_asserted else ""))
            outputs[f"draft:{draft.producer}"] = draft.record.model_dump(mode="json")
            if draft.notes:  # several drafts of one producer (one per CDA narrative section) add up
                outputs[f"notes:{draft.producer}"] = [*outputs.get(f"notes:{draft.producer}", []), *draft.notes]
    if update.get("agent_jobs"):  # handed to the agent node: the phrases proposed for it
        jobs = update["agent_jobs"]
        parts.append(f"to the agent: {len(jobs)} text(s), {sum(len(job.candidates) for job in jobs)} phrase(s) proposed")
    for run in update.get("model_runs", []):
        parts.append(f"model answer {run.validity.value} ({run.prompt_tokens}+{run.completion_tokens} tokens)")
        outputs["model_run"] = run.model_dump(mode="json")
    for report in update.get("agent_reports", []):  # the review page's candidate list: phrases, hits, decisions, turns
        outputs[f"candidates:{report.producer}"] = [*outputs.get(f"candidates:{report.producer}", []), *(
            {**c.model_dump(mode="json"), "locator": report.locator,
             "turns": [t.model_dump(mode="json") for t in report.turns if t.candidate == c.id]}
            for c in report.candidates)]
    if update.get("cda") is not None:  # what the review page needs to draw a CDA: sections, triggers, RR
        outputs["cda"] = update["cda"].model_dump(mode="json", include={"doc_kind", "triggers", "rr_conditions"})
        outputs["cda"]["sections"] = [section.model_dump(mode="json", exclude={"text"}) for section in update["cda"].sections]
    if "record" in update and isinstance(update["record"], CompactRecord):
        counts = _counts(update["record"])
        parts.append("record: " + (", ".join(f"{v} {k}" for k, v in counts.items()) or "empty"))
        outputs["counts"] = counts
    if "excluded" in update:
        excluded = update["excluded"]
        parts.append(f"{len(excluded)} excluded")
        outputs["excluded"] = [item.model_dump(mode="json") for item in excluded]
    if update.get("reportability") is not None:
        result = update["reportability"]
        parts.append(f"{len(result.reportable)} reportable, {len(result.below_threshold)} below threshold, "
                     f"{len(result.skipped)} evidence skipped")
        outputs["reportability"] = result.model_dump(mode="json")
    if update.get("fhir"):
        parts.append(f"FHIR bundle: {len(update['fhir'].get('entry', []))} entries")
    return "; ".join(parts) or "done", outputs
