"""Lexical channel: IDF-weighted soft token overlap with fuzzy tokens (misspellings, inflections, split words).

Score of a document = F-beta of two coverages, both weighted by token IDF:
- query coverage: how much of the query the document's tokens explain ("lead poisoning in a child" → 0.8);
- name coverage: how much of the document's name the query explains (penalises long names sharing one word).
A query token matches a KB token exactly (1.0), within a few edits (1 - edits / length; two edits only between
the same first and last three letters), as a prefix
("hep" → "hepatitis", ``prefix_sim``), through kb/rag/query_expansions.tsv ("PCR" → "NAA"), or against two
adjacent KB tokens written as one ("chickenpox"). Tokens are :func:`fold_key` tokens (case-, accent- and
punctuation-free), stopwords removed; single letters and numbers weigh heavily ("hepatitis B" is not "C").
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence

from cliniq_agent.rag.config import LexicalSettings
from cliniq_agent.rag.documents import IndexDocument
from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.tsv import read_tsv
from cliniq_agent.terminology import fold_key
from cliniq_agent.terminology.normalize import case_key

_PRUNE = 200  # documents scored in full per query (best by a cheap upper bound)
_PREFIX_LIMIT = 60
_JOIN_MIN = 3  # adjacent tokens this long may be written as one word ("chickenpox"); not "hepatitisb"


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance (a transposition counts as one edit); > limit as limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def load_expansions() -> dict[str, dict[str, float]]:
    """kb/rag/query_expansions.tsv as {query token: {KB token: similarity}}."""
    table: dict[str, dict[str, float]] = {}
    for row in read_tsv(kb_path("rag", "query_expansions.tsv")):
        targets = table.setdefault(fold_key(row["token"]), {})
        for token in fold_key(row["expands_to"]).split():
            targets[token] = max(targets.get(token, 0.0), float(row["similarity"]))
    return table


def _is_discriminator(token: str) -> bool:
    return len(token) == 1 or token.isdigit()


def _same_ends(a: str, b: str) -> bool:
    """Two edits stay a misspelling only inside the word: the same first and last three letters. Otherwise one
    word of the KB becomes another ("viriasis" is not "vibriosis", "hepatosis" not "hepatitis"), while
    "legionairres" still finds "legionnaires"."""
    return a[:3] == b[:3] and a[-3:] == b[-3:]


def _same_stem(a: str, b: str) -> bool:
    """One word derived from the other ("vibrio" / "vibriosis", "salmonella" / "salmonellosis"): a common start of
    at least 4 letters and 80 % of the shorter word (not "meningitis" / "meningococcal")."""
    shorter = min(len(a), len(b))
    common = 0
    while common < shorter and a[common] == b[common]:
        common += 1
    return common >= max(4, 0.8 * shorter)


def _trigrams(token: str) -> list[str]:
    padded = f"^{token}$"
    return [padded[i:i + 3] for i in range(len(padded) - 2)]


class LexicalIndex:
    """In-memory token index over the index documents (built in ~0.1 s for the default KB)."""

    def __init__(self, documents: Sequence[IndexDocument], settings: LexicalSettings,
                 expansions: dict[str, dict[str, float]] | None = None) -> None:
        self.documents = documents
        self.settings = settings
        self.expansions = load_expansions() if expansions is None else expansions
        self._tokens: list[tuple[str, ...]] = []
        self._systems = [document.system for document in documents]
        self._cased: dict[int, frozenset[str]] = {}
        postings: dict[str, set[int]] = defaultdict(set)
        joined: dict[str, set[int]] = defaultdict(set)  # "chicken pox" -> "chickenpox" (exact matches only)
        for index, document in enumerate(documents):
            tokens = self.tokenize(document.text)
            self._tokens.append(tokens)
            if document.case_sensitive:
                self._cased[index] = frozenset(case_key(document.text).split())
            for token in tokens:
                postings[token].add(index)
            for left, right in zip(tokens, tokens[1:]):
                if min(len(left), len(right)) >= _JOIN_MIN:
                    joined[left + right].add(index)
        self._postings = {token: tuple(sorted(docs)) for token, docs in postings.items()}
        self._joined = {token: tuple(sorted(docs)) for token, docs in joined.items()}
        total = max(len(documents), 1)
        self._max_idf = math.log(1.0 + total)
        self._idf = {token: self._boost(token, math.log(1.0 + total / len(postings[token] | joined.get(token, set()))))
                     for token in postings.keys() | joined.keys()}
        self._sorted = sorted(self._postings)
        grams: dict[str, list[str]] = defaultdict(list)
        for token in self._sorted:
            if len(token) >= 4:
                for gram in set(_trigrams(token)):
                    grams[gram].append(token)
        self._grams = dict(grams)

    # ------------------------------------------------------------------------------------------- tokens
    def _boost(self, token: str, weight: float) -> float:
        if _is_discriminator(token):
            return max(weight, self.settings.discriminator_weight * self._max_idf)
        return weight

    def tokenize(self, text: str) -> tuple[str, ...]:
        """Folded tokens without stopwords (a one-letter stopword in upper case stays: "hepatitis A")."""
        tokens = fold_key(text).split()
        cased = case_key(text).split()
        if len(cased) != len(tokens):
            cased = tokens
        stopwords = self.settings.stopwords
        kept = tuple(t for t, c in zip(tokens, cased) if t not in stopwords or (len(c) == 1 and c.isupper()))
        return kept or tuple(tokens)

    def _allowed_edits(self, length: int) -> int:
        settings = self.settings
        if length < settings.fuzzy_min_length:
            return 0
        return settings.edits_short if length < settings.long_length else settings.edits_long

    def expand(self, token: str) -> dict[str, float]:
        """KB tokens similar to ``token`` with their similarity (1.0 for the token itself)."""
        found = self._similar(token)
        for target, similarity in self.expansions.get(token, {}).items():
            for candidate, inner in self._similar(target).items():
                found[candidate] = max(found.get(candidate, 0.0), similarity * inner)
        return found

    def _similar(self, token: str) -> dict[str, float]:
        found: dict[str, float] = {}
        if token in self._postings or token in self._joined:
            found[token] = 1.0
        edits = self._allowed_edits(len(token))
        if edits:
            grams = _trigrams(token)
            counts = Counter(candidate for gram in grams for candidate in self._grams.get(gram, ()))
            need = max(1, len(grams) - 4 * edits)
            for candidate, shared in counts.items():
                if shared < need or candidate == token or abs(len(candidate) - len(token)) > edits:
                    continue
                distance = osa_distance(token, candidate, edits)
                if distance <= edits and (distance < 2 or _same_ends(token, candidate)):
                    found[candidate] = max(found.get(candidate, 0.0), 1.0 - distance / max(len(token), len(candidate)))
        if len(token) >= self.settings.prefix_min:
            start = bisect_left(self._sorted, token)
            for candidate in self._sorted[start:start + _PREFIX_LIMIT]:
                if not candidate.startswith(token):
                    break
                if candidate != token:
                    found[candidate] = max(found.get(candidate, 0.0), self.settings.prefix_sim)
        return found

    def _weight(self, token: str, expansion: dict[str, float]) -> float:
        if token in self._idf:
            return self._idf[token]
        if expansion:
            best = max(expansion, key=expansion.__getitem__)
            return self._idf[best]
        return self._boost(token, self.settings.unknown_weight * self._max_idf)

    def _variants(self, tokens: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The query tokens, plus a version with adjacent tokens joined where the KB writes them as one word."""
        variants = [tokens]
        merged: list[str] = []
        index = 0
        while index < len(tokens):
            if index + 1 < len(tokens) and tokens[index] + tokens[index + 1] in self._postings:
                merged.append(tokens[index] + tokens[index + 1])
                index += 2
            else:
                merged.append(tokens[index])
                index += 1
        if len(merged) < len(tokens):
            variants.append(tuple(merged))
        return variants

    def narrower_words(self, query: str, name: str) -> tuple[str, ...]:
        """The distinguishing words of ``name`` that ``query`` does not explain, when the name explains every word of
        the query but a generic one: the name then names a narrower concept ("viral fever" → "viral hemorrhagic
        fever": ("hemorrhagic",)). Empty when every word of the name is explained or generic (kb/rag/retrieval.toml
        generic_words), when they share no word (a synonym found by meaning, "lockjaw" → "tetanus"), or when the
        query has a word of its own the name lacks (an abbreviation the index cannot expand, another concept)."""
        generic = self.settings.generic_words
        tokens = self.tokenize(name)
        explained = [False] * len(tokens)
        for token in self.tokenize(query):
            expansion, used = self.expand(token), False
            for position, word in enumerate(tokens):
                if expansion.get(word, 0.0) > 0.0 or _same_stem(token, word):
                    explained[position] = used = True
                if position + 1 < len(tokens) and expansion.get(word + tokens[position + 1], 0.0) > 0.0:
                    explained[position] = explained[position + 1] = used = True
            if not used and token not in generic:
                return ()  # the query says something the name does not: another concept, not a narrower one
        if not any(explained):
            return ()
        return tuple(word for word, known in zip(tokens, explained) if not known and word not in generic)

    def sibling(self, query: str, name: str) -> bool:
        """Whether ``name`` is a sibling of ``query``, not a synonym: they share a distinguishing word and each has
        one the other does not explain ("viêm phổi do phế cầu", pneumococcal pneumonia, against "viêm màng não do
        phế cầu", pneumococcal meningitis: another site; "nhiễm khuẩn huyết do tụ cầu vàng" against "nhiễm khuẩn
        huyết não mô cầu": another organism). The sentence model scores such pairs high in languages it hardly
        knows, so a vector match between them is no evidence. Names sharing no word ("lockjaw" / "tetanus") and
        words of one stem ("méningocoque" / "méningococcique") are not siblings."""
        generic = self.settings.generic_words
        query_tokens = [t for t in self.tokenize(query) if t not in generic]
        name_tokens = [t for t in self.tokenize(name) if t not in generic]

        def explains(token: str, words: list[str]) -> bool:
            expansion = self.expand(token)
            return any(expansion.get(word, 0.0) > 0.0 or _same_stem(token, word) for word in words)

        shared = any(explains(token, name_tokens) for token in query_tokens)
        query_only = any(not explains(token, name_tokens) for token in query_tokens)
        name_only = any(not explains(word, query_tokens) for word in name_tokens)
        return shared and query_only and name_only

    def other_type(self, query: str, name: str) -> bool:
        """Whether ``name`` is one type of a disease ("hepatitis B": a letter or number) that ``query`` does not
        name while ``query`` gives a word of its own the name lacks: another kind of that disease ("viêm gan do
        rượu", alcoholic hepatitis, is not "viêm gan B"). A short abbreviation holding the letter ("HBV", "VHC")
        may name the type, so it keeps the match."""
        query_tokens, tokens = self.tokenize(query), self.tokenize(name)
        types = [word for word in tokens if _is_discriminator(word) and word not in query_tokens]
        if not types or any(2 <= len(token) <= 4 and token not in tokens and word in token
                            for token in query_tokens for word in types):
            return False
        generic = self.settings.generic_words
        return any(token not in generic and not _is_discriminator(token)
                   and not any(self.expand(token).get(word, 0.0) > 0.0 or _same_stem(token, word) for word in tokens)
                   for token in query_tokens)

    # ------------------------------------------------------------------------------------------- search
    def search(self, query: str, *, system: str | None = None, limit: int | None = None) -> list[tuple[int, float]]:
        """Best documents as (document index, score 0..1), best first."""
        tokens = self.tokenize(query)
        if not tokens:
            return []
        query_cased = frozenset(case_key(query).split())
        best: dict[int, float] = {}
        for variant in self._variants(tokens):
            for doc, score in self._score_variant(variant, system, query_cased):
                if score > best.get(doc, 0.0):
                    best[doc] = score
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return ranked[: limit or self.settings.candidates]

    def _score_variant(self, tokens: tuple[str, ...], system: str | None,
                       query_cased: frozenset[str]) -> list[tuple[int, float]]:
        expansions = [self.expand(token) for token in tokens]
        weights = [self._weight(token, expansion) for token, expansion in zip(tokens, expansions)]
        total = sum(weights)
        bound: dict[int, float] = defaultdict(float)
        for expansion, weight in zip(expansions, weights):
            reach: dict[int, float] = {}
            for candidate, similarity in expansion.items():
                for doc in self._postings.get(candidate, ()) + self._joined.get(candidate, ()):
                    if similarity > reach.get(doc, 0.0):
                        reach[doc] = similarity
            for doc, similarity in reach.items():
                bound[doc] += weight * similarity
        items = bound.items() if not system else ((d, b) for d, b in bound.items() if self._systems[d] == system)
        candidates = heapq.nlargest(_PRUNE, items, key=lambda item: item[1])
        scored = []
        for doc, _ in candidates:
            if doc in self._cased and not self._cased[doc] <= query_cased:
                continue
            scored.append((doc, self._f_score(doc, expansions, weights, total)))
        return scored

    def _f_score(self, doc: int, expansions: list[dict[str, float]], weights: list[float], total: float) -> float:
        tokens = self._tokens[doc]
        doc_cover = [0.0] * len(tokens)
        covered = 0.0
        for expansion, weight in zip(expansions, weights):
            best = 0.0
            for position, token in enumerate(tokens):
                similarity = expansion.get(token, 0.0)
                if position + 1 < len(tokens):
                    joined = expansion.get(token + tokens[position + 1], 0.0)
                    if joined > similarity:
                        similarity = joined
                        doc_cover[position + 1] = max(doc_cover[position + 1], joined)
                if position > 0:
                    similarity = max(similarity, expansion.get(tokens[position - 1] + token, 0.0))
                doc_cover[position] = max(doc_cover[position], similarity)
                best = max(best, similarity)
            covered += weight * best
        recall = covered / total if total else 0.0
        doc_weights = [self._idf[token] for token in tokens]
        precision = sum(w * c for w, c in zip(doc_weights, doc_cover)) / (sum(doc_weights) or 1.0)
        if recall <= 0.0 or precision <= 0.0:
            return 0.0
        beta2 = self.settings.beta ** 2
        return (1 + beta2) * precision * recall / (beta2 * precision + recall)
