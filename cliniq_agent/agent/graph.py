"""The narrative agent as a compiled LangGraph subgraph, added to the main graph as its ``agent`` node:

    (propose) → retrieve → decide → confirm → ground

It codes every ``AgentJob`` of the run (the note, or each CDA narrative section) and its steps reach the
trace as ``agent.retrieve`` … ``agent.ground``. Its first step, propose (agent/propose.py ``hand_over``),
runs in the node that makes the jobs, so that a run with no phrase to code skips the subgraph.

Every final code comes from a code-index result (the RAG tool) for a phrase of the text, passes code
validation, and points to a span the ConText rules (and, when a model runs, the model) call asserted.
Without a model, or past a job's turn cap / time budget, a deterministic rule decides: accept the top hit
only when its calibrated score is at least `accept`. What the model may decide is set, with the
measurements behind it, in kb/agent/agent.toml.
"""

from __future__ import annotations

import operator
import time
from functools import lru_cache
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, Field

from cliniq_agent.agent.ground import ground, job_draft
from cliniq_agent.agent.propose import hand_over
from cliniq_agent.agent.records import AgentReport, Candidate, Decision, TurnRecord
from cliniq_agent.agent.settings import agent_settings
from cliniq_agent.agent.turns import choose, confirm
from cliniq_agent.core.errors import ModelError
from cliniq_agent.core.schema import CompactRecord
from cliniq_agent.core.state import AgentJob, Draft, ExcludedItem, RunOptions, StepRecord
from cliniq_agent.llm.models import ModelSpec, agent_spec, resolve_spec
from cliniq_agent.rag import CodeIndex
from cliniq_agent.rag.retrieval import CodeHit
from cliniq_agent.terminology.catalog import TerminologyKB
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.criteria.lab_items import settle_later_suspicions
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.lookup.species import other_species
from cliniq_agent.trace import traced


class JobWork(BaseModel):
    """One job as the agent's steps pass it along (turn cap and time budget are per job, as per text)."""

    job: AgentJob
    candidates: list[Candidate] = Field(default_factory=list)
    turns: list[TurnRecord] = Field(default_factory=list)


class AgentInput(TypedDict):
    agent_jobs: list[AgentJob]
    options: RunOptions


class AgentOutput(TypedDict, total=False):
    drafts: Annotated[list[Draft], operator.add]
    excluded_upstream: Annotated[list[ExcludedItem], operator.add]
    agent_reports: Annotated[list[AgentReport], operator.add]
    steps: Annotated[list[StepRecord], operator.add]


class AgentState(AgentInput, AgentOutput, total=False):
    spec: ModelSpec | None
    model_notes: list[str]
    work: list[JobWork]


def model_for(options: RunOptions) -> tuple[ModelSpec | None, list[str]]:
    """The model the agent's turns use, or None (and why) for deterministic decisions only."""
    if not options.use_llm:
        return None, ["agent: no model (--no-llm): deterministic decisions only"]
    try:
        if options.model_path is None:
            return agent_spec(), []
        return resolve_spec(options.model_path, options.lora_path, options.chat_format), []
    except ModelError as err:
        return None, [f"agent: model unavailable ({err}); deterministic decisions only"]


def _budget_left(spec: ModelSpec | None, work: JobWork, turns: list[TurnRecord]) -> bool:
    settings = agent_settings()
    return (spec is not None and len(turns) < settings.max_turns
            and time.perf_counter() - work.job.proposed_at < settings.max_seconds)


def retrieve_step(state: AgentState) -> dict[str, Any]:
    """Code-index hits for every proposed phrase (and the model the turns will use)."""
    settings, index = agent_settings(), CodeIndex.open(progress=False)
    spec, notes = model_for(state["options"])
    work = [JobWork(job=job, candidates=[
        c.model_copy(update={"hits": _same_species(c.phrase, index.search(c.phrase, system=settings.systems[c.kind],
                                                                           k=settings.k))})
        for c in job.candidates]) for job in state["agent_jobs"]]
    return {"spec": spec, "model_notes": notes, "work": work}


def _same_species(phrase: str, hits: list[CodeHit]) -> list[CodeHit]:
    """Hits that do not contradict a binomial of the phrase: 'Chlamydophila pneumoniae' ranks psittacosis (its
    sibling C. psittaci) close, but names another organism (kb/lookup/other_species.tsv)."""
    tones = TerminologyKB.load().tone_names   # and the tone marks: 'bệnh thận' (kidney) is no hit for 'bệnh than'
    return [hit for hit in hits if not (other_species(phrase, hit.code)
                                        or (hit.condition and other_species(phrase, hit.condition)))
            and tones.phrase_agrees(phrase, hit.matched_text)]


def decide_step(state: AgentState) -> dict[str, Any]:
    return {"work": [_decide(state.get("spec"), w) for w in state["work"]]}


