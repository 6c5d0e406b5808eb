"""route: pick the extraction path for the detected format (recorded in the trace)."""

from __future__ import annotations

from typing import Any

from cliniq_agent.core.state import Route, RunState


def route(state: RunState) -> dict[str, Any]:
    return {"route": choose_route(state)}


def choose_route(state: RunState) -> Route:
    fmt = state["format"]
    if fmt == "known_format":
        return "fast_path" if state["options"].use_llm else "known_format"
    return fmt


def next_node(state: RunState) -> Route:
    """Conditional-edge function: the node named by ``state['route']``."""
    return state["route"]
