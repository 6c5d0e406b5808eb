"""Medication and immunizing-agent hints at a reportable condition (kb/reportability/med_links.tsv).

A row matches a CVX code (``cvx:<code>``) or a pattern over the folded drug name; each hint has a strength
(moderate | weak) the reportability rules weigh. Kept beside the ICD-10 and text link tables it resembles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import regex

from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.tsv import read_tsv
from cliniq_agent.terminology.models import ConditionLink
from cliniq_agent.terminology.normalize import fold_key


@dataclass(frozen=True)
class MedLink:
    pattern: regex.Pattern[str] | None
    cvx: str | None
    condition: str
    strength: str  # moderate | weak
    source: str


@dataclass(frozen=True)
class MedLinkTable:
    links: tuple[MedLink, ...]

    def conditions(self, name: str | None = None, cvx: str | None = None) -> list[ConditionLink]:
        """Conditions a medication (by name) or immunizing agent (by CVX code) hints at, one link each."""
        key = fold_key(name) if name else ""
        found: list[ConditionLink] = []
        for med in self.links:
            hit = (med.cvx is not None and cvx is not None and med.cvx == cvx.strip()) or (
                med.pattern is not None and key and med.pattern.search(key))
            if hit and all(link.condition != med.condition for link in found):
                found.append(ConditionLink(condition=med.condition, via=f"med:{med.source[:60]}",
                                           strength=med.strength))
        return found


def load_med_links(path: Path | None = None) -> MedLinkTable:
    links = []
    for row in read_tsv(path or kb_path("reportability", "med_links.tsv")):
        match = row["match"]
        if match.startswith("cvx:"):
            links.append(MedLink(None, match[4:], row["condition"], row["strength"], match))
        else:
            pattern = regex.compile(rf"(?<![a-z0-9])(?:{match})(?![a-z0-9])")
            links.append(MedLink(pattern, None, row["condition"], row["strength"], match))
    return MedLinkTable(tuple(links))
