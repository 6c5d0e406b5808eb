"""The Python API, the persisted audit trace and the CLI on the bundled example eICR."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cliniq_agent import Extraction, extract
from cliniq_agent.trace import TraceStore

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "eicr_pertussis.xml"


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cliniq_agent.cli.main", *args], input=stdin, capture_output=True,
                          text=True, timeout=300)


def test_api_on_the_example_eicr() -> None:
    result = extract(EXAMPLE, use_llm=False)
    assert isinstance(result, Extraction) and result.route == "cda" and len(result.run_id) == 32
    compact = result.to_compact()
    assert set(compact) >= {"patient", "encounter", "conditions", "labs", "meds", "vitals", "immunizations", "social",
                            "reportable"}
    assert compact["patient"]["name"] == "Rosa M Delgado" and compact["patient"]["dob"] == "1996-08-21"
    assert [(c["snomed"], c["icd10"]) for c in compact["conditions"]] == [("27836007", "A37.90")]
    assert compact["labs"][0]["loinc"] == "548-8" and compact["labs"][0]["interpretation"]
    assert {v["name"] for v in compact["vitals"]} == {"temp", "hr", "rr", "spo2", "sbp", "dbp", "weight"}
    assert compact["social"]["pregnant"] is True and compact["social"]["travel"][0]["start"] == "2026-02-01"
    assert [r["snomed"] for r in compact["reportable"]] == ["27836007"]
    assert all(item["evidence"] for item in compact["conditions"] + compact["labs"] + compact["meds"])
    assert any(e.item.get("snomed") == "386661006" for e in result.excluded)   # the negated fever entry
    bundle = result.to_fhir()
    assert bundle["resourceType"] == "Bundle" and bundle["entry"]


def test_every_run_is_traced_with_its_steps() -> None:
    result = extract(EXAMPLE, use_llm=False)
    trace = TraceStore().get(result.run_id)
    assert trace is not None and trace.route == "cda" and trace.status == "ok"
    # no narrative phrase left for the agent, so no agent steps; no FHIR asked, so no emit step
    assert [s.node for s in trace.steps] == ["detect_format", "cda", "merge_validate", "reportability"]
    assert trace.record["conditions"][0]["snomed"] == "27836007"
    assert all(step.duration_ms >= 0 for step in trace.steps)


def test_cli_run_trace_list_and_show(tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    done = _cli("run", str(EXAMPLE), "--no-llm", "--format", "fhir", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["resourceType"] == "Bundle"
    listed = _cli("trace", "list", "--json", "--limit", "5")
    runs = json.loads(listed.stdout)
    assert runs and runs[0]["route"] == "cda"
    shown = _cli("trace", "show", runs[0]["run_id"][:10])
    assert shown.returncode == 0 and "merge_validate" in shown.stdout and "548-8" in shown.stdout
    as_json = json.loads(_cli("trace", "show", runs[0]["run_id"], "--json").stdout)
    assert as_json["steps"][0]["node"] == "detect_format"
    missing = _cli("trace", "show", "0000000000")
    assert missing.returncode == 2 and missing.stderr.startswith("error: no run")


def test_cli_reads_stdin_and_prints_compact_json() -> None:
    done = _cli("run", "-", "--no-llm", "--no-evidence", stdin="Patient: Ana\nDx: Mumps (SNOMED 36989005)\n")
    assert done.returncode == 0, done.stderr
    compact = json.loads(done.stdout)
    assert compact["conditions"][0]["snomed"] == "36989005" and "evidence" not in compact["conditions"][0]


def test_cli_version_and_help() -> None:
    assert _cli("--version").stdout.startswith("cliniq-agent ")
    for command in (["run"], ["trace", "show"], ["trace", "list"], ["kb", "search"], ["bench"], ["models", "prepare"]):
        done = _cli(*command, "--help")
        assert done.returncode == 0 and "Usage" in done.stdout, command


def test_compact_json_schema_is_exported() -> None:
    from cliniq_agent.core.schema import compact_json_schema

    schema = compact_json_schema()
    assert set(schema["properties"]) >= {"patient", "encounter", "conditions", "labs", "meds", "vitals", "reportable"}
