"""The one code-system table (kb/terminology/code_systems.tsv): key, OIDs, FHIR URI, spellings, checked or not.

Why one table: the CDA parser (OID -> key), the text tiers (OIDs in pasted XML), the terminology KB (any
spelling -> key), code validation (which systems are checked) and the FHIR builder (key -> URI) must agree on
every system; each used to keep its own copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.tsv import read_tsv


@dataclass(frozen=True)
class CodeSystem:
    key: str
    oids: tuple[str, ...]
    uri: str
    checked: bool  # codes pass cliniq_agent.validate.check_code before they are kept or emitted
    names: tuple[str, ...]  # codeSystemName spellings written in CDA documents
    aliases: tuple[str, ...]

    @property
    def oid(self) -> str | None:
        return self.oids[0] if self.oids else None


def _cells(value: str) -> tuple[str, ...]:
    return () if value in ("", "-") else tuple(part.strip() for part in value.split("|"))


@lru_cache(maxsize=1)
def code_systems() -> dict[str, CodeSystem]:
    """Every system by key, in table order (the checked ones first)."""
    return {
        row["key"]: CodeSystem(row["key"], _cells(row["oid"]), row["uri"], row["checked"] == "yes",
                               _cells(row["names"]), _cells(row["aliases"]))
        for row in read_tsv(kb_path("terminology", "code_systems.tsv"))
    }


@lru_cache(maxsize=1)
def checked_systems() -> tuple[str, ...]:
    """Keys whose codes are validated: the code fields of the schema's items."""
    return tuple(key for key, system in code_systems().items() if system.checked)


@lru_cache(maxsize=1)
def by_oid() -> dict[str, CodeSystem]:
    return {oid: system for system in code_systems().values() for oid in system.oids}


@lru_cache(maxsize=1)
def by_document_name() -> dict[str, CodeSystem]:
    """Lower-cased CDA codeSystemName -> system (only the ``names`` column: how documents spell systems)."""
    return {name.lower(): system for system in code_systems().values() for name in system.names}


@lru_cache(maxsize=1)
def _spellings() -> dict[str, str]:
    table: dict[str, str] = {}
    for system in code_systems().values():
        oids = [form for oid in system.oids for form in (oid, f"urn:oid:{oid}")]
        for spelling in (system.key, *oids, system.uri, *system.names, *system.aliases):
            table.setdefault(spelling.casefold(), system.key)
    return table


def resolve(spelling: str) -> str | None:
    """Key for any spelling of a system (key, OID, urn:oid:OID, URI, name, alias); None when unknown."""
    return _spellings().get(spelling.strip().casefold())


def system_uri(key: str) -> str:
    return code_systems()[key].uri
