"""The whole flow on one screen.

    detect_format → route ─┬─ cda ──────────┐
                           ├─ known_format ─┤
                           ├─ fast_path ────┼─→ merge_validate → reportability → emit
                           └─ narrative ────┘

Nodes are plain functions in cliniq_agent/nodes/; each is wrapped by ``traced`` so the audit
trace records its timing and outputs.
"""

from __future__ import annotations

from functools import lru_cache

from langgraph.graph import END, START, StateGraph

from cliniq_agent.nodes.cda import cda
from cliniq_agent.nodes.detect_format import detect_format
from cliniq_agent.nodes.emit import emit
from cliniq_agent.nodes.fast_path import fast_path
from cliniq_agent.nodes.known_format import known_format
from cliniq_agent.nodes.merge_validate import merge_validate
from cliniq_agent.nodes.narrative import narrative
from cliniq_agent.nodes.reportability import reportability
from cliniq_agent.nodes.route import next_node, route
from cliniq_agent.core.state import RunState
from cliniq_agent.trace import traced

EXTRACTORS = {"cda": cda, "known_format": known_format, "fast_path": fast_path, "narrative": narrative}


@lru_cache(maxsize=1)
def build_graph():
    graph = StateGraph(RunState)
    graph.add_node("detect_format", traced("detect_format", detect_format))
    graph.add_node("route", traced("route", route))
    for name, node in EXTRACTORS.items():
        graph.add_node(name, traced(name, node))
    graph.add_node("merge_validate", traced("merge_validate", merge_validate))
    graph.add_node("reportability", traced("reportability", reportability))
    graph.add_node("emit", traced("emit", emit))

    graph.add_edge(START, "detect_format")
    graph.add_edge("detect_format", "route")
    graph.add_conditional_edges("route", next_node, {name: name for name in EXTRACTORS})
    for name in EXTRACTORS:
        graph.add_edge(name, "merge_validate")
    graph.add_edge("merge_validate", "reportability")
    graph.add_edge("reportability", "emit")
    graph.add_edge("emit", END)
    return graph.compile()
