"""The synonym benchmark (kb/rag/synonym_benchmark.tsv): run every query through the index and score it.

Used by the bench suite (``cliniq_agent.eval.synonyms``) and by the calibration fit (``rag.calibrate``).
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from cliniq_agent.rag.retrieval import CodeHit, CodeIndex
from cliniq_agent.core.resources import kb_path
from cliniq_agent.eval.scoring import percentile
from cliniq_agent.core.tsv import read_tsv


ABSENT = "absent"  # benchmark kind of queries whose concept the KB does not hold


class BenchmarkQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    query: str
    system: str
    codes: frozenset[str]
    lang: str
    kind: str


class QueryOutcome(BaseModel):
    query: BenchmarkQuery
    hits: list[CodeHit]
    rank: int | None          # 1-based rank of the first expected code, None when not in the hits
    latency_ms: float

    @property
    def top1(self) -> bool:
        return self.rank == 1

    @property
    def top5(self) -> bool:
        return self.rank is not None and self.rank <= 5


class Accuracy(BaseModel):
    n: int = 0
    top1: int = 0
    top5: int = 0

    def add(self, outcome: QueryOutcome) -> None:
        self.n += 1
        self.top1 += outcome.top1
        self.top5 += outcome.top5


class BenchmarkReport(BaseModel):
    model: str
    outcomes: list[QueryOutcome]
    build_seconds: float      # when the index was built (manifest)
    open_seconds: float       # opening it in this run (includes the build when built_now)
    built_now: bool
    size_bytes: int
    documents: int

    def by_kind(self) -> dict[str, Accuracy]:
        """Top-1 / top-5 accuracy per query kind and overall (kind 'absent' has no right answer: left out)."""
        table: dict[str, Accuracy] = defaultdict(Accuracy)
        for outcome in self.outcomes:
            if outcome.query.kind == ABSENT:
                continue
            table[outcome.query.kind].add(outcome)
            table["overall"].add(outcome)
        return dict(table)

    def absent(self, confident: float = 0.8) -> tuple[int, int, float]:
        """Queries for things the KB lacks: (count, how many got a top-1 score >= confident, mean top-1 score)."""
        scores = [o.hits[0].score if o.hits else 0.0 for o in self.outcomes if o.query.kind == ABSENT]
        if not scores:
            return 0, 0, 0.0
        return len(scores), sum(score >= confident for score in scores), sum(scores) / len(scores)

    def latency(self, *, exact: bool | None = None) -> tuple[float, float]:
        """p50, p95 in ms (exact=True: queries answered by the exact/alias channel; False: the others)."""
        values = [o.latency_ms for o in self.outcomes
                  if exact is None or (bool(o.hits) and o.hits[0].match in ("exact", "alias")) == exact]
        return percentile(values, 0.5), percentile(values, 0.95)

    def calibration_table(self, edges: tuple[float, ...] = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01),
                          ) -> list[tuple[str, int, float]]:
        """(score band, queries whose top-1 score falls in it, share of them whose top-1 is right)."""
        rows = []
        for low, high in zip(edges, edges[1:]):
            band = [o for o in self.outcomes if o.hits and low <= o.hits[0].score < high]
            right = sum(o.top1 for o in band)
            rows.append((f"[{low:.2f}, {min(high, 1.0):.2f}{']' if high > 1 else ')'}", len(band),
                         right / len(band) if band else 0.0))
        return rows


def load_queries(path: Path | None = None) -> list[BenchmarkQuery]:
    rows = read_tsv(path or kb_path("rag", "synonym_benchmark.tsv"))
    return [BenchmarkQuery(query=r["query"], system=r["system"], codes=frozenset(r["code"].split("|")),
                           lang=r["lang"], kind=r["kind"]) for r in rows]


def run_queries(index: CodeIndex, queries: list[BenchmarkQuery], *, k: int = 5) -> list[QueryOutcome]:
    outcomes = []
    for query in queries:
        clock = time.perf_counter()
        hits = index.search(query.query, system=query.system, k=k)
        latency = (time.perf_counter() - clock) * 1000
        rank = next((i + 1 for i, hit in enumerate(hits) if hit.code in query.codes), None)
        outcomes.append(QueryOutcome(query=query, hits=hits, rank=rank, latency_ms=latency))
    return outcomes


def run_benchmark(model: str | None = None, *, limit: int | None = None, progress: bool = False) -> BenchmarkReport:
    """Open (or build) the index for ``model`` and run the benchmark; the first query's model load is not timed."""
    clock = time.perf_counter()
    index = CodeIndex.open(model, progress=progress)
    opened = time.perf_counter() - clock
    index.query_vector("warm-up")  # load the embedding model outside the timed queries
    queries = load_queries()[:limit] if limit else load_queries()
    outcomes = run_queries(index, queries)
    manifest = index.store.manifest
    return BenchmarkReport(model=manifest.model, outcomes=outcomes,
                           build_seconds=manifest.build_seconds, open_seconds=opened,
                           built_now=index.built_now, size_bytes=index.store.size_bytes(),
                           documents=manifest.documents)
