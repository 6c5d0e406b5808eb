"""text: the text tiers (text/tiers.py TIERS) over a clinician note, known-format or narrative alike. Its
draft becomes the base of the agent's job; on the fast path the model's codes complete it first."""

from __future__ import annotations

from typing import Any

from cliniq_agent.agent.propose import hand_over
from cliniq_agent.core.state import AgentJob, RunState
from cliniq_agent.text.tiers import agent_regions, run_tiers


def text(state: RunState) -> dict[str, Any]:
    route = state["route"]
    note, draft = run_tiers(state["source"].doc, producer=route)
    job = AgentJob(producer=f"{route}_agent", doc=note.doc, regions=agent_regions(note), base=draft)
    return {"agent_jobs": [job]} if route == "fast_path" else hand_over([job])
