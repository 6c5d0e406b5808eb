"""`cliniq-agent batch` end to end: real worker processes, real signals, the real output folder."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil
import pytest

from cliniq_agent.batch import collect_cases
from cliniq_agent.batch.outputs import case_path
from cliniq_agent.core.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CLI = [sys.executable, "-m", "cliniq_agent.cli.main"]


def _inputs(folder: Path, copies: int = 4) -> list[Path]:
    """Copies of the three examples, each in its own sub-folder, plus an eICR+RR pair folder."""
    made = []
    for number in range(copies):
        for example in sorted(EXAMPLES.iterdir()):
            target = folder / f"set{number}" / example.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(example, target)
            made.append(target)
    pair = folder / "delivery-1"
    pair.mkdir()
    shutil.copy(EXAMPLES / "eicr_pertussis.xml", pair / "CDA_eICR.xml")
    (pair / "CDA_RR.xml").write_text("<placeholder/>", encoding="utf-8")  # travels with the eICR, not extracted
    return made


def _batch(*args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([*CLI, "batch", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, **popen)


def _manifest(out: Path) -> list[dict]:
    path = out / "manifest.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _assert_complete(out: Path, expected_cases: int) -> list[dict]:
    rows = _manifest(out)
    ids = [row["case_id"] for row in rows]
    assert len(ids) == len(set(ids)) == expected_cases, "every input exactly once in the manifest"
    for row in rows:
        for name in row["outputs"]:
            json.loads((out / name).read_text(encoding="utf-8"))  # complete, parseable JSON
    assert not list(out.rglob("*.tmp")), "no partial file is left behind"
    return rows


def test_cases_from_folders_zips_globs_and_stdin(tmp_path: Path) -> None:
    _inputs(tmp_path / "in", copies=1)
    (tmp_path / "in" / ".hidden.xml").write_text("x", encoding="utf-8")
    archive = tmp_path / "eicrs.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(EXAMPLES / "eicr_pertussis.xml", "a/CDA_eICR.xml")
        handle.writestr("a/CDA_RR.xml", "<rr/>")
        handle.write(EXAMPLES / "narrative.txt", "notes/n1.txt")
        handle.writestr("../../escape.txt", "Pertussis suspected.")
    folder_cases = collect_cases([str(tmp_path / "in")])
    assert [c.case_id for c in folder_cases] == ["in/delivery-1", "in/set0/eicr_pertussis.xml",
                                                 "in/set0/known_format.txt", "in/set0/narrative.txt"]
    assert folder_cases[0].rr is not None and folder_cases[0].rr.path.endswith("CDA_RR.xml")
    zip_cases = collect_cases([str(archive)])
    assert {c.case_id for c in zip_cases} == {"eicrs/a", "eicrs/notes/n1.txt", "eicrs/escape.txt"}
    escape = next(c for c in zip_cases if "escape" in c.case_id)
    assert case_path(tmp_path / "out", escape.case_id, ".json") == tmp_path / "out" / "results" / "eicrs" / "escape.txt.json"
    assert escape.document.read() == b"Pertussis suspected."
    globbed = collect_cases([str(tmp_path / "in" / "**" / "*.txt")])
    assert len(globbed) == 2 and all(c.case_id.endswith(".txt") for c in globbed)
    from_stdin = collect_cases(["-"], stdin_lines=io.StringIO(f"{EXAMPLES / 'narrative.txt'}\n\n{archive}\n"))
    assert len(from_stdin) == 1 + 3
    with pytest.raises(UsageError, match="no such file"):
        collect_cases([str(tmp_path / "nope.xml")])
    with pytest.raises(UsageError, match="matches no file"):
        collect_cases([str(tmp_path / "*.nothing")])


@pytest.mark.slow
def test_a_hostile_file_in_the_middle_is_one_rejected_row(tmp_path: Path) -> None:
    _inputs(tmp_path / "in", copies=1)
    (tmp_path / "in" / "set0" / "m_hostile.xml").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>')
    (tmp_path / "in" / "set0" / "n_binary.txt").write_bytes(bytes(range(256)) * 20)
    out = tmp_path / "out"
    done = _batch(str(tmp_path / "in"), "--out", str(out), "--no-llm", "--workers", "2", "--format", "ndjson")
    stdout, stderr = done.communicate(timeout=600)
    assert done.returncode == 3, stderr
    rows = _assert_complete(out, 6)
    status = {row["case_id"]: row["status"] for row in rows}
    assert status["in/set0/m_hostile.xml"] == status["in/set0/n_binary.txt"] == "rejected"
    assert sum(s == "ok" for s in status.values()) == 4
    assert all(row["error"] and "\n" not in row["error"] for row in rows if row["status"] == "rejected")
    patients = (out / "fhir" / "Patient.ndjson").read_text(encoding="utf-8").splitlines()
    assert len(patients) == 4 and all(json.loads(p)["resourceType"] == "Patient" for p in patients)
    again = _batch(str(tmp_path / "in"), "--out", str(out), "--no-llm")
    assert again.wait(timeout=120) == 2 and "--resume" in again.communicate()[1]


def _worker_pids(parent: int) -> list[int]:
    children = psutil.Process(parent).children(recursive=True)
    return [c.pid for c in children if "spawn_main" in " ".join(c.cmdline())]


def _wait_for_rows(out: Path, count: int, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while len(_manifest(out)) < count:
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "batch made no progress"
        time.sleep(0.02)


@pytest.mark.slow
def test_a_worker_killed_with_sigkill_loses_only_its_document_which_is_retried(tmp_path: Path) -> None:
    _inputs(tmp_path / "in", copies=5)
    out = tmp_path / "out"
    batch = _batch(str(tmp_path / "in"), "--out", str(out), "--no-llm", "--workers", "1")
    _wait_for_rows(out, 1, batch)  # the only worker is warm and already on the next document
    (victim,) = _worker_pids(batch.pid)
    os.kill(victim, signal.SIGKILL)
    _, stderr = batch.communicate(timeout=600)
    assert batch.returncode == 0, stderr
    rows = _assert_complete(out, 16)
    assert all(row["status"] == "ok" for row in rows)
    assert [row["attempts"] for row in rows].count(2) == 1, "the in-flight document was retried once"


@pytest.mark.slow
def test_ctrl_c_then_resume_finishes_every_input_exactly_once(tmp_path: Path) -> None:
    _inputs(tmp_path / "in", copies=5)
    out = tmp_path / "out"
    batch = _batch(str(tmp_path / "in"), "--out", str(out), "--no-llm", "--workers", "1", "-f", "fhir")
    _wait_for_rows(out, 2, batch)
    batch.send_signal(signal.SIGINT)
    _, stderr = batch.communicate(timeout=120)
    assert batch.returncode == 130, stderr
    first = _manifest(out)
    assert 2 <= len(first) < 16 and not list(out.rglob("*.tmp"))
    other = _batch(str(tmp_path / "in"), "--out", str(out), "--no-llm", "--resume")  # default format: compact
    assert other.wait(timeout=120) == 2 and "other options" in other.communicate()[1]
    resumed = _batch(str(tmp_path / "in"), "--out", str(out), "--no-llm", "--workers", "1", "-f", "fhir", "--resume")
    _, stderr = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, stderr
    rows = _assert_complete(out, 16)
    assert {row["run_id"] for row in first} <= {row["run_id"] for row in rows}, "finished inputs were not redone"
    assert all(name.endswith(".fhir.json") for row in rows for name in row["outputs"])


def test_a_result_folder_writes_the_file_and_the_manifest_line_and_clears_a_killed_writers_temp(tmp_path: Path) -> None:
    from cliniq_agent.batch import CaseResult
    from cliniq_agent.batch.outputs import ManifestRow, ManifestWriter, ResultFolder, read_manifest

    folder = ResultFolder(tmp_path, "compact")
    result = CaseResult(case_id="in/a.xml", input="in/a.xml", status="ok", route="cda", ms=12.5,
                        counts={"conditions": 1}, compact_json='{"conditions": []}', attempts=2)
    done = folder.finish(result)
    assert (tmp_path / "results" / "in" / "a.xml.json").read_text(encoding="utf-8") == '{"conditions": []}\n'
    row = ManifestRow.model_validate_json(done.line)
    assert (row.case_id, row.status, row.attempts, row.outputs) == ("in/a.xml", "ok", 2, ["results/in/a.xml.json"])
    assert "compact_json" not in done.line
    writer = ManifestWriter(tmp_path)
    writer.add_lines([done.line, folder.finish(CaseResult(case_id="b", input="b", status="rejected", error="x")).line])
    assert [r.case_id for r in read_manifest(tmp_path)] == ["in/a.xml", "b"]  # flushed before add_lines returns
    writer.close()
    partial = tmp_path / "results" / "in" / ".a.xml.json.k3j9.tmp"  # what atomic_write leaves when killed mid-write
    other = tmp_path / "results" / "in" / ".b.xml.json.x1.tmp"
    partial.write_text("{", encoding="utf-8")
    other.write_text("{", encoding="utf-8")
    folder.remove_partial("in/a.xml")
    assert not partial.exists() and other.exists()
