"""fhir-coverage bench and round-trip count: how much of each CDA document reaches its FHIR bundle.

For every CDA file the engine accepts: the bundle size (resources per type), the conversion time, the entries
converted and skipped per resource type (with the parser's or the merge step's reason), and the round trip of
codes — every code (primary and ``<translation>``) of the coded element each final item rests on, read straight
from the XML at the item's evidence locator (kb/fhir/roundtrip.tsv says which element), looked up among the
bundle's codings. A code that is not there is "not carried" unless it is a structural placeholder the parser
refuses (problem-type / section codes), a nullFlavor token, or a code that fails its system's check.
"""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from lxml import etree

from cliniq_agent.core.code_systems import by_document_name, by_oid, code_systems
from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.tsv import read_tsv
from cliniq_agent.validate import check_code, normalize_code

CDA_NS = {"cda": "urn:hl7-org:v3"}
_MAX_TRANSLATION_DEPTH = 2  # as the parser reads them (cda/codes.read_coded)

#: the compact item list -> the resource type its items become
LIST_RESOURCE = {"conditions": "Condition", "labs": "Observation", "vitals": "Observation",
                 "meds": "MedicationStatement", "immunizations": "Immunization", "allergies": "AllergyIntolerance",
                 "procedures": "Procedure", "orders": "ServiceRequest", "reports": "DiagnosticReport"}

#: parser note prefixes (cda/*.py ``ctx.note``) that mean "this entry was not converted" -> resource type
_SKIP_NOTES = (
    ("problem observation", "Condition"), ("negated problem observation", "Condition"),
    ("result observation", "Observation"), ("vital sign", "Observation"),
    ("planned observation", "ServiceRequest"), ("medication", "MedicationStatement"),
    ("immunization", "Immunization"),
)


@dataclass(frozen=True)
class CdaCode:
    """One code written in the document: where, in which system (FHIR URI or urn:oid:), and its verdict."""

    item_list: str
    locator: str
    system: str | None
    code: str
    reason: str | None  # None: must be in the bundle; else why it need not be


@lru_cache(maxsize=1)
def coded_paths() -> dict[str, tuple[str, ...]]:
    return {row["list"]: tuple(row["paths"].split("|")) for row in read_tsv(kb_path("fhir", "roundtrip.tsv"))}


def _system(el: etree._Element) -> tuple[str | None, str | None]:
    """(system key or None, FHIR system URI / urn:oid:) of a CDA coded element."""
    oid, name = el.get("codeSystem"), el.get("codeSystemName")
    system = by_oid().get(oid) if oid else None
    if system is None and name:
        system = by_document_name().get(name.strip().lower())
    if system is not None:
        return system.key, system.uri
    return None, f"urn:oid:{oid}" if oid else None


def _codes_of(el: etree._Element, depth: int = 0) -> Iterator[etree._Element]:
    if el.get("code"):
        yield el
    if depth < _MAX_TRANSLATION_DEPTH:
        for translation in el.findall("cda:translation", CDA_NS):
            yield from _codes_of(translation, depth + 1)


def _verdict(key: str | None, code: str, kb) -> tuple[str, str | None]:
    """(code as the bundle would write it, reason it need not be there or None)."""
    if code.upper() in kb.null_flavor_codes:
        return code, "nullFlavor token"
    if kb.is_artefact(key, code):
        return code, "structural code (problem type / section / panel)"
    if key is not None and code_systems()[key].checked:
        if check_code(key, code) is not None:
            return code, f"invalid {key} code"
        return normalize_code(key, code), None
    return code.strip(), None


