"""The narrative agent as a LangGraph subgraph:

    propose → retrieve → decide → confirm → ground

Every final code comes from a code-index result (the RAG tool) for a phrase of the note, passes code
validation, and points to a span the ConText rules (and, when a model runs, the model) call asserted.
Without a model, or past the turn cap / time budget, a deterministic rule decides: accept the top hit
only when its calibrated score is at least `accept`. What the model may decide is set, with the
measurements behind it, in kb/agent/agent.toml.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

from cliniq_agent.agent.propose import Candidate, propose
from cliniq_agent.agent.settings import agent_settings
from cliniq_agent.agent.turns import TurnRecord, choose, confirm
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.llm.models import ModelSpec
from cliniq_agent.rag import CodeIndex
from cliniq_agent.core.schema import CompactRecord, Condition, Evidence, Tier, coded_item
from cliniq_agent.core.state import ExcludedItem
from cliniq_agent.validate import check_code


class AgentState(TypedDict, total=False):
    text: str
    regions: list[tuple[int, int]]
    covered: list[tuple[int, int]]
    spec: ModelSpec | None
    candidates: list[Candidate]
    turns: list[TurnRecord]
    started: float
    notes: list[str]
    record: CompactRecord
    dropped: list[ExcludedItem]


def _budget_left(state: AgentState) -> bool:
    settings = agent_settings()
    return (state.get("spec") is not None and len(state.get("turns", [])) < settings.max_turns
            and time.perf_counter() - state["started"] < settings.max_seconds)


def propose_node(state: AgentState) -> dict[str, Any]:
    return {"candidates": propose(state["text"], state["regions"], state["covered"]), "started": time.perf_counter()}


def retrieve_node(state: AgentState) -> dict[str, Any]:
    settings = agent_settings()
    if not state["candidates"]:
        return {}
    index = CodeIndex.open(progress=False)
    candidates = [c.model_copy(update={"hits": index.search(c.phrase, system=settings.systems[c.kind], k=settings.k)})
                  for c in state["candidates"]]
    return {"candidates": candidates}


def decide_node(state: AgentState) -> dict[str, Any]:
    settings, turns, notes = agent_settings(), list(state.get("turns", [])), list(state.get("notes", []))
    decided = []
    for candidate in state["candidates"]:
        top = candidate.hits[0] if candidate.hits else None
        if top is None or top.score < settings.ask:
            verdict = "no code-index hit" if top is None else f"top hit {top.code} scores {top.score:.2f} < {settings.ask}"
            decided.append(candidate.model_copy(update={"verdict": verdict}))
        elif top.score >= settings.accept:
            decided.append(candidate.model_copy(update={"chosen": top, "decided_by": "retrieval",
                                                        "verdict": f"top hit scores {top.score:.2f}"}))
        elif _budget_left({**state, "turns": turns}):
            picked, record = choose(state["spec"], state["text"], candidate)
            turns.append(record)
            verdict = f"model chose {record.answer} among {len(candidate.hits[:5])} hits"
            if settings.require_agreement and picked is not None and picked != top:
                verdict += f"; the index's top hit is {top.code}: no agreement, dropped"
                picked = None
            decided.append(candidate.model_copy(update={"chosen": picked, "decided_by": "model", "verdict": verdict}))
        else:
            reason = "no model" if state.get("spec") is None else "turn cap / time budget reached"
            decided.append(candidate.model_copy(update={
                "decided_by": "fallback",
                "verdict": f"{reason}: top hit {top.code} scores {top.score:.2f} < {settings.accept}, not accepted"}))
    return {"candidates": decided, "turns": turns, "notes": notes}


def confirm_node(state: AgentState) -> dict[str, Any]:
    engine, turns = ContextEngine.default(), list(state.get("turns", []))
    confirmed = []
    for candidate in state["candidates"]:
        if candidate.chosen is None or candidate.kind != "conditions":
            confirmed.append(candidate)
            continue
        verdict = engine.assess(state["text"], candidate.span)
        if agent_settings().confirm_with_model and verdict.assertion.asserted and _budget_left({**state, "turns": turns}):
            current, record = confirm(state["spec"], state["text"], candidate)
            turns.append(record)
            if not current:
                candidate = candidate.model_copy(update={"verdict": f"{candidate.verdict}; model: not a current diagnosis",
                                                         "decided_by": "model-confirm"})
        confirmed.append(candidate)
    return {"candidates": confirmed, "turns": turns}


def ground_node(state: AgentState) -> dict[str, Any]:
    """Items only for codes that a tool returned for this phrase and that pass validation."""
    engine, text = ContextEngine.default(), state["text"]
    record, dropped = CompactRecord(), []
    for candidate in state["candidates"]:
        chosen = candidate.chosen
        if chosen is None or "not a current diagnosis" in (candidate.verdict or ""):
            dropped.append(_dropped(candidate, candidate.verdict or "no code chosen"))
            continue
        if chosen not in candidate.hits or check_code(chosen.system, chosen.code):
            dropped.append(_dropped(candidate, "chosen code is not a valid code-index result for this phrase"))
            continue
        verdict = engine.assess(text, candidate.span)
        tier = Tier.AGENT if candidate.decided_by == "model" else Tier.RAG
        evidence = [Evidence(tier=tier, span=candidate.span, text=text[candidate.span[0]:candidate.span[1]],
                             rule=f"{candidate.cue};{chosen.match}:{chosen.matched_text}", score=chosen.score)]
        item = coded_item(candidate.kind, chosen.system, chosen.code, chosen.name, evidence=evidence)
        item.assertion = verdict.assertion
        if isinstance(item, Condition) and verdict.certainty == "suspected":
            item.status = "suspected"
        getattr(record, candidate.kind).append(item)
    return {"record": record, "dropped": dropped}


def _dropped(candidate: Candidate, reason: str) -> ExcludedItem:
    return ExcludedItem(kind=candidate.kind, name=candidate.phrase, reason=f"agent: {reason}",
                        item={"phrase": candidate.phrase, "span": list(candidate.span), "cue": candidate.cue,
                              "hits": [f"{h.system}:{h.code} {h.name} ({h.score:.2f}, {h.match})" for h in candidate.hits]})


@lru_cache(maxsize=1)
def agent_graph():
    graph = StateGraph(AgentState)
    for name, node in (("propose", propose_node), ("retrieve", retrieve_node), ("decide", decide_node),
                       ("confirm", confirm_node), ("ground", ground_node)):
        graph.add_node(name, node)
    graph.add_conditional_edges(START, _first_step, {"propose": "propose", "retrieve": "retrieve", END: END})
    graph.add_edge("propose", "retrieve")
    graph.add_edge("retrieve", "decide")
    graph.add_edge("decide", "confirm")
    graph.add_edge("confirm", "ground")
    graph.add_edge("ground", END)
    return graph.compile()


def _first_step(state: AgentState) -> str:
    """Start at retrieve when the caller already proposed; end at once when there is nothing to code."""
    if "candidates" not in state:
        return "propose"
    return "retrieve" if state["candidates"] else END


def run_agent(text: str, regions: list[tuple[int, int]], covered: list[tuple[int, int]],
              spec: ModelSpec | None) -> AgentState:
    """Propose first: most narrative sections have no uncoded phrase, and then the four later steps (each a
    LangGraph superstep, ~0.4 ms apiece) would only pass an empty list along."""
    started = time.perf_counter()
    candidates = propose(text, regions, covered)
    state: AgentState = {"text": text, "regions": regions, "covered": covered, "spec": spec, "turns": [],
                         "notes": [], "candidates": candidates, "started": started}
    if not candidates:
        return {**state, "record": CompactRecord(), "dropped": []}
    return agent_graph().invoke(state)
