"""Trace retention: `trace prune` deletes old runs with their steps and stored texts, on a real SQLite store."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cliniq_agent.core.state import StepRecord
from cliniq_agent.trace.store import RunTrace, TraceStore


def _store_with_runs(path: Path, ages_days: list[int]) -> TraceStore:
    store = TraceStore(path)
    now = datetime.now(timezone.utc)
    for n, age in enumerate(ages_days):
        started = (now - timedelta(days=age)).isoformat(timespec="milliseconds")
        trace = RunTrace(run_id=f"run{n:04d}{'0' * 25}", started_at=started, source_name=f"doc{n}.xml",
                         steps=[StepRecord(node="detect_format", started_at=started, duration_ms=1.0, summary="cda")],
                         source_text=f"<ClinicalDocument>{n}</ClinicalDocument>")
        store.save(trace)
    return store


def _counts(path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(path) as db:
        return tuple(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("runs", "steps", "sources"))


def test_prune_by_age_removes_steps_and_texts_too(tmp_path: Path) -> None:
    store = _store_with_runs(tmp_path / "t.sqlite", [400, 200, 100, 10, 1])
    cut = (datetime.now(timezone.utc) - timedelta(days=90)).isoformat(timespec="milliseconds")
    assert store.prune(before=cut, chunk=2) == 3      # three chunks of at most two runs
    assert _counts(store.path) == (2, 2, 2)
    assert [r.source_name for r in store.list()] == ["doc4.xml", "doc3.xml"]


def test_keep_last_and_sources_only(tmp_path: Path) -> None:
    store = _store_with_runs(tmp_path / "t.sqlite", [50, 40, 30, 20, 10])
    assert store.prune(keep_last=2, sources_only=True) == 3
    assert _counts(store.path) == (5, 5, 2)          # traces kept, the old texts gone
    assert store.get("run0000" + "0" * 25).source_text is None
    assert store.prune(keep_last=2) == 3
    assert _counts(store.path) == (2, 2, 2)


def test_prune_needs_a_cutoff(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        TraceStore(tmp_path / "t.sqlite").prune()


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cliniq_agent.cli.main", "trace", "prune", *args],
                          capture_output=True, text=True, timeout=120, env={**os.environ, **env})


def test_cli_prunes_the_user_store_and_vacuums(tmp_path: Path) -> None:
    env = {"CLINIQ_AGENT_DATA_DIR": str(tmp_path)}
    store = _store_with_runs(tmp_path / "traces.sqlite", [30, 20, 3, 2, 1])
    store.close()
    done = _cli(env, "--older-than", "7d", "--vacuum")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("deleted 2 runs; store ")
    assert _counts(tmp_path / "traces.sqlite") == (3, 3, 3)
    done = _cli(env, "--older-than", (datetime.now(timezone.utc) + timedelta(days=1)).date().isoformat())
    assert done.returncode == 0 and done.stdout.startswith("deleted 3 runs") and "--vacuum" in done.stdout


@pytest.mark.parametrize("args", [(), ("--older-than", "soon")])
def test_cli_refuses_without_a_valid_cutoff(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = _cli({"CLINIQ_AGENT_DATA_DIR": str(tmp_path)}, *args)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and len(done.stderr.splitlines()) == 1
