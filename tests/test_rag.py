"""Code index (Chroma) and hybrid retrieval: build, reuse, search, CLI, calibration, no network."""

from __future__ import annotations

import json
import socket

import pytest
from typer.testing import CliRunner

from cliniq_agent.cli.kb import app
from cliniq_agent.core.errors import UsageError
from cliniq_agent.rag import CodeIndex
from cliniq_agent.rag import embedding as embedding_module
from cliniq_agent.eval.retrieval import load_queries
from cliniq_agent.rag.documents import concept_documents, content_key
from cliniq_agent.rag.store import BUILD_COUNTER
from cliniq_agent.terminology import TerminologyKB

# a KB subset for the small-index tests: conditions, labs, a drug and an ICD-10-CM code
SUBSET = [("snomed", "27836007"), ("snomed", "14189004"), ("snomed", "840539006"), ("snomed", "60826002"),
          ("snomed", "56717001"), ("loinc", "43913-3"), ("loinc", "35275-7"), ("rxnorm", "197511"),
          ("icd10", "A37.90")]


@pytest.fixture
def subset_documents() -> list:
    kb = TerminologyKB.load()
    return [document for system, code in SUBSET for document in concept_documents(kb, kb.lookup(system, code))]


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIQ_AGENT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def index() -> CodeIndex:
    """The real index over the whole KB (shared cache dir: built once per machine, then reused)."""
    return CodeIndex.open(progress=False)


def test_small_index_is_built_once_then_reused(subset_documents, isolated_cache):
    before = BUILD_COUNTER["builds"]
    first = CodeIndex.from_documents(subset_documents)
    assert first.built_now
    assert BUILD_COUNTER["builds"] - before == len(subset_documents)
    assert first.store.folder.parent == isolated_cache / "index"
    assert (first.store.folder / "manifest.json").is_file()
    assert first.store.size_bytes() > 0

    second = CodeIndex.from_documents(subset_documents)
    assert not second.built_now
    assert BUILD_COUNTER["builds"] - before == len(subset_documents)  # nothing embedded again
    assert second.store.manifest == first.store.manifest
    hits = second.search("measels", system="snomed")
    assert hits[0].code == "14189004"
    assert hits[0].match in ("lexical", "vector")


def test_no_network_during_build_and_query(subset_documents, isolated_cache, monkeypatch):
    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):  # noqa: ARG001
        attempts.append(address)
        raise OSError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    embedding_module._load.cache_clear()  # load the model again, inside the blocked region
    index = CodeIndex.from_documents(subset_documents[::-1])  # another document order: a fresh build
    assert index.built_now
    hits = index.search("valley fever infection", system="snomed")
    assert hits[0].code == "60826002"
    assert attempts == []


def test_content_key_depends_on_model():
    kb = TerminologyKB.load()
    assert content_key(kb, "a", full_icd10=False) != content_key(kb, "b", full_icd10=False)
    assert content_key(kb, "a", full_icd10=False) != content_key(kb, "a", full_icd10=True)
    assert content_key(kb, "a", full_icd10=False) == content_key(kb, "a", full_icd10=False)


def test_whooping_cough_finds_pertussis_condition(index):
    hits = index.search("whooping cough", system="snomed")
    assert hits[0].code == "27836007"
    assert hits[0].match == "alias" and hits[0].score == 0.95
    assert hits[0].condition == "27836007"
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_exact_match_does_not_embed(index, monkeypatch):
    def no_vector(text):
        raise AssertionError(f"vector channel used for an exact match: {text}")

    monkeypatch.setattr(index, "query_vector", no_vector)
    hits = index.search("Pertussis", system="snomed", k=3)
    assert hits[0].code == "27836007" and hits[0].match == "exact" and hits[0].score == 1.0
    assert all(hit.score < 1.0 for hit in hits[1:])


