"""RR cross-check and reportability on the shared eICR+RR pairs (RRs are gold); cross-validation folds.

Skipped when ../shared/data is absent. The product's own CDA parser reads every RR (no second extractor)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cliniq_agent.eval.datasets import rr_pairs
from cliniq_agent.eval.runner import rr_gold
from cliniq_agent.engine import Engine
from cliniq_agent.rrcheck.read import read_rr
from cliniq_agent.eval.scoring import Counts
from cliniq_agent.core.tsv import read_tsv
from cliniq_agent.trace import TraceStore

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PAIRS = DATA / "external" / "phdi-dev"
needs_shared = pytest.mark.skipif(not PAIRS.is_dir(), reason="../shared/data/external/phdi-dev is not available")


@needs_shared
def test_every_shared_rr_reads_with_determinations() -> None:
    files = sorted(p for p in (DATA / "external").rglob("*.xml")
                   if "RR" in p.name and "ERROR" not in p.name and "hl7-ccda-examples" not in p.parts
                   and "combined" not in p.name)
    assert len(files) >= 35
    for path in files:
        conditions, _, _ = read_rr(path)
        assert conditions, path
        for condition in conditions:
            assert condition.determinations, (path, condition.code)
            assert all(d.code in {"RRVS1", "RRVS2", "RRVS3", "RRVS4"} for d in condition.determinations), path
            assert any(d.jurisdiction for d in condition.determinations), path


@pytest.mark.slow
@needs_shared
def test_phdi_pairs_cross_check(tmp_path: Path) -> None:
    """Every RR-reportable condition lands in rr_check; group-level recall >= 0.92 and precision >= 0.95."""
    counts = Counts()
    with Engine(use_llm=False, trace_store=TraceStore(tmp_path / "t.sqlite"), persist_trace=False) as engine:
        for pair in rr_pairs(DATA):
            check = engine.extract(pair.eicr, rr=pair.rr).rr_check
            assert check is not None
            found = {code for item in check.items if item.status in ("both", "rr_only") for code in item.rr_codes}
            assert rr_gold(pair.rr) <= found, pair.case_id
            rr_groups = {i.group for i in check.items if i.status in ("both", "rr_only")}
            engine_groups = {i.group for i in check.items if i.status in ("both", "engine_only")}
            counts.add(rr_groups, engine_groups)
            for item in check.items:
                assert item.status != "rr_only" or item.reason, item
    assert counts.recall >= 0.92 and counts.precision >= 0.95, counts


@needs_shared
def test_fold_kb_holds_nothing_from_held_out_pairs(tmp_path: Path) -> None:
    from cliniq_agent.eval.reportable_cv import build_fold_kb, folds

    pairs = rr_pairs(DATA)
    split = folds(pairs)
    assert sorted(p.case_id for fold in split for p in fold) == sorted(p.case_id for p in pairs)
    kb = build_fold_kb(DATA, {p.case_id for p in pairs}, tmp_path)
    for system in ("loinc", "snomed", "rxnorm", "cvx"):
        rows = read_tsv(kb / "terminology" / f"{system}.tsv")
        assert rows and not any("vendor-eicr" in row["provenance"] for row in rows), system
    assert (kb / "reportability").resolve().is_dir()


@needs_shared
def test_shipped_harvest_holds_nothing_from_phdi_dev(tmp_path: Path) -> None:
    """The shipped harvested tables are exactly what harvest_kb.py builds with every phdi-dev pair held out:
    the dev set contributes no code/name pair (its vendor-local test and drug names would fit the bench)."""
    from cliniq_agent.core.resources import kb_path
    from cliniq_agent.eval.reportable_cv import HARVESTED_FILES, build_fold_kb

    kb = build_fold_kb(DATA, {p.case_id for p in rr_pairs(DATA)}, tmp_path)
    for name in HARVESTED_FILES:
        assert (kb / "terminology" / name).read_text(encoding="utf-8") == \
            kb_path("terminology", name).read_text(encoding="utf-8"), name
