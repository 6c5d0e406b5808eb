"""The whole flow on one screen.

    START ─(XML?)─┬─ yes → detect_format ⇢ cda ──┐
                  └─ no ─→ detect_format ⇢ text ─┼─(a phrase left to code?)─ yes → agent ─┐
                              text → fast_path ──┘                          no ──────────┴→ merge_validate
    merge_validate ⇢ reportability ─(FHIR asked?)─ yes → emit → END
                                                   no ─────────→ END

- detect_format: CDA XML, known-format text or narrative, and the route; it refuses XML that is not a CDA
  ClinicalDocument and JSON. Which node it opens is the conditional entry edge (``by_format``: XML or not,
  the one fact it branches on), and its step (``format=…; route=…``) is traced as before.
- cda: the CDA parser, then per narrative section the regex and lookup tiers (nodes/cda.py); each section
  with text becomes an agent job.
- text: ``TIERS = [line_parser, regex_markers, icd10_links, kb_lookup, criteria]`` (text/tiers.py) over a
  note, known-format and narrative alike; with a model, known-format text takes the fast path (one LoRA
  call whose grounded codes complete the tiers' draft) before the agent.
- agent: a compiled subgraph (agent/graph.py: retrieve → decide → confirm → ground) over the jobs; each of
  its steps is traced as ``agent.<step>``. Its first step, propose, runs at the end of the node that makes
  the jobs (cda, text, fast_path): with no phrase left to code the run goes straight to merge_validate
  (true of every phdi-dev eICR: the subgraph would cost about three nodes' overhead for nothing).
- merge_validate folds the drafts, checks every code and sets aside what is not asserted;
  reportability maps the record to RCTC conditions; emit builds the FHIR bundle when asked.
  ``⇢``: stages that always run one after the other are one graph node of two stages (``traced_stages``),
  each its own step in the trace: detect_format ⇢ cda (``READ_CDA``), detect_format ⇢ text (``READ_TEXT``),
  merge_validate ⇢ reportability (``MERGE_REPORT``). A LangGraph super-step costs about 1.1 M instructions
  (a third to half a millisecond) per document whatever its node does.

Nodes are plain functions in cliniq_agent/nodes/; each is wrapped by ``traced`` so the audit trace records
its timing and outputs. The compiled graph keeps no checkpointer: a run is one synchronous pass. It is
compiled once per process (``build_graph`` is cached) and its edges are cheap: the conditions after a node
(``to_agent``, ``after_text``, ``after_reportability``) run at the end of that node, on the state it leaves,
and go there as ``Command(goto=…)`` (``_then``; each node declares where it may go, so the drawn graph shows
every edge); the entry edge, which has no node to run in, runs without LangChain callbacks (``_edge``). So
the framework's share of a run is its super-steps (three for an eICR: input with the entry edge,
detect_format ⇢ cda, merge_validate ⇢ reportability), not copies of the state.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command

from cliniq_agent.agent.graph import agent_graph
from cliniq_agent.core.state import AgentJob, Route, RunOptions, RunState, SourceDocument
from cliniq_agent.nodes.cda import cda
from cliniq_agent.nodes.detect_format import detect_format
from cliniq_agent.nodes.emit import emit
from cliniq_agent.nodes.fast_path import fast_path
from cliniq_agent.nodes.merge_validate import merge_validate
from cliniq_agent.nodes.reportability import reportability
from cliniq_agent.nodes.text import text
from cliniq_agent.trace import traced, traced_stages

NODES = {"fast_path": fast_path, "emit": emit}
#: Graph nodes of two stages, each stage traced as its own step: reading the document (format, then the CDA
#: parser or the text tiers), and merging, validating and assessing the record.
READ_CDA = "detect_format+cda"
READ_TEXT = "detect_format+text"
MERGE_REPORT = "merge_validate+reportability"
STAGES = {
    READ_CDA: (("detect_format", detect_format), ("cda", cda)),
    READ_TEXT: (("detect_format", detect_format), ("text", text)),
    MERGE_REPORT: (("merge_validate", merge_validate), ("reportability", reportability)),
}


class RouteView(TypedDict, total=False):
    """The state keys the conditions decide on (the entry edge reads these channels only)."""

    source: SourceDocument
    route: Route
    agent_jobs: list[AgentJob]
    options: RunOptions


def by_format(state: RouteView) -> str:
    """XML goes to the CDA reader, anything else to the text reader: the branch detect_format takes (it then
    refuses XML that is no CDA ClinicalDocument, and JSON), decided before it runs so that it shares a node."""
    return READ_CDA if state["source"].looks_like_xml else READ_TEXT


def after_text(state: RouteView) -> str:
    return "fast_path" if state["route"] == "fast_path" else to_agent(state)


def to_agent(state: RouteView) -> str:
    """The agent only when the node before it handed over jobs with phrases to code (agent/propose.py)."""
    return "agent" if state.get("agent_jobs") else MERGE_REPORT


def after_reportability(state: RouteView) -> str:
    return "emit" if state["options"].build_fhir else END


def _edge(condition: Callable[[RouteView], str]) -> Any:
    """``condition`` as LangGraph runs its own nodes: without LangChain's callback manager (a plain function
    given to ``add_conditional_edges`` is traced as a LangChain run, start and end events and all, on every
    document; nothing here listens to them). Falls back to the plain function if LangGraph moves the class."""
    try:
        from langgraph._internal._runnable import RunnableCallable
    except ImportError:  # pragma: no cover - another LangGraph layout
        return condition
    return RunnableCallable(condition, name=condition.__name__, trace=False)


def _then(node: Callable[[RunState], dict[str, Any]], condition: Callable[[RouteView], str]) -> Callable[..., Command]:
    """``node`` followed by its conditional edge, decided on the state the node leaves (its update over the
    state it was given; the edges read only plain, last-value keys) and returned as ``Command(goto=…)``.

    A conditional edge of ``add_conditional_edges`` reads its state through a fresh copy of every channel of
    the graph (25, LangGraph's ``local_read``), after every node that has one; deciding in the node costs a
    dict merge. The flow is the same: each node still names where it may go (``destinations``)."""

    def run(state):  # unannotated: LangGraph hands the node the whole state
        update = node(state)
        return Command(update=update, goto=condition({**state, **update}))

    run.__name__ = getattr(node, "__name__", "node")
    return run


@lru_cache(maxsize=1)
def build_graph():
    graph = StateGraph(RunState)
    graph.add_node(READ_CDA, _then(traced_stages(*STAGES[READ_CDA]), to_agent), destinations=("agent", MERGE_REPORT))
    graph.add_node(READ_TEXT, _then(traced_stages(*STAGES[READ_TEXT]), after_text),
                   destinations=("fast_path", "agent", MERGE_REPORT))
    graph.add_node("fast_path", _then(traced("fast_path", NODES["fast_path"]), to_agent),
                   destinations=("agent", MERGE_REPORT))
    graph.add_node("agent", agent_graph())
    graph.add_node(MERGE_REPORT, _then(traced_stages(*STAGES[MERGE_REPORT]), after_reportability),
                   destinations=("emit", END))
    graph.add_node("emit", traced("emit", NODES["emit"]))

    graph.add_conditional_edges(START, _edge(by_format), [READ_CDA, READ_TEXT])
    graph.add_edge("agent", MERGE_REPORT)
    graph.add_edge("emit", END)
    return graph.compile()
