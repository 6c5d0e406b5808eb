#!/usr/bin/env python3
"""Build the generated kb/terminology tables from the shared sources (run by a maintainer, output committed).

Reads ../shared/data (never read by product code):
  * kb-sources/rctc.csv                 -> rctc_conditions.tsv, rctc_valuesets.tsv
  * external/{hl7,hl7-ccda-examples,dibbs-fhir-converter,refiner}/**/*.xml (published HL7 IG / C-CDA examples
    and CDC fixtures)                   -> loinc.tsv, snomed.tsv, rxnorm.tsv, cvx.tsv (code/display pairs)
  * seed/train-compact.jsonl            -> more LOINC / RxNorm pairs (SNOMED from the seed is not used: the seed
                                           reuses one SNOMED code for different diseases)
  * simple-icd-10-cm + kb/reportability/icd10_links.tsv -> icd10cm_reportable.tsv
Never read: external/phdi-dev (the 30 vendor eICR/RR pairs are the reportability dev set: their local test and
drug names would be knowledge fitted to it), seed/val-compact.jsonl and seed/sample_eicr_01.xml (scored or pinned
by the benchmarks) and every seed test set.
Every harvested code is validated with cliniq_agent.validate.check_code; codes whose names conflict are resolved in
favour of the CDA samples' displayName or dropped. Everything dropped is listed in harvest_dropped.tsv with a reason.

Usage: python scripts/harvest_kb.py [--shared PATH] [--out kb/terminology]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import regex

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cliniq_agent.core.errors import InputError  # noqa: E402
from cliniq_agent.terminology.icd10_links import load_icd10_links  # noqa: E402
from cliniq_agent.validate import check_code  # noqa: E402
from cliniq_agent.core.xmlsafe import parse_xml  # noqa: E402

OID_SYSTEM = {
    "2.16.840.1.113883.6.1": "loinc",
    "2.16.840.1.113883.6.96": "snomed",
    "2.16.840.1.113883.6.88": "rxnorm",
    "2.16.840.1.113883.12.292": "cvx",
}
HARVESTED = ("loinc", "snomed", "rxnorm", "cvx")
JUNK_NAMES = {"removed", "escaped", '"escaped"', "na", "unk", "null", "also escaped"}
MNEMONIC = regex.compile(r"^[A-Z0-9]{4,}$")
RXCUI_SUFFIX = regex.compile(r"\s*-\s*RXCUI\s+C?\d+\s*$", regex.IGNORECASE)
HCC_SUFFIX = regex.compile(r"\s*\(HCC\)\s*$")
TOKEN = regex.compile(r"[a-z0-9]+")
STOP = {"the", "and", "for", "with", "of", "in", "by", "or", "to", "a", "an", "on", "at", "ql", "qn"}
HL7_NS = "{urn:hl7-org:v3}"


@dataclass
class Candidate:
    """Everything seen for one code: display names and local (originalText) names by source kind."""

    display: Counter = field(default_factory=Counter)
    local: Counter = field(default_factory=Counter)
    seed: Counter = field(default_factory=Counter)
    kinds: set = field(default_factory=set)


def source_kind(path: Path, shared: Path) -> str:
    folder = path.relative_to(shared).parts[1]
    doc = "rr" if "RR" in path.name else "eicr"
    return {"hl7": "hl7-sample", "hl7-ccda-examples": "hl7-ccda-example", "dibbs-fhir-converter": "cdc-converter-sample",
            "refiner": "cdc-refiner-sample"}.get(folder, folder) + f":{doc}"


def clean_name(name: str | None) -> str | None:
    if not name:
        return None
    name = " ".join(name.replace("\u200b", "").split())
    name = RXCUI_SUFFIX.sub("", name)
    name = HCC_SUFFIX.sub("", name).strip(" \\")
    if not name or name.lower() in JUNK_NAMES or MNEMONIC.match(name):
        return None
    return name


def tokens(name: str) -> set[str]:
    return {token for token in TOKEN.findall(name.lower()) if token not in STOP and len(token) > 1}


def compatible(a: str, b: str) -> bool:
    """Two names can name the same concept when they share a token or a 5+ character token stem."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb or ta & tb:
        return True
    return any(len(x) >= 3 and len(y) >= 3 and (x.startswith(y) or y.startswith(x)) or x[:5] == y[:5] != ""
               and len(x) >= 5 and len(y) >= 5 for x in ta for y in tb)


def connected(names: list[str]) -> bool:
    """True when every name is linked to the others through a chain of compatible names."""
    names = list(dict.fromkeys(names))
    if len(names) < 2:
        return True
    reached, frontier = {names[0]}, [names[0]]
    while frontier:
        current = frontier.pop()
        for other in names:
            if other not in reached and compatible(current, other):
                reached.add(other)
                frontier.append(other)
    return len(reached) == len(names)


PUBLIC_CDA = ("hl7", "hl7-ccda-examples", "dibbs-fhir-converter", "refiner")  # published examples and fixtures
SEED_TRAINING = ("train-compact.jsonl",)  # the seed's training file; val-compact is the bench's `val` suite


