"""validate_bundle: R4B model validation plus the checks the models do not make.

fhir.resources validates structure, cardinality, choice types and primitive formats, but not value-set
bindings, reference integrity, empty elements (ele-1) or code validity; those are checked here so that a
bundle that passes is one a FHIR validator should accept and whose codes are real.
"""

from __future__ import annotations

from typing import Any, Iterator

import regex
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from cliniq_agent.core.code_systems import code_systems
from cliniq_agent.fhir import tables
from cliniq_agent.fhir.profiles import claimed_profile_problems
from cliniq_agent.validate import check_code

_URN_UUID = regex.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_RELATIVE = regex.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$")
_MAX_LISTED = 12


def _walk(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


def _values_at(node: Any, parts: list[str]) -> Iterator[Any]:
    if isinstance(node, list):
        for item in node:
            yield from _values_at(item, parts)
        return
    if not parts:
        yield node
        return
    if isinstance(node, dict) and parts[0] in node:
        yield from _values_at(node[parts[0]], parts[1:])


def _model_errors(bundle: dict[str, Any]) -> list[str]:
    try:
        Bundle.model_validate(bundle)
    except ValidationError as err:
        problems = []
        entries = bundle.get("entry") if isinstance(bundle.get("entry"), list) else []
        for error in err.errors():
            loc = list(error["loc"])
            if len(loc) > 2 and loc[0] == "entry" and isinstance(loc[1], int) and loc[1] < len(entries):
                kind = (entries[loc[1]].get("resource") or {}).get("resourceType", "?")
                loc[1] = f"{loc[1]}({kind})"
            location = ".".join(str(part) for part in loc)
            problems.append(f"{location}: {error['msg']}")
        return problems or [str(err)]
    return []


def _empty_elements(resource: dict[str, Any], where: str) -> list[str]:
    return [
        f"{path}: empty element (ele-1)"
        for path, value in _walk(resource, where)
        if value == {} or value == [] or (isinstance(value, str) and not value.strip())
    ]


def _bindings(resource: dict[str, Any], where: str) -> list[str]:
    problems = []
    for resource_type, path, allowed in tables.required_bindings():
        if resource.get("resourceType") != resource_type:
            continue
        for value in _values_at(resource, path.split(".")):
            if isinstance(value, str) and value not in allowed:
                problems.append(f"{where}.{path}: '{value}' is not in the required value set")
    return problems


def _codings(resource: dict[str, Any], where: str) -> list[str]:
    problems = []
    systems = code_systems()
    by_uri = {info.uri: info for info in systems.values()}
    oid_to_uri = {f"urn:oid:{oid}": info.uri for info in systems.values() for oid in info.oids}
    for path, node in _walk(resource, where):
        if not isinstance(node, dict) or "system" not in node or "code" not in node:
            continue
        system, code = node["system"], node["code"]
        if system in oid_to_uri and oid_to_uri[system] != system:
            problems.append(f"{path}: system {system} must be written {oid_to_uri[system]}")
        info = by_uri.get(system)
        if info is not None and info.checked and isinstance(code, str):
            reason = check_code(info.key, code)
            if reason is not None:
                problems.append(f"{path}: invalid {info.key} code {code!r} ({reason})")
    return problems


def _references(resource: dict[str, Any], where: str, full_urls: set[str], typed_ids: set[str]) -> list[str]:
    contained_ids = {c.get("id") for c in resource.get("contained", []) if isinstance(c, dict)}
    referenced_local: set[str] = set()
    problems = []
    for path, node in _walk(resource, where):
        if not isinstance(node, dict) or not isinstance(node.get("reference"), str):
            continue
        target = node["reference"]
        if target.startswith("#"):
            referenced_local.add(target[1:])
            if target[1:] not in contained_ids:
                problems.append(f"{path}: '{target}' names no contained resource")
        elif target.startswith("urn:uuid:"):
            if target not in full_urls:
                problems.append(f"{path}: '{target}' is not the fullUrl of any entry")
        elif _RELATIVE.match(target) and target not in typed_ids:
            problems.append(f"{path}: '{target}' is not in the bundle")
    for contained_id in contained_ids - referenced_local:
        problems.append(f"{where}.contained '{contained_id}' is never referenced (dom-3)")
    return problems


def bundle_problems(bundle: dict[str, Any]) -> list[str]:
    """Every problem found; an empty list means the bundle is valid."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return ["not a FHIR Bundle (resourceType must be 'Bundle')"]
    problems = _model_errors(bundle)
    entries = bundle.get("entry", [])
    full_urls: set[str] = set()
    typed_ids = set()
    for index, entry in enumerate(entries):
        url = entry.get("fullUrl")
        resource = entry.get("resource") or {}
        if not url:
            problems.append(f"entry[{index}]: fullUrl missing")
        elif url in full_urls:
            problems.append(f"entry[{index}]: duplicate fullUrl {url}")
        elif url.startswith("urn:uuid:") and not _URN_UUID.match(url):
            problems.append(f"entry[{index}]: fullUrl {url} is not urn:uuid:<lower-case uuid>")
        full_urls.add(url)
        if resource.get("id"):
            typed_ids.add(f"{resource.get('resourceType')}/{resource['id']}")
    problems += _empty_elements(bundle, "Bundle")
    problems += _bindings(bundle, "Bundle")
    problems += claimed_profile_problems(bundle, "Bundle")
    for index, entry in enumerate(entries):
        resource = entry.get("resource") or {}
        where = f"entry[{index}]({resource.get('resourceType', '?')})"
        problems += _bindings(resource, where)
        for contained in resource.get("contained", []):
            problems += _bindings(contained, f"{where}.contained")
        problems += _codings(resource, where)
        problems += _references(resource, where, full_urls, typed_ids)
        problems += claimed_profile_problems(resource, where)
    return problems


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Raise ValueError listing what is wrong when ``bundle`` is not a valid R4 Bundle; return None otherwise."""
    problems = bundle_problems(bundle)
    if problems:
        listed = "\n  ".join(problems[:_MAX_LISTED])
        more = f"\n  … and {len(problems) - _MAX_LISTED} more" if len(problems) > _MAX_LISTED else ""
        raise ValueError(f"invalid FHIR Bundle ({len(problems)} problem(s)):\n  {listed}{more}")
