"""The agent's typed records: a candidate phrase with its decision, a model turn, and the report of one
agent run (what the trace, the review page, the bench and the metrics read — never the notes)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from cliniq_agent.rag import CodeHit

Kind = Literal["conditions", "labs", "meds"]


class Decision(StrEnum):
    """What the agent decided for one candidate phrase (``Candidate.verdict`` says why, for people)."""

    PENDING = "pending"                # not decided yet (proposed, retrieved)
    NO_HIT = "no-hit"                  # no code-index hit scores at least `ask`
    ACCEPTED = "accepted"              # the top hit scores at least `accept`
    MODEL_CHOSE = "model-chose"        # a model turn picked one of the hits
    MODEL_DECLINED = "model-declined"  # the model picked none, or not the index's top hit (require_agreement)
    FALLBACK = "fallback"              # no model, or turn cap / time budget reached: not accepted
    NOT_CURRENT = "not-current"        # the confirm turn: not a current diagnosis of the patient


CODED = frozenset({Decision.ACCEPTED, Decision.MODEL_CHOSE})  # decisions that may leave a code to ground


class Candidate(BaseModel):
    """A phrase to code, where it is, what kind of item it would be, and what the agent decided."""

    id: int
    kind: Kind
    phrase: str
    span: tuple[int, int]
    sentence: tuple[int, int]
    cue: str
    hits: list[CodeHit] = Field(default_factory=list)
    chosen: CodeHit | None = None
    decision: Decision = Decision.PENDING
    decided_by: str | None = None      # "retrieval" | "model" | "fallback" | "model-confirm"
    verdict: str | None = None         # why kept or dropped (for the trace)


class TurnRecord(BaseModel):
    """One model turn, as the trace shows it."""

    candidate: int
    kind: str
    question: str
    answer: str
    duration_ms: float
    prompt: str = ""  # the full prompt, for the review page


class AgentReport(BaseModel):
    """One agent run over one text (a note, or one CDA narrative section)."""

    producer: str
    locator: str | None = None          # the CDA section, when the text is one
    model: str | None = None            # None: deterministic decisions only
    candidates: list[Candidate] = Field(default_factory=list)
    turns: list[TurnRecord] = Field(default_factory=list)
