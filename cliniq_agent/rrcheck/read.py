"""Read a Reportability Response: every condition it names, with each jurisdiction's determination.

The product's CDA parser decides that the document is an RR and which conditions it names
(``parse_cda(...).rr_conditions``); this module adds what the cross-check needs per jurisdiction — rule text,
timeframe, agencies — with the XPaths of kb/rrcheck/rr.toml.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from cliniq_agent.cda import parse_cda
from cliniq_agent.core.code_systems import code_systems
from cliniq_agent.core.errors import InputError
from cliniq_agent.core.ingest import read_source
from cliniq_agent.core.resources import kb_path
from cliniq_agent.rrcheck.groups import condition_groups
from cliniq_agent.rrcheck.models import Agency, Determination, RrCondition
from cliniq_agent.core.xmlsafe import parse_xml

NS = {"cda": "urn:hl7-org:v3"}
SNOMED_OID = code_systems()["snomed"].oid  # kb/terminology/code_systems.tsv


@lru_cache(maxsize=1)
def _config() -> dict[str, Any]:
    config = tomllib.loads(kb_path("rrcheck", "rr.toml").read_text(encoding="utf-8"))
    labels = tomllib.loads(kb_path("cda", "rr.toml").read_text(encoding="utf-8"))["determination"]
    config["labels"] = {code: entry["label"] for code, entry in labels.items()}
    config["xpaths"] = {key: etree.XPath(config[key], namespaces=NS)
                        for key in ("condition", "jurisdiction", "determination", "rule", "timeframe")}
    return config


def read_rr(source: str | bytes | Path, *, name: str | None = None) -> tuple[list[RrCondition], str, str]:
    """(conditions, source name, sha256) of an RR; InputError when it is not a readable RR."""
    document = read_source(source, name=name)
    root = parse_xml(document.raw, name=document.name)
    parsed = parse_cda(root, source_name=document.name)
    if parsed.doc_kind != "rr":
        raise InputError(f"{document.name}: not a Reportability Response (--rr needs the RR CDA document)")
    named = {r.snomed: r.name for r in parsed.rr_conditions}
    config, groups = _config(), condition_groups()
    conditions: dict[str, RrCondition] = {}
    for observation in config["xpaths"]["condition"](root):
        value = observation.find("cda:value", NS)
        code = (value.get("code") or "").strip() if value is not None else ""
        if not code or (value.get("codeSystem") or SNOMED_OID) != SNOMED_OID:
            continue  # the parser already noted it in the trace of an RR run
        condition = conditions.setdefault(code, RrCondition(
            code=code, name=named.get(code) or value.get("displayName"), group=groups.group(code),
            relation=groups.relation(code)))
        condition.determinations += [_determination(organizer, config, code)
                                     for organizer in config["xpaths"]["jurisdiction"](observation)]
    return list(conditions.values()), document.name, document.sha256


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None


def _determination(organizer: etree._Element, config: dict[str, Any], condition_code: str) -> Determination:
    xpaths = config["xpaths"]
    values = xpaths["determination"](organizer)
    code = values[0].get("code") if values else None
    relevance = organizer.find("cda:code", NS)
    return Determination(
        condition_code=condition_code, code=code,
        label=config["labels"].get(code or "") or (values[0].get("displayName") if values else None),
        found=code in config["found"]["codes"],
        location_relevance=relevance.get("displayName") if relevance is not None else None,
        rules=[text for value in xpaths["rule"](organizer) if (text := _text(value))],
        timeframe=_timeframe(xpaths["timeframe"](organizer)),
        agencies=_agencies(organizer, config["agencies"]),
    )


def _timeframe(values: list[etree._Element]) -> str | None:
    if not values:
        return None
    value = values[0]
    parts = [f"{value.get('value')} {value.get('unit') or ''}".strip() if value.get("value") else None]
    translation = value.find("cda:translation", NS)
    if translation is not None and translation.get("displayName"):
        parts.append(f"({translation.get('displayName')})")
    return " ".join(p for p in parts if p) or None


def _agencies(organizer: etree._Element, roles: dict[str, str]) -> list[Agency]:
    agencies = []
    for participant in organizer.findall("cda:participant", NS):
        roots = {t.get("root") for t in participant.findall("cda:templateId", NS)}
        role = next((roles[r] for r in roots if r in roles), None)
        if role is None:
            continue
        entity = participant.find("cda:participantRole", NS)
        ident = entity.find("cda:id", NS) if entity is not None else None
        name = _text(entity.find("cda:playingEntity/cda:name", NS)) if entity is not None else None
        agencies.append(Agency(role=role, name=name, id=ident.get("extension") if ident is not None else None))
    return agencies
