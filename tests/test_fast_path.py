"""The LoRA fast path with the real bundled model and adapter (a handful of cases), and its parts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cliniq_agent import extract
from cliniq_agent.fastpath.ground import merge_model_output
from cliniq_agent.fastpath.output_format import FastPathOutput, parse_compact_output, parse_output, to_target
from cliniq_agent.fastpath.prompt import model_input
from cliniq_agent.llm.models import DEFAULT_ADAPTER, default_base_model
from cliniq_agent.text.tiers import deterministic_draft
from cliniq_agent.nodes.merge_validate import merge_drafts
from cliniq_agent.core.state import Draft, ModelValidity
from cliniq_agent.core.schema import CompactRecord, Condition, Lab, Med, Tier
from cliniq_agent.terminology import TerminologyKB

NOTE = """Patient: Keanu Alapai
Gender: M
DOB: 1984-06-30
Encounter: 2026-08-14
Reason: fever and headache after a hiking trip
Dx: Leptospirosis (SNOMED 77377001)
Lab: Bacteria identified in Stool by Culture (LOINC 625-4) - Campylobacter [Stool, final]
Vitals: Temp 38.8C, HR 104, RR 20, SpO2 96%, BP 118/76
Meds: doxycycline 100 MG Oral Tablet (RxNorm 197984)
Meds: ciprofloxacin 500 MG Oral Tablet
"""


def test_output_format_round_trip_and_repair() -> None:
    record = CompactRecord(conditions=[Condition(snomed="77377001")], labs=[Lab(loinc="625-4")], meds=[Med(rxnorm="197984")])
    target = to_target(record)
    assert target == '{"c":["77377001"],"l":["625-4"],"m":["197984"]}'
    parsed, notes = parse_output(target + "<end_of_turn>")
    assert parsed == FastPathOutput(c=["77377001"], l=["625-4"], m=["197984"]) and notes == []
    truncated, notes = parse_output('{"c":["77377001"],"l":["625-4","5196')
    assert truncated is not None and truncated.l == ["625-4"] and "truncated" in notes[0]
    assert parse_output("no json here")[0] is None


def test_compact_answers_of_other_adapters_are_read() -> None:
    answer = ('{"patient":{"name":"A"},"conditions":[{"name":"Dengue","snomed":"38362002"}],'
              '"labs":[{"name":"x","loinc":"6386-1","result":"Positive"}],"meds":[],"vitals":[]}')
    parsed, _ = parse_compact_output(answer)
    assert parsed.c == ["38362002"] and parsed.l == ["6386-1"] and parsed.results == {"6386-1": "Positive"}


def test_model_input_keeps_only_coded_clinical_lines() -> None:
    lines = model_input(NOTE).splitlines()
    assert lines[0].startswith("Dx:") and len(lines) == 4
    assert not any(line.startswith(("Patient", "Vitals", "Reason")) for line in lines)


def test_grounding_keeps_codes_in_text_or_kb_and_drops_the_rest() -> None:
    draft = deterministic_draft(NOTE, producer="fast_path").record
    output = FastPathOutput(c=["77377001", "840539006"], l=["625-4"], m=["197984", "197511"])
    merged, report = merge_model_output(NOTE, draft, output, TerminologyKB.load())
    record, _ = merge_drafts([Draft(producer="fast_path", record=merged)])
    assert [d.item["code"] for d in report.dropped] == ["840539006"]       # COVID-19: nowhere in the note
    assert {m.rxnorm for m in record.meds} == {"197984", "197511"}
    cipro = next(m for m in record.meds if m.rxnorm == "197511")
    assert cipro.name.lower().startswith("ciprofloxacin")
    assert any(e.tier is Tier.FAST_PATH for e in record.conditions[0].evidence)


@pytest.mark.llm
def test_fast_path_with_the_bundled_model() -> None:
    assert DEFAULT_ADAPTER.exists()
    result = extract(NOTE, persist_trace=False)
    assert result.route == "fast_path"
    codes = {(c.snomed or c.icd10) for c in result.record.conditions} | {l.loinc for l in result.record.labs} \
        | {m.rxnorm for m in result.record.meds}
    assert {"77377001", "625-4", "197984", "197511"} <= codes
    run = result.model_runs[0]
    assert run.validity is ModelValidity.VALID and run.calls == 1 and run.prompt_id == "fast_path_system.txt"
    assert "Dx:" in run.prompt and run.completion_tokens > 0 and "77377001" in run.answer["c"]
    assert {v.name for v in result.record.vitals} == {"temp", "hr", "rr", "spo2", "sbp", "dbp"}
    assert result.record.patient.dob == "1984-06-30"
    # the agent runs after the model for anything still uncoded, as on the deterministic route
    assert [r.producer for r in result.agent_reports] == ["fast_path_agent"]
    assert [s.node for s in result.steps] == ["detect_format", "text", "fast_path", *(
        ["agent.retrieve", "agent.decide", "agent.confirm", "agent.ground"] if result.agent_reports[0].candidates else []),
        "merge_validate", "reportability"]


@pytest.mark.llm
def test_bring_your_own_model_via_cli(tmp_path) -> None:
    source = tmp_path / "note.txt"
    source.write_text(NOTE)
    args = [sys.executable, "-m", "cliniq_agent.cli.main", "run", str(source), "--model", str(default_base_model()),
            "--lora", str(DEFAULT_ADAPTER), "--chat-format", "gemma", "--prompt-style", "short", "--no-trace"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert '"77377001"' in done.stdout


def test_missing_model_file_is_a_usage_error(tmp_path) -> None:
    args = [sys.executable, "-m", "cliniq_agent.cli.main", "run", "-", "--model", str(tmp_path / "nope.gguf"), "--no-trace"]
    done = subprocess.run(args, input=NOTE, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: model file") and "does not exist" in done.stderr


@pytest.mark.llm
def test_chat_path_for_full_json_adapters_falls_back_honestly(tmp_path) -> None:
    """--prompt-style compact goes through the chat template; an answer that cannot be read leaves the
    line parser's draft standing, and the trace says so."""
    note = "Patient: Ola Nordmann\nDx: Mumps (SNOMED 36989005)\n"
    result = extract(note, model_path=default_base_model(), chat_format="gemma", prompt_style="compact",
                     persist_trace=False)
    assert result.route == "fast_path"
    assert [c.snomed for c in result.record.conditions] == ["36989005"]
    notes = next(s.outputs["notes:fast_path"] for s in result.steps if "notes:fast_path" in s.outputs)
    assert any("compact prompt" in n for n in notes)
    run = result.model_runs[0]
    assert run.prompt_style == "compact" and run.prompt_id == "compact_system.txt" and run.prompt.startswith("system: ")