def harvest_cda(shared: Path, pairs: dict[str, dict[str, Candidate]], dropped: list[list[str]]) -> int:
    files = [path for folder in PUBLIC_CDA for path in sorted((shared / "external" / folder).rglob("*.xml"))]
    for path in files:
        kind = source_kind(path, shared)
        try:
            root = parse_xml(path.read_bytes(), name=path.name)
        except InputError as err:
            dropped.append(["file", path.name, "", kind, f"unparseable: {err}"])
            continue
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            system = OID_SYSTEM.get(element.get("codeSystem") or "")
            code = (element.get("code") or "").strip()
            if not system or not code:
                continue
            cand = pairs[system][code]
            cand.kinds.add(kind)
            display = clean_name(element.get("displayName"))
            if display:
                cand.display[display] += 1
            original = element.find(f"{HL7_NS}originalText")
            if original is not None:
                text = clean_name("".join(original.itertext()))
                if text:
                    cand.local[text] += 1
    return len(files)


def harvest_seed(shared: Path, pairs: dict[str, dict[str, Candidate]]) -> None:
    fields = {"labs": ("loinc", "loinc"), "meds": ("rxnorm", "rxnorm")}
    for name in SEED_TRAINING:
        path = shared / "seed" / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            messages = record.get("messages") or record.get("conversations") or []
            answers = [m["content"] for m in messages if m.get("role") == "assistant"]
            try:
                gold = json.loads(answers[0]) if answers else {}
            except json.JSONDecodeError:
                continue
            for key, (system, code_key) in fields.items():
                for item in gold.get(key) or []:
                    code, item_name = item.get(code_key), clean_name(item.get("name"))
                    if code and item_name:
                        cand = pairs[system][str(code).strip()]
                        cand.seed[item_name] += 1
                        cand.kinds.add("seed-compact")


def resolve(system: str, code: str, cand: Candidate, dropped: list[list[str]],
            rctc_codes: frozenset[str] = frozenset()) -> list[str] | None:
    """One output row (code, display, names, provenance) or None (recorded in dropped)."""
    names = ";".join(sorted(set(cand.display) | set(cand.local) | set(cand.seed)))[:300]
    problem = check_code(system, code) if system in ("loinc", "snomed", "rxnorm", "cvx") else None
    if problem:
        dropped.append([system, code, names, ",".join(sorted(cand.kinds)), f"check_code: {problem}"])
        return None
    official = [name for name, _ in cand.display.most_common()]
    authoritative = system == "snomed" and code in rctc_codes  # the RCTC names the concept
    if not authoritative and not connected(official):
        dropped.append([system, code, names, ",".join(sorted(cand.kinds)), "conflicting displayName in CDA samples"])
        return None
    local = [name for name, _ in cand.local.most_common()]
    seed = [name for name, _ in cand.seed.most_common()]
    reference = official or local
    kept_seed = [name for name in seed if authoritative or not reference or connected([*reference, name])]
    for name in set(seed) - set(kept_seed):
        dropped.append([system, code, name, "seed", f"seed name conflicts with CDA sample name '{reference[0]}'"])
    if not reference and not connected(kept_seed):
        dropped.append([system, code, names, "seed", "conflicting seed names"])
        return None
    ordered = official + [n for n in local if n not in official] + [n for n in kept_seed if n not in official + local]
    if not ordered:
        dropped.append([system, code, "", ",".join(sorted(cand.kinds)), "no display name in any source"])
        return None
    display_kind = "display" if official else ("local" if local else "seed")
    provenance = sorted({k.split(":")[0] for k in cand.kinds})
    return [code, ordered[0], display_kind, "|".join(ordered[1:6]), ",".join(provenance)]


def component(display: str) -> str:
    """LOINC component (organism / analyte) from a long name or a local test name."""
    head = regex.split(r"\s*\[|,\s|\s+\(result\)", display, maxsplit=1, flags=regex.IGNORECASE)[0]
    return head.strip() or display