def _decide(spec: ModelSpec | None, work: JobWork) -> JobWork:
    settings, turns, decided = agent_settings(), list(work.turns), []
    for candidate in work.candidates:
        top = candidate.hits[0] if candidate.hits else None
        if top is None or top.score < settings.ask:
            verdict = "no code-index hit" if top is None else f"top hit {top.code} scores {top.score:.2f} < {settings.ask}"
            decided.append(candidate.model_copy(update={"verdict": verdict, "decision": Decision.NO_HIT}))
        elif top.score >= settings.accept:
            decided.append(candidate.model_copy(update={"chosen": top, "decided_by": "retrieval", "decision": Decision.ACCEPTED,
                                                        "verdict": f"top hit scores {top.score:.2f}"}))
        elif _budget_left(spec, work, turns):
            picked, record = choose(spec, work.job.text, candidate)
            turns.append(record)
            verdict = f"model chose {record.answer} among {len(candidate.hits[:5])} hits"
            if settings.require_agreement and picked is not None and picked != top:
                verdict += f"; the index's top hit is {top.code}: no agreement, dropped"
                picked = None
            decided.append(candidate.model_copy(update={
                "chosen": picked, "decided_by": "model", "verdict": verdict,
                "decision": Decision.MODEL_CHOSE if picked is not None else Decision.MODEL_DECLINED}))
        else:
            reason = "no model" if spec is None else "turn cap / time budget reached"
            decided.append(candidate.model_copy(update={
                "decided_by": "fallback", "decision": Decision.FALLBACK,
                "verdict": f"{reason}: top hit {top.code} scores {top.score:.2f} < {settings.accept}, not accepted"}))
    return work.model_copy(update={"candidates": decided, "turns": turns})


def confirm_step(state: AgentState) -> dict[str, Any]:
    return {"work": [_confirm(state.get("spec"), w) for w in state["work"]]}


def _confirm(spec: ModelSpec | None, work: JobWork) -> JobWork:
    engine, turns, confirmed = ContextEngine.default(), list(work.turns), []
    for candidate in work.candidates:
        if candidate.chosen is None or candidate.kind != "conditions":
            confirmed.append(candidate)
            continue
        verdict = engine.assess(work.job.doc, candidate.span)
        if agent_settings().confirm_with_model and verdict.assertion.asserted and _budget_left(spec, work, turns):
            current, record = confirm(spec, work.job.text, candidate)
            turns.append(record)
            if not current:
                candidate = candidate.model_copy(update={
                    "verdict": f"{candidate.verdict}; model: not a current diagnosis",
                    "decided_by": "model-confirm", "decision": Decision.NOT_CURRENT})
        confirmed.append(candidate)
    return work.model_copy(update={"candidates": confirmed, "turns": turns})


def ground_step(state: AgentState) -> dict[str, Any]:
    """Per job: its base draft, then the agent's draft of the codes it grounded (a job's items stay together
    in merge order); what the agent dropped; and its report."""
    spec, notes = state.get("spec"), state.get("model_notes", [])
    drafts, dropped, reports = [], [], []
    for work in state["work"]:
        job = work.job
        record, job_dropped = ground(job.doc, work.candidates)
        # a suspicion only the code index read gets the work-up rules the criteria tier gave the others
        settled = settle_later_suspicions(job.doc, record, job.base.record, job.regions,
                                          engine=ContextEngine.default())
        if job.only is not None:
            job_dropped = [d for d in job_dropped if d.kind == job.only]
        report = AgentReport(producer=job.producer, locator=job.locator, model=spec.model_path.name if spec else None,
                             candidates=work.candidates, turns=work.turns)
        drafts += [job.base, job_draft(job, record, [*notes, *_notes(report), *settled])]
        dropped += job_dropped
        reports.append(report)
    return {"drafts": drafts, "excluded_upstream": dropped, "agent_reports": reports}


def _notes(report: AgentReport) -> list[str]:
    """The agent's work in words, for people reading the trace."""
    notes = [f"agent: {len(report.candidates)} candidate phrase(s), {len(report.turns)} model turn(s)"]
    notes += [f"turn {t.kind} '{t.question}' → {t.answer} ({t.duration_ms:.0f} ms)" for t in report.turns]
    notes += [f"candidate '{c.phrase}' [{c.cue}] → {c.chosen.code if c.chosen else 'none'}: {c.verdict}"
              for c in report.candidates]
    return notes


def _progress(update: dict[str, Any]) -> str:
    work = update.get("work", [])
    decided = sum(1 for w in work for c in w.candidates if c.decision is not Decision.PENDING)
    return (f"{len(work)} text(s): {sum(len(w.candidates) for w in work)} candidate(s), {decided} decided, "
            f"{sum(len(w.turns) for w in work)} model turn(s)")


STEPS = {"retrieve": retrieve_step, "decide": decide_step, "confirm": confirm_step,
         "ground": ground_step}


@lru_cache(maxsize=1)
def agent_graph():
    graph = StateGraph(AgentState, input_schema=AgentInput, output_schema=AgentOutput)
    for name, step in STEPS.items():
        graph.add_node(name, traced(f"agent.{name}", step, describe=None if name == "ground" else _progress))
    graph.add_edge(START, "retrieve")
    graph.add_edge("retrieve", "decide")
    graph.add_edge("decide", "confirm")
    graph.add_edge("confirm", "ground")
    graph.add_edge("ground", END)
    return graph.compile()



def run_agent(text: str, regions: list[tuple[int, int]], options: RunOptions) -> tuple[Draft, AgentReport]:
    """The agent alone over one text (tests, data scripts): its draft and its report."""
    job = AgentJob(producer="agent", doc=TextDoc(text), regions=regions, base=Draft(producer="tiers", record=CompactRecord()))
    handed = hand_over([job])
    out = agent_graph().invoke({**handed, "options": options}) if "agent_jobs" in handed else handed
    return (out["drafts"][-1] if "agent_jobs" in handed else Draft(producer="agent", record=CompactRecord()),
            out["agent_reports"][0])
