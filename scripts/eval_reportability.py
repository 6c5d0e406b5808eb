#!/usr/bin/env python3
"""Evaluate reportability determination on eICR/RR pairs (default: ../shared/data/external/phdi-dev/*/).

Gold = the RR's reportable-condition observations (templateId 2.16.840.1.113883.10.20.15.2.3.12, SNOMED CT in
value/@code). Prediction = determine_reportable() on a record built from the eICR with a small self-contained lxml
extraction (problem / diagnosis observations with translations, result observations with values and
interpretations, medications, immunizations, trigger-code templates). Micro precision / recall over cases, and a
per-case miss list. The extraction here is deliberately simple; the real pipeline uses cliniq_agent.cda.

Usage: python scripts/eval_reportability.py [--root DIR] [--include-jurisdictional] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cliniq_agent.reportability import assess_reportability  # noqa: E402
from cliniq_agent.schema import CompactRecord, Condition, Immunization, Lab, Med, Trigger  # noqa: E402
from cliniq_agent.terminology import TerminologyKB  # noqa: E402
from cliniq_agent.xmlsafe import parse_xml  # noqa: E402

NS = {"h": "urn:hl7-org:v3", "sdtc": "urn:hl7-org:sdtc", "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
SYSTEMS = {"2.16.840.1.113883.6.96": "snomed", "2.16.840.1.113883.6.90": "icd10", "2.16.840.1.113883.6.1": "loinc",
           "2.16.840.1.113883.6.88": "rxnorm", "2.16.840.1.113883.12.292": "cvx"}
PROBLEM_OBS = "2.16.840.1.113883.10.20.22.4.4"
RESULT_OBS = "2.16.840.1.113883.10.20.22.4.2"
IMMUNIZATION = "2.16.840.1.113883.10.20.22.4.52"
TRIGGER_TEMPLATES = {"2.16.840.1.113883.10.20.15.2.3.3": "problem trigger template",
                     "2.16.840.1.113883.10.20.15.2.3.2": "result trigger template",
                     "2.16.840.1.113883.10.20.15.2.3.4": "lab order trigger template",
                     "2.16.840.1.113883.10.20.15.2.3.5": "result trigger template (organism)"}
RR_CONDITION = "2.16.840.1.113883.10.20.15.2.3.12"
SDTC_VALUESET = "{urn:hl7-org:sdtc}valueSet"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def templates(element: etree._Element) -> set[str]:
    return set(element.xpath("h:templateId/@root", namespaces=NS))


def narrative(root: etree._Element) -> dict[str, str]:
    """ID -> text of narrative elements (originalText/reference targets)."""
    out = {}
    for element in root.xpath("//h:text//*[@ID]", namespaces=NS):
        out["#" + element.get("ID")] = " ".join("".join(element.itertext()).split())
    return out


def text_of(code: etree._Element | None, refs: dict[str, str]) -> str | None:
    if code is None:
        return None
    if code.get("displayName"):
        return code.get("displayName").strip()
    original = code.find("h:originalText", NS)
    if original is not None:
        text = " ".join("".join(original.itertext()).split())
        if text:
            return text
        ref = original.find("h:reference", NS)
        if ref is not None and ref.get("value") in refs:
            return refs[ref.get("value")]
    return None


def coded(code: etree._Element | None) -> list[tuple[str, str, str | None]]:
    """(system, code, displayName) of a code element and its translations."""
    if code is None:
        return []
    out = []
    for element in [code, *code.findall("h:translation", NS)]:
        system = SYSTEMS.get(element.get("codeSystem") or "")
        if system and element.get("code"):
            out.append((system, element.get("code").strip(), element.get("displayName")))
    return out


def asserted(element: etree._Element) -> bool:
    return element.get("negationInd") != "true" and element.get("moodCode", "EVN") == "EVN"


def build_record(root: etree._Element) -> tuple[CompactRecord, list[Trigger]]:
    refs = narrative(root)
    record = CompactRecord()
    seen: set[tuple[str | None, str | None]] = set()
    for obs in root.xpath("//h:observation", namespaces=NS):
        tids = templates(obs)
        if PROBLEM_OBS not in tids and "2.16.840.1.113883.10.20.15.2.3.3" not in tids:
            continue
        if not asserted(obs):
            continue
        value = obs.find("h:value", NS)
        codes = coded(value)
        snomed = next((c for s, c, _ in codes if s == "snomed"), None)
        icd10 = next((c for s, c, _ in codes if s == "icd10"), None)
        name = text_of(value, refs) or next((d for _, _, d in codes if d), None)
        if (snomed, icd10) in seen or not (snomed or icd10):
            continue
        seen.add((snomed, icd10))
        record.conditions.append(Condition(name=name, snomed=snomed, icd10=icd10))
    for obs in root.xpath("//h:observation", namespaces=NS):
        if RESULT_OBS not in templates(obs) or not asserted(obs):
            continue
        code = obs.find("h:code", NS)
        loinc = next((c for s, c, _ in coded(code) if s == "loinc"), None)
        name = text_of(code, refs)
        value = obs.find("h:value", NS)
        lab = Lab(name=name, loinc=loinc)
        if value is not None:
            kind = value.get(XSI_TYPE, "")
            if kind.endswith("CD") or kind.endswith("CE") or value.get("code"):
                lab.result = text_of(value, refs)
                lab.result_code = next((c for s, c, _ in coded(value) if s == "snomed"), None)
            elif kind.endswith("PQ"):
                lab.value, lab.unit = value.get("value"), value.get("unit")
                lab.result = " ".join(filter(None, [value.get("value"), value.get("unit")])) or None
            else:
                lab.result = " ".join("".join(value.itertext()).split()) or None
        interp = obs.find("h:interpretationCode", NS)
        if interp is not None and interp.get("code"):
            lab.interpretation = interp.get("code")
        if lab.loinc or lab.name:
            record.labs.append(lab)
    for sub in root.xpath("//h:substanceAdministration", namespaces=NS):
        if not asserted(sub):
            continue
        material = sub.find(".//h:manufacturedMaterial/h:code", NS)
        if material is None:
            continue
        codes = coded(material)
        name = text_of(material, refs)
        if IMMUNIZATION in templates(sub) or any(s == "cvx" for s, _, _ in codes):
            record.immunizations.append(Immunization(name=name, cvx=next((c for s, c, _ in codes if s == "cvx"), None)))
        else:
            record.meds.append(Med(name=name, rxnorm=next((c for s, c, _ in codes if s == "rxnorm"), None)))
    return record, triggers_of(root)


def triggers_of(root: etree._Element) -> list[Trigger]:
    found: list[Trigger] = []
    for element in root.xpath("//h:*[h:templateId]", namespaces=NS):
        source = next((TRIGGER_TEMPLATES[t] for t in templates(element) if t in TRIGGER_TEMPLATES), None)
        if source is None:
            continue
        candidates = element.xpath("h:code | h:value | h:code/h:translation | h:value/h:translation", namespaces=NS)
        marked = [c for c in candidates if c.get(SDTC_VALUESET)] or candidates
        for code in marked:
            system = SYSTEMS.get(code.get("codeSystem") or "")
            if system and code.get("code"):
                found.append(Trigger(system=system, code=code.get("code").strip(), display=code.get("displayName"),
                                     source=source))
    return found


def gold_of(root: etree._Element) -> dict[str, str]:
    gold = {}
    for obs in root.xpath("//h:observation", namespaces=NS):
        if RR_CONDITION in templates(obs):
            value = obs.find("h:value", NS)
            code = value.get("code") if value is not None else None
            if code and code.isdigit():
                gold[code] = value.get("displayName") or code
    return gold


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO.parent / "shared" / "data" / "external" / "phdi-dev")
    parser.add_argument("--include-jurisdictional", action="store_true")
    parser.add_argument("--json", type=Path, help="write per-case results here")
    args = parser.parse_args(argv)
    pairs = sorted(p for p in args.root.iterdir() if (p / "CDA_eICR.xml").is_file() and (p / "CDA_RR.xml").is_file())
    if not pairs:
        print(f"no eICR/RR pairs under {args.root}")
        return 2
    kb = TerminologyKB.load()
    tp = fp = fn = 0
    cases, timings = [], []
    for pair in pairs:
        eicr = parse_xml((pair / "CDA_eICR.xml").read_bytes(), name=f"{pair.name}/CDA_eICR.xml")
        rr = parse_xml((pair / "CDA_RR.xml").read_bytes(), name=f"{pair.name}/CDA_RR.xml")
        gold = gold_of(rr)
        record, triggers = build_record(eicr)
        start = time.perf_counter()
        result = assess_reportability(record, triggers, kb, include_jurisdictional=args.include_jurisdictional)
        timings.append(time.perf_counter() - start)
        predicted = {r.snomed: r for r in result.reportable}
        hits, extra, missed = set(gold) & set(predicted), set(predicted) - set(gold), set(gold) - set(predicted)
        tp, fp, fn = tp + len(hits), fp + len(extra), fn + len(missed)
        cases.append({"case": pair.name, "gold": gold, "predicted": {k: [v.name, v.confidence] for k, v in
                                                                      predicted.items()},
                      "missed": {k: gold[k] for k in missed}, "false_positive": {k: predicted[k].name for k in extra},
                      "below_threshold": {r.snomed: [r.name, r.confidence] for r in result.below_threshold}})
        if missed or extra:
            print(f"{pair.name[:8]}  missed={[f'{k} {gold[k][:40]}' for k in sorted(missed)]}  "
                  f"false_pos={[f'{k} {predicted[k].name}' for k in sorted(extra)]}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    timings.sort()
    print(f"cases={len(pairs)} tp={tp} fp={fp} fn={fn} precision={precision:.3f} recall={recall:.3f} f1={f1:.3f} "
          f"determine p50={1000 * timings[len(timings) // 2]:.1f} ms max={1000 * timings[-1]:.1f} ms")
    if args.json:
        args.json.write_text(json.dumps({"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp,
                                         "fn": fn, "cases": cases}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