@pytest.mark.parametrize(("query", "system", "code"), [
    ("tuberculossis", "snomed", "56717001"),          # misspelling
    ("diptheria infection", "snomed", "276197005"),   # misspelling + extra word
    ("coccidiodomycosis", "snomed", "60826002"),      # dropped letter
    ("salmonella food poisoning", "snomed", "302231008"),
    ("sarampión en niños", "snomed", "14189004"),     # Spanish with extra words
    ("Bordetella pertussis PCR", "loinc", "43913-3"),  # PCR means NAA in LOINC names
    ("cipro 500 mg tablet", "rxnorm", "197511"),      # prefix of the drug name
])
def test_fuzzy_queries(index, query, system, code):
    hits = index.search(query, system=system)
    assert hits, query
    assert hits[0].code == code, [(h.code, h.name, h.score) for h in hits]
    assert 0.0 < hits[0].score < 0.95


def test_icd10_search_links_condition(index):
    hits = index.search("whooping cough due to Bordetella pertussis without pneumonia", system="icd10")
    assert hits[0].code.startswith("A37.0")
    assert hits[0].condition == "27836007"


def test_lookup(index):
    hit = index.lookup("http://loinc.org", "43913-3")
    assert hit is not None and hit.score == 1.0 and hit.system == "loinc"
    assert hit.condition == "27836007"
    assert index.lookup("loinc", "99999-9") is None


def test_unknown_system_is_a_usage_error(index):
    with pytest.raises(UsageError):
        index.search("pertussis", system="mesh")


def test_cli_build_reports_and_reuses(index):
    runner = CliRunner()
    result = runner.invoke(app, ["build", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["built_now"] is False  # the module fixture built (or found) it
    assert info["documents"] > 4000 and info["size_bytes"] > 0
    text = runner.invoke(app, ["build"])
    assert text.exit_code == 0 and "reused" in text.stdout and "documents" in text.stdout


def test_cli_search_json_shape(index):
    result = CliRunner().invoke(app, ["search", "whooping cough", "--system", "snomed", "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert 1 <= len(hits) <= 3
    assert all(set(hit) == {"code", "system", "name", "score"} for hit in hits)
    assert hits[0]["code"] == "27836007" and hits[0]["system"] == "snomed"
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_cli_search_table_and_bad_system(index):
    runner = CliRunner()
    table = runner.invoke(app, ["search", "valley fever"])
    assert table.exit_code == 0 and "60826002" in table.stdout
    bad = runner.invoke(app, ["search", "pertussis", "--system", "mesh"])
    assert bad.exit_code == 2 and "unknown code system" in bad.output


def test_benchmark_file_is_consistent():
    kb = TerminologyKB.load()
    queries = load_queries()
    answerable = [q for q in queries if q.kind != "absent"]
    assert len(answerable) >= 120
    assert len({q.query for q in queries}) == len(queries)
    for query in answerable:
        assert all(kb.lookup(query.system, code) is not None for code in query.codes), query
    exact = sum(any(c.code in q.codes for c in kb.match_exact(q.query, q.system)) for q in answerable)
    assert exact < len(answerable) / 4  # most queries are variations, not KB names


def test_bench_suite_reports_accuracy(index):
    from rich.console import Console

    from cliniq_agent.eval.synonyms import run_synonym_suite

    console = Console(record=True, width=140)
    [result] = run_synonym_suite(None, limit=40, variants=["deterministic"], console=console)
    text = console.export_text()
    assert "top-1" in text and "overall" in text and "query latency" in text
    assert result.cases == 40 and float(result.extra["top1"]) >= 0.8
    assert result.codes.tp + result.codes.fn == 40


@pytest.mark.parametrize("query, sibling", [
    ("viêm phổi do phế cầu", "406617004"),            # pneumococcal pneumonia is not pneumococcal meningitis
    ("nhiễm khuẩn huyết do tụ cầu vàng", "23511006"),  # S. aureus sepsis is not meningococcal sepsis
])
def test_sibling_found_by_meaning_is_never_accepted(index, query, sibling):
    """Another site or organism that the sentence model scores high is capped below the agent's ask threshold."""
    narrower = index.config.scores.narrower
    assert all(hit.score <= narrower for hit in index.search(query, system="snomed", k=10) if hit.code == sibling)


@pytest.mark.parametrize("query, code", [
    ("lockjaw", "76902006"),                 # a synonym by meaning shares no word: still found
    ("méningite à méningocoque", "23511006"),  # one stem ("méningocoque" / "méningococcique") is no sibling
])
def test_synonym_by_meaning_still_found(index, query, code):
    assert index.search(query, system="snomed", k=3)[0].code == code
