"""Honest reportability numbers: k-fold cross-validation over the phdi-dev eICR/RR pairs.

The harvested code tables (kb/terminology/{loinc,snomed,rxnorm,cvx}.tsv and harvest_dropped.tsv) are built by
scripts/harvest_kb.py from the published HL7 / CDC samples only: phdi-dev contributes nothing, so in-sample and
cross-validated numbers should agree. The check stays: each fold's tables are rebuilt by the same script from the
shared sources *without* the held-out pairs (the rebuild equals the shipped tables byte for byte), the engine runs
on the held-out eICRs in a child process that reads that kb/, and the RR (read by the product's own CDA parser) is
the gold. Scored per code and per condition group
(cliniq_agent.rrcheck.groups). ``cliniq-agent bench -s reportable-cv`` prints both beside the in-sample numbers.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cliniq_agent.eval.datasets import PairCase, rr_pairs
from cliniq_agent.eval.runner import SuiteResult, rr_gold
from cliniq_agent.core.errors import UsageError
from cliniq_agent.rrcheck.groups import condition_groups
from cliniq_agent.eval.scoring import CaseScore

FOLDS = 5
HARVEST_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "harvest_kb.py"
HARVESTED_FILES = ("loinc.tsv", "snomed.tsv", "rxnorm.tsv", "cvx.tsv", "harvest_dropped.tsv",
                   "rctc_conditions.tsv", "rctc_valuesets.tsv")


def folds(pairs: list[PairCase], k: int = FOLDS) -> list[list[PairCase]]:
    """Deterministic folds: pairs sorted by id, dealt round-robin."""
    ordered = sorted(pairs, key=lambda pair: pair.case_id)
    return [ordered[i::k] for i in range(k)]


def _harvest_module():
    if not HARVEST_SCRIPT.exists():
        raise UsageError(f"{HARVEST_SCRIPT} is missing: reportable-cv runs from a source checkout")
    spec = importlib.util.spec_from_file_location("cliniq_harvest_kb", HARVEST_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _mirror_shared(data: Path, held_out: set[str], dest: Path) -> None:
    """A symlink copy of ``data`` without the held-out phdi-dev folders."""
    for root, _dirs, files in os.walk(data):
        rel = Path(root).relative_to(data)
        if rel.parts[:2] == ("external", "phdi-dev") and len(rel.parts) > 2 and rel.parts[2] in held_out:
            continue
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            (dest / rel / name).symlink_to(Path(root) / name)


def build_fold_kb(data: Path, held_out: set[str], work: Path) -> Path:
    """A kb/ whose harvested tables come from the shared sources minus ``held_out``; the rest links to kb/."""
    from cliniq_agent.core.resources import kb_path

    shared, kb = work / "shared", work / "kb"
    _mirror_shared(data.resolve(), held_out, shared)
    kb.mkdir(parents=True)
    for child in kb_path().iterdir():
        if child.name != "terminology":
            (kb / child.name).symlink_to(child)
    terminology = kb / "terminology"
    terminology.mkdir()
    for table in kb_path("terminology").iterdir():
        if table.name not in HARVESTED_FILES:
            (terminology / table.name).symlink_to(table)
    _harvest_module().write_harvested_tables(shared, terminology)
    return kb


def predict_in_child(kb: Path | None, pairs: list[PairCase]) -> dict[str, dict]:
    """{case_id: {"codes": reportable SNOMED codes, "ms": latency}} from a fresh process reading ``kb``
    (None: the shipped kb/)."""
    cases = [{"case_id": pair.case_id, "eicr": str(pair.eicr)} for pair in pairs]
    with tempfile.TemporaryDirectory(prefix="cliniq-cv-home-") as home:
        env = {**os.environ, "CLINIQ_AGENT_HOME": home}
        for key in ("CLINIQ_AGENT_DATA_DIR", "CLINIQ_AGENT_CACHE_DIR"):
            env.pop(key, None)
        command = [sys.executable, "-m", "cliniq_agent.eval.reportable_cv"] + (["--kb", str(kb)] if kb else [])
        done = subprocess.run(command, input=json.dumps(cases), capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"reportable-cv child failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _score(dataset: str, variant: str, pairs: list[PairCase], predicted: dict[str, dict],
           gold: dict[str, set[str]], *, by_group: bool, wall_s: float) -> SuiteResult:
    groups = condition_groups()
    result = SuiteResult(dataset=dataset, variant=variant, cases=len(pairs), valid_json=len(pairs), wall_s=wall_s)
    for pair in pairs:
        want, got = gold[pair.case_id], set(predicted[pair.case_id]["codes"])
        result.latencies_ms.append(predicted[pair.case_id]["ms"])
        if by_group:
            want, got = {groups.group(c) for c in want}, {groups.group(c) for c in got}
        result.codes.add(want, got)
        if want != got:
            result.misses.append(CaseScore(case_id=pair.case_id, missed=sorted(want - got), extra=sorted(got - want)))
    return result


def run_reportable_cv(data: Path, *, limit: int | None = None, k: int = FOLDS) -> list[SuiteResult]:
    """In-sample (shipped kb/) and k-fold cross-validated reportability, per code and per condition group."""
    pairs = rr_pairs(data)[:limit] if limit else rr_pairs(data)
    gold = {pair.case_id: rr_gold(pair.rr) for pair in pairs}
    clock = time.perf_counter()
    in_sample = predict_in_child(None, pairs)
    in_sample_s = time.perf_counter() - clock
    cross: dict[str, dict] = {}
    clock = time.perf_counter()
    for fold in folds(pairs, k):
        with tempfile.TemporaryDirectory(prefix="cliniq-cv-kb-") as work:
            kb = build_fold_kb(data, {pair.case_id for pair in fold}, Path(work))
            cross.update(predict_in_child(kb, fold))
    cv_s = time.perf_counter() - clock
    results = []
    for by_group, variant in ((False, "per code"), (True, "per condition group")):
        results.append(_score("phdi-dev in-sample (shipped kb)", variant, pairs, in_sample, gold,
                              by_group=by_group, wall_s=in_sample_s))
        results.append(_score(f"phdi-dev {k}-fold CV", variant, pairs, cross, gold, by_group=by_group, wall_s=cv_s))
    return results


def _child_main(argv: list[str]) -> int:
    """Child: read cases (JSON on stdin), optionally point kb/ at --kb, print {case_id: {codes, ms}}."""
    if argv[:1] == ["--kb"]:
        from cliniq_agent.core import resources

        kb_root, shipped = Path(argv[1]), resources._data_root
        resources._data_root = lambda name: kb_root if name == "kb" else shipped(name)  # noqa: SLF001
    from cliniq_agent.api import extract

    predicted = {}
    for case in json.loads(sys.stdin.read()):
        clock = time.perf_counter()
        extraction = extract(Path(case["eicr"]), use_llm=False, persist_trace=False)
        predicted[case["case_id"]] = {"codes": sorted({r.snomed for r in extraction.record.reportable}),
                                      "ms": (time.perf_counter() - clock) * 1000}
    print(json.dumps(predicted))
    return 0


if __name__ == "__main__":
    raise SystemExit(_child_main(sys.argv[1:]))
