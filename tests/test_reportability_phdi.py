"""Reportability on the 30 vendor eICR/RR pairs (RR conditions are gold): recall and precision >= 0.90.

Uses scripts/eval_reportability.py (a small self-contained lxml extraction); skipped without ../shared/data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT.parent / "shared" / "data" / "external" / "phdi-dev"


def _eval_module():
    spec = importlib.util.spec_from_file_location("eval_reportability", ROOT / "scripts" / "eval_reportability.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.skipif(not PAIRS.is_dir(), reason="../shared/data/external/phdi-dev is not available")
def test_phdi_pairs_recall_and_precision(tmp_path: Path) -> None:
    import json

    out = tmp_path / "eval.json"
    assert _eval_module().main(["--root", str(PAIRS), "--json", str(out)]) == 0
    scores = json.loads(out.read_text(encoding="utf-8"))
    assert len(scores["cases"]) == 30
    assert scores["recall"] >= 0.90, scores
    assert scores["precision"] >= 0.90, scores
