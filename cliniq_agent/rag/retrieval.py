"""Hybrid code retrieval: exact / alias match, then lexical, then vector, merged with a calibrated score.

Score scheme (numbers in kb/rag/retrieval.toml, fitted on kb/rag/synonym_benchmark.tsv):
- exact (the query is the concept's preferred name after folding) 1.0; alias (a synonym, abbreviation or
  translation) 0.95; a name shared by several codes of one system 0.7 each;
- otherwise each code gets raw = max over its names of the lexical score (0..1) and the cosine similarity mapped
  onto 0..1 between ``vector_floor`` and ``vector_ceiling``, fused as a blend of their weighted mean
  (``lexical_weight``) and their maximum (``max_share``), plus a small bonus for reportable conditions in
  SNOMED CT searches; the calibration knots map raw onto the estimated probability that the
  top-ranked code is right (score ≥ 0.8 ≈ right at least ~90% of the time on the benchmark).
Exact hits skip the vector channel (a few ms); the embedding model loads on the first vector query.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from cliniq_agent.core.budget import wait_for
from cliniq_agent.core.errors import UsageError
from cliniq_agent.rag.config import FusionSettings, RetrievalConfig, retrieval_config
from cliniq_agent.rag.documents import IndexDocument, concept_documents, condition_for
from cliniq_agent.rag.embedding import load_embedder
from cliniq_agent.rag.lexical import LexicalIndex
from cliniq_agent.rag.store import IndexStore, manifest_summary, open_store
from cliniq_agent.terminology import Concept, TerminologyKB, fold_key, normalize_system

MatchKind = Literal["exact", "alias", "lexical", "vector"]
# Systems of condition names, where a name narrower than the text is another diagnosis (kb/rag/retrieval.toml
# [scores] narrower); a lab or drug name always says more than a clinician writes (specimen, method, strength).
_CONDITION_SYSTEMS = frozenset({"snomed", "icd10"})


class CodeHit(BaseModel):
    """One ranked code."""

    model_config = ConfigDict(frozen=True)

    code: str
    system: str
    name: str
    score: float                  # calibrated 0..1 (see module docstring)
    match: MatchKind
    matched_text: str             # the KB name (or the query, for exact lookups) that produced the hit
    condition: str | None = None  # linked RCTC reportable condition (SNOMED CT)


def normalize_vector(similarity: float, fusion: FusionSettings) -> float:
    """Cosine similarity mapped linearly onto 0..1 between ``vector_floor`` and ``vector_ceiling``."""
    if similarity <= 0.0:
        return 0.0
    span = fusion.vector_ceiling - fusion.vector_floor
    return min(max((similarity - fusion.vector_floor) / span, 0.0), 1.0)


def interpolate(knots: Sequence[tuple[float, float]], raw: float) -> float:
    """Piecewise-linear map through ``knots`` (clamped at both ends)."""
    if raw <= knots[0][0]:
        return knots[0][1]
    for (x0, y0), (x1, y1) in zip(knots, knots[1:]):
        if raw <= x1:
            return y0 + (y1 - y0) * (raw - x0) / (x1 - x0) if x1 > x0 else y1
    return knots[-1][1]


class _Candidate:
    __slots__ = ("document", "lexical", "lexical_doc", "vector", "vector_doc")

    def __init__(self, document: IndexDocument) -> None:
        self.document = document
        self.lexical = 0.0
        self.lexical_doc = document
        self.vector = 0.0
        self.vector_doc = document


_OPEN: dict[tuple[str | None, bool], CodeIndex] = {}
_OPEN_LOCK = threading.Lock()


class CodeIndex:
    """The code index of this process: use :meth:`open` (builds on first use, then reuses the folder)."""

    def __init__(self, store: IndexStore, kb: TerminologyKB, config: RetrievalConfig | None = None) -> None:
        self.store = store
        self.kb = kb
        self.config = config or retrieval_config()
        spec = self.config.models.get(store.manifest.model)
        self.fusion = self.config.fusion.model_copy(update=spec.fusion_overrides() if spec else {})
        self.calibration = (spec.calibration if spec and spec.calibration else None) or self.config.scores.calibration
        self.lexical = LexicalIndex(store.documents, self.config.lexical)
        self.built_now = False

    @classmethod
    def open(cls, model: str | None = None, *, full_icd10: bool = False, rebuild: bool = False,
             progress: bool = True) -> CodeIndex:
        """The index for the current KB and embedding model, cached per process."""
        key = (model, full_icd10)
        wait_for(lambda timeout: _OPEN_LOCK.acquire(timeout=timeout), "waiting for the code index")
        try:
            if key in _OPEN and not rebuild:
                _OPEN[key].built_now = False  # built_now: whether this call built it
                return _OPEN[key]
            store, built = open_store(model, full_icd10=full_icd10, rebuild=rebuild, progress=progress)
            index = cls(store, TerminologyKB.load())
            index.built_now = built
            _OPEN[key] = index
            return index
        finally:
            _OPEN_LOCK.release()

    @classmethod
    def from_documents(cls, documents: list[IndexDocument], model: str | None = None, *,
                       progress: bool = False) -> CodeIndex:
        """An index over an explicit list of documents (a KB subset), keyed on the documents themselves."""
        store, built = open_store(model, documents=documents, progress=progress)
        index = cls(store, TerminologyKB.load())
        index.built_now = built
        return index

    @staticmethod
    def forget() -> None:
        """Drop the per-process cache (tests; after `kb import`)."""
        with _OPEN_LOCK:
            _OPEN.clear()

    def info(self) -> dict[str, object]:
        return manifest_summary(self.store)

    # ------------------------------------------------------------------------------------------- lookup
    def lookup(self, system: str, code: str) -> CodeHit | None:
        """The code itself, as a hit with score 1.0 (None when the KB does not know it)."""
        concept = self.kb.lookup(system, code)
        if concept is None:
            return None
        return self._concept_hit(concept, 1.0, "exact", code)

    def _concept_hit(self, concept: Concept, score: float, match: MatchKind, matched: str) -> CodeHit:
        documents = concept_documents(self.kb, concept)
        name = documents[0].name if documents else concept.display
        return CodeHit(code=concept.code, system=concept.system, name=name, score=score, match=match,
                       matched_text=matched, condition=condition_for(self.kb, concept) or None)

    # ------------------------------------------------------------------------------------------- search
    def search(self, query: str, *, system: str | None = None, k: int = 5) -> list[CodeHit]:
        """Ranked codes for a name, synonym, abbreviation, translation or misspelling (best first)."""
        short = normalize_system(system) if system else None
        if system and short is None:
            raise UsageError(f"unknown code system {system!r} (snomed, loinc, rxnorm, icd10, cvx)")
        text = " ".join(query.split())
        if not text or k <= 0:
            return []
        hits = self._exact(text, short)
        taken = {(hit.system, hit.code) for hit in hits}
        if len(hits) >= k:
            return hits[:k]
        candidates = self._lexical(text, short)
        if not hits:
            self._vector(text, short, candidates)
        fuzzy = [hit for hit in self._fuse(text, candidates.values(), short) if (hit.system, hit.code) not in taken]
        if hits:  # fill up below the exact hits
            ceiling = min(hit.score for hit in hits)
            fuzzy = [hit.model_copy(update={"score": min(hit.score, round(ceiling - 0.01, 4))}) for hit in fuzzy]
        return (hits + fuzzy)[:k]

    def _exact(self, text: str, system: str | None) -> list[CodeHit]:
        scores = self.config.scores
        concepts = self.kb.match_exact(text, system)
        per_system: dict[str, int] = {}
        for concept in concepts:
            per_system[concept.system] = per_system.get(concept.system, 0) + 1
        key = fold_key(text)
        hits = []
        for concept in concepts:
            documents = concept_documents(self.kb, concept)
            preferred = {fold_key(d.text) for d in documents if d.role == "preferred"} | {fold_key(concept.display)}
            if per_system[concept.system] > 1:
                score, match = scores.ambiguous, "alias"
            elif key in preferred:
                score, match = scores.exact, "exact"
            else:
                score, match = scores.alias, "alias"
            hits.append(self._concept_hit(concept, score, match, text))  # type: ignore[arg-type]
        return sorted(hits, key=lambda hit: -hit.score)

    def _lexical(self, text: str, system: str | None) -> dict[tuple[str, str], _Candidate]:
        candidates: dict[tuple[str, str], _Candidate] = {}
        for position, score in self.lexical.search(text, system=system):
            document = self.store.documents[position]
            candidate = candidates.setdefault((document.system, document.code), _Candidate(document))
            if score > candidate.lexical:
                candidate.lexical, candidate.lexical_doc = score, document
        return candidates

    def query_vector(self, text: str) -> np.ndarray:
        return load_embedder(self.store.manifest.model).embed_query(text)

    def _vector(self, text: str, system: str | None, candidates: dict[tuple[str, str], _Candidate]) -> None:
        vector = self.query_vector(text)
        counts = self.store.manifest.systems
        for name in [system] if system else sorted(counts):
            if not counts.get(name):
                continue
            result = self.store.collection(name).query(
                query_embeddings=[vector.tolist()], n_results=min(self.fusion.vector_candidates, counts[name]),
                include=["distances"])
            for doc_id, distance in zip(result["ids"][0], result["distances"][0]):
                document = self.store.documents[self.store.positions[doc_id]]
                similarity = 1.0 - float(distance)
                candidate = candidates.setdefault((document.system, document.code), _Candidate(document))
                if similarity > candidate.vector:
                    candidate.vector, candidate.vector_doc = similarity, document
        # lexical candidates beyond the nearest neighbours: their own cosine, not 0, so the fusion can compare
        missing: dict[str, list[_Candidate]] = {}
        for candidate in candidates.values():
            if candidate.vector == 0.0:
                missing.setdefault(candidate.document.system, []).append(candidate)
        for name, group in missing.items():
            stored = self.store.collection(name).get(ids=[c.lexical_doc.id for c in group], include=["embeddings"])
            by_id = dict(zip(stored["ids"], stored["embeddings"]))
            for candidate in group:
                if candidate.lexical_doc.id in by_id:
                    candidate.vector = float(np.dot(vector, np.asarray(by_id[candidate.lexical_doc.id])))
                    candidate.vector_doc = candidate.lexical_doc

    def raw_score(self, lexical: float, vector: float, document: IndexDocument, system: str | None,
                  fusion: FusionSettings | None = None) -> float:
        """Fused, uncalibrated score of one code (``fusion`` overrides the configured settings: calibration)."""
        fusion = fusion or self.fusion
        vector_norm = normalize_vector(vector, fusion)
        weighted = fusion.lexical_weight * lexical + (1 - fusion.lexical_weight) * vector_norm
        raw = (1 - fusion.max_share) * weighted + fusion.max_share * max(lexical, vector_norm)
        if system == "snomed" and document.kind == "condition" and document.condition == document.code:
            raw += fusion.condition_bonus
        return min(raw, 1.0)

    def _narrower(self, query: str, candidate: _Candidate) -> bool:
        """Whether every name of a reportable condition that matched the query names a narrower concept (or another
        type of the query's disease)."""
        document = candidate.document
        if not document.condition or document.system not in _CONDITION_SYSTEMS:
            return False
        names = {doc.text for doc, score in ((candidate.lexical_doc, candidate.lexical),
                                             (candidate.vector_doc, candidate.vector)) if score > 0.0}
        return bool(names) and all(self.lexical.narrower_words(query, name) or self.lexical.other_type(query, name)
                                   for name in names)

    def _fuse(self, query: str, candidates: Iterable[_Candidate], system: str | None) -> list[CodeHit]:
        scores = self.config.scores
        hits = []
        for candidate in candidates:
            raw = self.raw_score(candidate.lexical, candidate.vector, candidate.document, system)
            if raw <= 0.0:
                continue
            lexical_wins = candidate.lexical >= normalize_vector(candidate.vector, self.fusion)
            document = candidate.lexical_doc if lexical_wins else candidate.vector_doc
            score = round(min(interpolate(self.calibration, raw), scores.max_fuzzy), 4)
            if score < scores.min_score:  # no evidence; their order would follow the index build's float noise
                continue
            if score > scores.narrower and self._narrower(query, candidate):
                score = scores.narrower  # a reportable condition's name says more than the text: never accepted
            if (score > scores.narrower and not lexical_wins and document.condition
                    and document.system in _CONDITION_SYSTEMS and self.lexical.sibling(query, document.text)):
                score = scores.narrower  # a sibling concept found by meaning alone (another site or organism)
            hits.append((score, round(raw, 6), CodeHit(
                code=document.code, system=document.system, name=document.name, score=score,
                match="lexical" if lexical_wins else "vector", matched_text=document.text,
                condition=document.condition or None)))
        hits.sort(key=lambda item: (-item[0], -item[1], item[2].system, item[2].code))
        return [hit for _, _, hit in hits]
