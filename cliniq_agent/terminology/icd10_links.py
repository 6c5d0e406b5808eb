"""ICD-10-CM prefix -> reportable condition links (kb/reportability/icd10_links.tsv), longest prefix wins."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex

from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.tsv import read_tsv
from cliniq_agent.validate.codes import normalize_code

_RANGE = regex.compile(r"^([A-Z])(\d[0-9A-Z])-([A-Z])(\d[0-9A-Z])$")
_CLASS = regex.compile(r"^(?P<head>[^\[]*)\[(?P<lo>.)-(?P<hi>.)\](?P<tail>.*)$")


@dataclass(frozen=True)
class IcdLink:
    prefix: str        # as written in the table (code, range or class pattern)
    condition: str     # RCTC SNOMED code, or "none" to block
    strength: str      # precise | broad | exposure
    expect: str        # regex the ICD-10-CM description must match (checked by tests)
    note: str = ""


def expand_prefix(prefix: str, categories: list[str] | None = None) -> list[str]:
    """Concrete code prefixes of a table prefix: a range needs the list of 3-character categories."""
    match = _RANGE.match(prefix)
    if match:
        low, high = match.group(1) + match.group(2), match.group(3) + match.group(4)
        return [cat for cat in (categories or []) if low <= cat <= high and len(cat) == 3]
    match = _CLASS.match(prefix)
    if match:
        return [f"{match['head']}{chr(c)}{match['tail']}" for c in range(ord(match["lo"]), ord(match["hi"]) + 1)]
    return [prefix]


def _compact(code: str) -> str:
    return normalize_code("icd10", code).replace(".", "")


class IcdLinkTable:
    """Lookup of the most specific link for an ICD-10-CM code."""

    def __init__(self, links: list[IcdLink]) -> None:
        self.links = links
        self._exact: dict[str, IcdLink] = {}
        self._ranges: list[tuple[str, str, IcdLink]] = []
        for link in links:
            match = _RANGE.match(link.prefix)
            if match:
                self._ranges.append((match.group(1) + match.group(2), match.group(3) + match.group(4), link))
            else:
                for prefix in expand_prefix(link.prefix):
                    self._exact[_compact(prefix)] = link

    def best(self, code: str) -> IcdLink | None:
        """Longest matching prefix (a 3-character range counts as a category-length prefix)."""
        compact = _compact(code)
        for length in range(len(compact), 2, -1):
            link = self._exact.get(compact[:length])
            if link is not None:
                return link
        category = compact[:3]
        for low, high, link in self._ranges:
            if low <= category <= high:
                return link
        return None


def load_icd10_links(path: Path | None = None) -> IcdLinkTable:
    return _load(str(path or kb_path("reportability", "icd10_links.tsv")))


@lru_cache(maxsize=4)
def _load(path: str) -> IcdLinkTable:
    rows = read_tsv(Path(path))
    return IcdLinkTable([IcdLink(r["prefix"], r["condition"], r["strength"], r["expect"], r.get("note", ""))
                         for r in rows])
