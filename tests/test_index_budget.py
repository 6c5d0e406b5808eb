"""The first build of the code index runs under the per-document time budget: a run that must build it
ends with the budget error and leaves no half-built folder; the next build (outside the budget) starts
clean. Real Chroma builds over a KB subset in a private cache folder; nothing is mocked."""

from __future__ import annotations

import pytest

from cliniq_agent.core.budget import time_budget
from cliniq_agent.core.errors import BudgetExceeded
from cliniq_agent.core.state import RunOptions
from cliniq_agent.engine import Engine
from cliniq_agent.rag import CodeIndex
from cliniq_agent.rag.documents import concept_documents
from cliniq_agent.rag.store import BUILD_COUNTER
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.text.tiers import deterministic_draft

SUBSET = [("snomed", "27836007"), ("snomed", "14189004"), ("loinc", "35275-7"), ("rxnorm", "197511")]
_EXPIRED = 1e-9   # a budget that has run out before the build's first batch


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIQ_AGENT_CACHE_DIR", str(tmp_path / "cache"))
    CodeIndex.forget()      # the process-wide index of another cache must not answer for this one
    yield tmp_path / "cache"
    CodeIndex.forget()


def _index_folders(cache):
    root = cache / "index"
    return sorted(path for path in root.iterdir() if path.is_dir()) if root.exists() else []


def test_build_stops_at_the_budget_then_builds_cleanly(private_cache):
    kb = TerminologyKB.load()
    documents = [document for system, code in SUBSET for document in concept_documents(kb, kb.lookup(system, code))]
    before = BUILD_COUNTER["builds"]
    with time_budget(_EXPIRED), pytest.raises(BudgetExceeded, match="first build of the code index.*kb build"):
        CodeIndex.from_documents(documents)
    assert BUILD_COUNTER["builds"] == before          # stopped before embedding anything
    assert _index_folders(private_cache) == []        # no half-built folder left behind

    index = CodeIndex.from_documents(documents)       # no budget: the same folder is built from scratch
    assert index.built_now
    assert BUILD_COUNTER["builds"] - before == len(documents)
    assert (index.store.folder / "manifest.json").is_file()
    assert index.search("measels", system="snomed")[0].code == "14189004"


def test_run_that_must_build_the_index_ends_with_the_budget_error(private_cache):
    note = "Patient: Ana Ruiz\nDx: valley fever\nLab: cocci serology - positive\n"   # phrases left to the agent
    deterministic_draft(note, producer="warm")        # KB and rules loaded outside the run's budget
    with Engine(RunOptions(use_llm=False, persist_trace=False)) as engine:
        with pytest.raises(BudgetExceeded, match="first build of the code index"):
            engine.extract(note, time_budget_s=10.0)  # the whole-KB build takes minutes
    assert _index_folders(private_cache) == []
