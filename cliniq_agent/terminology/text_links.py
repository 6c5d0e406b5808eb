"""Organism / analyte / disease-name patterns -> reportable condition (kb/reportability/text_links.tsv).

Patterns run on :func:`fold_key` text, wrapped in token boundaries. When several rows match one text, a match
whose span contains another's span wins ("salmonella typhi" over "salmonella", "german measles" over "measles").
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex

from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.tsv import read_tsv
from cliniq_agent.terminology.models import ConditionLink
from cliniq_agent.terminology.prefix_index import PrefixIndex
from cliniq_agent.terminology.normalize import fold_key

_QUANT = regex.compile(r"^>=\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>\S+)$")


@dataclass(frozen=True)
class Threshold:
    value: float
    unit: str


@dataclass(frozen=True)
class TextLink:
    row: int
    condition: str
    use: str                      # lab | dx | any
    pattern: regex.Pattern[str]
    exclude: regex.Pattern[str] | None
    require: regex.Pattern[str] | None
    quantitative: bool            # analyte measured as a number: needs a high flag or a threshold
    threshold: Threshold | None
    global_exclude: bool
    source: str                   # the pattern as written (for traces)


def _compile(expr: str) -> regex.Pattern[str] | None:
    expr = expr.strip()
    return regex.compile(rf"(?<![a-z0-9])(?:{expr})(?![a-z0-9])") if expr else None


def _threshold(quant: str) -> tuple[bool, Threshold | None]:
    parts = [part.strip() for part in quant.split("|") if part.strip()]
    threshold = None
    for part in parts:
        match = _QUANT.match(part)
        if match:
            threshold = Threshold(float(match["value"]), match["unit"])
    return bool(parts), threshold


class TextLinkTable:
    def __init__(self, links: list[TextLink], global_exclude: regex.Pattern[str] | None) -> None:
        self.links = links
        self.global_exclude = global_exclude
        self._by_use: dict[str, tuple[list[TextLink], PrefixIndex]] = {}
        for use in ("lab", "dx"):
            rows = [link for link in links if link.use in (use, "any")]
            self._by_use[use] = rows, PrefixIndex([link.source.strip() for link in rows])

    def _rows(self, key: str, use: str) -> list[TextLink]:
        """The rows of kind ``use`` whose pattern can match ``key`` (table order), via the prefix index."""
        indexed = self._by_use.get(use)
        if indexed is None:
            return [link for link in self.links if link.use in (use, "any")]
        rows, index = indexed
        return [rows[position] for position in index.candidates(key)]

    def match(self, text: str | None, use: str) -> list[tuple[TextLink, ConditionLink]]:
        """Rows of kind ``use`` (lab | dx) that apply to ``text``; span-contained matches are dropped."""
        if not text:
            return []
        key = fold_key(text)
        hits: list[tuple[TextLink, ConditionLink]] = []
        for link in self._rows(key, use):
            found = link.pattern.search(key)
            if not found:
                continue
            if link.exclude is not None and link.exclude.search(key):
                continue
            if link.require is not None and not link.require.search(key):
                continue
            if use == "dx" and link.global_exclude and self.global_exclude is not None \
                    and self.global_exclude.search(key):
                continue
            hits.append((link, ConditionLink(condition=link.condition, via=f"text:{link.row}:{link.source[:60]}",
                                             strength="precise", span=found.span(), matched=found.group(0))))
        return _drop_contained(hits)


def _drop_contained(hits: list[tuple[TextLink, ConditionLink]]) -> list[tuple[TextLink, ConditionLink]]:
    kept = []
    for link, cond in hits:
        start, end = cond.span or (0, 0)
        shadowed = any(
            other.condition != cond.condition and other.span is not None
            and other.span[0] <= start and end <= other.span[1] and (other.span[1] - other.span[0]) > (end - start)
            for _, other in hits
        )
        if not shadowed:
            kept.append((link, cond))
    seen: set[str] = set()
    unique = []
    for link, cond in kept:
        if cond.condition not in seen:
            seen.add(cond.condition)
            unique.append((link, cond))
    return unique


def load_text_links(path: Path | None = None, scoring: Path | None = None) -> TextLinkTable:
    return _load(str(path or kb_path("reportability", "text_links.tsv")),
                 str(scoring or kb_path("reportability", "scoring.toml")))


@lru_cache(maxsize=4)
def _load(path: str, scoring: str) -> TextLinkTable:
    links = []
    for number, row in enumerate(read_tsv(Path(path)), start=1):
        quantitative, threshold = _threshold(row.get("quant", ""))
        links.append(TextLink(
            row=number, condition=row["condition"], use=row["use"], pattern=_compile(row["pattern"]),
            exclude=_compile(row.get("exclude", "")), require=_compile(row.get("require", "")),
            quantitative=quantitative, threshold=threshold, global_exclude=row.get("gx", "yes") != "no",
            source=row["pattern"],
        ))
    config = tomllib.loads(Path(scoring).read_text(encoding="utf-8"))
    return TextLinkTable(links, _compile(config.get("dx", {}).get("global_exclude", "")))


@dataclass(frozen=True)
class LabLink:
    """A lab test linked to a condition, with the analyte row (quantitative flag / threshold) that matched."""

    link: ConditionLink
    row: TextLink
    name_source: str  # "kb" (LOINC display known to the KB) | "local" (the report's own test name)
