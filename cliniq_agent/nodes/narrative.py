"""narrative: free text. Labelled lines, inline code markers (regex tier) and KB names (lookup tier)
first; then the agent codes the phrases those tiers left uncoded (code index + small-model turns)."""

from __future__ import annotations

from typing import Any

from cliniq_agent.core.state import RunState
from cliniq_agent.text.tiers import agent_pass, deterministic_draft


def narrative(state: RunState) -> dict[str, Any]:
    text = state["source"].text
    base = deterministic_draft(text, producer="narrative")
    agent_draft, dropped = agent_pass(text, base, state["options"], producer="narrative_agent")
    return {"drafts": [base, agent_draft], "excluded_upstream": dropped}
