"""meta.profile: the US Core / eCR profiles a resource is built to, claimed only when our checks pass.

kb/fhir/profiles.tsv says which profile each kind of resource is built to; kb/fhir/profile_checks.tsv lists, per
profile, the required elements, fixed patterns and bindings we check. A profile is claimed only when the resource
passes them all (a Condition without a code does not claim US Core), and validate_bundle re-runs the checks of
every profile a bundle claims, so hand-edited or merged bundles are held to the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator

from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.tsv import read_tsv

JSON = dict[str, Any]


@dataclass(frozen=True)
class ProfileRule:
    resource: str
    when: tuple[str, str] | None  # (path, value) or None for every resource of the type
    profile: str


@dataclass(frozen=True)
class ProfileCheck:
    check: str  # required | pattern | codes | systems | first
    path: str
    values: tuple[str, ...]
    conformance: str


_CHECKS = ("required", "pattern", "codes", "systems", "first")


@lru_cache(maxsize=1)
def profile_rules() -> tuple[ProfileRule, ...]:
    rules = []
    for row in read_tsv(kb_path("fhir", "profiles.tsv")):
        when = None if row["when"] == "*" else tuple(row["when"].split("=", 1))
        rules.append(ProfileRule(row["resource"], when, row["profile"]))  # type: ignore[arg-type]
    return tuple(rules)


@lru_cache(maxsize=1)
def profile_checks() -> dict[str, tuple[ProfileCheck, ...]]:
    table: dict[str, list[ProfileCheck]] = {}
    for row in read_tsv(kb_path("fhir", "profile_checks.tsv")):
        if row["check"] not in _CHECKS:
            raise ValueError(f"kb/fhir/profile_checks.tsv: unknown check {row['check']!r}")
        if row["check"] == "pattern":
            values = tuple(row["values"].rsplit("|", 1))
        else:
            values = () if row["values"] == "-" else tuple(row["values"].split("|"))
        table.setdefault(row["profile"], []).append(ProfileCheck(row["check"], row["path"], values,
                                                                 row["conformance"]))
    missing = {rule.profile for rule in profile_rules()} - set(table)
    if missing:
        raise ValueError(f"kb/fhir/profiles.tsv claims profiles with no checks: {sorted(missing)}")
    return {profile: tuple(checks) for profile, checks in table.items()}


def _step(node: Any, name: str) -> Iterator[Any]:
    if isinstance(node, list):
        for item in node:
            yield from _step(item, name)
    elif isinstance(node, dict):
        if name.endswith("[x]"):
            stem = name[:-3]
            for key, value in node.items():
                if key.startswith(stem) and key[len(stem):len(stem) + 1].isupper():
                    yield value
        elif name in node:
            yield node[name]


def values_at(node: Any, path: str) -> list[Any]:
    """Every value at a dotted path, lists walked (``[x]`` matches any choice type)."""
    current = [node]
    for name in path.split("."):
        current = [found for item in current for found in _step(item, name)]
    flat: list[Any] = []
    for value in current:
        flat.extend(value if isinstance(value, list) else [value])
    return flat


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def check_problems(resource: JSON, profile: str) -> list[str]:
    """What ``resource`` lacks for ``profile`` (our checks of it); [] when it passes or we have no checks."""
    problems = []
    for check in profile_checks().get(profile, ()):
        found = values_at(resource, check.path)
        if check.check == "required" and not any(_present(v) for v in found):
            problems.append(f"{check.path} is required ({check.conformance})")
        elif check.check == "pattern":
            system, code = check.values
            if not any(isinstance(c, dict) and c.get("system") == system and c.get("code") == code for c in found):
                problems.append(f"{check.path} must hold {system}|{code} ({check.conformance})")
        elif check.check == "codes":
            bad = [v for v in found if isinstance(v, str) and v not in check.values]
            if bad:
                problems.append(f"{check.path} '{bad[0]}' is not in the bound value set ({check.conformance})")
        elif check.check == "systems":
            codings = [c for c in found if isinstance(c, dict)]
            if codings and not any(c.get("system") in check.values for c in codings):
                problems.append(f"{check.path} has no coding from {' / '.join(check.values)} ({check.conformance})")
        elif check.check == "first" and (not found or found[0] != check.values[0]):
            problems.append(f"{check.path} must start with {check.values[0]} ({check.conformance})")
    return problems


def _applies(rule: ProfileRule, resource: JSON) -> bool:
    if resource.get("resourceType") != rule.resource:
        return False
    if rule.when is None:
        return True
    path, value = rule.when
    return value in values_at(resource, path)


def claimable_profiles(resource: JSON) -> list[str]:
    """The profiles ``resource`` is built to and passes our checks of."""
    return [rule.profile for rule in profile_rules() if _applies(rule, resource) and not check_problems(resource, rule.profile)]


def claim_profiles(resource: JSON) -> JSON:
    """Set ``meta.profile`` on a resource dict (in place) to the profiles it may claim; returns it."""
    claimed = claimable_profiles(resource)
    if claimed:
        resource.setdefault("meta", {})["profile"] = claimed
    return resource


def claimed_profile_problems(resource: JSON, where: str) -> list[str]:
    """validate_bundle's check: every profile in meta.profile that we know must pass our checks."""
    problems = []
    for profile in (resource.get("meta") or {}).get("profile", []) or []:
        problems += [f"{where} claims {profile.rsplit('/', 1)[-1]}: {p}" for p in check_problems(resource, profile)]
    return problems
