"""narrative: free text. Labelled header lines and inline code markers (regex tier) for now;
the RAG + agent tiers extend this node."""

from __future__ import annotations

from typing import Any

from cliniq_agent.nodes.known_format import deterministic_draft
from cliniq_agent.state import RunState


def narrative(state: RunState) -> dict[str, Any]:
    return {"drafts": [deterministic_draft(state["source"].text, producer="narrative")]}
