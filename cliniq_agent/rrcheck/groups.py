"""Condition groups: compare the engine's RCTC condition codes with the codes an RR names for its rules.

An RR names a condition by the code of the jurisdiction's rule (a child, a sibling, an ancestor or an older code
of the RCTC condition), so agreement is judged per group, never per code. The mapping is data:
kb/rrcheck/condition_groups.tsv (SNOMED CT is-a relations) and the parent column of
kb/terminology/condition_profile.tsv (RCTC condition refinements).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.tsv import read_tsv


@dataclass(frozen=True)
class GroupTable:
    """code -> RCTC condition code (non-RCTC codes), RCTC parent links, and the group names."""

    mapped: dict[str, tuple[str, str]]  # code -> (RCTC code, relation)
    parent: dict[str, str]
    generic: frozenset[str]
    names: dict[str, str]

    def group(self, code: str) -> str:
        """The RCTC condition code naming ``code``'s group (``code`` itself when nothing maps it)."""
        current = self.mapped.get(code, (code, ""))[0]
        seen = {current}
        while (up := self.parent.get(current)) and up not in self.generic and up not in seen:
            seen.add(up)
            current = up
        return current

    def relation(self, code: str) -> str:
        """How ``code`` reached its group: same, rctc-parent, or the SNOMED CT relation of the table."""
        if code in self.mapped:
            return self.mapped[code][1]
        return "same" if self.group(code) == code else "rctc-parent"

    def name(self, code: str) -> str | None:
        return self.names.get(code)


@lru_cache(maxsize=1)
def condition_groups() -> GroupTable:
    profile = read_tsv(kb_path("terminology", "condition_profile.tsv"))
    mapped = {row["code"]: (row["group"], row["relation"])
              for row in read_tsv(kb_path("rrcheck", "condition_groups.tsv"))}
    return GroupTable(
        mapped=mapped,
        parent={row["snomed"]: row["parent"] for row in profile if row["parent"]},
        generic=frozenset(row["snomed"] for row in profile if row["generic"] == "yes"),
        names={row["snomed"]: row["preferred"] for row in profile},
    )
