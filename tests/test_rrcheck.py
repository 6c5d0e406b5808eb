"""RR cross-check: a synthetic RR beside the example eICR, the reasons, FHIR, trace, batch rows; condition groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from cliniq_agent.engine import Engine
from cliniq_agent.core.errors import InputError
from cliniq_agent.fhir import validate_bundle
from cliniq_agent.reportability.determine import ReportabilityResult, SkippedEvidence
from cliniq_agent.rrcheck.compare import cross_check
from cliniq_agent.rrcheck.groups import condition_groups
from cliniq_agent.rrcheck.models import Determination, RrCondition
from cliniq_agent.rrcheck.read import read_rr
from cliniq_agent.core.schema import Reportable
from cliniq_agent.core.state import ExcludedItem
from cliniq_agent.core.tsv import read_tsv
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.trace import TraceStore
from cliniq_agent.validate import check_code

ROOT = Path(__file__).resolve().parents[1]
EICR = ROOT / "examples" / "eicr_pertussis.xml"
RR = ROOT / "tests" / "data" / "rr_pertussis_synthetic.xml"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    store = TraceStore(tmp_path_factory.mktemp("traces") / "traces.sqlite")
    with Engine(use_llm=False, trace_store=store) as warm:
        yield warm


def test_read_synthetic_rr() -> None:
    conditions, name, sha256 = read_rr(RR)
    by_code = {c.code: c for c in conditions}
    assert set(by_code) == {"27836007", "76795007", "14189004"} and len(sha256) == 64 and name.endswith(".xml")
    pertussis = by_code["27836007"]
    assert [d.code for d in pertussis.determinations] == ["RRVS1", "RRVS2"] and pertussis.found
    state = pertussis.determinations[0]
    assert state.rules == ["Bordetella pertussis identified by culture (synthetic rule)"]
    assert state.timeframe == "24 h" and state.jurisdiction == "Synthetic State Department of Health"
    assert {a.role for a in state.agencies} == {"routing", "rules_authoring"}
    assert pertussis.determinations[1].location_relevance == "Patient home address"
    assert by_code["76795007"].group == "66071002" and by_code["76795007"].relation == "child"
    assert not by_code["14189004"].found and by_code["14189004"].determinations[0].label == "Not reportable"


def test_read_rr_refuses_an_eicr() -> None:
    with pytest.raises(InputError, match="not a Reportability Response"):
        read_rr(EICR)


def test_run_with_rr_is_additive_and_explains(engine: Engine) -> None:
    plain = engine.extract(EICR)
    checked = engine.extract(EICR, rr=RR, build_fhir=True)
    compact = checked.to_compact()
    rr_check = compact.pop("rr_check")
    assert "rr_check" not in plain.to_compact()
    assert json.dumps(compact, sort_keys=True) == json.dumps(plain.to_compact(), sort_keys=True)
    items = {item["group"]: item for item in rr_check["items"]}
    assert rr_check["summary"] == {"both": 1, "engine_only": 0, "rr_only": 1, "neither": 1}
    assert items["27836007"]["status"] == "both" and items["27836007"]["engine_evidence"]
    hep_b = items["66071002"]
    assert hep_b["status"] == "rr_only" and hep_b["rr_codes"] == ["76795007"] and hep_b["reason"] == "no_trigger_code"
    assert items["14189004"]["status"] == "neither"
    # FHIR: the engine's bundle plus one RR determination Observation per condition and jurisdiction
    bundle = checked.to_fhir()
    validate_bundle(bundle)
    determinations = [e["resource"] for e in bundle["entry"]
                      if e["resource"]["resourceType"] == "Observation"
                      and e["resource"]["code"].get("coding", [{}])[0].get("code") == "RR1"]
    assert len(determinations) == 4
    assert len(bundle["entry"]) == len(plain.to_fhir()["entry"]) + 4
    # trace: an rr_check step, rendered by `trace show`
    trace = engine.trace_store.get(checked.run_id)
    assert [s.node for s in trace.steps][-1] == "rr_check"
    from cliniq_agent.trace.render import render_run

    console = Console(record=True, width=200)
    render_run(trace, console)
    shown = console.export_text()
    assert "RR cross-check" in shown and "no_trigger_code" in shown and "Synthetic State Department" in shown


def test_batch_row_carries_the_cross_check(engine: Engine) -> None:
    from cliniq_agent.batch.work import run_case

    row = run_case(engine, case_id="pair", display="pair/CDA_eICR.xml", raw=EICR.read_bytes(), rr="pair/CDA_RR.xml",
                   rr_raw=RR.read_bytes())
    assert row.status == "ok" and row.rr_check == {"rr_only": ["66071002"], "neither": ["14189004"],
                                                   "both": ["27836007"]}
    assert "rr_check" in json.loads(row.compact_json)
    bad = run_case(engine, case_id="pair", display="pair/CDA_eICR.xml", raw=EICR.read_bytes(), rr="x", rr_raw=b"<x/>")
    assert bad.status == "ok" and list(bad.rr_check) == ["rr_unusable"] and bad.reportable == ["27836007"]


def _rr(code: str) -> RrCondition:
    groups = condition_groups()
    return RrCondition(code=code, group=groups.group(code), relation=groups.relation(code),
                       determinations=[Determination(code="RRVS1", found=True)])


def test_reasons_in_order() -> None:
    kb = TerminologyKB.load()
    assessment = ReportabilityResult(
        below_threshold=[Reportable(name="Influenza", snomed="6142004", confidence=0.4)],
        skipped=[SkippedEvidence(item="labs[0]", system="loinc", code="0", condition="27836007",
                                 reason="result not positive (negative: not detected)")])
    excluded = [ExcludedItem(kind="conditions", name="Measles", reason="negated (cda)", item={"snomed": "14189004"})]
    narratives = [("History of present illness", "Exposure workup; the note says Lyme disease was diagnosed.")]
    check = cross_check([_rr("43692000"), _rr("27836007"), _rr("14189004"), _rr("23502006"), _rr("409498004")],
                        reportable=[], assessment=assessment, excluded=excluded, narratives=narratives, kb=kb)
    reasons = {item.group: item.reason for item in check.items}
    assert reasons == {"6142004": "below_threshold", "27836007": "negative_result", "14189004": "negated",
                       "23502006": "only_in_narrative", "409498004": "no_trigger_code"}
    assert all(item.reason_text for item in check.items)


def test_condition_groups_table() -> None:
    groups = condition_groups()
    rctc = {row["snomed"] for row in read_tsv(ROOT / "kb" / "terminology" / "rctc_conditions.tsv")}
    for row in read_tsv(ROOT / "kb" / "rrcheck" / "condition_groups.tsv"):
        assert check_code("snomed", row["code"]) is None and row["code"] not in rctc
        assert row["group"] in rctc and groups.group(row["code"]) in rctc
    assert groups.group("186747009") == "840539006"          # coronavirus infection -> COVID-19
    assert groups.group("35742006") == "76272004"            # congenital syphilis -> syphilis (RCTC parent)
    assert groups.group("95891005") == "95891005"            # a catch-all stays itself
    assert groups.group("6142004") == "6142004"              # ... and is never climbed into


def test_review_page_reads_rr_check_from_the_trace(engine: Engine) -> None:
    from cliniq_agent.review.page import build_page

    run = engine.extract(EICR, rr=RR)
    page = build_page(engine.trace_store.get(run.run_id))
    assert page.rr_name and page.rr_name.endswith("rr_pertussis_synthetic.xml")
    assert {c.snomed for c in page.rr_conditions} == {"27836007", "76795007"}
    assert [(r.snomed, r.in_rr) for r in page.reportable] == [("27836007", True)]
