"""The anchored cue search (kb/agent/cues.tsv anchor / reach) finds exactly the matches of the cue's pattern
run at every position: on the long-note shapes, the examples, and seeded random text built from the words
and separators the cues care about (result words split by verbs, runs of spaces and newlines, "e. coli")."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cliniq_agent.agent.propose import _cues
from cliniq_agent.core.textnorm import fold
from cliniq_agent.eval.longtext import SHAPES

_WORDS = ("hiv", "measles", "igm", "pcr", "culture", "e.", "coli", "salmonella", "was", "is", "were", "returned",
          "came back", "not", "non", "non-", "no", "antibody", "ab", "total", "positive", "negative", "detected",
          "reactive", "nonreactive", "pending", "isolated", "this", "seropositive", "undetected", "x", "1:64")
_SEPARATORS = (" ", " ", " ", "  ", "\n", " \n ", ". ", "; ", ": ", ", ", "-", "")

_ANCHORED = [cue for cue in _cues() if cue[2]._anchor is not None]


def _texts() -> list[str]:
    texts = [SHAPES[shape](20_000, seed) for shape in SHAPES for seed in (0, 15)]
    texts += [path.read_text(encoding="utf-8") for path in sorted(Path("examples").glob("*.txt"))]
    rng = random.Random(15)
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(1, 60)):
            parts.append(rng.choice(_WORDS) if rng.random() < 0.7 else "".join(rng.choices("abcdefghij", k=rng.randint(1, 30))))
            parts.append(rng.choice(_SEPARATORS))
        texts.append("".join(parts))
    return texts


def test_some_cues_are_anchored() -> None:
    assert {cue[0] for cue in _ANCHORED} >= {"en_lab_pos", "en_org_before"}


@pytest.mark.parametrize("cue", _ANCHORED, ids=lambda cue: cue[0])
def test_anchored_search_finds_exactly_the_pattern_matches(cue) -> None:
    matcher = cue[2]
    found_any = False
    for text in _texts():
        folded = fold(text)
        for start, end in ((0, len(folded)), (len(folded) // 3, len(folded) - 5)):
            if start >= end:
                continue
            plain = [(m.span(), m.span("phrase")) for m in matcher.pattern.finditer(folded, start, end)]
            anchored = [(m.span(), m.span("phrase")) for m in matcher.finditer(folded, start, end)]
            assert anchored == plain, (cue[0], folded[start:end][:300])
            found_any = found_any or bool(plain)
    assert found_any
