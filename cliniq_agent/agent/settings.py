"""Agent settings from kb/agent/agent.toml."""

from __future__ import annotations

import tomllib
from functools import lru_cache

from pydantic import BaseModel

from cliniq_agent.core.resources import kb_path


class AgentSettings(BaseModel):
    k: int
    accept: float
    ask: float
    max_turns: int
    max_seconds: float
    require_agreement: bool
    confirm_with_model: bool
    systems: dict[str, str]


@lru_cache(maxsize=1)
def agent_settings() -> AgentSettings:
    data = tomllib.loads(kb_path("agent", "agent.toml").read_text(encoding="utf-8"))
    return AgentSettings(**data["retrieval"], **data["turns"], systems=data["systems"])
