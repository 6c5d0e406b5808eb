"""Lookup tables for the FHIR builder, read from ``kb/fhir/*.tsv``.

The codes, URIs and mappings live in data files (each names its source in a header comment) so that a
reviewer can check them against the HL7 specifications without reading Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from cliniq_agent.core import tsv
from cliniq_agent.core.code_systems import system_uri
from cliniq_agent.core.resources import kb_path

__all__ = ["system_uri"]  # key -> FHIR URI, from the one code-system table (kb/terminology/code_systems.tsv)


@dataclass(frozen=True)
class FixedCode:
    system: str  # code-system key
    code: str
    display: str


@dataclass(frozen=True)
class VitalInfo:
    loinc: str
    display: str
    extra: tuple[tuple[str, str], ...]
    allowed: frozenset[str]
    default_unit: str | None
    unitless_ranges: tuple[tuple[float, float, str], ...]


@dataclass(frozen=True)
class UnitInfo:
    ucum: str
    display: str


def read_tsv(name: str) -> list[dict[str, str]]:
    """Rows of ``kb/fhir/<name>`` (read by the one TSV reader, core/tsv.py)."""
    return tsv.read_tsv(kb_path("fhir", name))


def _dash(value: str) -> str | None:
    return None if value in ("", "-") else value


def norm_text(text: str) -> str:
    """Case-folded, trimmed, '_'/'-' as spaces, runs of spaces collapsed: the key for word-valued tables."""
    return " ".join(text.replace("_", " ").replace("-", " ").casefold().split())


@lru_cache(maxsize=1)
def fixed_codes() -> dict[str, FixedCode]:
    return {row["key"]: FixedCode(row["system"], row["code"], row["display"]) for row in read_tsv("fixed_codes.tsv")}


@lru_cache(maxsize=1)
def extension_urls() -> dict[str, str]:
    return {row["key"]: row["url"] for row in read_tsv("extensions.tsv")}


@lru_cache(maxsize=1)
def vitals() -> dict[str, VitalInfo]:
    table = {}
    for row in read_tsv("vitals.tsv"):
        extra = tuple(tuple(part.split("=", 1)) for part in row["extra"].split("|") if part != "-")
        ranges = []
        for part in row["unitless_ranges"].split("|"):
            if part == "-":
                continue
            span, unit = part.split("=", 1)
            low, high = span.split("-", 1)
            ranges.append((float(low), float(high), unit))
        table[row["name"]] = VitalInfo(
            loinc=row["loinc"],
            display=row["display"],
            extra=extra,  # type: ignore[arg-type]
            allowed=frozenset(row["allowed"].split("|")),
            default_unit=_dash(row["default_unit"]),
            unitless_ranges=tuple(ranges),
        )
    return table


@lru_cache(maxsize=1)
def _units() -> tuple[dict[str, UnitInfo], dict[str, UnitInfo]]:
    exact: dict[str, UnitInfo] = {}
    folded: dict[str, UnitInfo] = {}
    for row in read_tsv("units.tsv"):
        info = UnitInfo(row["ucum"], row["display"])
        exact[row["written"]] = info
        if len(row["written"]) > 1:  # single letters (C, F, g, m, s) only match exactly
            folded.setdefault(row["written"].casefold(), info)
    return exact, folded


def lookup_unit(written: str) -> UnitInfo | None:
    exact, folded = _units()
    text = written.strip()
    return exact.get(text) or (folded.get(text.casefold()) if len(text) > 1 else None)


@lru_cache(maxsize=1)
def interpretations() -> dict[str, FixedCode]:
    return {
        row["written"].casefold(): FixedCode("v3-observation-interpretation", row["code"], row["display"])
        for row in read_tsv("interpretation.tsv")
    }


@lru_cache(maxsize=1)
def statuses() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for row in read_tsv("statuses.tsv"):
        key = row["written"] if row["written"].startswith("*") else norm_text(row["written"])
        table.setdefault(row["domain"], {})[key] = row["code"]
    return table


@lru_cache(maxsize=1)
def condition_statuses() -> dict[str, tuple[str | None, str | None]]:
    return {
        (row["written"] if row["written"] == "*" else norm_text(row["written"])): (
            _dash(row["clinical"]),
            _dash(row["verification"]),
        )
        for row in read_tsv("condition_status.tsv")
    }


@lru_cache(maxsize=1)
def genders() -> dict[str, str]:
    return {row["written"].casefold(): row["code"] for row in read_tsv("gender.tsv")}


@lru_cache(maxsize=1)
def race_ethnicity() -> dict[tuple[str, str], FixedCode]:
    return {
        (row["kind"], norm_text(row["written"])): FixedCode("cdcrec", row["code"], row["display"])
        for row in read_tsv("race_ethnicity.tsv")
    }


@lru_cache(maxsize=1)
def encounter_classes() -> tuple[tuple[regex.Pattern[str], FixedCode], ...]:
    return tuple(
        (regex.compile(row["pattern"], regex.IGNORECASE), FixedCode("v3-actcode", row["code"], row["display"]))
        for row in read_tsv("encounter_class.tsv")
    )


@lru_cache(maxsize=1)
def condition_categories() -> tuple[tuple[regex.Pattern[str], str], ...]:
    return tuple(
        (regex.compile(row["pattern"], regex.IGNORECASE), row["category"])
        for row in read_tsv("condition_category.tsv")
    )


@lru_cache(maxsize=1)
def required_bindings() -> tuple[tuple[str, str, frozenset[str]], ...]:
    return tuple(
        (row["resource"], row["path"], frozenset(row["codes"].split("|"))) for row in read_tsv("required_bindings.tsv")
    )
