"""The reportability scoring scheme and result wording, read from kb/reportability (data, not code)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

import regex

from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.tsv import read_tsv


@dataclass(frozen=True)
class Scoring:
    evidence: dict[str, float]
    suspected: float
    suspected_cues: regex.Pattern[str]
    scope: dict[str, float]
    min_confidence: float
    supporting_only: frozenset[str]


@dataclass(frozen=True)
class ResultTerms:
    """Ordered word classes (negative first) and the SNOMED / HL7 interpretation code classes."""

    words: tuple[tuple[str, regex.Pattern[str]], ...]
    snomed: dict[str, str]
    interpretation: dict[str, str]
    answers: dict[str, str]  # LOINC answer codes (LA...) of coded results


@lru_cache(maxsize=1)
def scoring() -> Scoring:
    config = tomllib.loads(kb_path("reportability", "scoring.toml").read_text(encoding="utf-8"))
    modifiers = config["modifiers"]
    return Scoring(
        evidence={key: float(value) for key, value in config["evidence"].items()},
        suspected=float(modifiers["suspected"]),
        suspected_cues=regex.compile(rf"(?<![a-z0-9])(?:{modifiers['suspected_cues']})(?![a-z0-9])"),
        scope={key: float(value) for key, value in config["scope"].items()},
        min_confidence=float(config["report"]["min_confidence"]),
        supporting_only=frozenset(config["report"]["supporting_only"]),
    )


@lru_cache(maxsize=1)
def result_terms() -> ResultTerms:
    words: list[tuple[str, regex.Pattern[str]]] = []
    snomed: dict[str, str] = {}
    interpretation: dict[str, str] = {}
    answers: dict[str, str] = {}
    for row in read_tsv(kb_path("reportability", "result_terms.tsv")):
        if row["kind"] == "word":
            words.append((row["class"], regex.compile(rf"(?<![a-z0-9])(?:{row['value']})(?![a-z0-9])")))
        elif row["kind"] == "snomed":
            snomed[row["value"]] = row["class"]
        elif row["kind"] == "interp":
            interpretation[row["value"]] = row["class"]
        elif row["kind"] == "loinc_answer":
            answers[row["value"]] = row["class"]
    return ResultTerms(tuple(words), snomed, interpretation, answers)
