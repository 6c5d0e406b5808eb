"""known_format: the deterministic route for known-format clinician text (no LLM): line parser,
regex and lookup tiers, then the agent's deterministic decisions for mentions left uncoded."""

from __future__ import annotations

from typing import Any

from cliniq_agent.core.state import RunState
from cliniq_agent.text.tiers import agent_pass, deterministic_draft


def known_format(state: RunState) -> dict[str, Any]:
    text = state["source"].text
    base = deterministic_draft(text, producer="known_format")
    agent_draft, dropped = agent_pass(text, base, state["options"], producer="known_format_agent")
    return {"drafts": [base, agent_draft], "excluded_upstream": dropped}
