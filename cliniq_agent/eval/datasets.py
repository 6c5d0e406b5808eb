"""Load benchmark cases from a data folder laid out like ../shared/data (seed/, external/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel


class TextCase(BaseModel):
    case_id: str
    text: str
    gold: dict[str, Any]


class PairCase(BaseModel):
    case_id: str
    eicr: Path
    rr: Path


def seed_val(data: Path, limit: int | None = None) -> list[TextCase]:
    """seed/val-compact.jsonl: user turn = input, assistant turn = gold compact JSON."""
    cases = []
    with (data / "seed" / "val-compact.jsonl").open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            turns = {t["role"]: t["content"] for t in json.loads(line)["conversations"]}
            cases.append(TextCase(case_id=f"val-{number}", text=turns["user"], gold=json.loads(turns["assistant"])))
    return cases[:limit] if limit else cases


def seed_test_sets(data: Path) -> dict[str, list[TextCase]]:
    """seed/test_cases*.jsonl: expected SNOMED/LOINC/RxNorm sets as gold."""
    sets: dict[str, list[TextCase]] = {}
    for path in sorted((data / "seed").glob("test_cases*.jsonl")):
        cases = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            gold = {
                "conditions": [{"snomed": c} for c in row.get("expected_conditions", [])],
                "labs": [{"loinc": c} for c in row.get("expected_loincs", [])],
                "meds": [{"rxnorm": c} for c in row.get("expected_rxnorms", [])],
            }
            cases.append(TextCase(case_id=row.get("case_id", f"{path.stem}-{len(cases)}"), text=row["user"], gold=gold))
        sets[path.stem] = cases
    return sets


def cda_files(data: Path) -> list[Path]:
    """Every CDA XML under external/ (eICRs and RRs) plus the seed's sample."""
    files = sorted(p for p in (data / "external").rglob("*.xml"))
    sample = data / "seed" / "sample_eicr_01.xml"
    return files + ([sample] if sample.exists() else [])


def rr_pairs(data: Path) -> list[PairCase]:
    """external/phdi-dev/<id>/CDA_eICR.xml + CDA_RR.xml."""
    pairs = []
    for folder in sorted((data / "external" / "phdi-dev").iterdir()):
        eicr, rr = folder / "CDA_eICR.xml", folder / "CDA_RR.xml"
        if eicr.exists() and rr.exists():
            pairs.append(PairCase(case_id=folder.name, eicr=eicr, rr=rr))
    return pairs


def synthetic_dev(path: Path, limit: int | None = None) -> list[TextCase]:
    """The fast path's held-out synthetic notes (scripts/generate_fastpath_data.py → dev.jsonl): messy labels,
    malformed or missing inline codes, negations. Gold = the codes of the row's target."""
    cases = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            target = json.loads(row["target"])
            gold = {"conditions": [{"snomed" if c[:1].isdigit() else "icd10": c} for c in target.get("c", [])],
                    "labs": [{"loinc": c} for c in target.get("l", [])],
                    "meds": [{"rxnorm": c} for c in target.get("m", [])]}
            cases.append(TextCase(case_id=row["id"], text=row["text"], gold=gold))
    return cases[:limit] if limit else cases