def cda_codes(record, root: etree._Element) -> list[CdaCode]:
    """Every code of the coded elements the final record's CDA-entry items rest on."""
    from cliniq_agent.cda.rules import default_kb

    kb = default_kb()
    tree = root.getroottree()
    found: list[CdaCode] = []
    seen: set[tuple[str, str, str | None, str]] = set()
    for list_name in (*record.ITEM_LISTS, *getattr(record, "ACT_LISTS", ())):
        paths = coded_paths().get(list_name, ("cda:code",))
        for item in getattr(record, list_name):
            for evidence in item.evidence:
                if evidence.tier.value != "cda_entry" or not (evidence.locator or "").startswith("/"):
                    continue
                for entry in tree.xpath(evidence.locator, namespaces=CDA_NS):
                    for path in paths:
                        for coded in entry.xpath(path, namespaces=CDA_NS):
                            for el in _codes_of(coded):
                                key, system = _system(el)
                                code, reason = _verdict(key, el.get("code"), kb)
                                mark = (list_name, evidence.locator, system, code)
                                if mark not in seen:
                                    seen.add(mark)
                                    found.append(CdaCode(list_name, evidence.locator, system, code, reason))
    return found


def bundle_codings(bundle: dict[str, Any]) -> set[tuple[str, str]]:
    """(system, code) of every Coding anywhere in the bundle."""
    codings: set[tuple[str, str]] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("system"), str) and isinstance(node.get("code"), str):
                codings.add((node["system"], node["code"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bundle)
    return codings


def missing_codes(record, root: etree._Element, bundle: dict[str, Any]) -> tuple[list[CdaCode], list[CdaCode]]:
    """(codes the bundle must carry, those of them it does not carry)."""
    present = bundle_codings(bundle)
    required = [c for c in cda_codes(record, root) if c.reason is None and c.system]
    return required, [c for c in required if (c.system, c.code) not in present]


# ------------------------------------------------------------------ the bench

@dataclass
class Coverage:
    files: int = 0
    failed: list[str] = field(default_factory=list)
    resources: Counter = field(default_factory=Counter)        # resource type -> count over all bundles
    skipped: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # type -> reason -> n
    codes_required: Counter = field(default_factory=Counter)   # item list -> codes the bundle must carry
    codes_missing: Counter = field(default_factory=Counter)
    codes_excused: Counter = field(default_factory=Counter)    # reason -> n
    missing_examples: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    extract_ms: list[float] = field(default_factory=list)
    bundle_ms: list[float] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    document_sizes: list[int] = field(default_factory=list)   # the fhir-document form
    document_ms: list[float] = field(default_factory=list)
    profiles: Counter = field(default_factory=Counter)         # profile -> resources claiming it (collection)


def _reason_class(note: str) -> str:
    """A parser note without its item names and XPath, so equal reasons count together."""
    note = re.sub(r"\s*\[/.*$", "", note)  # the XPath
    note = re.sub(r"'[^']*'|\"[^\"]*\"", "…", note)
    return re.sub(r"\b\d[\d.\-]*\b", "#", note)


def _skip_type(note: str) -> str | None:
    lowered = note.lower()
    if "skipped" not in lowered and "nothing to report" not in lowered:
        return None
    for prefix, resource_type in _SKIP_NOTES:
        if lowered.startswith(prefix):
            return resource_type
    return None


def measure(files: list[Path], *, builder=None) -> Coverage:
    """Convert every file (deterministic tiers) and count what reached the bundle."""
    from cliniq_agent.api import extract
    from cliniq_agent.cda import parse_cda
    from cliniq_agent.core.errors import InputError
    from cliniq_agent.core.xmlsafe import parse_xml
    from cliniq_agent.fhir import build_bundle, validate_bundle
    from cliniq_agent.fhir.document import build_document

    builder = builder or build_bundle
    result = Coverage()
    for path in files:
        clock = time.perf_counter()
        try:
            extraction = extract(path, use_llm=False, persist_trace=False)
        except InputError:
            continue  # refused input (an RR, a C-CDA fragment): not converted by design
        result.extract_ms.append((time.perf_counter() - clock) * 1000)
        clock = time.perf_counter()
        bundle = builder(extraction.record, run_id=extraction.run_id, source_name=path.name,
                         source_sha256=extraction.source_sha256)
        result.bundle_ms.append((time.perf_counter() - clock) * 1000)
        result.files += 1
        try:
            validate_bundle(bundle)
        except ValueError as err:
            result.invalid.append(f"{path.name}: {str(err).splitlines()[0]}")
        clock = time.perf_counter()
        document = build_document(extraction.record, run_id=extraction.run_id, source_name=path.name,
                                  source_sha256=extraction.source_sha256)
        result.document_ms.append((time.perf_counter() - clock) * 1000)
        result.document_sizes.append(len(document["entry"]))
        try:
            validate_bundle(document)
        except ValueError as err:
            result.invalid.append(f"{path.name} (document): {str(err).splitlines()[0]}")
        entries = bundle.get("entry", [])
        result.sizes.append(len(entries))
        result.profiles.update(p.rsplit("/", 1)[-1] for e in entries for p in e["resource"].get("meta", {}).get("profile", []))
        result.resources.update(e["resource"]["resourceType"] for e in entries)
        root = parse_xml(path.read_bytes(), name=str(path))
        for note in parse_cda(root, source_name=path.name).notes:
            resource_type = _skip_type(note)
            if resource_type:
                result.skipped[resource_type][_reason_class(note)] += 1
        for excluded in extraction.excluded:
            resource_type = LIST_RESOURCE.get(excluded.kind, excluded.kind)
            result.skipped[resource_type][f"not asserted: {_reason_class(excluded.reason)}"] += 1
        required, missing = missing_codes(extraction.record, root, bundle)
        for code in cda_codes(extraction.record, root):
            if code.reason is not None:
                result.codes_excused[code.reason] += 1
        for code in required:
            result.codes_required[code.item_list] += 1
        for code in missing:
            result.codes_missing[code.item_list] += 1
            if len(result.missing_examples) < 12:
                result.missing_examples.append(f"{path.name}: {code.item_list} {code.system} {code.code}")
    return result


def print_coverage(result: Coverage, console) -> None:
    from rich.table import Table

    table = Table(title=f"FHIR coverage over {result.files} converted CDA files")
    for column in ("resource type", "in bundles", "skipped", "why skipped (top 3)"):
        table.add_column(column)
    for resource_type in sorted(set(result.resources) | set(result.skipped)):
        reasons = result.skipped.get(resource_type, Counter())
        top = "; ".join(f"{n}× {reason}" for reason, n in reasons.most_common(3))
        table.add_row(resource_type, str(result.resources.get(resource_type, 0)), str(sum(reasons.values())), top)
    console.print(table)
    codes = Table(title="Round trip: codes of the converted CDA entries (code + translations) found in the bundle")
    for column in ("item list", "codes", "in bundle", "not carried"):
        codes.add_column(column)
    for list_name in sorted(result.codes_required):
        required, missing = result.codes_required[list_name], result.codes_missing[list_name]
        codes.add_row(list_name, str(required), str(required - missing), str(missing))
    console.print(codes)
    excused = ", ".join(f"{reason} {n}" for reason, n in result.codes_excused.most_common())
    console.print(f"codes not required (parser refuses them by rule): {excused or 'none'}")
    for line in result.missing_examples:
        console.print(f"[yellow]not carried[/yellow] {line}")
    if result.sizes:
        console.print(
            f"resources per bundle: median {statistics.median(result.sizes):.0f}, max {max(result.sizes)}, "
            f"total {sum(result.sizes)}; Provenance {result.resources.get('Provenance', 0)}")
        console.print(
            f"conversion time: extract median {statistics.median(result.extract_ms):.1f} ms, "
            f"bundle build median {statistics.median(result.bundle_ms):.2f} ms "
            f"(p95 {sorted(result.bundle_ms)[int(0.95 * (len(result.bundle_ms) - 1))]:.2f} ms)")
    if result.document_sizes:
        console.print(f"fhir-document: resources per bundle median {statistics.median(result.document_sizes):.0f}, "
                      f"build median {statistics.median(result.document_ms):.2f} ms")
    claimed = ", ".join(f"{name} {n}" for name, n in result.profiles.most_common())
    console.print(f"meta.profile claims (collection bundles, each passing our checks): {claimed or 'none'}")
    console.print(f"bundles failing validate_bundle (collection and document): {len(result.invalid)}")
    for line in result.invalid[:10]:
        console.print(f"[red]invalid[/red] {line}")