def write_tsv(path: Path, comment: list[str], header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        for line in comment:
            handle.write(f"# {line}\n")
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
        writer.writerow(header)
        writer.writerows(rows)


def clean_valueset(name: str) -> str:
    return " ".join(name.replace("_", "-").split())


def harvest_rctc(shared: Path, out: Path) -> tuple[int, int, frozenset[str]]:
    rows = list(csv.DictReader((shared / "kb-sources" / "rctc.csv").open(encoding="utf-8-sig")))
    conditions: dict[str, tuple[str, Counter]] = {}
    valuesets = []
    for row in rows:
        code = row["Condition Code"].strip()
        name = " ".join(row["Condition Name"].split())
        conditions.setdefault(code, (name, Counter()))[1][row["Type"].strip()] += 1
        valuesets.append([code, row["Type"].strip(), clean_valueset(row["Name"]), row["OID"].strip(),
                          row["Code System"].strip(), row["Status"].strip()])
    source = "CDC Reportable Conditions Trigger Codes (RCTC) value-set grouping, kb-sources/rctc.csv"
    write_tsv(out / "rctc_conditions.tsv",
              [f"Generated by scripts/harvest_kb.py from {source}.",
               "snomed = RCTC reportable condition code (SNOMED CT); rctc_name = its fully specified name;",
               "valuesets = number of RCTC value sets grouped under it, by type."],
              ["snomed", "rctc_name", "valuesets"],
              [[code, name, ";".join(f"{k}={v}" for k, v in sorted(types.items()))]
               for code, (name, types) in sorted(conditions.items(), key=lambda item: item[1][0].lower())])
    write_tsv(out / "rctc_valuesets.tsv",
              [f"Generated by scripts/harvest_kb.py from {source}.",
               "One row per RCTC value set: the condition it triggers, its type, name (underscores -> hyphens),",
               "OID and code system. Names only: the value-set expansions are not part of the source."],
              ["condition", "type", "name", "oid", "code_system", "status"], valuesets)
    return len(conditions), len(valuesets), frozenset(conditions)


def harvest_icd10(out: Path) -> int:
    import simple_icd_10_cm as icd  # noqa: PLC0415 (maintainer-only, slow import)

    links = load_icd10_links()
    all_codes = [code for code in icd.get_all_codes(True)
                 if icd.is_category_or_subcategory(code) or icd.is_extended_subcategory(code)]
    rows = []
    for code in all_codes:
        link = links.best(code)
        if link is None or link.condition == "none":
            continue
        rows.append([code, icd.get_description(code), icd.get_parent(code) or "", link.condition, link.prefix,
                     link.strength])
    version = "simple-icd-10-cm " + _package_version("simple-icd-10-cm")
    write_tsv(out / "icd10cm_reportable.tsv",
              [f"Generated by scripts/harvest_kb.py: every ICD-10-CM code ({version}, FY2026 April release data)",
               "under a prefix of kb/reportability/icd10_links.tsv, with its description, parent and linked",
               "RCTC condition. ICD-10-CM is public domain (CDC/NCHS). The full code set is read lazily from the",
               "package at run time, or from a user-imported order file."],
              ["code", "description", "parent", "condition", "prefix", "strength"], rows)
    return len(rows)


def _package_version(name: str) -> str:
    from importlib.metadata import version  # noqa: PLC0415

    return version(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "kb" / "terminology")
    args = parser.parse_args(argv)
    shared, out = args.shared.resolve(), args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    n_files, n_conditions, n_valuesets, counts, n_dropped = write_harvested_tables(shared, out)
    n_icd = harvest_icd10(out)
    print(f"files={n_files} rctc_conditions={n_conditions} rctc_valuesets={n_valuesets} "
          + " ".join(f"{s}={n}" for s, n in counts.items()) + f" icd10cm_reportable={n_icd} dropped={n_dropped}")
    return 0


def write_harvested_tables(shared: Path, out: Path) -> tuple[int, int, int, dict[str, int], int]:
    """The RCTC tables and the harvested code tables (not ICD-10-CM) from ``shared`` into ``out``.

    Also called by the reportable-cv benchmark with a ``shared`` tree that lacks the held-out eICR/RR pairs.
    """
    n_conditions, n_valuesets, rctc_codes = harvest_rctc(shared, out)
    pairs: dict[str, dict[str, Candidate]] = {system: defaultdict(Candidate) for system in HARVESTED}
    dropped: list[list[str]] = []
    n_files = harvest_cda(shared, pairs, dropped)
    harvest_seed(shared, pairs)
    counts = {}
    for system in HARVESTED:
        rows = [row for code, cand in sorted(pairs[system].items()) if (row := resolve(system, code, cand, dropped, rctc_codes))]
        header = ["code", "display", "display_kind", "other_names", "provenance"]
        if system == "loinc":
            header.insert(2, "component")
            rows = [row[:2] + [component(row[1])] + row[2:] for row in rows]
        write_tsv(out / f"{system}.tsv",
                  [f"Generated by scripts/harvest_kb.py: {system.upper()} code/display pairs harvested from the",
                   "published HL7 eICR/RR IG samples and C-CDA examples and the CDC converter and eCR Refiner fixtures"
                   + (" and the seed's training file (train-compact.jsonl)" if system in ("loinc", "rxnorm") else "")
                   + ".",
                   "Nothing comes from the phdi-dev vendor eICR/RR pairs (the reportability dev set) or any scored set.",
                   "Every code passed cliniq_agent.validate.check_code. display_kind: display = CDA displayName,",
                   "local = originalText (a sender's own test/drug name), seed = seed training data only.",
                   "provenance = source kinds the pair was seen in. Dropped codes: harvest_dropped.tsv."],
                  header, rows)
        counts[system] = len(rows)
    write_tsv(out / "harvest_dropped.tsv",
              ["Generated by scripts/harvest_kb.py: harvested codes NOT written to the KB, with the reason."],
              ["system", "code", "names", "sources", "reason"], sorted(dropped))
    return n_files, n_conditions, n_valuesets, counts, len(dropped)


if __name__ == "__main__":
    raise SystemExit(main())
